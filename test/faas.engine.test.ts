// The functions' provider (the faasreg package's, provider/) as the Pulumi engine drives it during `pulumi preview`
// (and the preview inside `pulumi up`): its own process over gRPC, configured as the stack configures it, with the
// inputs the program declares, where values not known yet arrive as the engine's unknown marker. No gateway is
// involved: check() and diff() must not call one, and a preview never creates.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UNKNOWN as PROVIDER_UNKNOWN } from "../components/faas/unknown";
import { EngineHarness, engineMessage, type Props, UNKNOWN } from "./helpers/engine";
import { engineInputs, findResource } from "./helpers/mocks";
import { evaluateStack } from "./helpers/stack";

const FUNCTION = "faasreg:index:Function";
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
            hello: engineInputs(findResource(preview.recorded, FUNCTION, "hello-deployment").inputs),
            built: engineInputs(findResource(preview.recorded, FUNCTION, "built-deployment").inputs),
        };
        const up = await evaluateStack(CONFIG);
        deployed = {
            hello: engineInputs(findResource(up.recorded, FUNCTION, "hello-deployment").inputs),
            built: engineInputs(findResource(up.recorded, FUNCTION, "built-deployment").inputs),
        };
        engine = await EngineHarness.start({ host: "faasreg" });
        // As the stack's provider resource (faas-gateway) configures it from faas:gateway and faas:password.
        await engine.configure({ gatewayUrl: CONFIG["faas:gateway"], gatewayUsername: "admin", gatewayPassword: PASSWORD }, ["gatewayPassword"]);
    }, 60_000);
    afterAll(async () => engine?.stop());

    it("uses the SDK's own unknown marker", () => {
        expect(PROVIDER_UNKNOWN).toBe(UNKNOWN);
    });

    it("receives unknowns where the first preview cannot know values yet", () => {
        expect(firstPreview.hello.registryAuth).toBe(UNKNOWN);
        expect(firstPreview.hello.registryServer).toBe(UNKNOWN);
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

    it("writes the defaults the program leaves out into the inputs: state records the values in effect", async () => {
        for (const key of ["network", "backend", "adopt", "waitForReady", "readinessTimeoutSeconds"]) expect(deployed.hello, key).not.toHaveProperty(key);
        const { inputs, failures } = await engine.check("hello-deployment", {}, deployed.hello);
        expect(failures).toEqual([]);
        expect(inputs).toMatchObject({ network: "func_functions", backend: "swarm", adopt: false, waitForReady: true, readinessTimeoutSeconds: 120 });
    });

    it("takes the gateway from the provider's configuration (Configure, over gRPC) when the function names none", async () => {
        const noGateway = Object.fromEntries(Object.entries(deployed.hello).filter(([k]) => k !== "gatewayUrl"));
        const { inputs, failures } = await engine.check("hello-deployment", {}, noGateway);
        expect(failures).toEqual([]);
        expect(inputs.gatewayUrl).toBe("https://gateway.example.com");
        expect(JSON.stringify(inputs)).not.toContain(PASSWORD);
    });

    it("checks a preview after a build context changed (image unknown, registry known) without failures", async () => {
        const news = { ...deployed.built, image: UNKNOWN };
        expect((await engine.check("built-deployment", deployed.built, news)).failures).toEqual([]);
    });

    it("diffs an unknown value as a change, never a replace, unless the function's name or namespace is unknown", async () => {
        const olds = { ...deployed.hello, replicas: 1, availableReplicas: 1, reportedImage: deployed.hello.image };
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
        const olds = { ...deployed.hello, replicas: 1, availableReplicas: 1, reportedImage: deployed.hello.image };
        const withoutEnv = { ...deployed.hello, envVars: {} };
        expect(await engine.diff("hello-deployment", "hello", olds, withoutEnv)).toEqual({ changes: "some", replaces: ["envVars"], deleteBeforeReplace: true });
        const oneLess = { ...deployed.hello, envVars: { OTHER: "1" } };
        expect(await engine.diff("hello-deployment", "hello", olds, oneLess)).toMatchObject({ replaces: [] });
        const unknownEnv = { ...deployed.hello, envVars: UNKNOWN };
        expect(await engine.diff("hello-deployment", "hello", olds, unknownEnv)).toMatchObject({ changes: "some", replaces: [] });
    });

    it("reports a provider error as the engine shows it", async () => {
        // Deployed through a gateway that is gone (not the provider's: its password is not sent there).
        const olds = { ...deployed.hello, gatewayUrl: "http://127.0.0.1:1", replicas: 1, availableReplicas: 1 };
        const error = await engine.delete("hello-deployment", "hello", olds).catch((e) => e);
        // A delete first reads the function (whose is it?) on the gateway it was deployed through, with bounded retries.
        expect(engineMessage(error)).toMatch(/GET \/system\/function\/hello on the FaaS gateway http:\/\/127\.0\.0\.1:1 failed after 5 tries/);
        expect(engineMessage(error)).toMatch(/If that gateway is gone for good, remove the function from the stack's state instead: pulumi state delete/);
        expect(engineMessage(error)).not.toContain(PASSWORD);
        expect(engine.stderr()).not.toContain(PASSWORD);
    }, 30_000);
});
