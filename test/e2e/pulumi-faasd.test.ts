// faasd, deployed by the real Pulumi engine (FAASREG_PULUMI_BIN): one lab stands for the faasd VM, with the real
// faasd 0.16.9 and its gateway, a Docker engine where the stack deploys its registry (distribution v3), and
// Debian's sshd, where `@pulumi/command` writes the registry's credentials into /var/lib/faasd/.docker/config.json
// over a REAL SSH connection (key auth, the host key checked). The function pulls its private image with them;
// a second `up` changes nothing; a rotated registry password re-runs the command (and the next pull uses it);
// `destroy` removes our entry only.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FaasdLab, faasdSkipReason, startFaasdLab } from "../helpers/faasd";
import { sshdSkipReason } from "../helpers/sshd";
import { ImageSource } from "../helpers/image-source";
import { labSkipReason } from "../helpers/lab";
import { changedResources, expectNoChanges, PulumiStack, pulumiSkipReason } from "../helpers/pulumi-cli";
import { registrySkipReason } from "../helpers/registry-binary";
import { importRegistryImage } from "../helpers/registry-image";
import { makeCaSignedCertificate } from "../helpers/tls";
import { skipping } from "../helpers/skip";

const skip = skipping(
    "test/e2e/pulumi-faasd.test.ts",
    labSkipReason({ dockerd: true }),
    registrySkipReason(),
    faasdSkipReason(),
    sshdSkipReason(),
    pulumiSkipReason(),
);

const HOST = "registry.faasd.test";
const PASSWORD_1 = "ci-First-Registry-Pass-0123";
const PASSWORD_2 = "ci-Rotated-Registry-Pass-4567";
const GATEWAY_PASSWORD = "gw-faasd-Pass-0123456789";
const OTHER = { "other.example.com": { auth: Buffer.from("someone:else").toString("base64") } };
const SECRET_KEYS = ["registry:users", "registry:certificate", "registry:privateKey", "faas:password", "faas:sshPrivateKey"];
const users = (password: string) => JSON.stringify([{ username: "ci", password }]);
const functions = (greeting: string) => JSON.stringify([{ service: "fd-hello", image: "team/hello:1", envVars: { GREETING: greeting } }]);
const auth = (password: string) => Buffer.from(`ci:${password}`).toString("base64");

describe.skipIf(skip !== undefined)("faasd deployed by pulumi up for real: the credentials file written over real SSH", () => {
    let faasd: FaasdLab;
    let stack: PulumiStack;
    const certificate = makeCaSignedCertificate([HOST]);
    const credentials = () => JSON.parse(faasd.sh("cat /var/lib/faasd/.docker/config.json").stdout || "{}");
    const invoke = async () => {
        const r = await fetch(`${faasd.hostUrl}/function/fd-hello`, { signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
        return r === undefined ? "no answer" : `${r.status} ${(await r.text()).trim()}`;
    };
    const expectNoSecret = (out: string) => {
        for (const secret of [PASSWORD_1, PASSWORD_2, auth(PASSWORD_1), auth(PASSWORD_2), GATEWAY_PASSWORD, faasd.ssh?.privateKey.split("\n")[1] ?? ""]) {
            expect(out.includes(secret), "a secret in the CLI's output").toBe(false);
        }
    };

    beforeAll(async () => {
        faasd = await startFaasdLab({
            host: HOST,
            certificate: certificate.ca,
            gatewayUser: "admin",
            gatewayPassword: GATEWAY_PASSWORD,
            withDocker: true,
            withSsh: true,
        });
        const docker = faasd.docker as NonNullable<FaasdLab["docker"]>;
        const ssh = faasd.ssh as NonNullable<FaasdLab["ssh"]>;
        // Another registry's entry, which must survive everything the stack does.
        faasd.sh("mkdir -p /var/lib/faasd/.docker && cat > /var/lib/faasd/.docker/config.json", JSON.stringify({ auths: OTHER }));
        const source = await ImageSource.start(faasd.lab, docker);
        importRegistryImage(docker, faasd.lab.dir, "faasreg-test/registry:3");
        stack = await PulumiStack.init(
            faasd.lab,
            "fd",
            {
                "registry:tls": "certificate",
                "registry:host": HOST,
                "registry:certificate": `${certificate.cert}${certificate.ca}`,
                "registry:privateKey": certificate.key,
                "registry:users": users(PASSWORD_1),
                "registry:image": source.publish("faasreg-test/registry:3").ref,
                "docker:host": docker.host,
                "faas:gateway": faasd.url,
                "faas:password": GATEWAY_PASSWORD,
                "faas:backend": "faasd",
                "faas:sshHost": ssh.host,
                "faas:sshPrivateKey": ssh.privateKey,
                // Another key than the host's: the connection must be refused.
                "faas:sshHostKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK0wmN/Cr3JXqmLW7u+g9pTh+wyqDHpSQEIQczXkVx9q",
            },
            SECRET_KEYS,
        );
    }, 240_000);
    afterAll(async () => {
        await faasd?.stop();
    }, 60_000);

    it("refuses a faasd host whose host key is not faas:sshHostKey, and writes nothing", async () => {
        const up = await stack.up();
        expect(up.status).not.toBe(0);
        expect(up.out).toMatch(/ssh: handshake failed: ssh: host key mismatch/);
        expectNoSecret(up.out);
        expect(credentials()).toEqual({ auths: OTHER });
    }, 300_000);

    it("pulumi up with the right host key writes our entry (0600) beside the other one; the function pulls and answers", async () => {
        await stack.setConfig({ "faas:sshHostKey": (faasd.ssh as NonNullable<FaasdLab["ssh"]>).hostKey });
        const up = await stack.up();
        expect(up.status, up.out).toBe(0);
        expectNoSecret(up.out);
        expect(credentials()).toEqual({ auths: { ...OTHER, [HOST]: { auth: auth(PASSWORD_1) } } });
        expect(faasd.sh("stat -c %a /var/lib/faasd/.docker/config.json").stdout.trim()).toBe("600");
        faasd.push("team/hello", "1", "hello v1", `ci:${PASSWORD_1}`);
        await stack.setConfig({ "faas:functions": functions("one") });
        const deploy = await stack.up();
        expect(deploy.status, deploy.out).toBe(0);
        process.stderr.write(`pulumi-faasd: registry and credentials up ${up.ms} ms, function up ${deploy.ms} ms\n`);
        expect(await invoke()).toBe("200 hello v1 GREETING=one");
    }, 300_000);

    it("a second pulumi up changes nothing, and neither does pulumi refresh", async () => {
        const { up: again, refresh } = await expectNoChanges(stack);
        process.stderr.write(`pulumi-faasd: no-op up ${again.ms} ms, refresh ${refresh.ms} ms\n`);
    }, 300_000);

    it("a rotated registry password re-runs the command over SSH; the next pull uses the new entry", async () => {
        await stack.setConfig({ "registry:users": users(PASSWORD_2) }, SECRET_KEYS);
        const plan = changedResources(await stack.preview(["--json"]));
        // The users are rewritten in the running registry (registry-htpasswd), not by a new container.
        expect(plan).toEqual(expect.arrayContaining(["faasd-credentials-command", "registry-htpasswd"]));
        expect(plan).not.toContain("registry-container");
        const up = await stack.up();
        expect(up.status, up.out).toBe(0);
        expectNoSecret(up.out);
        expect(credentials()).toEqual({ auths: { ...OTHER, [HOST]: { auth: auth(PASSWORD_2) } } });
        // faasd pulls on every deploy (pull policy Always): a changed variable redeploys from the registry.
        faasd.forget(`${HOST}/team/hello:1`);
        await stack.setConfig({ "faas:functions": functions("two") });
        const deploy = await stack.up();
        expect(deploy.status, deploy.out).toBe(0);
        expect(await invoke()).toBe("200 hello v1 GREETING=two");
        const again = await stack.up(["--expect-no-changes"]);
        expect(again.status, again.out).toBe(0);
    }, 300_000);

    it("a new registry server name (registry:httpsPort 8443) replaces the command: the new entry written, the old one removed", async () => {
        await stack.setConfig({ "registry:httpsPort": "8443" });
        const up = await stack.up();
        expect(up.status, up.out).toBe(0);
        expectNoSecret(up.out);
        expect(credentials()).toEqual({ auths: { ...OTHER, [`${HOST}:8443`]: { auth: auth(PASSWORD_2) } } });
        // The function's image now names the new server; faasd pulled it with the new entry.
        expect(await invoke(), up.out).toBe("200 hello v1 GREETING=two");
        const again = await stack.up(["--expect-no-changes"]);
        expect(again.status, again.out).toBe(0);
    }, 300_000);

    it("another faas:sshHost replaces the command, deleting first: the old host's entry goes, the new host's is written", async () => {
        // The new name is another name of the same VM here (one file): delete-first must still leave the entry.
        const ssh = faasd.ssh as NonNullable<FaasdLab["ssh"]>;
        faasd.lab.addHost(ssh.host, "faasd-vm.test");
        await stack.setConfig({ "faas:sshHost": "faasd-vm.test" });
        const plan = await stack.preview(["--json"]);
        const steps = (JSON.parse(plan.stdout) as { steps: { op: string; urn: string }[] }).steps.filter((s) => s.urn.endsWith("::faasd-credentials-command"));
        expect(steps.map((s) => s.op)).toEqual(["replace"]);
        const up = await stack.up();
        expect(up.status, up.out).toBe(0);
        expect(up.out).toMatch(/faasd-credentials-command deleting original/);
        expectNoSecret(up.out);
        expect(credentials()).toEqual({ auths: { ...OTHER, [`${HOST}:8443`]: { auth: auth(PASSWORD_2) } } });
        const again = await stack.up(["--expect-no-changes"]);
        expect(again.status, again.out).toBe(0);
    }, 300_000);

    it("pulumi destroy removes the function and our entry only", async () => {
        const destroy = await stack.destroy();
        expect(destroy.status, destroy.out).toBe(0);
        expectNoSecret(destroy.out);
        expect(credentials()).toEqual({ auths: OTHER });
        const authHeader = `Basic ${Buffer.from(`admin:${GATEWAY_PASSWORD}`).toString("base64")}`;
        expect((await fetch(`${faasd.hostUrl}/system/function/fd-hello`, { headers: { authorization: authHeader } })).status).toBe(404);
    }, 300_000);
});
