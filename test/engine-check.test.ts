// The resources that ask the Docker engine (the Swarm gate, the Docker host's platform for builds), driven as the
// Pulumi engine drives them: through the SDK's own dynamic-provider host over gRPC, loaded from the serialized
// text the program produced, with the inputs it declares in a preview and in an up. What a CI preview without the
// production host meets (no SSH key, no route): the resource shown unchanged with a warning, while the same diff
// in `pulumi up` still refuses. And the provider process keeps serving while an engine is slow to answer: every
// dynamic resource shares that one process (the functions have their own, the faasreg provider's).
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { EngineHarness, engineMessage, type Props } from "./helpers/engine";
import { engineInputs, findResource } from "./helpers/mocks";
import { evaluateStack } from "./helpers/stack";

const DYNAMIC = "pulumi-nodejs:dynamic:Resource";

/** A swarm-mode stack and a stack that builds a function without a platform, on `host`. */
const swarmStack = (host: string) => ({
    "registry:mode": "swarm",
    "registry:host": "registry.example.com",
    "registry:email": "ops@example.com",
    "docker:host": host,
});
const buildStack = (host: string, gateway = "https://gateway.example.com") => ({
    "registry:host": "registry.example.com",
    "registry:email": "ops@example.com",
    "docker:host": host,
    "faas:gateway": gateway,
    "faas:password": "gateway-password-1",
    "faas:functions": JSON.stringify([
        { service: "hello", image: "team/hello:1" },
        { service: "built", build: { context: "test/fixtures/hello-fn" } },
    ]),
});

/** The inputs the program declares for a dynamic resource, in a preview or an up, as the engine sends them. */
async function declared(config: Record<string, string>, name: string, preview: boolean): Promise<Props> {
    const stack = await evaluateStack(config, { preview });
    return engineInputs(findResource(stack.recorded, DYNAMIC, name).inputs);
}

describe("a preview without the Docker host: the gate and the platform shown unchanged, with a warning; up still refuses", () => {
    let engine: EngineHarness;
    beforeAll(async () => {
        engine = await EngineHarness.start();
    }, 30_000);
    afterAll(async () => engine?.stop());

    const unreachable = {
        "a unix socket nobody serves": "unix:///nonexistent/faasreg/docker.sock",
        "ssh:// without a way in (a CI job without the deploy key: refused here)": "ssh://deploy@127.0.0.1:1",
    };
    for (const [what, host] of Object.entries(unreachable)) {
        it(`the Swarm gate, on ${what}`, async () => {
            const preview = await declared(swarmStack(host), "registry-swarm-gate", true);
            expect(preview.preview).toBe(true);
            const state = { ...(await declared(swarmStack(host), "registry-swarm-gate", false)), nodeId: "node-of-the-last-up" };
            const before = engine.stderr().length;
            const started = Date.now();
            expect(await engine.diff("registry-swarm-gate", "swarm-gate", state, preview)).toMatchObject({ changes: "none" });
            expect(Date.now() - started).toBeLessThan(20_000);
            const warning = engine.stderr().slice(before);
            expect(warning).toMatch(
                /warning: this preview could not ask the Docker engine \(cannot reach docker:host|warning: this preview could not ask the Docker engine \(ssh to docker:host/,
            );
            expect(warning).toMatch(/the Swarm gate .* is shown unchanged; pulumi up asks again and stops if it still cannot reach it/);
            // The misleading TLS hint of before is gone for ssh.
            expect(warning).not.toMatch(/speak TLS/);
            // The same diff in `pulumi up` (the program's inputs without the preview flag) refuses, naming docker:host.
            const upInputs = await declared(swarmStack(host), "registry-swarm-gate", false);
            const error = await engine.diff("registry-swarm-gate", "swarm-gate", state, upInputs).catch((e) => e);
            expect(engineMessage(error)).toMatch(/docker:host \(/);
        }, 60_000);
    }

    it("the Docker host's platform of a build without a platform", async () => {
        const host = unreachable["a unix socket nobody serves"];
        const preview = await declared(buildStack(host), "docker-host-platform", true);
        const state = { ...(await declared(buildStack(host), "docker-host-platform", false)), platform: "linux/arm64" };
        const before = engine.stderr().length;
        expect(await engine.diff("docker-host-platform", "docker-platform", state, preview)).toMatchObject({ changes: "none" });
        expect(engine.stderr().slice(before)).toMatch(
            /could not ask the Docker engine .* the Docker host's platform \(and the tags of images built there\) is shown unchanged/,
        );
        const error = await engine
            .diff("docker-host-platform", "docker-platform", state, await declared(buildStack(host), "docker-host-platform", false))
            .catch((e) => e);
        expect(engineMessage(error)).toMatch(/cannot reach docker:host \(unix:\/\/\/nonexistent/);
    }, 60_000);

    it("the htpasswd file of a container-mode registry: its error names the file and docker:host, not the Swarm mode", async () => {
        const host = unreachable["a unix socket nobody serves"];
        const file = await declared(
            { "registry:host": "registry.example.com", "registry:email": "ops@example.com", "docker:host": host },
            "registry-htpasswd",
            false,
        );
        const error = await engine.create("registry-htpasswd", { ...file, container: "registry-container-id" }).catch((e) => e);
        expect(engineMessage(error)).toMatch(
            /the registry's \/etc\/distribution\/htpasswd in its container: cannot reach docker:host \(unix:\/\/\/nonexistent/,
        );
        expect(engineMessage(error)).not.toMatch(/registry:mode swarm/);
    }, 60_000);

    it("a changed docker:host is still a change in a preview (the config changed), without asking", async () => {
        const host = unreachable["a unix socket nobody serves"];
        const state = { ...(await declared(buildStack("ssh://deploy@old.example.com"), "docker-host-platform", false)), platform: "linux/amd64" };
        expect(
            await engine.diff("docker-host-platform", "docker-platform", state, await declared(buildStack(host), "docker-host-platform", true)),
        ).toMatchObject({
            changes: "some",
        });
    }, 60_000);
});

describe("the Kubernetes gate without the cluster: a preview shows it unchanged, with a warning; up refuses, naming kubernetes:kubeconfig", () => {
    let engine: EngineHarness;
    beforeAll(async () => {
        engine = await EngineHarness.start();
    }, 30_000);
    afterAll(async () => engine?.stop());
    const stackWith = (kubeconfig: string) => ({
        "registry:host": "registry.example.com",
        "registry:email": "ops@example.com",
        "faas:gateway": "https://gateway.example.com",
        "faas:password": "gateway-password-1",
        "faas:backend": "kubernetes",
        "kubernetes:kubeconfig": kubeconfig,
    });
    const kubeconfig = (user: string) =>
        `apiVersion: v1\ncurrent-context: c\nclusters:\n- name: k\n  cluster: {server: "https://127.0.0.1:1"}\ncontexts:\n- name: c\n  context: {cluster: k, user: u}\nusers:\n- name: u\n  user: ${user}\n`;
    const cases = {
        "an API server nobody answers on": kubeconfig("{token: abc}"),
        "a credentials plugin that fails (a CI job without the cloud's login)": kubeconfig(
            '{exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/sh, args: ["-c", "echo not logged in >&2; exit 1"]}}',
        ),
    };
    for (const [what, text] of Object.entries(cases)) {
        it(
            what,
            async () => {
                const preview = await declared(stackWith(text), "functions-pull-secret-gate", true);
                const state = { ...(await declared(stackWith(text), "functions-pull-secret-gate", false)), server: "https://127.0.0.1:1" };
                const before = engine.stderr().length;
                expect(await engine.diff("functions-pull-secret-gate", "kubernetes-gate", state, preview)).toMatchObject({ changes: "none" });
                expect(engine.stderr().slice(before)).toMatch(
                    /warning: this preview could not ask the Kubernetes API server \(.*kubernetes:kubeconfig.*\), so the Kubernetes gate is shown unchanged/,
                );
                const upInputs = await declared(stackWith(text), "functions-pull-secret-gate", false);
                const error = await engine.diff("functions-pull-secret-gate", "kubernetes-gate", state, upInputs).catch((e) => e);
                expect(engineMessage(error)).toMatch(/kubernetes:kubeconfig/);
            },
            60_000,
        );
    }
});

describe("the provider process keeps serving while an engine is slow to answer", () => {
    let engine: EngineHarness;
    let silent: Server;
    const held: Socket[] = [];
    beforeAll(async () => {
        // An "engine" that accepts connections and never answers (a host behind a stalled SSH tunnel).
        silent = createServer((socket) => held.push(socket));
        await new Promise<void>((r) => silent.listen(0, "127.0.0.1", () => r()));
        engine = await EngineHarness.start();
    }, 30_000);
    afterEach(() => {
        for (const s of held.splice(0)) s.destroy();
    });
    afterAll(async () => {
        await engine?.stop();
        silent?.close();
    });

    it("another resource's check answers while the Swarm gate waits on the silent engine (each check runs in a child process, asynchronously)", async () => {
        const port = (silent.address() as { port: number }).port;
        const gate = await declared(swarmStack(`tcp://127.0.0.1:${port}`), "registry-swarm-gate", false);
        const waiting = engine.diff("registry-swarm-gate", "swarm-gate", { ...gate, nodeId: "n1" }, gate).catch((e) => e);
        await new Promise((r) => setTimeout(r, 300));
        expect(held.length, "the gate's check is connected and waiting").toBeGreaterThan(0);
        // The Docker host's platform of another stack, on a host nobody serves, in a preview: shown unchanged at once.
        const host = "unix:///nonexistent/faasreg/docker.sock";
        const state = { ...(await declared(buildStack(host), "docker-host-platform", false)), platform: "linux/amd64" };
        const started = Date.now();
        expect(
            await engine.diff("docker-host-platform", "docker-platform", state, await declared(buildStack(host), "docker-host-platform", true)),
        ).toMatchObject({
            changes: "none",
        });
        expect(Date.now() - started).toBeLessThan(2_000);
        // The gate is still waiting for its engine.
        expect(await Promise.race([waiting.then(() => "answered"), new Promise((r) => setTimeout(() => r("waiting"), 10))])).toBe("waiting");
        for (const s of held.splice(0)) s.destroy();
        expect(engineMessage(await waiting)).toMatch(/cannot reach docker:host \(tcp:\/\/127\.0\.0\.1:\d+\)/);
    }, 60_000);
});
