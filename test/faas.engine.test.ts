// The function provider as the Pulumi engine drives it during `pulumi preview` (and the preview inside
// `pulumi up`): through the SDK's own dynamic-provider host over gRPC, with the inputs the program
// declares, where values not known yet arrive as the engine's unknown marker. No gateway is involved:
// check() and diff() must not call one, and a preview never creates.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UNKNOWN as PROVIDER_UNKNOWN } from "../components/faas/unknown";
import { EngineHarness, engineMessage, type Props, UNKNOWN } from "./helpers/engine";
import { engineInputs, findResource } from "./helpers/mocks";
import { evaluateStack } from "./helpers/stack";

const DYNAMIC = "pulumi-nodejs:dynamic:Resource";
const PASSWORD = "gw-Secret:Pass-4242";

const CONFIG: Record<string, string> = {
    "registry:host": "registry.example.com",
    "registry:email": "ops@example.com",
    // The first user's password is generated: unknown until the first `up` creates it.
    "registry:users": JSON.stringify([{ username: "ci" }]),
    "faas:gateway": "https://gateway.example.com",
    "faas:password": PASSWORD,
    "faas:functions": JSON.stringify([
        { service: "hello", image: "team/hello:1", envVars: { MODE: "prod" }, limits: { memory: "128m" } },
        // Built from source: its digest is unknown until the image is built and pushed.
        { service: "built", build: { context: "test/fixtures/hello-fn" } },
    ]),
};

describe("the provider under the engine's protocol, in previews with unknown values", () => {
    let engine: EngineHarness;
    let firstPreview: Record<string, Props>;
    let deployed: Record<string, Props>;

    beforeAll(async () => {
        const preview = await evaluateStack(CONFIG, { firstPreview: true });
        firstPreview = {
            hello: engineInputs(findResource(preview.recorded, DYNAMIC, "hello-deployment").inputs),
            built: engineInputs(findResource(preview.recorded, DYNAMIC, "built-deployment").inputs),
        };
        const up = await evaluateStack(CONFIG);
        deployed = {
            hello: engineInputs(findResource(up.recorded, DYNAMIC, "hello-deployment").inputs),
            built: engineInputs(findResource(up.recorded, DYNAMIC, "built-deployment").inputs),
        };
        engine = await EngineHarness.start();
        await engine.configure(CONFIG, ["faas:password"]);
    }, 60_000);
    afterAll(async () => engine?.stop());

    it("uses the SDK's own unknown marker", () => {
        expect(PROVIDER_UNKNOWN).toBe(UNKNOWN);
    });

    it("receives unknowns where the first preview cannot know values yet", () => {
        expect(firstPreview.hello.registryAuth).toBe(UNKNOWN);
        expect((firstPreview.hello.settings as Props).registryServer).toBe(UNKNOWN);
        expect(firstPreview.built.image).toBe(UNKNOWN);
        expect(deployed.hello.registryAuth).not.toBe(UNKNOWN);
    });

    it("checks the first preview of a stack with a generated password and a built image without failures", async () => {
        for (const name of ["hello", "built"]) {
            const { inputs, failures } = await engine.check(`${name}-deployment`, {}, firstPreview[name]);
            expect(failures, name).toEqual([]);
            expect(inputs.registryAuth).toBe(UNKNOWN);
        }
    });

    it("checks a preview after a build context changed (image unknown, registry known) without failures", async () => {
        const news = { ...deployed.built, image: UNKNOWN };
        expect((await engine.check("built-deployment", deployed.built, news)).failures).toEqual([]);
    });

    it("diffs an unknown value as a change, never a replace, unless the function's name or namespace is unknown", async () => {
        const olds = { ...deployed.hello, status: { replicas: 1, availableReplicas: 1, image: deployed.hello.image } };
        expect(await engine.diff("hello-deployment", "hello", olds, deployed.hello)).toEqual({ changes: "none", replaces: [], deleteBeforeReplace: false });
        expect(await engine.diff("hello-deployment", "hello", olds, firstPreview.hello)).toMatchObject({ changes: "some", replaces: [] });
        const deep = { ...deployed.hello, envVars: { MODE: UNKNOWN }, limits: { memory: UNKNOWN }, labels: { tier: UNKNOWN } };
        expect(await engine.diff("hello-deployment", "hello", olds, deep)).toMatchObject({ changes: "some", replaces: [] });
        expect(await engine.diff("hello-deployment", "hello", olds, { ...deployed.hello, namespace: UNKNOWN })).toMatchObject({
            changes: "some",
            replaces: ["namespace"],
        });
    });

    it("still rejects bad known values next to unknown ones, naming the property, never quoting the marker", async () => {
        // The registry is not known yet, but an image that names no registry is wrong whatever it will be.
        const news = { ...firstPreview.hello, image: "team/hello:1", limits: { memory: 128 } };
        const bad = await engine.check("hello-deployment", {}, news);
        expect(bad.failures.map((f) => f.property).sort()).toEqual(["image", "limits"]);
        const known = { ...deployed.hello, image: "registry.example.com/hello:1", registryAuth: "not base64!", service: "no spaces allowed" };
        const failures = (await engine.check("hello-deployment", {}, known)).failures;
        expect(failures.map((f) => f.property).sort()).toEqual(["image", "registryAuth", "service"]);
        for (const f of [...bad.failures, ...failures]) expect(f.reason).not.toContain(UNKNOWN);
        expect(JSON.stringify(failures)).not.toContain("not base64!");
        expect(engine.stderr()).not.toContain(UNKNOWN);
    });

    it("replaces a function whose last environment variable is removed (faas-swarm's PUT would keep it)", async () => {
        const olds = { ...deployed.hello, status: { replicas: 1, availableReplicas: 1, image: deployed.hello.image } };
        const withoutEnv = { ...deployed.hello, envVars: {} };
        expect(await engine.diff("hello-deployment", "hello", olds, withoutEnv)).toEqual({ changes: "some", replaces: ["envVars"], deleteBeforeReplace: true });
        const oneLess = { ...deployed.hello, envVars: { OTHER: "1" } };
        expect(await engine.diff("hello-deployment", "hello", olds, oneLess)).toMatchObject({ replaces: [] });
        const unknownEnv = { ...deployed.hello, envVars: UNKNOWN };
        expect(await engine.diff("hello-deployment", "hello", olds, unknownEnv)).toMatchObject({ changes: "some", replaces: [] });
    });

    it("reports a provider error as the engine shows it", async () => {
        const olds = { ...deployed.hello, gateway: { url: "http://127.0.0.1:1", username: "admin" }, settings: { ...(deployed.hello.settings as Props) } };
        const fast = {
            ...olds,
            settings: { ...(olds.settings as Props), gatewayFromStackConfig: false, retry: { tries: 1, budgetMs: 100, requestTimeoutMs: 100, baseDelayMs: 1 } },
        };
        const error = await engine.delete("hello-deployment", "hello", fast).catch((e) => e);
        // A delete first reads the function (whose is it?) on the gateway it was deployed through.
        expect(engineMessage(error)).toMatch(/GET \/system\/function\/hello on the FaaS gateway http:\/\/127\.0\.0\.1:1 failed after 1 try/);
        expect(engineMessage(error)).toMatch(/If that gateway is gone for good, remove the function from the stack's state instead: pulumi state delete/);
        expect(engineMessage(error)).not.toContain(PASSWORD);
    });
});
