// A stack deployed by the version before the faasreg package (commit UPGRADED_FROM: its functions were dynamic
// resources, `pulumi-nodejs:dynamic:Resource`, the provider serialized into the state), upgraded to this version
// (its functions are the package's faasreg:index:Function) by the real engine: the plan replaces nothing, the one
// `pulumi up` rewrites each function's state and redeploys nothing (the same Swarm service, the same task), and
// the stack goes on as usual: a second `up` and a `refresh` change nothing, `destroy` takes the function off the
// gateway. The old version is the repository's own history (`git archive`), on the real gateway + faas-swarm.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importFunctionImage } from "../helpers/function-image";
import { ImageSource } from "../helpers/image-source";
import { type DockerEngine, Lab, labSkipReason } from "../helpers/lab";
import { openfaasSwarmSkipReason, type SwarmOpenFaas, startSwarmOpenFaas } from "../helpers/openfaas";
import { changedResources, expectNoChanges, PROJECT_ROOT, PulumiStack, pulumiSkipReason } from "../helpers/pulumi-cli";
import { registrySkipReason } from "../helpers/registry-binary";
import { importRegistryImage } from "../helpers/registry-image";
import { skipping } from "../helpers/skip";
import { makeCaSignedCertificate } from "../helpers/tls";

/** The last version whose functions were dynamic resources (main on 12-04, before the stack used the package). */
const UPGRADED_FROM = "21800d8";

function historySkipReason(): string | undefined {
    const r = spawnSync("git", ["-C", PROJECT_ROOT, "cat-file", "-e", `${UPGRADED_FROM}^{commit}`]);
    return r.status === 0
        ? undefined
        : `commit ${UPGRADED_FROM} (the version upgraded from) is not in this clone's history (a shallow clone?): git fetch --unshallow`;
}

const skip = skipping(
    "test/e2e/package-upgrade.test.ts",
    labSkipReason({ dockerd: true }),
    registrySkipReason(),
    openfaasSwarmSkipReason(),
    pulumiSkipReason(),
    historySkipReason(),
);

const HOST = "registry.upgrade.test";
const LAB_ADDRESS = "10.199.0.1";
const REGISTRY_PASSWORD = "ci-Upgrade-Pass:0123456789";
const GATEWAY_PASSWORD = "gw-Upgrade-Pass-0123456789";
const SECRET_KEYS = ["registry:users", "registry:certificate", "registry:privateKey", "faas:password"];

describe.skipIf(skip !== undefined)("a stack whose functions were dynamic resources, upgraded to the faasreg package by the real engine", () => {
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
    /** The function's resource in the exported state. */
    const functionState = async (stack: PulumiStack) => {
        const state = JSON.parse(await stack.exportState()) as {
            deployment: { resources: { urn: string; type: string; outputs?: Record<string, unknown> }[] };
        };
        return state.deployment.resources.find((r) => r.urn.endsWith("::hello-deployment"));
    };

    beforeAll(async () => {
        lab = await Lab.start("package-upgrade");
        lab.addHost(LAB_ADDRESS, HOST);
        docker = await lab.startDockerd({ swarm: true });
        lab.writeFile(`/etc/docker/certs.d/${HOST}/ca.crt`, certificate.ca);
        const caFile = join(lab.dir, "registry-ca.pem");
        writeFileSync(caFile, certificate.ca);
        const source = await ImageSource.start(lab, docker);
        importRegistryImage(docker, lab.dir, "faasreg-test/registry:3");
        const registryImage = source.publish("faasreg-test/registry:3").ref;
        faas = await startSwarmOpenFaas(lab, docker, { password: GATEWAY_PASSWORD, hosts: { [HOST]: LAB_ADDRESS } });
        // The old version, from the repository's history, with the repository's node_modules (the same dependencies).
        const oldProject = join(lab.dir, "old-version");
        mkdirSync(oldProject);
        execFileSync("sh", ["-c", `git -C "${PROJECT_ROOT}" archive ${UPGRADED_FROM} | tar -x -C "${oldProject}"`]);
        symlinkSync(join(PROJECT_ROOT, "node_modules"), join(oldProject, "node_modules"));
        const options = { env: { NODE_EXTRA_CA_CERTS: caFile } };
        old = await PulumiStack.init(
            lab,
            "upgrade",
            {
                "registry:tls": "certificate",
                "registry:host": HOST,
                "registry:certificate": `${certificate.cert}${certificate.ca}`,
                "registry:privateKey": certificate.key,
                "registry:users": JSON.stringify([{ username: "ci", password: REGISTRY_PASSWORD }]),
                "registry:image": registryImage,
                "docker:host": docker.host,
                "faas:gateway": faas.url,
                "faas:password": GATEWAY_PASSWORD,
            },
            SECRET_KEYS,
            { ...options, project: oldProject },
        );
        upgraded = PulumiStack.open(lab, "upgrade", options);
    }, 240_000);
    afterAll(async () => {
        await lab?.stop();
    }, 60_000);

    it("the old version deploys the registry and a function, the function a dynamic resource", async () => {
        const registry = await old.up();
        expect(registry.status, registry.out).toBe(0);
        docker.must(["login", HOST, "-u", "ci", "--password-stdin"], REGISTRY_PASSWORD);
        importFunctionImage(docker, lab.dir, `${HOST}/team/hello:1`, "hello v1");
        docker.must(["push", `${HOST}/team/hello:1`]);
        docker.must(["rmi", `${HOST}/team/hello:1`]);
        docker.must(["logout", HOST]);
        await old.setConfig({ "faas:functions": JSON.stringify([{ service: "hello", image: "team/hello:1", envVars: { GREETING: "old" } }]) });
        const up = await old.up();
        expect(up.status, up.out).toBe(0);
        expect(await invoke()).toBe("200 hello v1 GREETING=old");
        const fn = await functionState(old);
        expect(fn?.type).toBe("pulumi-nodejs:dynamic:Resource");
        expect(fn?.outputs?.__provider).toBeDefined();
    }, 300_000);

    it("this version's plan replaces nothing: the function is updated in place, the registry unchanged", async () => {
        const preview = await upgraded.preview(["--json"]);
        const steps = (JSON.parse(preview.stdout) as { steps: { op: string; urn: string }[] }).steps;
        const ops = (suffix: string) => steps.filter((s) => s.urn.endsWith(suffix)).map((s) => s.op);
        expect(ops("::hello-deployment")).toEqual(["update"]);
        expect(steps.filter((s) => /replace|create-replacement|delete-replaced/.test(s.op)).map((s) => s.urn)).toEqual([]);
        // The functions' new provider is created; nothing of the registry changes.
        expect(changedResources(preview)).toEqual(["faas-gateway", "hello-deployment"]);
        expectNoSecret(preview.out);
    }, 300_000);

    it("pulumi up rewrites the function's state and redeploys nothing; the next up and a refresh change nothing", async () => {
        const before = swarmIdentity();
        const up = await upgraded.up();
        expect(up.status, up.out).toBe(0);
        expect(swarmIdentity()).toBe(before);
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
        process.stderr.write(`package-upgrade: the upgrading up ${up.ms} ms, the next ${again.ms} ms\n`);
    }, 300_000);

    it("a change after the upgrade deploys as before, and destroy takes the function off the gateway", async () => {
        await upgraded.setConfig({ "faas:functions": JSON.stringify([{ service: "hello", image: "team/hello:1", envVars: { GREETING: "new" } }]) });
        const up = await upgraded.up();
        expect(up.status, up.out).toBe(0);
        // Swarm's start-first update keeps the old task serving a moment: the new answer 5 times in a row.
        let last = "";
        for (let i = 0, streak = 0; i < 300 && streak < 5; i++) {
            last = await invoke();
            streak = last === "200 hello v1 GREETING=new" ? streak + 1 : 0;
            if (streak < 5) await new Promise((r) => setTimeout(r, 200));
        }
        expect(last).toBe("200 hello v1 GREETING=new");
        const destroy = await upgraded.destroy();
        expect(destroy.status, destroy.out).toBe(0);
        const authHeader = `Basic ${Buffer.from(`admin:${GATEWAY_PASSWORD}`).toString("base64")}`;
        expect((await fetch(`${faas.hostUrl}/system/function/hello`, { headers: { authorization: authHeader } })).status).toBe(404);
    }, 300_000);
});
