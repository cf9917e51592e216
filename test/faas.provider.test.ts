// The FaasFunction provider against the hand-written gateway double (test/helpers/fake-gateway.ts), for
// what the real gateway cannot be made to do; each test says why. Creating, updating, reading, deleting,
// adopting, drift and the real failures run on the real OpenFaaS in test/e2e/.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RetryPolicy } from "../components/faas/gateway";
import { type FunctionInputs, type FunctionOutputs, functionProvider as provider, sameImage } from "../components/faas/provider";
import { FakeGateway } from "./helpers/fake-gateway";

const REGISTRY_PASSWORD = "reg:pass:with:colons";
const REGISTRY_AUTH = Buffer.from(`ci:${REGISTRY_PASSWORD}`).toString("base64");
const FAST: RetryPolicy = { tries: 5, budgetMs: 5_000, requestTimeoutMs: 1_000, baseDelayMs: 20 };

let gateway: FakeGateway;
let inputs: FunctionInputs;

beforeEach(async () => {
    gateway = await new FakeGateway({ expectedRegistryAuth: REGISTRY_AUTH }).start();
    inputs = {
        gateway: { url: gateway.url, username: "admin" },
        gatewayPassword: gateway.options.password,
        service: "hello",
        image: "registry.example.com/team/hello:1",
        envProcess: "node index.js",
        network: "func_functions",
        labels: { tier: "web" },
        annotations: { topic: "orders" },
        envVars: { MODE: "prod" },
        limits: { memory: "128m" },
        registryAuth: REGISTRY_AUTH,
        settings: { owner: "faas-registry/test", registryServer: "registry.example.com", readiness: { enabled: true, timeoutSeconds: 5 }, retry: FAST },
    };
});
afterEach(async () => {
    await gateway.stop();
});

/** The inputs with some settings changed. */
const withSettings = (changes: Partial<FunctionInputs["settings"]>, base: FunctionInputs = inputs): FunctionInputs => ({
    ...base,
    settings: { ...base.settings, ...changes },
});
const readinessTimeout = (timeoutSeconds: number, base?: FunctionInputs) => withSettings({ readiness: { enabled: true, timeoutSeconds } }, base);

const create = (i: FunctionInputs) => provider.create(i) as Promise<{ id: string; outs: FunctionOutputs }>;
const read = (id: string, p: FunctionOutputs) => provider.read(id, p) as Promise<{ id: string; props: FunctionOutputs }>;
const diff = (o: FunctionOutputs, n: FunctionInputs) =>
    provider.diff("hello", o, n) as Promise<{ changes: boolean; replaces: string[]; diffs: string[]; deleteBeforeReplace: boolean }>;
const deployments = () => gateway.requests.filter((r) => r.path === "/system/functions" && r.method !== "DELETE");

describe("FaasFunction provider against the gateway", () => {
    // Why the double: it counts the requests the provider makes (here: none after the create).
    it("does not redeploy when only the gateway credentials change", async () => {
        const { outs } = await create(inputs);
        const updated = (await provider.update("hello", outs, readinessTimeout(9))) as { outs: FunctionOutputs };
        expect(deployments().map((r) => r.method)).toEqual(["POST"]);
        expect(updated.outs.settings.readiness?.timeoutSeconds).toBe(9);
    });

    // Why the double: removing a field is invisible on a gateway; only the state the provider returns shows it.
    it("drops a removed field from state on an update that sends nothing (a removed gatewayPassword does not linger)", async () => {
        const { outs } = await create(inputs);
        const withoutPassword = { ...readinessTimeout(9) };
        delete withoutPassword.gatewayPassword;
        const updated = (await provider.update("hello", outs, withoutPassword)) as { outs: FunctionOutputs };
        expect(deployments().map((r) => r.method)).toEqual(["POST"]);
        expect("gatewayPassword" in updated.outs).toBe(false);
        expect(updated.outs.status).toEqual(outs.status);
    });

    // Why the double: two gateways with separate backends; the real lab has one (its e2e moves between two URLs of it).
    it("moves to another gateway: the function is created there and deleted from the old one, which is another gateway", async () => {
        const other = await new FakeGateway({ expectedRegistryAuth: REGISTRY_AUTH, password: "other-gateway-pw" }).start();
        try {
            const { outs } = await create(inputs);
            const moved = { ...inputs, gateway: { url: other.url, username: "admin" }, gatewayPassword: "other-gateway-pw" };
            expect((await diff(outs, moved)).replaces).toEqual([]);
            await provider.update("hello", outs, moved);
            expect(other.functions.has("hello")).toBe(true);
            expect(gateway.functions.has("hello")).toBe(false);
            expect(gateway.requests.filter((r) => r.method === "DELETE").length).toBe(1);
        } finally {
            await other.stop();
        }
    });

    // Why the double: it holds a function with another owner, and is a gateway the stack no longer uses.
    it("leaves the old gateway's copy alone when it is not ours, and does not wait long for an old gateway that is gone", async () => {
        const other = await new FakeGateway({ expectedRegistryAuth: REGISTRY_AUTH }).start();
        try {
            const { outs } = await create(inputs);
            (gateway.functions.get("hello") as { labels?: Record<string, string> }).labels = { "com.faasreg.owner": "someone-else/prod" };
            await provider.update("hello", outs, { ...inputs, gateway: { url: other.url, username: "admin" } });
            expect(gateway.functions.has("hello")).toBe(true);
            await gateway.stop();
            const third = await new FakeGateway({ expectedRegistryAuth: REGISTRY_AUTH }).start();
            try {
                const started = Date.now();
                const { outs: onOther } = (await provider.create({ ...inputs, gateway: { url: other.url, username: "admin" } }).catch(() => ({
                    outs: { ...outs, gateway: { url: gateway.url, username: "admin" } },
                }))) as { outs: FunctionOutputs };
                await provider.update(
                    "hello",
                    { ...onOther, gateway: { url: gateway.url, username: "admin" } },
                    { ...inputs, gateway: { url: third.url, username: "admin" } },
                );
                expect(third.functions.has("hello")).toBe(true);
                expect(Date.now() - started).toBeLessThan(12_000);
            } finally {
                await third.stop();
            }
        } finally {
            await other.stop();
        }
    });

    // Why the double: two gateways with separate backends (the real labs have one each), and the stack's config moved
    // between them while the state still names the first: what `pulumi up` (delete) and `refresh` meet after a move.
    describe("after faas:gateway moved from A to B, before an up moved the functions", () => {
        const stackConfig = (url: string, password: string) =>
            provider.configure({
                config: new Map([
                    ["faas:gateway", url],
                    ["faas:password", password],
                ]),
            } as unknown as Parameters<typeof provider.configure>[0]);
        let b: FakeGateway;
        let onA: FunctionOutputs;
        beforeEach(async () => {
            b = await new FakeGateway({ expectedRegistryAuth: REGISTRY_AUTH, password: "b-gateway-password" }).start();
            await stackConfig(gateway.url, gateway.options.password as string);
            onA = (await create(withSettings({ gatewayFromStackConfig: true }))).outs;
            await stackConfig(b.url, "b-gateway-password");
        });
        afterEach(async () => {
            provider.stackGateway = {};
            await b.stop();
        });

        it("a function removed in the same up is deleted on A, where it runs, with A's credentials; B is not asked to delete", async () => {
            await provider.delete("hello", onA);
            expect(gateway.functions.has("hello")).toBe(false);
            expect(b.requests.filter((r) => r.method === "DELETE")).toEqual([]);
        });

        it("refresh reads the function on A (it is still there), not a 404 on B that would drop it from state", async () => {
            const { id, props } = await read("hello", onA);
            expect(id).toBe("hello");
            expect(props.status.availableReplicas).toBe(1);
            expect(b.requests).toEqual([]);
        });

        it("a same-named function of another owner is never deleted: delete checks the owner label first", async () => {
            // The stack back on A, where the function was since replaced by someone else's of the same name.
            await stackConfig(gateway.url, gateway.options.password as string);
            (gateway.functions.get("hello") as { labels?: Record<string, string> }).labels = { "com.faasreg.owner": "someone-else/prod" };
            await provider.delete("hello", onA);
            expect(gateway.functions.has("hello")).toBe(true);
            expect(gateway.requests.filter((r) => r.method === "DELETE")).toEqual([]);
        });

        it("a delete on a gateway that is gone names it and says how to drop the function from state", async () => {
            await gateway.stop();
            const error = await provider.delete("hello", onA).catch((e: Error) => e);
            expect(String(error)).toMatch(
                /was deployed through http:\/\/127\.0\.0\.1:\d+ and is deleted there\. If that gateway is gone for good, .*pulumi state delete URN/,
            );
            gateway = await new FakeGateway({ expectedRegistryAuth: REGISTRY_AUTH }).start();
        });
    });

    // Why the double: the number and timing of readiness polls are counted exactly, and readiness is set to the millisecond.
    it("polls readiness every 50 ms for the whole wait, wants two ready answers only after a Swarm update, and bounds the gateway's load", async () => {
        const polls = (service: string, since: number) =>
            gateway.requests.slice(since).filter((r) => r.method === "GET" && r.path === `/system/function/${service}`);
        // A create: one ready answer ends the wait (no old task to miscount).
        let before = gateway.requests.length;
        const { outs } = await create(inputs);
        expect(polls("hello", before)).toHaveLength(1);
        // An update on Swarm: the ready answer is confirmed by a second one.
        before = gateway.requests.length;
        await provider.update("hello", outs, { ...inputs, image: "registry.example.com/team/hello:2" });
        expect(polls("hello", before)).toHaveLength(2);
        // faasd reads its task from containerd: one answer.
        gateway.options.orchestration = "containerd";
        gateway.options.expectedRegistryAuth = undefined; // faasd pulls with its host's file
        const faasd = withSettings({ backend: "faasd" }, { ...inputs, service: "fd", registryAuth: undefined });
        const created = await create(faasd);
        before = gateway.requests.length;
        await provider.update("fd", created.outs, { ...faasd, image: "registry.example.com/team/hello:3" });
        expect(polls("fd", before)).toHaveLength(1);
        gateway.options.orchestration = "swarm";

        // A slower deploy (1.5 s): polled every 50 ms, so seen ready within one interval and a GET.
        gateway.options.readyAfterMs = 1_500;
        before = gateway.requests.length;
        let started = Date.now();
        await create({ ...inputs, service: "slow", settings: { ...inputs.settings, readiness: { enabled: true, timeoutSeconds: 10 } } });
        const waited = Date.now() - started;
        expect(waited).toBeGreaterThanOrEqual(1_500);
        expect(waited).toBeLessThan(1_500 + 400);
        expect(polls("slow", before).length).toBeGreaterThanOrEqual(20);

        // 40 functions waiting at once: at most 50 polls a second reach the gateway between them.
        gateway.options.readyAfterMs = 3_000;
        before = gateway.requests.length;
        started = Date.now();
        const names = Array.from({ length: 40 }, (_, i) => `many-${i}`);
        await Promise.all(
            names.map((service) => create({ ...inputs, service, settings: { ...inputs.settings, readiness: { enabled: true, timeoutSeconds: 20 } } })),
        );
        const elapsed = Date.now() - started;
        const gets = gateway.requests.slice(before).filter((r) => r.method === "GET" && r.path.startsWith("/system/function/many-")).length;
        // Each function's first poll comes at once (40), then the bounded ones over the wait.
        expect(gets - names.length).toBeLessThanOrEqual((50 * elapsed) / 1000);
        expect(gets).toBeGreaterThan(names.length + 50);
        // Bounded, not starved: every function is seen ready within one 800 ms cycle of the 3 s.
        expect(elapsed).toBeLessThan(3_000 + 800 + 500);
    });

    // Why the double: the real faas-swarm here never pins a digest (it does not ask the registry); newer Docker clients do.
    it("treats Swarm's digest pin of the same image as no drift", async () => {
        gateway.options.pinDigest = true;
        const { outs } = await create(inputs);
        expect(outs.status.image).toMatch(/^registry\.example\.com\/team\/hello:1@sha256:/);
        const { props } = await read("hello", outs);
        expect(props.image).toBe(inputs.image);
        expect((await diff(props, inputs)).changes).toBe(false);
    });

    // Why the double: it stores what it is sent, and answers as faas-netes does (orchestration kubernetes, an added
    // prometheus.io.scrape annotation); the real faas-netes runs in test/e2e/pulumi-kubernetes.test.ts.
    it("on Kubernetes, keeps the owner and gateway markers out of labels (faas-netes copies labels onto pods, whose values hold no '/' or ':')", async () => {
        gateway.options.orchestration = "kubernetes";
        // The kubelet pulls with the image pull secret: no credentials travel with the deployment.
        gateway.options.expectedRegistryAuth = undefined;
        const k8s = withSettings({ backend: "kubernetes" }, { ...inputs, registryAuth: undefined });
        const { outs } = await create(k8s);
        const stored = gateway.functions.get("hello") as { labels: Record<string, string>; annotations?: Record<string, string> };
        expect(stored.labels).toEqual({ tier: "web" });
        expect(stored.annotations).toEqual({ topic: "orders", "com.faasreg.owner": "faas-registry/test", "com.faasreg.gateway": gateway.url });
        // faas-netes adds this one when it is not given (handlers/deploy.go buildAnnotations).
        (stored.annotations as Record<string, string>)["prometheus.io.scrape"] = "false";
        const { props } = await read("hello", outs);
        expect(props.annotations).toEqual({ topic: "orders" });
        expect((await diff(props, k8s)).changes).toBe(false);
        // The owner is read from the annotation: a delete removes it.
        await provider.delete("hello", props);
        expect(gateway.functions.has("hello")).toBe(false);
    });

    // No gateway: the comparison itself (faasd's real answers are in test/e2e/faasd.test.ts).
    it("reads an untagged reference reported with :latest, and Docker Hub's full names, as the same image; other tags differ", () => {
        expect(sameImage("registry.example.com/team/hello", "registry.example.com/team/hello:latest")).toBe(true);
        expect(sameImage("registry.example.com:5000/team/hello", "registry.example.com:5000/team/hello:latest")).toBe(true);
        expect(sameImage("nginx", "docker.io/library/nginx:latest")).toBe(true);
        expect(sameImage("team/hello:1", "docker.io/team/hello:1@sha256:" + "b".repeat(64))).toBe(true);
        expect(sameImage("registry.example.com/team/hello", "registry.example.com/team/hello:2")).toBe(false);
        expect(sameImage("registry.example.com:5000/team/hello", "registry.example.com/team/hello:latest")).toBe(false);
    });

    // Why the double: diff() calls no gateway; the double only makes the state to diff against.
    it("diffs field by field: service and namespace replace, absent and empty maps are equal, nothing changed is no diff", async () => {
        const { outs } = await create(inputs);
        expect(await diff(outs, inputs)).toMatchObject({ changes: false, replaces: [], diffs: [] });
        expect((await diff({ ...outs, annotations: undefined }, { ...inputs, annotations: {} })).changes).toBe(false);
        expect((await diff({ ...outs, constraints: [] }, { ...inputs, constraints: undefined })).changes).toBe(false);
        expect(await diff(outs, { ...inputs, service: "hello2" })).toMatchObject({ changes: true, replaces: ["service"], deleteBeforeReplace: false });
        expect(await diff(outs, { ...inputs, namespace: "team" })).toMatchObject({ changes: true, replaces: ["namespace"], deleteBeforeReplace: true });
        expect(await diff(outs, { ...inputs, envVars: { MODE: "dev" } })).toMatchObject({ changes: true, replaces: [], diffs: ["envVars"] });
        expect(await diff(outs, { ...inputs, registryAuth: Buffer.from("ci:other").toString("base64") })).toMatchObject({ diffs: ["registryAuth"] });
    });

    // Why the double: a 1 s timeout on a function that never starts, its registry unreachable (ENOTFOUND); the real cases (refused, missing) are in test/e2e.
    it("fails a function that never becomes ready after the timeout, naming the likely causes", async () => {
        gateway.options.neverReady.add("hello");
        const started = Date.now();
        await expect(create(readinessTimeout(1))).rejects.toThrow(
            /function "hello" on http:\/\/127\.0\.0\.1:\d+: no available replica after 1 s \(replicas 1, available 0\).*Why: the registry registry\.example\.com could not be asked why \(ENOTFOUND\).*run pulumi up again/,
        );
        expect(Date.now() - started).toBeLessThan(3000);
    });

    // Why the double: readiness disabled returns at once, whatever the gateway says; the real refused pull is in test/e2e.
    it("never gets ready with wrong registry credentials (as faas-swarm), and skips the wait when readiness is disabled", async () => {
        const wrong = Buffer.from("ci:wrong").toString("base64");
        await expect(create(readinessTimeout(1, { ...inputs, registryAuth: wrong }))).rejects.toThrow(/no available replica/);
        gateway.functions.clear();
        const { outs } = await create(withSettings({ readiness: { enabled: false } }, { ...inputs, registryAuth: wrong }));
        expect(outs.status.availableReplicas).toBe(0);
    });

    // Why the double: a real gateway cannot be made to answer 5xx or reset connections on cue.
    it("retries 5xx and connection resets with back-off, at most 5 tries", async () => {
        gateway.options.faults.push({ method: "POST", status: 502, body: "bad gateway" }, { method: "POST", reset: true }, { method: "POST", status: 503 });
        const { outs } = await create(inputs);
        expect(outs.status.availableReplicas).toBe(1);
        expect(deployments().map((r) => r.method)).toEqual(["POST", "POST", "POST", "POST"]);
        gateway.functions.clear();
        gateway.requests.length = 0;
        for (let i = 0; i < 6; i++) gateway.options.faults.push({ method: "POST", status: 500, body: `boom ${i}` });
        await expect(create(inputs)).rejects.toThrow(
            /POST \/system\/functions on the FaaS gateway .* failed after 5 tries in .* s: HTTP 500 boom 4\. Check that the gateway is up/,
        );
        expect(deployments()).toHaveLength(5);
    });

    // Why the double: it counts the tries; the real 401 is in test/e2e (password rotation).
    it("never retries a 4xx, and names the cause of a 401", async () => {
        await expect(create({ ...inputs, gatewayPassword: "wrong-password" })).rejects.toThrow(
            /answered HTTP 401: invalid credentials\. The gateway refused its credentials: check faas:username and faas:password/,
        );
        expect(gateway.requests.filter((r) => r.method === "POST")).toHaveLength(1);
    });

    // Why the double: a reply lost after the gateway acted cannot be produced with the real one.
    it("does not duplicate a function whose create reply was lost: the retry finds it is ours", async () => {
        gateway.options.faults.push({ method: "POST", resetAfterHandling: true });
        const { outs } = await create(inputs);
        expect(outs.status.availableReplicas).toBe(1);
        expect(deployments().map((r) => r.method)).toEqual(["POST", "POST", "PUT"]);
        expect(gateway.functions.size).toBe(1);
    });

    // Why the double: no faas-netes (kubernetes) runs here; swarm against faasd is in test/e2e/faasd.test.ts.
    it("refuses to deploy to a gateway whose backend is not the declared one, naming the setting", async () => {
        gateway.options.orchestration = "containerd";
        await expect(create(inputs)).rejects.toThrow(/backend is "swarm", but the FaaS gateway .* runs on "containerd" \(faasd\): set backend to faasd/);
        await expect(create(withSettings({ gatewayFromStackConfig: true }))).rejects.toThrow(/pulumi config set faas:backend faasd/);
        gateway.options.orchestration = "kubernetes";
        await expect(create(inputs)).rejects.toThrow(
            /backend is "swarm", but the FaaS gateway .* runs on "kubernetes" \(kubernetes\): set backend to kubernetes/,
        );
        gateway.options.orchestration = "nomad";
        await expect(create(inputs)).rejects.toThrow(
            /runs on "nomad", which this stack does not deploy to: only faas-swarm \(swarm\), faasd and faas-netes \(kubernetes\)/,
        );
        expect(deployments()).toHaveLength(0);
        gateway.options.orchestration = "containerd";
        // faasd pulls with its host's credentials: none travel with the deployment.
        gateway.options.expectedRegistryAuth = undefined;
        const { outs } = await create(withSettings({ backend: "faasd" }, { ...inputs, registryAuth: undefined }));
        expect(outs.status.availableReplicas).toBe(1);
        expect(JSON.parse(deployments()[0].body).registryAuth).toBeUndefined();
    });

    // Why the double: check() calls no gateway.
    it("rejects, at check time, images outside our registry or without a namespace, and a registryAuth that is not base64(user:pass)", async () => {
        const check = (n: FunctionInputs) => provider.check({} as FunctionInputs, n) as Promise<{ failures: { property: string; reason: string }[] }>;
        expect((await check(inputs)).failures).toEqual([]);
        expect((await check({ ...inputs, image: "registry.example.com/hello:1" })).failures[0].reason).toMatch(/has no namespace/);
        expect((await check({ ...inputs, image: "team/hello:1" })).failures[0].reason).toMatch(/would be pulled from Docker Hub/);
        expect((await check({ ...inputs, image: "other.example.com/team/hello:1" })).failures[0].reason).toMatch(/is in registry other\.example\.com/);
        const bad = await check({ ...inputs, registryAuth: "not base64!" });
        expect(bad.failures).toEqual([{ property: "registryAuth", reason: expect.stringMatching(/must be base64 of user:password/) }]);
        expect(JSON.stringify(bad.failures)).not.toContain("not base64!");
    });

    // Why the double: a body that never completes cannot be produced with the real one.
    it("retries a reply whose body never completes within the request timeout, then succeeds", async () => {
        gateway.options.faults.push({ method: "GET", path: "/system/function/", slowBodyMs: 1_500 });
        const { outs } = await create(inputs);
        expect(outs.status.availableReplicas).toBe(1);
        expect(gateway.requests.filter((r) => r.path.startsWith("/system/function/")).length).toBeGreaterThanOrEqual(2);
    });

    // Why the double: a gateway that never answers cannot be produced with the real one.
    it("gives up on a gateway that never answers in time, within its budget, with a clear error", async () => {
        for (let i = 0; i < 5; i++) gateway.options.faults.push({ method: "POST", slowBodyMs: 1_500 });
        const started = Date.now();
        await expect(create(inputs)).rejects.toThrow(
            /POST \/system\/functions on the FaaS gateway .* failed after 5 tries .*: no complete answer within the request timeout/,
        );
        expect(Date.now() - started).toBeLessThan(FAST.budgetMs + 2 * FAST.requestTimeoutMs);
    });

    // Why the double: the real gateway always answers JSON.
    it("says so when the gateway answers a read with a body that is not JSON", async () => {
        const { outs } = await create(inputs);
        gateway.options.faults.push({ method: "GET", path: "/system/function/", invalidJson: true });
        await expect(read("hello", outs)).rejects.toThrow(/GET \/system\/function\/hello on the FaaS gateway .* answered 200 with a body that is not JSON/);
    });

    // Why the double: the real gateway does not echo credentials in its errors.
    it("keeps credentials out of every error, even when the gateway echoes them", async () => {
        const echo = `got auth ${REGISTRY_AUTH} (${REGISTRY_PASSWORD}) and password ${gateway.options.password} and ${Buffer.from(gateway.options.password).toString("base64")}`;
        const errors: string[] = [];
        for (let i = 0; i < 5; i++) gateway.options.faults.push({ method: "POST", status: 500, body: echo });
        await create(inputs).catch((e: Error) => errors.push(`${e.message}\n${e.stack}`));
        gateway.options.faults.push({ method: "POST", status: 400, body: `Invalid registry auth ${REGISTRY_AUTH}` });
        await create(inputs).catch((e: Error) => errors.push(`${e.message}\n${e.stack}`));
        await create({ ...inputs, gatewayPassword: "Wrong-Password-123" }).catch((e: Error) => errors.push(`${e.message}\n${e.stack}`));
        gateway.options.neverReady.add("hello");
        await create(readinessTimeout(1)).catch((e: Error) => errors.push(`${e.message}\n${e.stack}`));
        expect(errors).toHaveLength(4);
        expect(errors[0]).toContain("[secret]");
        expect(errors[1]).toMatch(/could not decode registryAuth/);
        for (const text of errors) {
            for (const secret of [
                REGISTRY_AUTH,
                REGISTRY_PASSWORD,
                gateway.options.password,
                Buffer.from(gateway.options.password).toString("base64"),
                "Wrong-Password-123",
            ]) {
                expect(text).not.toContain(secret);
            }
            // Nor the request body: the deployment body carries registryAuth.
            expect(text).not.toContain('"registryAuth"');
        }
    });
});
