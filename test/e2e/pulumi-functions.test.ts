// Functions on the real OpenFaaS for Swarm (gateway + faas-swarm, FAASREG_GATEWAY_BIN / FAASREG_FAAS_SWARM_BIN),
// deployed by the real Pulumi engine (FAASREG_PULUMI_BIN) from images in the stack's own registry (distribution
// v3, container mode on the same engine), all inside one lab. What users do after the first `up`: a second `up`
// that changes nothing, an environment variable changed in place, the gateway's password rotated (by the
// operator, then in stack config), `refresh`, and `destroy` taking the function off the gateway.
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importFunctionImage } from "../helpers/function-image";
import { type DockerEngine, type Lab, labSkipReason } from "../helpers/lab";
import { answerBecomes as answerBecomesOf, openfaasSwarmSkipReason, type SwarmOpenFaas } from "../helpers/openfaas";
import { changedResources, changeSummary, expectNoChanges, PulumiStack, pulumiSkipReason } from "../helpers/pulumi-cli";
import { registrySkipReason } from "../helpers/registry-binary";
import { type LabSsh, sshDockerConfig, sshdSkipReason, startSshd } from "../helpers/sshd";
import { type StackLab, startStackLab } from "../helpers/swarm-lab";
import { makeCaSignedCertificate } from "../helpers/tls";
import { skipping } from "../helpers/skip";

const skip = skipping(
    "test/e2e/pulumi-functions.test.ts",
    labSkipReason({ dockerd: true }),
    registrySkipReason(),
    openfaasSwarmSkipReason(),
    sshdSkipReason(),
    pulumiSkipReason(),
);

const HOST = "registry.functions.test";
const REGISTRY_PASSWORD = "ci-Registry-Pass:0123456789";
const GATEWAY_1 = "gw-First-Pass-0123456789";
const GATEWAY_2 = "gw-Rotated-Pass-9876543210";
const SECRET_KEYS = ["registry:users", "registry:certificate", "registry:privateKey", "faas:password"];
const functions = (greeting: string) => JSON.stringify([{ service: "hello", image: "team/hello:1", envVars: { GREETING: greeting } }]);

describe.skipIf(skip !== undefined)("functions on the real OpenFaaS for Swarm, deployed by pulumi up for real", () => {
    let env: StackLab;
    let lab: Lab;
    let docker: DockerEngine;
    let faas: SwarmOpenFaas;
    let stack: PulumiStack;
    let builtContext: string;
    let ssh: LabSsh;
    const certificate = makeCaSignedCertificate([HOST]);
    const invoke = async () => {
        const r = await fetch(`${faas.hostUrl}/function/hello`, { signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
        return r === undefined ? "no answer" : `${r.status} ${(await r.text()).trim()}`;
    };
    const answerBecomes = (want: string) => answerBecomesOf(invoke, want);
    const expectNoSecret = (out: string) => {
        const auth = Buffer.from(`ci:${REGISTRY_PASSWORD}`).toString("base64");
        for (const secret of [REGISTRY_PASSWORD, GATEWAY_1, GATEWAY_2, auth]) expect(out.includes(secret), "a secret in the CLI's output").toBe(false);
    };

    beforeAll(async () => {
        // docker:host is ssh:// to the lab, as to a VM (`docker system dial-stdio` there uses the default socket).
        env = await startStackLab({ name: "pulumi-functions", host: HOST, ca: certificate.ca, gatewayPassword: GATEWAY_1, defaultSocket: true });
        ({ lab, docker, faas } = env);
        const { source, caFile } = env;
        ssh = await startSshd(lab);
        // The base of a function built from source by the stack (the docker provider's Image, BuildKit in the engine).
        importFunctionImage(docker, lab.dir, "faasreg-test/fn-base:1", "base");
        const base = source.publish("faasreg-test/fn-base:1").ref;
        builtContext = join(lab.dir, "built-fn");
        mkdirSync(join(builtContext, "www", "cgi-bin"), { recursive: true });
        writeFileSync(join(builtContext, "Dockerfile"), `FROM ${base}\nCOPY index.cgi /www/cgi-bin/index.cgi\n`);
        writeFileSync(join(builtContext, "index.cgi"), `#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\necho "built from source"\n`, { mode: 0o755 });
        stack = await PulumiStack.init(
            lab,
            "fn",
            { ...env.stackConfig(certificate, "ci", REGISTRY_PASSWORD, GATEWAY_1), ...sshDockerConfig(ssh) },
            SECRET_KEYS,
            // The provider asks the registry why a pull fails: it trusts the registry's CA, as the engine does.
            { env: { NODE_EXTRA_CA_CERTS: caFile } },
        );
    }, 240_000);
    afterAll(async () => {
        await lab?.stop();
    }, 60_000);

    it("pulumi up: the registry first; with the image pushed, a second up deploys the function from it", async () => {
        const registry = await stack.up();
        expect(registry.status, registry.out).toBe(0);
        // Swarm must pull it with registryAuth: no cached copy, and the engine's own login gone.
        env.pushFunction(`${HOST}/team/hello:1`, "hello v1", "ci", REGISTRY_PASSWORD);
        await stack.setConfig({ "faas:functions": functions("one") });
        const up = await stack.up();
        expect(up.status, up.out).toBe(0);
        expectNoSecret(up.out);
        process.stderr.write(`pulumi-functions: registry up ${registry.ms} ms, function up ${up.ms} ms\n`);
        expect(await answerBecomes("200 hello v1 GREETING=one")).toBe("200 hello v1 GREETING=one");
    }, 300_000);

    it("a second pulumi up changes nothing, and neither does pulumi refresh", async () => {
        const { up: again, refresh } = await expectNoChanges(stack);
        process.stderr.write(`pulumi-functions: no-op up ${again.ms} ms, refresh ${refresh.ms} ms\n`);
    }, 300_000);

    it("an environment variable changed in config updates the function in place", async () => {
        await stack.setConfig({ "faas:functions": functions("two") });
        const plan = await stack.preview(["--json"]);
        expect(changedResources(plan)).toEqual(["hello-deployment"]);
        expect((JSON.parse(plan.stdout) as { steps: { op: string; urn: string }[] }).steps.find((s) => s.urn.endsWith("::hello-deployment"))?.op).toBe(
            "update",
        );
        const before = JSON.parse(docker.must(["service", "inspect", "hello", "--format", "{{json .ID}}"]));
        const up = await stack.up();
        expect(up.status, up.out).toBe(0);
        expect(await answerBecomes("200 hello v1 GREETING=two")).toBe("200 hello v1 GREETING=two");
        // The same Swarm service, updated (not deleted and created again).
        expect(JSON.parse(docker.must(["service", "inspect", "hello", "--format", "{{json .ID}}"]))).toBe(before);
    }, 300_000);

    it("a function built from source: built for the Docker host's platform, pushed into the registry, deployed by digest; the next up changes nothing", async () => {
        await stack.setConfig({ "faas:functions": JSON.stringify([...JSON.parse(functions("two")), { service: "built", build: { context: builtContext } }]) });
        const up = await stack.up();
        expect(up.status, up.out).toBe(0);
        expectNoSecret(up.out);
        const r = await fetch(`${faas.hostUrl}/function/built`, { signal: AbortSignal.timeout(10_000) });
        expect(`${r.status} ${(await r.text()).trim()}`).toBe("200 built from source");
        const images = JSON.parse(await stack.output("functionImages")) as string[];
        expect(images[1]).toMatch(new RegExp(`^${HOST.replaceAll(".", "\\.")}/functions/built@sha256:[0-9a-f]{64}$`));
        // The Image resource read back and diffed (and the host's platform asked again): nothing to do.
        const again = await stack.up(["--expect-no-changes"]);
        expect(again.status, again.out).toBe(0);
        const refresh = await stack.refresh(["--expect-no-changes"]);
        expect(refresh.status, refresh.out).toBe(0);
        // A CI preview without the deploy key: the platform cannot be asked, so it (and the tag) shows no change.
        renameSync(ssh.files.privateKey, `${ssh.files.privateKey}.away`);
        try {
            const preview = await stack.preview(["--expect-no-changes", "--diff"]);
            expect(preview.status, preview.out).toBe(0);
            expect(preview.out).toMatch(
                /could not ask the Docker engine \(ssh to docker:host .* failed: .*\), so the Docker host's platform \(and the tags of images built there\) is shown unchanged/,
            );
            expectNoSecret(preview.out);
        } finally {
            renameSync(`${ssh.files.privateKey}.away`, ssh.files.privateKey);
        }
        await stack.setConfig({ "faas:functions": functions("two") });
        const back = await stack.up();
        expect(back.status, back.out).toBe(0);
    }, 300_000);

    it("a gateway password rotated by the operator, then in stack config: refresh --run-program (the provider takes it; nothing redeployed), up, refresh", async () => {
        await faas.rotatePassword(GATEWAY_2);
        // Before the config follows, the stack's calls are refused, and pulumi says which key to set.
        const stale = await stack.refresh();
        expect(stale.status).not.toBe(0);
        expect(stale.out).toMatch(/faas:password/);
        expectNoSecret(stale.out);
        await stack.setConfig({ "faas:password": GATEWAY_2 }, SECRET_KEYS);
        // Pulumi configures providers for refresh and destroy from the last deployment unless the program runs:
        // a plain refresh still sends the old password, and the message says what to do.
        const old = await stack.refresh();
        expect(old.status).not.toBe(0);
        expect(old.out).toMatch(/run `pulumi up` first, or add --run-program/);
        // With the program, the functions' provider (the faasreg package's, configured from faas:*) takes the new
        // password: the function is read with it, and the provider's recorded configuration is the one change. The
        // function keeps no gateway password of its own: nothing about it changes, nothing is redeployed.
        const task = docker.must(["service", "ps", "-q", "hello"]).trim();
        const refresh = await stack.refresh(["--run-program"]);
        expect(refresh.status, refresh.out).toBe(0);
        expect(changeSummary(refresh.out)).toMatchObject({ updated: 1 });
        expect(refresh.out).toMatch(/~ +pulumi:providers:faasreg +faas-gateway/);
        expect(docker.must(["service", "ps", "-q", "hello"]).trim()).toBe(task);
        const up = await stack.up(["--expect-no-changes"]);
        expect(up.status, up.out).toBe(0);
        expect(docker.must(["service", "ps", "-q", "hello"]).trim()).toBe(task);
        const plain = await stack.refresh(["--expect-no-changes"]);
        expect(plain.status, plain.out).toBe(0);
        expectNoSecret(`${old.out}${refresh.out}${up.out}${plain.out}`);
        // The provider's recorded password is ciphertext in state, like every secret.
        expectNoSecret(await stack.exportState());
        expect(await invoke()).toBe("200 hello v1 GREETING=two");
    }, 300_000);

    it("pulumi destroy takes the function off the gateway and removes the registry container", async () => {
        const destroy = await stack.destroy();
        expect(destroy.status, destroy.out).toBe(0);
        const auth = `Basic ${Buffer.from(`admin:${GATEWAY_2}`).toString("base64")}`;
        const r = await fetch(`${faas.hostUrl}/system/function/hello`, { headers: { authorization: auth } });
        expect(r.status).toBe(404);
        expect(docker.must(["ps", "-a", "--filter", "name=faas-registry-fn-registry", "--format", "{{.Names}}"]).trim()).toBe("");
    }, 300_000);
});
