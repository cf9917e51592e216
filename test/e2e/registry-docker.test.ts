// The registry as the docker provider runs it, on a real Docker engine (in a private lab): the stack's
// declared container (image, published port, data volume, uploaded config and htpasswd), replaced the way
// the provider replaces it (delete first, then create, copy the uploads, start) when a password rotates,
// with what clients see meanwhile measured; and scripts/registry-gc.sh run as written against it. The
// image is Debian's registry binary shaped like the official one (test/helpers/registry-image.ts).
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planRetention, RegistryApi } from "../../scripts/registry-prune";
import { request } from "../helpers/http";
import { type DockerEngine, Lab, labSkipReason } from "../helpers/lab";
import { findResource, outputValue } from "../helpers/mocks";
import { type ContainerSpec, containerSpec } from "../helpers/real-registry";
import { RegistryClient } from "../helpers/registry-client";
import { importRegistryImage } from "../helpers/registry-image";
import { evaluateStack } from "../helpers/stack";
import { registrySkipReason } from "../helpers/registry-binary";

const skip = labSkipReason({ dockerd: true }) ?? registrySkipReason();
if (skip !== undefined) process.stderr.write(`test/e2e/registry-docker.test.ts: SKIPPED: ${skip}\n`);

const IMAGE = "faasreg-test/registry:3";
const NAME = "faasreg-test-registry";
const VOLUME = `${NAME}-data`;
const config = (alice: string) => ({ "registry:tls": "none", "registry:users": JSON.stringify([{ username: "ci" }, { username: "alice", password: alice }]) });

describe.skipIf(skip !== undefined)("the registry container on a real Docker engine: replacement and garbage collection", () => {
    let lab: Lab;
    let docker: DockerEngine;
    let base: string;
    let ci: string;
    let scratch: string;

    /** What the docker provider does for the declared container: create, copy the uploads in, start. */
    const createContainer = (spec: ContainerSpec) => {
        docker.must(["create", "--name", NAME, "-p", "127.0.0.1:5000:5000", "-v", `${VOLUME}:/var/lib/registry`, IMAGE, ...spec.command]);
        const files = mkdtempSync(join(scratch, "uploads-"));
        for (const upload of spec.uploads) {
            const target = join(files, upload.file);
            mkdirSync(dirname(target), { recursive: true });
            writeFileSync(target, upload.content);
            if (upload.permissions) chmodSync(target, Number.parseInt(upload.permissions, 8));
        }
        const tar = spawnSync("tar", ["--numeric-owner", "--owner=0", "--group=0", "-C", files, "-cf", "-", "."]);
        expect(docker.cli(["cp", "-", `${NAME}:/`], tar.stdout).status).toBe(0);
        docker.must(["start", NAME]);
    };
    const declared = async (alice: string) => {
        const stack = await evaluateStack(config(alice));
        return { stack, spec: containerSpec(findResource(stack.recorded, "docker:index/container:Container", "registry-container").inputs) };
    };
    const status = async (user: string, password: string) => (await request(`${base}/v2/`, { auth: [user, password] }).catch(() => ({ status: 0 }))).status;
    const volumeBytes = () =>
        Number(execFileSync("du", ["-sb", join(lab.dir, "docker-data", "volumes", VOLUME, "_data")], { encoding: "utf8" }).split("\t")[0]);

    beforeAll(async () => {
        lab = await Lab.start("registry-docker");
        docker = await lab.startDockerd();
        scratch = join(lab.dir, "scratch");
        mkdirSync(scratch);
        importRegistryImage(docker, lab.dir, IMAGE);
        docker.must(["volume", "create", VOLUME]);
        const first = await declared("alice-first-password-0123");
        ci = (await outputValue(first.stack.exports.registryPasswords as pulumi.Output<Record<string, string>>)).ci;
        createContainer(first.spec);
        base = `http://127.0.0.1:${await lab.relay(5000)}`;
        for (let i = 0; i < 100 && (await status("ci", ci)) !== 200; i++) await new Promise((r) => setTimeout(r, 100));
    }, 120_000);
    afterAll(async () => {
        await lab?.stop();
    }, 60_000);

    it("rotates a password by replacing the container (delete first, as the provider does): the old one stops working", async () => {
        expect(await status("alice", "alice-first-password-0123")).toBe(200);
        const second = await declared("alice-rotated-password-4567");
        let down = 0;
        let polling = true;
        const poll = (async () => {
            while (polling) {
                const t = Date.now();
                if ((await status("ci", ci)) !== 200) down += Date.now() - t + 10;
                await new Promise((r) => setTimeout(r, 10));
            }
        })();
        const started = Date.now();
        docker.must(["rm", "-f", NAME]);
        createContainer(second.spec);
        for (let i = 0; i < 100 && (await status("ci", ci)) !== 200; i++) await new Promise((r) => setTimeout(r, 20));
        const replaced = Date.now() - started;
        polling = false;
        await poll;
        process.stderr.write(`registry-docker: the container replacement took ${replaced} ms; clients got no answer for about ${down} ms\n`);
        expect(await status("alice", "alice-first-password-0123")).toBe(401);
        expect(await status("alice", "alice-rotated-password-4567")).toBe(200);
    });

    it("scripts/registry-gc.sh frees what registry:prune deleted, with the container stopped meanwhile, and starts it again", async () => {
        const client = new RegistryClient(base, ["ci", ci]);
        const images = [];
        for (let i = 1; i <= 4; i++) images.push(await client.pushImage("functions/hello", `src-${i}`));
        const api = new RegistryApi(base, ["ci", ci]);
        const plan = await planRetention(api, { keepNewest: 0, deployed: [`registry/functions/hello:src-4`] });
        expect(plan.delete).toHaveLength(3);
        for (const d of plan.delete) await api.deleteManifest(d.repository, d.digest);
        const before = volumeBytes();
        const gc = spawnSync("bash", [join(__dirname, "..", "..", "scripts", "registry-gc.sh"), NAME, IMAGE], {
            encoding: "utf8",
            env: { PATH: "/usr/bin:/bin", DOCKER_HOST: docker.host, DOCKER_CONFIG: join(lab.dir, "docker-cli"), HOME: lab.dir },
        });
        expect(gc.status, gc.stderr).toBe(0);
        expect(gc.stderr).toMatch(/stopping .*\n.*starting/s);
        const after = volumeBytes();
        process.stderr.write(`registry-docker: data volume ${before} bytes before GC, ${after} after\n`);
        expect(after).toBeLessThan(before);
        for (let i = 0; i < 100 && (await status("ci", ci)) !== 200; i++) await new Promise((r) => setTimeout(r, 100));
        expect((await client.getManifest("functions/hello", "src-4")).status).toBe(200);
        expect((await client.getBlob("functions/hello", images[3].layerDigest)).status).toBe(200);
        expect((await client.getManifest("functions/hello", "src-1")).status).toBe(404);
    });
});
