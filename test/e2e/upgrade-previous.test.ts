// A stack deployed by the version before this one (EXPLICIT_DEFAULTS_VERSION: its functions' resources sent every input,
// those at the provider's default too), run by this version (which leaves those out: the provider's check writes them
// back) with the real engine: `pulumi preview --diff`, `up` and `refresh` propose nothing, and the function's state
// still records the defaults in effect. The old version is the repository's own history (`git archive`), on the real
// gateway + faas-swarm.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Lab, labSkipReason } from "../helpers/lab";
import { openfaasSwarmSkipReason } from "../helpers/openfaas";
import { expectNoChanges, PulumiStack, pulumiSkipReason } from "../helpers/pulumi-cli";
import { checkoutOldVersion, EXPLICIT_DEFAULTS_VERSION, oldVersionSkipReason } from "../helpers/old-version";
import { registrySkipReason } from "../helpers/registry-binary";
import { skipping } from "../helpers/skip";
import { type StackLab, startStackLab } from "../helpers/swarm-lab";
import { makeCaSignedCertificate } from "../helpers/tls";

const skip = skipping(
    "test/e2e/upgrade-previous.test.ts",
    labSkipReason({ dockerd: true }),
    registrySkipReason(),
    openfaasSwarmSkipReason(),
    pulumiSkipReason(),
    oldVersionSkipReason(EXPLICIT_DEFAULTS_VERSION),
);

const HOST = "registry.previous.test";
const REGISTRY_PASSWORD = "ci-Previous-Pass:0123456789";
const GATEWAY_PASSWORD = "gw-Previous-Pass-0123456789";
const SECRET_KEYS = ["registry:users", "registry:certificate", "registry:privateKey", "faas:password"];

describe.skipIf(skip !== undefined)("a stack deployed by the version before, run by this one with the real engine", () => {
    let env: StackLab;
    let lab: Lab;
    let old: PulumiStack;
    let current: PulumiStack;
    const certificate = makeCaSignedCertificate([HOST]);

    beforeAll(async () => {
        env = await startStackLab({ name: "upgrade-previous", host: HOST, ca: certificate.ca, gatewayPassword: GATEWAY_PASSWORD });
        lab = env.lab;
        const oldProject = checkoutOldVersion(join(lab.dir, `version-${EXPLICIT_DEFAULTS_VERSION}`), EXPLICIT_DEFAULTS_VERSION);
        const options = { env: { NODE_EXTRA_CA_CERTS: env.caFile } };
        old = await PulumiStack.init(
            lab,
            "previous",
            { ...env.stackConfig(certificate, "ci", REGISTRY_PASSWORD, GATEWAY_PASSWORD), "docker:host": env.docker.host },
            SECRET_KEYS,
            { ...options, project: oldProject },
        );
        current = PulumiStack.open(lab, "previous", options);
    }, 240_000);
    afterAll(async () => {
        await lab?.stop();
    }, 60_000);

    it("the version before deploys the registry and a function, every input of the function in its state", async () => {
        const registry = await old.up();
        expect(registry.status, registry.out).toBe(0);
        env.pushFunction(`${HOST}/team/hello:1`, "hello v1", "ci", REGISTRY_PASSWORD);
        await old.setConfig({ "faas:functions": JSON.stringify([{ service: "hello", image: "team/hello:1" }]) });
        const up = await old.up();
        expect(up.status, up.out).toBe(0);
    }, 300_000);

    it("this version's preview --diff, up and refresh propose nothing, and the state keeps the defaults in effect", async () => {
        const preview = await current.preview(["--diff", "--expect-no-changes"]);
        expect(preview.status, preview.out).toBe(0);
        await expectNoChanges(current);
        const state = JSON.parse(await current.exportState()) as { deployment: { resources: { urn: string; inputs?: Record<string, unknown> }[] } };
        const fn = state.deployment.resources.find((r) => r.urn.endsWith("::hello-deployment"));
        expect(fn?.inputs).toMatchObject({ network: "func_functions", backend: "swarm", adopt: false, waitForReady: true, readinessTimeoutSeconds: 120 });
        const destroy = await current.destroy();
        expect(destroy.status, destroy.out).toBe(0);
    }, 300_000);
});
