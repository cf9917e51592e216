// A stack deployed by the version before the faasreg package (DYNAMIC_FUNCTIONS_VERSION: its functions and its
// registry's htpasswd file were dynamic resources, `pulumi-nodejs:dynamic:Resource`, the provider serialized into
// the state), upgraded to this version (the package's faasreg:index:Function and faasreg:registry:ContainerFile)
// by the real engine: the plan replaces nothing, the one `pulumi up` rewrites their state and redeploys nothing
// (the same registry container, the same Swarm service, the same task), and the stack goes on as usual: a second
// `up` and a `refresh` change nothing, `destroy` takes the function off the gateway. The old version is the
// repository's own history (`git archive`), on the real gateway + faas-swarm.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DockerEngine, type Lab, labSkipReason } from "../helpers/lab";
import { answerBecomes, openfaasSwarmSkipReason, type SwarmOpenFaas } from "../helpers/openfaas";
import { changedResources, expectNoChanges, PulumiStack, pulumiSkipReason } from "../helpers/pulumi-cli";
import { checkoutOldVersion, DYNAMIC_FUNCTIONS_VERSION, oldVersionSkipReason } from "../helpers/old-version";
import { registrySkipReason } from "../helpers/registry-binary";
import { skipping } from "../helpers/skip";
import { type StackLab, startStackLab } from "../helpers/swarm-lab";
import { makeCaSignedCertificate } from "../helpers/tls";

const skip = skipping(
    "test/e2e/package-upgrade.test.ts",
    labSkipReason({ dockerd: true }),
    registrySkipReason(),
    openfaasSwarmSkipReason(),
    pulumiSkipReason(),
    oldVersionSkipReason(),
);

const HOST = "registry.upgrade.test";
const REGISTRY_PASSWORD = "ci-Upgrade-Pass:0123456789";
const GATEWAY_PASSWORD = "gw-Upgrade-Pass-0123456789";
const SECRET_KEYS = ["registry:users", "registry:certificate", "registry:privateKey", "faas:password"];

describe.skipIf(skip !== undefined)("a stack whose functions were dynamic resources, upgraded to the faasreg package by the real engine", () => {
    let env: StackLab;
    let lab: Lab;
    let docker: DockerEngine;
    let faas: SwarmOpenFaas;
    let old: PulumiStack;
    let upgraded: PulumiStack;
    const certificate = makeCaSignedCertificate([HOST]);
    const invoke = async () => {
        const r = await fetch(`${faas.hostUrl}/function/hello`, { signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
        return r === undefined ? "no answer" : `${r.status} ${(await r.text()).trim()}`;
    };
    const auth = Buffer.from(`ci:${REGISTRY_PASSWORD}`).toString("base64");
    const expectNoSecret = (text: string) => {
        for (const secret of [REGISTRY_PASSWORD, GATEWAY_PASSWORD, auth]) expect(text.includes(secret), "a secret in the output or the state").toBe(false);
    };
    /** The function's Swarm service and its running task: the same after the upgrade, or it was redeployed. */
    const swarmIdentity = () =>
        `${docker.must(["service", "inspect", "hello", "--format", "{{.ID}} {{.Version.Index}}"]).trim()} ${docker.must(["service", "ps", "-q", "hello"]).trim()}`;
    /** A resource in the exported state, by name: the function's by default. */
    const functionState = async (stack: PulumiStack, name = "hello-deployment") => {
        const state = JSON.parse(await stack.exportState()) as {
            deployment: { resources: { urn: string; type: string; outputs?: Record<string, unknown> }[] };
        };
        return state.deployment.resources.find((r) => r.urn.endsWith(`::${name}`));
    };
    /** The registry's container: the same after the upgrade, or it was replaced. */
    const registryContainer = () => docker.must(["ps", "-q", "--no-trunc", "--filter", "name=faas-registry-upgrade-registry"]).trim();
    let htpasswdSha256: unknown;
    let oldStateBytes = 0;

    beforeAll(async () => {
        env = await startStackLab({ name: "package-upgrade", host: HOST, ca: certificate.ca, gatewayPassword: GATEWAY_PASSWORD });
        ({ lab, docker, faas } = env);
        const { caFile } = env;
        // The old version, from the repository's history, with the repository's node_modules (the same dependencies).
        const oldProject = checkoutOldVersion(join(lab.dir, `version-${DYNAMIC_FUNCTIONS_VERSION}`));
        const options = { env: { NODE_EXTRA_CA_CERTS: caFile } };
        old = await PulumiStack.init(
            lab,
            "upgrade",
            { ...env.stackConfig(certificate, "ci", REGISTRY_PASSWORD, GATEWAY_PASSWORD), "docker:host": docker.host },
            SECRET_KEYS,
            { ...options, project: oldProject },
        );
        upgraded = PulumiStack.open(lab, "upgrade", options);
    }, 240_000);
    afterAll(async () => {
        await lab?.stop();
    }, 60_000);

    it("the old version deploys the registry and a function, the function and the htpasswd file dynamic resources", async () => {
        const registry = await old.up();
        expect(registry.status, registry.out).toBe(0);
        env.pushFunction(`${HOST}/team/hello:1`, "hello v1", "ci", REGISTRY_PASSWORD);
        await old.setConfig({ "faas:functions": JSON.stringify([{ service: "hello", image: "team/hello:1", envVars: { GREETING: "old" } }]) });
        const up = await old.up();
        expect(up.status, up.out).toBe(0);
        expect(await invoke()).toBe("200 hello v1 GREETING=old");
        const fn = await functionState(old);
        expect(fn?.type).toBe("pulumi-nodejs:dynamic:Resource");
        expect(fn?.outputs?.__provider).toBeDefined();
        const file = await functionState(old, "registry-htpasswd");
        expect(file?.type).toBe("pulumi-nodejs:dynamic:Resource");
        expect(file?.outputs?.__provider).toBeDefined();
        htpasswdSha256 = file?.outputs?.sha256;
        expect(htpasswdSha256).toMatch(/^[0-9a-f]{64}$/);
        oldStateBytes = (await old.exportState()).length;
    }, 300_000);

    it("this version's plan replaces nothing: the function and the htpasswd file are updated in place, the rest of the registry unchanged", async () => {
        const preview = await upgraded.preview(["--json"]);
        const steps = (JSON.parse(preview.stdout) as { steps: { op: string; urn: string }[] }).steps;
        const ops = (suffix: string) => steps.filter((s) => s.urn.endsWith(suffix)).map((s) => s.op);
        expect(ops("::hello-deployment")).toEqual(["update"]);
        expect(ops("::registry-htpasswd")).toEqual(["update"]);
        expect(steps.filter((s) => /replace|create-replacement|delete-replaced/.test(s.op)).map((s) => s.urn)).toEqual([]);
        // The functions' new provider is created; of the registry, only the htpasswd file's state changes form.
        expect(changedResources(preview)).toEqual(["faas-gateway", "hello-deployment", "registry-htpasswd"]);
        expectNoSecret(preview.out);
    }, 300_000);

    it("pulumi up rewrites the function's and the htpasswd file's state and redeploys nothing; the next up and a refresh change nothing", async () => {
        const before = swarmIdentity();
        const container = registryContainer();
        expect(container).toMatch(/^[0-9a-f]{64}$/);
        const up = await upgraded.up();
        expect(up.status, up.out).toBe(0);
        expect(swarmIdentity()).toBe(before);
        expect(registryContainer()).toBe(container);
        const file = await functionState(upgraded, "registry-htpasswd");
        expect(file?.type).toBe("faasreg:registry:ContainerFile");
        expect(file?.outputs?.__provider).toBeUndefined();
        expect(file?.outputs?.sha256).toBe(htpasswdSha256);
        expect(await invoke()).toBe("200 hello v1 GREETING=old");
        const fn = await functionState(upgraded);
        expect(fn?.type).toBe("faasreg:index:Function");
        // The serialized provider is gone from the state, and the gateway password with it (the provider holds it).
        expect(fn?.outputs?.__provider).toBeUndefined();
        expect(fn?.outputs?.gatewayPassword).toBeUndefined();
        expect(fn?.outputs).toMatchObject({ gatewayUrl: faas.url, service: "hello", availableReplicas: 1 });
        const { up: again, refresh } = await expectNoChanges(upgraded);
        expect(swarmIdentity()).toBe(before);
        const state = await upgraded.exportState();
        expectNoSecret(`${up.out}${again.out}${refresh.out}${state}`);
        process.stderr.write(
            `package-upgrade: the upgrading up ${up.ms} ms, the next ${again.ms} ms; the state ${oldStateBytes} bytes before, ${state.length} after\n`,
        );
    }, 300_000);

    it("a change after the upgrade deploys as before, and destroy takes the function off the gateway", async () => {
        await upgraded.setConfig({ "faas:functions": JSON.stringify([{ service: "hello", image: "team/hello:1", envVars: { GREETING: "new" } }]) });
        const up = await upgraded.up();
        expect(up.status, up.out).toBe(0);
        expect(await answerBecomes(invoke, "200 hello v1 GREETING=new")).toBe("200 hello v1 GREETING=new");
        const destroy = await upgraded.destroy();
        expect(destroy.status, destroy.out).toBe(0);
        const authHeader = `Basic ${Buffer.from(`admin:${GATEWAY_PASSWORD}`).toString("base64")}`;
        expect((await fetch(`${faas.hostUrl}/system/function/hello`, { headers: { authorization: authHeader } })).status).toBe(404);
    }, 300_000);
});
