// End to end on a real Docker engine and Swarm, the registry being exactly the container spec the stack
// declares (run on Debian's docker-registry): `docker login`/`build`/`push` with the stack's credentials,
// then a Swarm service pulling the private image with the stack's `registryAuth`, sent as faas-swarm
// sends it. Needs FAASREG_DOCKER_HOST (.ci/run starts a dockerd and sets it); skipped, and said so, without.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DOCKER_HOST, dockerCli, engine, xRegistryAuth } from "../helpers/docker-engine";
import { findResource, outputValue } from "../helpers/mocks";
import { containerSpec, type RunningRegistry, startRealRegistry } from "../helpers/real-registry";
import { RegistryClient } from "../helpers/registry-client";
import { evaluateStack } from "../helpers/stack";

const value = <T>(o: unknown) => outputValue(o as pulumi.Output<T>);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (DOCKER_HOST === undefined) {
    process.stderr.write("test/e2e/swarm.test.ts: SKIPPED: FAASREG_DOCKER_HOST is not set (no Docker engine); .ci/run starts one\n");
}

describe.skipIf(DOCKER_HOST === undefined)("end to end: docker push and a Swarm pull with the stack's credentials", () => {
    let registry: RunningRegistry;
    let server: string;
    let password: string;
    let registryAuth: string;
    const dir = mkdtempSync(join(tmpdir(), "faasreg-e2e-"));
    const configDir = join(dir, "docker-config");
    const image = () => `${server}/team/hello:1`;

    beforeAll(async () => {
        const { recorded, exports } = await evaluateStack({ "registry:tls": "none", "registry:users": JSON.stringify([{ username: "ci" }]) });
        registry = await startRealRegistry(containerSpec(findResource(recorded, "docker:index/container:Container", "registry-container").inputs));
        // 127.0.0.0/8: Docker talks plain HTTP to it, as to the dev stack's registry.
        server = `127.0.0.1:${registry.port}`;
        password = (await value<Record<string, string>>(exports.registryPasswords)).ci;
        registryAuth = await value<string>(exports.registryAuth);
        const info = await engine("GET", "/info");
        if ((info.json as { Swarm?: { LocalNodeState?: string } }).Swarm?.LocalNodeState !== "active") {
            expect((await engine("POST", "/swarm/init", { ListenAddr: "127.0.0.1:2377", AdvertiseAddr: "127.0.0.1" })).status).toBe(200);
        }
    }, 120_000);

    afterAll(async () => {
        for (const name of ["faasreg-e2e-hello", "faasreg-e2e-wrong"]) await engine("DELETE", `/services/${name}`).catch(() => undefined);
        dockerCli(["rmi", "-f", image()], { configDir });
        await engine("POST", "/swarm/leave?force=true").catch(() => undefined);
        await registry?.stop();
        registry?.remove();
        rmSync(dir, { recursive: true, force: true });
    });

    it("refuses docker login with a wrong password and accepts the stack's", () => {
        const wrong = dockerCli(["login", server, "-u", "ci", "--password-stdin"], { configDir, input: "not-the-password-0123456789" });
        expect(wrong.status).not.toBe(0);
        expect(wrong.out).toMatch(/unauthorized|401/i);
        const ok = dockerCli(["login", server, "-u", "ci", "--password-stdin"], { configDir, input: password });
        expect(ok.out).toMatch(/Login Succeeded/);
        expect(ok.out).not.toContain(password);
    });

    it("builds and pushes an image with docker, which the registry then serves", async () => {
        const context = join(dir, "context");
        rmSync(context, { recursive: true, force: true });
        mkdirSync(context);
        copyFileSync("/bin/busybox", join(context, "busybox"));
        writeFileSync(join(context, "Dockerfile"), 'FROM scratch\nCOPY busybox /bin/busybox\nCMD ["/bin/busybox", "sleep", "3600"]\n');
        const build = dockerCli(["build", "-q", "-t", image(), context], { configDir });
        expect(build.status, build.out).toBe(0);
        const push = dockerCli(["push", image()], { configDir });
        expect(push.status, push.out).toBe(0);
        expect(push.out).toMatch(/digest: sha256:[0-9a-f]{64}/);
        const manifest = await new RegistryClient(`http://${server}`, ["ci", password]).getManifest("team/hello", "1");
        expect(manifest.status).toBe(200);
    });

    it("runs a Swarm service from the private image with the stack's registryAuth, and not with a wrong one", async () => {
        // Nothing cached: a node with the image would run it whatever the credentials (FACTS.md).
        dockerCli(["logout", server], { configDir });
        expect(dockerCli(["rmi", "-f", image()], { configDir }).status).toBe(0);
        const create = (name: string, auth: string) =>
            engine(
                "POST",
                "/services/create",
                {
                    Name: name,
                    TaskTemplate: { ContainerSpec: { Image: image() }, RestartPolicy: { Condition: "none" } },
                    Mode: { Replicated: { Replicas: 1 } },
                },
                { "X-Registry-Auth": xRegistryAuth(auth, server) },
            );
        const tasks = async (name: string) =>
            (await engine("GET", `/tasks?filters=${encodeURIComponent(JSON.stringify({ service: [name] }))}`)).json as {
                Status: { State: string; Err?: string };
            }[];

        expect((await create("faasreg-e2e-hello", registryAuth)).status).toBe(201);
        let states: string[] = [];
        for (let i = 0; i < 60 && !states.includes("running"); i++) {
            await sleep(500);
            states = (await tasks("faasreg-e2e-hello")).map((t) => t.Status.State);
        }
        expect(states).toContain("running");

        expect(dockerCli(["rmi", "-f", image()], { configDir }).status).toBe(0);
        const wrong = Buffer.from("ci:not-the-password-0123456789").toString("base64");
        expect((await create("faasreg-e2e-wrong", wrong)).status).toBe(201);
        let rejected: { State: string; Err?: string }[] = [];
        for (let i = 0; i < 60 && rejected.length === 0; i++) {
            await sleep(500);
            rejected = (await tasks("faasreg-e2e-wrong")).map((t) => t.Status).filter((s) => s.State === "rejected");
        }
        expect(rejected[0]?.Err).toMatch(/No such image/);
    });
});
