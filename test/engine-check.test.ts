// The resources that ask the Docker engine or the cluster (the Swarm gate, the htpasswd file, the Kubernetes gate and
// the Docker host's platform for builds), driven as the Pulumi engine drives them: over gRPC, the faasreg provider
// as the engine starts it (provider/main.cjs), with the inputs the program declares in a preview and in an up.
// What a CI preview without the production host meets (no SSH key, no route): the resource shown unchanged with a
// warning, while the same diff in `pulumi up` still refuses. And the faasreg provider keeps serving while an engine
// is slow to answer: the registry's resources and the functions of a stack all share that one process.
import { createHash } from "node:crypto";
import { createServer, type Server, type Socket } from "node:net";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { EngineHarness, engineMessage, type Props } from "./helpers/engine";
import { engineInputs, findResource } from "./helpers/mocks";
import { evaluateStack } from "./helpers/stack";

/** The registry's resources served by the faasreg provider, as their URNs name them (the component's child). */
const GATE = "faasreg:registry:SwarmGate";
const FILE = "faasreg:registry:ContainerFile";
const child = (type: string) => `faasreg:registry:PrivateRegistry$${type}`;
/** The stack's Kubernetes gate and the Docker host's platform of its builds (no parent), served by the faasreg provider too. */
const K8S_GATE = "faasreg:faas:KubernetesGate";
const PLATFORM = "faasreg:faas:DockerPlatform";

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

/** The inputs the program declares for a resource of `type`, in a preview or an up, as the engine sends them. */
async function declared(config: Record<string, string>, name: string, preview: boolean, type: string): Promise<Props> {
    const stack = await evaluateStack(config, { preview });
    return engineInputs(findResource(stack.recorded, type, name).inputs);
}

describe("a preview without the Docker host: the gate and the platform shown unchanged, with a warning; up still refuses", () => {
    let faasreg: EngineHarness;
    let engine: EngineHarness;
    beforeAll(async () => {
        faasreg = await EngineHarness.start({ host: "faasreg" });
        engine = faasreg.withType(PLATFORM);
    }, 30_000);
    afterAll(async () => faasreg?.stop());

    const unreachable = {
        "a unix socket nobody serves": "unix:///nonexistent/faasreg/docker.sock",
        "ssh:// without a way in (a CI job without the deploy key: refused here)": "ssh://deploy@127.0.0.1:1",
    };
    for (const [what, host] of Object.entries(unreachable)) {
        it(`the Swarm gate, on ${what}`, async () => {
            const gate = faasreg.withType(child(GATE));
            const preview = await declared(swarmStack(host), "registry-swarm-gate", true, GATE);
            expect(preview.preview).toBe(true);
            const state = { ...(await declared(swarmStack(host), "registry-swarm-gate", false, GATE)), nodeId: "node-of-the-last-up" };
            const before = faasreg.stderr().length;
            const started = Date.now();
            expect(await gate.diff("registry-swarm-gate", "swarm-gate", state, preview)).toMatchObject({ changes: "none" });
            expect(Date.now() - started).toBeLessThan(20_000);
            const warning = faasreg.stderr().slice(before);
            expect(warning).toMatch(
                /warning: this preview could not ask the Docker engine \(cannot reach docker:host|warning: this preview could not ask the Docker engine \(ssh to docker:host/,
            );
            expect(warning).toMatch(/the Swarm gate .* is shown unchanged; pulumi up asks again and stops if it still cannot reach it/);
            // The misleading TLS hint of before is gone for ssh.
            expect(warning).not.toMatch(/speak TLS/);
            // The same diff in `pulumi up` (the program's inputs without the preview flag) refuses, naming docker:host.
            const upInputs = await declared(swarmStack(host), "registry-swarm-gate", false, GATE);
            const error = await gate.diff("registry-swarm-gate", "swarm-gate", state, upInputs).catch((e) => e);
            expect(engineMessage(error)).toMatch(/docker:host \(/);
        }, 60_000);
    }

    it("the Docker host's platform of a build without a platform", async () => {
        const host = unreachable["a unix socket nobody serves"];
        const preview = await declared(buildStack(host), "docker-host-platform", true, PLATFORM);
        const state = { ...(await declared(buildStack(host), "docker-host-platform", false, PLATFORM)), platform: "linux/arm64" };
        const before = engine.stderr().length;
        expect(await engine.diff("docker-host-platform", "docker-platform", state, preview)).toMatchObject({ changes: "none" });
        expect(engine.stderr().slice(before)).toMatch(
            /could not ask the Docker engine .* the Docker host's platform \(and the tags of images built there\) is shown unchanged/,
        );
        const error = await engine
            .diff("docker-host-platform", "docker-platform", state, await declared(buildStack(host), "docker-host-platform", false, PLATFORM))
            .catch((e) => e);
        expect(engineMessage(error)).toMatch(/cannot reach docker:host \(unix:\/\/\/nonexistent/);
    }, 60_000);

    it("the htpasswd file of a container-mode registry: its error names the file and docker:host, not the Swarm mode", async () => {
        const host = unreachable["a unix socket nobody serves"];
        const file = await declared(
            { "registry:host": "registry.example.com", "registry:email": "ops@example.com", "docker:host": host },
            "registry-htpasswd",
            false,
            FILE,
        );
        const error = await faasreg
            .withType(child(FILE))
            .create("registry-htpasswd", { ...file, container: "registry-container-id" })
            .catch((e) => e);
        expect(engineMessage(error)).toMatch(
            /the registry's \/etc\/distribution\/htpasswd in its container: cannot reach docker:host \(unix:\/\/\/nonexistent/,
        );
        expect(engineMessage(error)).not.toMatch(/registry:mode swarm/);
    }, 60_000);

    it("the provider previews: Configure says so; in a preview a Create creates nothing and an Update changes nothing", async () => {
        expect(await faasreg.configure({})).toEqual({ supportsPreview: true });
        const host = unreachable["a unix socket nobody serves"];
        const config = { "registry:host": "registry.example.com", "registry:email": "ops@example.com", "docker:host": host };
        const file: Props = { ...(await declared(config, "registry-htpasswd", true, FILE)), container: "registry-container-id" };
        const files = faasreg.withType(child(FILE));
        // The engine's own answer for a provider that does not preview: the inputs, no id. Nothing asked the engine
        // (whose socket nobody serves: a real create fails, below).
        expect(await files.create("registry-htpasswd", file, true)).toEqual({ id: "", outs: file });
        expect(engineMessage(await files.create("registry-htpasswd", file).catch((e) => e))).toMatch(/cannot reach docker:host/);
        // An update in a preview reports the new inputs; a dynamic resource's state that only moves, its values as they are.
        const state: Props = { ...file, sha256: createHash("sha256").update(String(file.content), "utf8").digest("hex") };
        const news = { ...file, content: "ci:$2y$04$other\n" };
        expect(await files.update("registry-htpasswd", "registry-container-id:/auth/htpasswd", state, news, true)).toEqual(news);
        const dynamicState = { ...state, __provider: "exports.handler = ..." };
        expect((await files.diff("registry-htpasswd", "registry-container-id:/auth/htpasswd", dynamicState, file)).changes).toBe("some");
        // Its values as they are, the content and the connection secret.
        const secret = (value: unknown) => ({ [specialSigKey]: specialSecretSig, value });
        expect(await files.update("registry-htpasswd", "registry-container-id:/auth/htpasswd", dynamicState, file, true)).toEqual({
            ...state,
            content: secret(state.content),
            connection: secret(state.connection),
        });
    }, 60_000);

    it("a changed docker:host is still a change in a preview (the config changed), without asking", async () => {
        const host = unreachable["a unix socket nobody serves"];
        const state = { ...(await declared(buildStack("ssh://deploy@old.example.com"), "docker-host-platform", false, PLATFORM)), platform: "linux/amd64" };
        expect(
            await engine.diff("docker-host-platform", "docker-platform", state, await declared(buildStack(host), "docker-host-platform", true, PLATFORM)),
        ).toMatchObject({
            changes: "some",
        });
    }, 60_000);
});

describe("the Kubernetes gate without the cluster: a preview shows it unchanged, with a warning; up refuses, naming kubernetes:kubeconfig", () => {
    let provider: EngineHarness;
    let engine: EngineHarness;
    beforeAll(async () => {
        provider = await EngineHarness.start({ host: "faasreg" });
        engine = provider.withType(K8S_GATE);
    }, 30_000);
    afterAll(async () => provider?.stop());
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
                const preview = await declared(stackWith(text), "functions-pull-secret-gate", true, K8S_GATE);
                const state = { ...(await declared(stackWith(text), "functions-pull-secret-gate", false, K8S_GATE)), server: "https://127.0.0.1:1" };
                const before = engine.stderr().length;
                expect(await engine.diff("functions-pull-secret-gate", "kubernetes-gate", state, preview)).toMatchObject({ changes: "none" });
                expect(engine.stderr().slice(before)).toMatch(
                    /warning: this preview could not ask the Kubernetes API server \(.*kubernetes:kubeconfig.*\), so the Kubernetes gate is shown unchanged/,
                );
                const upInputs = await declared(stackWith(text), "functions-pull-secret-gate", false, K8S_GATE);
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
        engine = await EngineHarness.start({ host: "faasreg" });
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
        const gates = engine.withType(child(GATE));
        const gate = await declared(swarmStack(`tcp://127.0.0.1:${port}`), "registry-swarm-gate", false, GATE);
        const waiting = gates.diff("registry-swarm-gate", "swarm-gate", { ...gate, nodeId: "n1" }, gate).catch((e) => e);
        // The provider loads the registry's code on its first call (about a second), then the check connects.
        for (let i = 0; i < 100 && held.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
        expect(held.length, "the gate's check is connected and waiting").toBeGreaterThan(0);
        // The Swarm gate of another stack, on a host nobody serves, in a preview: shown unchanged at once.
        const host = "unix:///nonexistent/faasreg/docker.sock";
        const state = { ...(await declared(swarmStack(host), "registry-swarm-gate", false, GATE)), nodeId: "n2" };
        const started = Date.now();
        expect(await gates.diff("registry-swarm-gate", "swarm-gate", state, await declared(swarmStack(host), "registry-swarm-gate", true, GATE))).toMatchObject(
            {
                changes: "none",
            },
        );
        expect(Date.now() - started).toBeLessThan(2_000);
        // The gate is still waiting for its engine.
        expect(await Promise.race([waiting.then(() => "answered"), new Promise((r) => setTimeout(() => r("waiting"), 10))])).toBe("waiting");
        for (const s of held.splice(0)) s.destroy();
        expect(engineMessage(await waiting)).toMatch(/cannot reach docker:host \(tcp:\/\/127\.0\.0\.1:\d+\)/);
    }, 60_000);
});
