// The provider run as the engine runs it: the `__provider` text the mocks record for the dynamic
// resource, loaded in a separate Node process and called with plain (unwrapped) values.
import { spawn } from "node:child_process";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeGateway } from "./helpers/fake-gateway";
import { fakeRandom, findResource, isSecretWrapped, type RecordedResource, unwrap } from "./helpers/mocks";
import { evaluateStack } from "./helpers/stack";

const DYNAMIC = "pulumi-nodejs:dynamic:Resource";

function runInOtherProcess(providerText: string, calls: { method: string; args: unknown[] }[]) {
    // The results are whatever the provider returned, asserted field by field below.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return new Promise<{ method: string; ok: boolean; result?: any; error?: string }[]>((resolve, reject) => {
        const child = spawn(process.execPath, ["test/helpers/serialized-provider-host.cjs"], { stdio: ["pipe", "pipe", "inherit"] });
        let out = "";
        child.stdout.on("data", (d) => {
            out += d;
        });
        child.on("error", reject);
        child.on("exit", (code) =>
            code === 0
                ? resolve(
                      out
                          .trim()
                          .split("\n")
                          .map((l) => JSON.parse(l)),
                  )
                : reject(new Error(`host exited ${code}`)),
        );
        child.stdin.end(JSON.stringify({ providerText, calls }));
    });
}

describe("the serialized FaasFunction provider, loaded in another process", () => {
    let gateway: FakeGateway;
    let recorded: RecordedResource[];
    let exportsOf: Record<string, unknown>;

    beforeAll(async () => {
        gateway = await new FakeGateway({ password: "gw-Secret:Pass-42" }).start();
        ({ recorded, exports: exportsOf } = await evaluateStack({
            "registry:host": "registry.example.com",
            "registry:email": "ops@example.com",
            "faas:gateway": gateway.url,
            "faas:password": gateway.options.password,
            "faas:functions": JSON.stringify([{ service: "hello", image: "team/hello:1", envProcess: "node index.js" }]),
        }));
    });
    afterAll(async () => gateway?.stop());

    it("creates, reads, updates and deletes against the gateway", async () => {
        const resource = findResource(recorded, DYNAMIC, "hello-deployment");
        const providerText = resource.inputs.__provider as string;
        const inputs = unwrap({ ...resource.inputs, __provider: undefined }) as Record<string, unknown>;
        const registryAuth = await new Promise<string>((r) => (exportsOf.registryAuth as pulumi.Output<string>).apply(r));
        gateway.options.expectedRegistryAuth = registryAuth;
        expect(inputs.registryAuth).toBe(registryAuth);

        const [created] = await runInOtherProcess(providerText, [{ method: "create", args: [inputs] }]);
        expect(created.ok, created.error).toBe(true);
        expect(created.result.id).toBe("hello");
        expect(created.result.outs.status.availableReplicas).toBe(1);
        expect(JSON.parse(gateway.requests.find((r) => r.method === "POST")?.body ?? "{}").registryAuth).toBe(registryAuth);

        const outs = created.result.outs;
        const next = { ...inputs, image: "registry.example.com/team/hello:2" };
        const results = await runInOtherProcess(providerText, [
            { method: "read", args: ["hello", outs] },
            { method: "diff", args: ["hello", outs, next] },
            { method: "update", args: ["hello", outs, next] },
            { method: "delete", args: ["hello", { ...outs, ...next }] },
            { method: "read", args: ["hello", outs] },
        ]);
        expect(results.map((r) => [r.method, r.ok])).toEqual([
            ["read", true],
            ["diff", true],
            ["update", true],
            ["delete", true],
            ["read", true],
        ]);
        expect(results[0].result.props.image).toBe("registry.example.com/team/hello:1");
        expect(results[1].result).toMatchObject({ changes: true, replaces: [], diffs: ["image"] });
        expect(results[2].result.outs.image).toBe("registry.example.com/team/hello:2");
        expect(results[4].result.id).toBe("");
        expect(gateway.functions.size).toBe(0);
        expect(gateway.requests.map((r) => r.method)).toEqual(expect.arrayContaining(["POST", "PUT", "DELETE"]));
    });

    it("raises errors that keep their message, as the engine shows them", async () => {
        const resource = findResource(recorded, DYNAMIC, "hello-deployment");
        const inputs = unwrap({ ...resource.inputs, __provider: undefined }) as Record<string, unknown>;
        gateway.seed({ service: "hello", image: "someone/else:1" });
        const [created, updated] = await runInOtherProcess(resource.inputs.__provider as string, [
            { method: "create", args: [inputs] },
            {
                method: "update",
                args: ["hello", { ...inputs, status: {} }, { ...inputs, gatewayPassword: "Wrong-Password-1234", image: "registry.example.com/team/hello:9" }],
            },
        ]);
        gateway.functions.clear();
        expect(created.ok).toBe(false);
        expect(created.error).toMatch(/function "hello" already exists on the gateway .*, outside this stack/);
        expect(updated.ok).toBe(false);
        expect(updated.error).toMatch(
            /PUT \/system\/functions on the FaaS gateway .* answered HTTP 401: invalid credentials\. The gateway refused its credentials/,
        );
    });

    it("captures none of the stack's secrets in the serialized text, which is therefore not secret", async () => {
        const resource = findResource(recorded, DYNAMIC, "hello-deployment");
        const text = resource.inputs.__provider as string;
        expect(typeof text).toBe("string");
        expect(isSecretWrapped(resource.inputs.__provider)).toBe(false);
        const registryPassword = fakeRandom("registry-password-admin", 40);
        const secrets = [gateway.options.password, registryPassword, fakeRandom("registry-http-secret", 64), `admin:${registryPassword}`];
        for (const secret of secrets) {
            expect(text).not.toContain(secret);
            expect(text).not.toContain(Buffer.from(secret).toString("base64"));
        }
        expect(text).not.toMatch(/gw-Secret/);
    });

    it("arrives with registryAuth and the gateway password secret-wrapped, the registry server in the clear", () => {
        const resource = findResource(recorded, DYNAMIC, "hello-deployment");
        expect(isSecretWrapped(resource.inputs.registryAuth)).toBe(true);
        expect(isSecretWrapped(resource.inputs.gatewayPassword)).toBe(true);
        expect(resource.inputs.settings).toMatchObject({ registryServer: "registry.example.com" });
        expect(isSecretWrapped(resource.inputs.settings)).toBe(false);
        expect(resource.inputs.image).toBe("registry.example.com/team/hello:1");
    });
});
