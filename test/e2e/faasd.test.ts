// End to end on the real faasd, all real: the stack evaluated with faas:backend faasd -> the declared registry
// run with TLS (its CA trusted by faasd) -> the EXACT command text and stdin the stack declares for the faasd
// host, run by a shell on that host (the faasd lab stands for the VM; the SSH hop of remote.Command is not
// exercised) -> the functions' provider (faasreg, provider/) over gRPC -> faasd's gateway ->
// `faasd provider` pulls the private image with the credentials file -> the function answers.
// Needs root and the faasd binaries; SKIPPED, and says why, without them.
import type * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngineHarness, engineMessage, type Props } from "../helpers/engine";
import { type FaasdLab, faasdSkipReason, registryOf, startFaasdLab } from "../helpers/faasd";
import { labSkipReason } from "../helpers/lab";
import { engineInputs, findResource, outputValue, unwrap } from "../helpers/mocks";
import { containerSpec } from "../helpers/real-registry";
import { evaluateStack } from "../helpers/stack";
import { makeCertificate } from "../helpers/tls";
import { registrySkipReason } from "../helpers/registry-binary";
import { skipping } from "../helpers/skip";

const skip = skipping("test/e2e/faasd.test.ts", labSkipReason(), registrySkipReason(), faasdSkipReason());

const HOST = "registry.faasd.test";
const FIRST_PASSWORD = "ci-First-Password-0123456789";
const ROTATED_PASSWORD = "ci-Rotated-Password-9876543210";
const GATEWAY_PASSWORD = "faasd-Gateway-Pass-0123456789";
const OTHER_ENTRY = { "other.example.com": { auth: Buffer.from("someone:else").toString("base64") } };
const CONFIG_FILE = "/var/lib/faasd/.docker/config.json";
const secretKeys = ["registry:certificate", "registry:privateKey", "registry:users", "faas:password"];

describe.skipIf(skip !== undefined)("end to end on the real faasd: credentials file on the host, deploy through the engine's protocol", () => {
    const tls = makeCertificate(HOST);
    const configFor = (password: string): Record<string, string> => ({
        "registry:host": HOST,
        "registry:tls": "certificate",
        "registry:certificate": tls.cert,
        "registry:privateKey": tls.key,
        "registry:users": JSON.stringify([{ username: "ci", password }]),
        "faas:gateway": "http://127.0.0.1:8080",
        "faas:password": GATEWAY_PASSWORD,
        "faas:backend": "faasd",
        "faas:sshHost": "faasd.example.com",
        // The credentials command runs here with sh, not over SSH (test/e2e/pulumi-faasd.test.ts checks a real host key).
        "faas:sshSkipHostKeyCheck": "true",
        "faas:functions": JSON.stringify([{ service: "fd-hello", image: "team/hello:1" }]),
    });
    let faasd: FaasdLab;
    let engine: EngineHarness;
    let credentials: { create: string; delete: string; stdin: string };
    let rotated: { create: string; delete: string; stdin: string; registrySpec: ReturnType<typeof containerSpec> };
    let inputs: Props;
    let state: Props;

    const declared = async (password: string) => {
        const stack = await evaluateStack(configFor(password), { secretKeys });
        const command = findResource(stack.recorded, "command:remote:Command", "faasd-credentials-command").inputs;
        return {
            stack,
            create: command.create as string,
            delete: command.delete as string,
            stdin: unwrap(command.stdin) as string,
            registrySpec: containerSpec(stack.recorded),
        };
    };
    const configFile = () => JSON.parse(faasd.sh(`cat ${CONFIG_FILE}`).stdout) as { auths: Record<string, { auth: string }> };
    const invoke = async (name = "fd-hello") => {
        const r = await fetch(`${faasd.hostUrl}/function/${name}`, { signal: AbortSignal.timeout(10_000) });
        return `${r.status} ${(await r.text()).trim()}`;
    };

    beforeAll(async () => {
        const first = await declared(FIRST_PASSWORD);
        credentials = first;
        inputs = engineInputs(findResource(first.stack.recorded, "faasreg:index:Function", "fd-hello-deployment").inputs);
        rotated = await declared(ROTATED_PASSWORD);
        faasd = await startFaasdLab({
            host: HOST,
            registrySpec: first.registrySpec,
            certificate: tls.cert,
            gatewayUser: "admin",
            gatewayPassword: GATEWAY_PASSWORD,
        });
        for (const [tag, text] of [
            ["1", "hello v1"],
            ["2", "hello v2"],
        ])
            faasd.push("team/hello", tag, text, `ci:${FIRST_PASSWORD}`);
        // Another registry's entry, there before the stack: it must survive up and destroy.
        faasd.sh(`umask 077; mkdir -p /var/lib/faasd/.docker; cat > ${CONFIG_FILE}`, JSON.stringify({ auths: OTHER_ENTRY }));
        engine = await EngineHarness.start({ host: "faasreg", wrap: faasd.lab.wrap(), connect: (port) => faasd.lab.relay(port) });
        // As the stack configures its functions' provider (faas-gateway) from faas:gateway and faas:password.
        const stackConfig = configFor(FIRST_PASSWORD);
        await engine.configure({ gatewayUrl: stackConfig["faas:gateway"], gatewayPassword: stackConfig["faas:password"] }, ["gatewayPassword"]);
        expect(await outputValue(first.stack.exports.registryServer as pulumi.Output<string>)).toBe(HOST);
    }, 240_000);

    afterAll(async () => {
        await engine?.stop();
        await faasd?.stop();
    }, 90_000);

    it("declares the credentials command with the secret on stdin only, never in its text", () => {
        const auth = Buffer.from(`ci:${FIRST_PASSWORD}`).toString("base64");
        expect(JSON.parse(credentials.stdin)).toEqual({ server: HOST, auth });
        for (const text of [credentials.create, credentials.delete]) {
            expect(text).not.toContain(FIRST_PASSWORD);
            expect(text).not.toContain(auth);
        }
        expect(credentials.delete).toContain(`'${HOST}'`);
        // faasd ignores registryAuth, so the function does not carry it.
        expect(inputs.registryAuth).toBeUndefined();
        expect(inputs.backend).toBe("faasd");
    });

    it("merges the entry into faasd's credentials file on the host, atomically, mode 0600, keeping the others", () => {
        const run = faasd.sh(credentials.create, credentials.stdin);
        expect(run.status, run.stderr).toBe(0);
        expect(`${run.stdout}${run.stderr}`).not.toContain(FIRST_PASSWORD);
        expect(`${run.stdout}${run.stderr}`).not.toContain(Buffer.from(`ci:${FIRST_PASSWORD}`).toString("base64"));
        expect(configFile().auths).toEqual({ ...OTHER_ENTRY, [HOST]: { auth: Buffer.from(`ci:${FIRST_PASSWORD}`).toString("base64") } });
        expect(faasd.sh(`stat -c %a ${CONFIG_FILE}`).stdout.trim()).toBe("600");
        expect(
            faasd
                .sh("ls -a /var/lib/faasd/.docker")
                .stdout.split("\n")
                .filter((f) => f.startsWith(".config.json.")),
        ).toEqual([]);
    });

    it("deploys through faasd's gateway; faasd pulls the private image with the file's credentials; it answers", async () => {
        expect((await engine.check("fd-hello-deployment", {}, inputs)).failures).toEqual([]);
        const created = await engine.create("fd-hello-deployment", inputs);
        expect(created.outs).toMatchObject({ availableReplicas: 1, reportedImage: `${HOST}/team/hello:1` });
        state = created.outs;
        expect(await invoke()).toBe("200 hello v1 GREETING=");
        expect(registryOf(faasd).logs()).toMatch(
            /http\.request\.method=(GET|HEAD) .*http\.request\.uri=\/v2\/team\/hello\/manifests\/1 .*http\.response\.status=200/,
        );
    });

    it("reads back no drift (refresh, then the next up): the image's own fprocess, and an untagged reference reported as :latest", async () => {
        // faasd reports the image's `ENV fprocess` (every template sets one) although none was declared.
        const raw = await fetch(`${faasd.hostUrl}/system/function/fd-hello`, {
            headers: { authorization: `Basic ${Buffer.from(`admin:${GATEWAY_PASSWORD}`).toString("base64")}` },
        });
        expect(((await raw.json()) as { envProcess?: string }).envProcess).toBe("/entry.sh");
        const read = await engine.read("fd-hello-deployment", "fd-hello", state);
        expect(read.props.envProcess).toBeUndefined();
        expect((await engine.diff("fd-hello-deployment", "fd-hello", read.props, inputs)).changes).toBe("none");
        // `team/hello` is `team/hello:latest` to faasd, which reports it so.
        faasd.push("team/hello", "latest", "hello latest", `ci:${FIRST_PASSWORD}`);
        const untagged = { ...inputs, service: "fd-untagged", image: `${HOST}/team/hello` };
        const created = await engine.create("fd-untagged-deployment", untagged);
        expect(created.outs).toMatchObject({ availableReplicas: 1, reportedImage: `${HOST}/team/hello:latest` });
        expect(await invoke("fd-untagged")).toBe("200 hello latest GREETING=");
        const again = await engine.read("fd-untagged-deployment", "fd-untagged", created.outs);
        expect(again.props.image).toBe(`${HOST}/team/hello`);
        expect((await engine.diff("fd-untagged-deployment", "fd-untagged", again.props, untagged)).changes).toBe("none");
        await engine.delete("fd-untagged-deployment", "fd-untagged", again.props);
    });

    it("updates to a second image; an update whose pull fails is reported with what faasd did, and the next up recovers", async () => {
        state = await engine.update("fd-hello-deployment", "fd-hello", state, { ...inputs, image: `${HOST}/team/hello:2` });
        expect(await invoke()).toBe("200 hello v2 GREETING=");
        const error = await engine.update("fd-hello-deployment", "fd-hello", state, { ...inputs, image: `${HOST}/team/hello:never-pushed` }).catch((e) => e);
        expect(engineMessage(error)).toMatch(
            /the update could not pull registry\.faasd\.test\/team\/hello:never-pushed, and faasd removed the function \(no cached copy .*\)\. Why: the registry registry\.faasd\.test has no .* \(tag or digest not found\)/,
        );
        // State keeps the last good deployment (:2); the next `pulumi up` puts it back: the PUT's 404 becomes a create.
        state = await engine.update(
            "fd-hello-deployment",
            "fd-hello",
            { ...state, image: `${HOST}/team/hello:never-pushed` },
            { ...inputs, image: `${HOST}/team/hello:2` },
        );
        expect(await invoke()).toBe("200 hello v2 GREETING=");
    });

    it("fails a deploy when the file holds a wrong password, then pulls again once the rotation reaches registry and file", async () => {
        // A rotated password changes the command's stdin, so the engine runs the command again.
        expect(rotated.stdin).not.toBe(credentials.stdin);
        expect(rotated.create).toBe(credentials.create);
        expect(faasd.sh(rotated.create, rotated.stdin).status).toBe(0);
        // The registry still has the old password (its container is replaced later in the same `up`):
        // the file's password is wrong for it now, and a pull that is not cached is refused.
        faasd.forget(`${HOST}/team/hello:1`);
        const wrong = { ...inputs, service: "fd-wrong" };
        const error = await engine.create("fd-wrong-deployment", wrong).catch((e) => e);
        expect(engineMessage(error)).toMatch(
            /function "fd-wrong" .* cannot start: the image pull is refused\. Why: the registry registry\.faasd\.test refused faasd's credentials/,
        );
        expect(engineMessage(error)).not.toContain(ROTATED_PASSWORD);
        // The registry container replaced with the rotated htpasswd: the same file now works.
        await registryOf(faasd).replaceSpec(rotated.registrySpec);
        const created = await engine.create("fd-wrong-deployment", wrong);
        expect(created.outs).toMatchObject({ availableReplicas: 1 });
        await engine.delete("fd-wrong-deployment", "fd-wrong", created.outs);
    });

    it("refuses a backend that is not the gateway's, naming faas:backend", async () => {
        const swarm = { ...inputs, service: "fd-swarm", backend: "swarm" };
        const error = await engine.create("fd-swarm-deployment", swarm).catch((e) => e);
        expect(engineMessage(error)).toMatch(
            /backend is "swarm", but the FaaS gateway .* runs on "containerd" \(faasd\): set backend to faasd \(in this repository's stack: pulumi config set faas:backend faasd\)/,
        );
    });

    it("deletes the function, and on destroy removes only its own entry from the file", async () => {
        await engine.delete("fd-hello-deployment", "fd-hello", state);
        expect((await engine.read("fd-hello-deployment", "fd-hello", state)).id).toBe("");
        const run = faasd.sh(rotated.delete);
        expect(run.status, run.stderr).toBe(0);
        expect(configFile().auths).toEqual(OTHER_ENTRY);
        expect(faasd.sh(`stat -c %a ${CONFIG_FILE}`).stdout.trim()).toBe("600");
    });
});
