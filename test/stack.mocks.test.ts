// The whole stack (index.ts) under mocks: registry and functions together.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { fakeRandom, findResource, isSecretWrapped, outputValue, unwrap } from "./helpers/mocks";
import { withoutPromiseStackTraces } from "../components/stack-traces";
import { evaluateStack } from "./helpers/stack";
import { FAASD_KEY } from "./config.bad-input.cases";

const DYNAMIC = "pulumi-nodejs:dynamic:Resource";
/** The functions: the faasreg package's custom resource (provider/), served by the provider the stack configures. */
const FUNCTION = "faasreg:index:Function";
const value = <T>(o: unknown) => outputValue(o as pulumi.Output<T>);

const STACK = {
    "registry:host": "registry.example.com",
    "registry:email": "ops@example.com",
    "registry:users": JSON.stringify([{ username: "ci" }, { username: "alice", password: "alice-long-password-1" }]),
    "faas:gateway": "https://gateway.example.com/",
    "faas:password": "gateway-password-1",
    "faas:functions": JSON.stringify([
        { service: "hello", image: "team/hello:1", envProcess: "node index.js", labels: { tier: "web" } },
        { service: "resize", image: "registry.example.com/media/resize@sha256:" + "a".repeat(64), network: "private", limits: { memory: "256m" } },
    ]),
};

describe("the whole stack under mocks", () => {
    it("deploys each function after the registry's readiness gate, with its image in our registry", async () => {
        const { recorded } = await evaluateStack(STACK);
        const gate = findResource(recorded, "command:local:Command", "registry-ready");
        const gateUrn = "urn:pulumi:test::faas-registry::faasreg:registry:PrivateRegistry$command:local:Command::registry-ready";
        for (const service of ["hello", "resize"]) {
            const fn = findResource(recorded, FUNCTION, `${service}-deployment`);
            expect(fn.dependencies, service).toContain(gateUrn);
            expect(findResource(recorded, "faasreg:faas:Function", service).dependencies).toContain(gateUrn);
        }
        expect(gate).toBeDefined();
        const hello = unwrap(findResource(recorded, FUNCTION, "hello-deployment").inputs) as Record<string, unknown>;
        expect(hello).toMatchObject({
            service: "hello",
            image: "registry.example.com/team/hello:1",
            envProcess: "node index.js",
            labels: { tier: "web" },
            gatewayUrl: "https://gateway.example.com/",
            registryServer: "registry.example.com",
        });
        // What is at the provider's default is not sent (its check writes the default into the inputs: faas.engine.test.ts).
        for (const key of ["network", "backend", "adopt", "waitForReady", "readinessTimeoutSeconds"]) expect(hello, key).not.toHaveProperty(key);
        // The gateway's credentials are the provider's (faas:username, faas:password), not the function's.
        expect(hello.gatewayUsername).toBeUndefined();
        expect(findResource(recorded, FUNCTION, "hello-deployment").options.provider).toBe(
            "urn:pulumi:test::faas-registry::pulumi:providers:faasreg::faas-gateway::faas-gateway-id",
        );
        const resize = unwrap(findResource(recorded, FUNCTION, "resize-deployment").inputs) as Record<string, unknown>;
        expect(resize).toMatchObject({ image: `registry.example.com/media/resize@sha256:${"a".repeat(64)}`, network: "private", limits: { memory: "256m" } });
    });

    it("carries registryAuth (the first registry user) and the gateway password (on the functions' provider) as secrets, in inputs and outputs", async () => {
        const { recorded, exports } = await evaluateStack(STACK);
        const fn = findResource(recorded, FUNCTION, "hello-deployment");
        // Every function gets it, a secret (it is made once per registry login and shared).
        for (const service of ["hello", "resize"]) {
            const inputs = findResource(recorded, FUNCTION, `${service}-deployment`).inputs;
            expect(isSecretWrapped(inputs.registryAuth), service).toBe(true);
            expect(unwrap(inputs.registryAuth), service).toBe(Buffer.from(`ci:${fakeRandom("registry-password-ci", 40)}`).toString("base64"));
            expect(isSecretWrapped(inputs.registryServer), service).toBe(false);
        }
        expect(fn.inputs.gatewayPassword).toBeUndefined();
        const gatewayProvider = findResource(recorded, "pulumi:providers:faasreg", "faas-gateway");
        expect(isSecretWrapped(gatewayProvider.inputs.gatewayPassword)).toBe(true);
        expect(unwrap(gatewayProvider.inputs.gatewayPassword)).toBe("gateway-password-1");
        expect(gatewayProvider.inputs).toMatchObject({ gatewayUrl: "https://gateway.example.com/", gatewayUsername: "admin" });
        // Secret in state too: the engine marks these outputs secret (mocks do not apply the option).
        expect(fn.options.additionalSecretOutputs.sort()).toEqual(["gatewayPassword", "registryAuth"]);
        expect(await pulumi.isSecret(exports.registryAuth as pulumi.Output<string>)).toBe(true);
        const functions = await value<{ name: string; url: string }[]>(exports.faasFunctions);
        expect(functions).toEqual([
            { name: "hello", url: "https://gateway.example.com/function/hello" },
            { name: "resize", url: "https://gateway.example.com/function/resize" },
        ]);
        expect(await pulumi.isSecret(exports.faasFunctions as pulumi.Output<unknown>)).toBe(false);
    });

    it("declares identical function inputs on two runs", async () => {
        const first = await evaluateStack(STACK);
        const second = await evaluateStack(STACK);
        const fns = (r: typeof first) => JSON.stringify(r.recorded.filter((x) => x.type === FUNCTION || x.type === "pulumi:providers:faasreg"));
        expect(fns(first).length).toBeGreaterThan(1000);
        expect(fns(second)).toBe(fns(first));
    });

    it("is a registry-only stack without faas:gateway", async () => {
        const { recorded, exports } = await evaluateStack({ "registry:tls": "none" });
        expect(
            recorded.filter(
                (r) => r.type === DYNAMIC || r.type.startsWith("faasreg:faas") || r.type.startsWith("faasreg:index") || r.type === "pulumi:providers:faasreg",
            ),
        ).toEqual([]);
        expect(await value(exports.faasFunctions)).toEqual([]);
    });

    it("keeps a value set with --secret --path inside faas:functions secret: env, process, labels, annotations, build args", async () => {
        const functions = [
            { service: "hello", image: "team/hello:1", envVars: { API_KEY: "Api-Key-0123456789" }, envProcess: "run --token x", labels: { a: "b" } },
            { service: "built", build: { context: "test/fixtures/hello-fn", args: { NPM_TOKEN: "Npm-Token-0123456789" } } },
        ];
        const config = { ...STACK, "faas:functions": JSON.stringify(functions) };
        // Pulumi lists the whole key as secret when one value inside it is.
        const { recorded } = await evaluateStack(config, { secretKeys: ["registry:users", "faas:password", "faas:functions"] });
        const hello = findResource(recorded, FUNCTION, "hello-deployment").inputs;
        for (const field of ["envVars", "envProcess", "labels"]) expect(isSecretWrapped(hello[field]), field).toBe(true);
        expect(unwrap(hello.envVars)).toEqual({ API_KEY: "Api-Key-0123456789" });
        // What names things stays visible in previews.
        expect(hello.image).toBe("registry.example.com/team/hello:1");
        expect(hello.service).toBe("hello");
        const build = findResource(recorded, "docker:index/image:Image", "built-image").inputs.build as Record<string, unknown>;
        expect(isSecretWrapped(build.args) || isSecretWrapped(findResource(recorded, "docker:index/image:Image", "built-image").inputs.build)).toBe(true);
        // The control: without the key being secret, the same values are plain.
        const plain = await evaluateStack(config, { secretKeys: ["registry:users", "faas:password"] });
        expect(isSecretWrapped(findResource(plain.recorded, FUNCTION, "hello-deployment").inputs.envVars)).toBe(false);
    });

    it("with faas:backend faasd, writes the credentials on the faasd host before any function, and sends no registryAuth", async () => {
        const config = {
            ...STACK,
            "faas:backend": "faasd",
            "faas:sshHost": "faasd.example.com",
            "faas:sshUser": "deploy",
            ...FAASD_KEY,
            "faas:sshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\nSsh-Key-0123456789\n-----END OPENSSH PRIVATE KEY-----\n",
        };
        const { recorded } = await evaluateStack(config, { secretKeys: ["registry:users", "faas:password", "faas:sshPrivateKey"] });
        const command = findResource(recorded, "command:remote:Command", "faasd-credentials-command");
        const ci = fakeRandom("registry-password-ci", 40);
        const auth = Buffer.from(`ci:${ci}`).toString("base64");
        expect(isSecretWrapped(command.inputs.stdin)).toBe(true);
        expect(JSON.parse(unwrap(command.inputs.stdin) as string)).toEqual({ server: "registry.example.com", auth });
        expect(isSecretWrapped(command.inputs.connection)).toBe(true);
        expect(unwrap(command.inputs.connection)).toMatchObject({ host: "faasd.example.com", user: "deploy", port: 22, hostKey: FAASD_KEY["faas:sshHostKey"] });
        for (const text of [command.inputs.create, command.inputs.delete]) {
            expect(typeof text).toBe("string");
            expect(text).not.toContain(ci);
            expect(text).not.toContain(auth);
        }
        expect(command.options.additionalSecretOutputs).toEqual(expect.arrayContaining(["stdin"]));
        // Another faasd host (or server name) replaces the command, the old host's entry removed first: pulumi-command
        // 1.2.1 replaces on `triggers`, never on a changed `connection`.
        expect(unwrap(command.inputs.triggers)).toEqual(["registry.example.com", "faasd.example.com", "deploy", 22]);
        expect(command.options.deleteBeforeReplace).toBe(true);
        expect(findResource(recorded, "faasreg:faas:FaasdRegistryCredentials", "faasd-credentials").dependencies).toContain(
            "urn:pulumi:test::faas-registry::faasreg:registry:PrivateRegistry$command:local:Command::registry-ready",
        );
        // A component in dependsOn stands for its children: the command.
        const credentialsUrn = "urn:pulumi:test::faas-registry::faasreg:faas:FaasdRegistryCredentials$command:remote:Command::faasd-credentials-command";
        for (const service of ["hello", "resize"]) {
            const fn = findResource(recorded, FUNCTION, `${service}-deployment`);
            expect(fn.dependencies, service).toContain(credentialsUrn);
            expect(fn.inputs.registryAuth, service).toBeUndefined();
            expect(unwrap(fn.inputs)).toMatchObject({ backend: "faasd", registryServer: "registry.example.com" });
        }
    });

    it("with faas:backend kubernetes, checks the cluster first, writes a dockerconfigjson pull secret that every function names, and sends no registryAuth", async () => {
        const kubeconfig = "apiVersion: v1\nclusters:\n- name: c\n  cluster: {server: https://k8s.example.com:6443}\n";
        const config = {
            ...STACK,
            "faas:backend": "kubernetes",
            "kubernetes:kubeconfig": kubeconfig,
            "faas:functions": JSON.stringify([
                { service: "hello", image: "team/hello:1", secrets: ["api-key"] },
                { service: "resize", image: "media/resize:2" },
            ]),
        };
        const { recorded } = await evaluateStack(config, { secretKeys: ["registry:users", "faas:password", "kubernetes:kubeconfig"] });
        const gateUrn = "urn:pulumi:test::faas-registry::faasreg:faas:KubernetesGate::functions-pull-secret-gate";
        const gate = findResource(recorded, "faasreg:faas:KubernetesGate", "functions-pull-secret-gate");
        // A dynamic resource until 12-04: the alias moves a deployed one.
        expect(gate.options.aliases).toHaveLength(1);
        expect(isSecretWrapped(gate.inputs.kubeconfig)).toBe(true);
        expect(unwrap(gate.inputs.namespace)).toBe("openfaas-fn");
        // Nothing of the registry is created before the gate has asked the cluster.
        for (const r of recorded.filter((x) => x.parent.includes("PrivateRegistry") || x.type.startsWith("faasreg:registry")))
            expect(r.dependencies, `${r.type} ${r.name}`).toContain(gateUrn);
        const secret = findResource(recorded, "kubernetes:core/v1:Secret", "functions-pull-secret-secret");
        expect(secret.inputs.type).toBe("kubernetes.io/dockerconfigjson");
        expect(unwrap(secret.inputs.metadata)).toMatchObject({ name: "faas-registry-test-functions-pull-secret", namespace: "openfaas-fn" });
        // Secret whole (the provider's SDK wraps stringData; ours is secret inside too).
        expect(isSecretWrapped(secret.inputs.stringData)).toBe(true);
        const ci = fakeRandom("registry-password-ci", 40);
        expect(JSON.parse((unwrap(secret.inputs.stringData) as Record<string, string>)[".dockerconfigjson"])).toEqual({
            auths: { "registry.example.com": { auth: Buffer.from(`ci:${ci}`).toString("base64") } },
        });
        expect(secret.dependencies).toContain(gateUrn);
        const secretUrn = "urn:pulumi:test::faas-registry::faasreg:faas:KubernetesPullSecret$kubernetes:core/v1:Secret::functions-pull-secret-secret";
        const hello = findResource(recorded, FUNCTION, "hello-deployment");
        expect(unwrap(hello.inputs.secrets)).toEqual(["api-key", "faas-registry-test-functions-pull-secret"]);
        expect(unwrap(findResource(recorded, FUNCTION, "resize-deployment").inputs.secrets)).toEqual(["faas-registry-test-functions-pull-secret"]);
        for (const service of ["hello", "resize"]) {
            const fn = findResource(recorded, FUNCTION, `${service}-deployment`);
            expect(fn.inputs.registryAuth, service).toBeUndefined();
            expect(unwrap(fn.inputs.backend)).toBe("kubernetes");
            expect(fn.dependencies, service).toContain(secretUrn);
        }
    });
});

describe("the functions are declared without the SDK's stack trace per promise (components/stack-traces.ts)", () => {
    it("captures no frames while declaring, and restores the limit after", () => {
        const limit = Error.stackTraceLimit;
        const inside = withoutPromiseStackTraces(() => new Error("inside").stack);
        expect(inside).toBe("Error: inside");
        expect(Error.stackTraceLimit).toBe(limit);
        expect(new Error("after").stack).toContain("stack.mocks.test.ts");
    });

    it("restores the limit when a declaration throws, and gives the error its caller's frames", () => {
        const limit = Error.stackTraceLimit;
        let thrown: Error | undefined;
        try {
            withoutPromiseStackTraces(() => {
                throw new Error("a bad declaration");
            });
        } catch (error) {
            thrown = error as Error;
        }
        expect(Error.stackTraceLimit).toBe(limit);
        expect(thrown?.message).toBe("a bad declaration");
        expect(thrown?.stack).toContain("stack.mocks.test.ts");
    });
});
