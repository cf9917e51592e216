// The faasreg package (provider/) consumed for real from Pulumi YAML and Python, the examples of the README
// (examples/package/*), by the real engine: the real OpenFaaS gateway + faas-swarm, the registry as the stack
// declares it (TLS, htpasswd), a private image pushed there by a registry user. For each language: `pulumi up`
// (the function answers; Swarm pulled the private image with registryAuth), a second `up --expect-no-changes`,
// the secrets kept secret in state and output, `destroy` (the function leaves the gateway).
// Needs the language hosts built from source (FAASREG_LANGUAGES_BIN, ../shared/languages) besides the engine.
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { labSkipReason } from "../helpers/lab";
import { openfaasSwarmSkipReason } from "../helpers/openfaas";
import { PROJECT_ROOT, PulumiStack, pulumiSkipReason } from "../helpers/pulumi-cli";
import { containerSpec } from "../helpers/real-registry";
import { registrySkipReason } from "../helpers/registry-binary";
import { CACHE_DIR } from "../helpers/shared-binaries";
import { skipping } from "../helpers/skip";
import { evaluateStack } from "../helpers/stack";
import { type SwarmLab, startSwarmLab } from "../helpers/swarm-lab";
import { copyPackageProgram, prepareTypeScriptProgram, PROVIDER_DIR as PROVIDER } from "../helpers/package-project";
import { makeCertificate } from "../helpers/tls";

const PYTHON_SDK_VERSION = "3.248.0";

function languagesSkipReason(): string | undefined {
    const dir = process.env.FAASREG_LANGUAGES_BIN;
    if (dir === undefined || dir === "")
        return 'FAASREG_LANGUAGES_BIN is not set (the Python and YAML language hosts: export FAASREG_LANGUAGES_BIN="$(../shared/languages/unpack)")';
    const missing = ["pulumi-language-yaml", "pulumi-language-python", "pulumi-language-python-exec"].filter((b) => !existsSync(join(dir, b)));
    return missing.length > 0 ? `FAASREG_LANGUAGES_BIN=${dir} lacks ${missing.join(", ")}` : undefined;
}

const skip = skipping(
    "test/e2e/package-languages.test.ts",
    labSkipReason({ dockerd: true }),
    registrySkipReason(),
    openfaasSwarmSkipReason(),
    pulumiSkipReason(),
);
// YAML and Python need their language hosts; TypeScript runs on the engine's own Node.js host.
const skipOtherLanguages = skip ?? skipping("test/e2e/package-languages.test.ts (YAML, Python)", languagesSkipReason());

const HOST = "registry.package.test";
const REGISTRY_PASSWORD = "ci-Package-Pass:0123456789";
const GATEWAY_PASSWORD = "gw-Package-Pass-0123456789";

describe.skipIf(skip !== undefined)(
    "the faasreg package from TypeScript, Pulumi YAML and Python, through the real engine, on the real OpenFaaS for Swarm",
    () => {
        let env: SwarmLab;
        let image: string;

        /** The example copied into the lab, its `packages:` path made absolute. */
        const projectCopy = (language: string) =>
            copyPackageProgram(join(PROJECT_ROOT, "examples", "package", language), join(env.lab.dir, `example-${language}`));
        const stackFor = (language: string, project: string, extraEnv: NodeJS.ProcessEnv = {}) =>
            PulumiStack.init(
                env.lab,
                language,
                {
                    gatewayUrl: env.faas.url,
                    gatewayPassword: GATEWAY_PASSWORD,
                    registryServer: HOST,
                    registryUsername: "ci",
                    registryPassword: REGISTRY_PASSWORD,
                    image,
                },
                ["gatewayPassword", "registryPassword"],
                {
                    project,
                    env: {
                        PATH: `${process.env.FAASREG_LANGUAGES_BIN}:${process.env.FAASREG_PULUMI_BIN}:/usr/local/bin:/usr/bin:/bin`,
                        // The provider asks the registry why a pull fails; it trusts the registry's CA as Docker does.
                        NODE_EXTRA_CA_CERTS: env.caFile,
                        // The language hosts are found on PATH, as a user's are (the tests' home holds only the resource plugins).
                        PULUMI_IGNORE_AMBIENT_PLUGINS: "false",
                        ...extraEnv,
                    },
                },
            );
        const invoke = async (service: string) => {
            const r = await fetch(`${env.faas.hostUrl}/function/${service}`, { signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
            return r === undefined ? "no answer" : `${r.status} ${(await r.text()).trim()}`;
        };
        const onGateway = async (service: string) =>
            (
                await fetch(`${env.faas.hostUrl}/system/function/${service}`, {
                    headers: { authorization: `Basic ${Buffer.from(`admin:${GATEWAY_PASSWORD}`).toString("base64")}` },
                })
            ).status;
        const auth = Buffer.from(`ci:${REGISTRY_PASSWORD}`).toString("base64");
        const expectNoSecret = (text: string, where: string) => {
            for (const secret of [REGISTRY_PASSWORD, GATEWAY_PASSWORD, auth]) expect(text.includes(secret), `a secret in ${where}`).toBe(false);
        };

        /** up, the function answers; up --expect-no-changes; no secret in state or output; destroy, the function is gone. */
        const lifecycle = async (stack: PulumiStack, service: string, answer: string) => {
            const up = await stack.up();
            expect(up.status, up.out.slice(-4000)).toBe(0);
            expect(await invoke(service)).toBe(`200 ${answer}`);
            const again = await stack.run(["up", "--yes", "--expect-no-changes"]);
            expect(again.status, again.out.slice(-4000)).toBe(0);
            const state = await stack.exportState();
            expect(state).toContain('"type": "faasreg:index:Function"');
            expect(state).toContain("ciphertext");
            for (const [text, where] of [
                [state, "the state"],
                [up.out, "pulumi up's output"],
                [again.out, "the second up's output"],
            ])
                expectNoSecret(text, where);
            process.stderr.write(`package-languages: ${stack.name}: first up ${up.ms} ms, no-op up ${again.ms} ms\n`);
            const destroy = await stack.destroy();
            expect(destroy.status, destroy.out.slice(-4000)).toBe(0);
            expect(await onGateway(service)).toBe(404);
        };

        beforeAll(async () => {
            const tls = makeCertificate(HOST);
            const config = {
                "registry:host": HOST,
                "registry:tls": "certificate",
                "registry:certificate": tls.cert,
                "registry:privateKey": tls.key,
                "registry:users": JSON.stringify([{ username: "ci", password: REGISTRY_PASSWORD }]),
            };
            const secretKeys = ["registry:certificate", "registry:privateKey", "registry:users"];
            const stack = await evaluateStack(config, { secretKeys });
            env = await startSwarmLab({
                name: "package-languages",
                host: HOST,
                registrySpec: containerSpec(stack.recorded),
                certificate: tls.cert,
                user: "ci",
                registryPassword: REGISTRY_PASSWORD,
                gatewayPassword: GATEWAY_PASSWORD,
            });
            image = env.push("team/hello", "1", "hello from the package");
        }, 300_000);

        afterAll(async () => {
            await env?.stop();
        }, 60_000);

        it("TypeScript (examples/package/typescript, its SDK generated from the provider's schema): up, a second up with no changes, destroy; registryAuth and the passwords secret throughout", async () => {
            const project = projectCopy("typescript");
            const stack = await stackFor("typescript", project);
            // `pulumi package add` generates the SDK from the provider's schema; `npm install` links it beside @pulumi/pulumi.
            await prepareTypeScriptProgram(stack, project);
            // Bad input through the engine: the provider's check names the property and the fix, and nothing is created.
            await stack.setConfig({ image: "team/hello:1" });
            const bad = await stack.preview();
            expect(bad.status).not.toBe(0);
            expect(bad.out).toMatch(/image.*team\/hello:1.*registry\.package\.test/);
            expect(await onGateway("hello-typescript")).toBe(404);
            await stack.setConfig({ image });
            await lifecycle(stack, "hello-typescript", "hello from the package GREETING=hello from TypeScript");
        }, 600_000);

        it.skipIf(skipOtherLanguages !== undefined)(
            "Pulumi YAML (examples/package/yaml): up, a second up with no changes, destroy; registryAuth and the passwords secret throughout",
            async () => {
                const stack = await stackFor("yaml", projectCopy("yaml"));
                await lifecycle(stack, "hello-yaml", "hello from the package GREETING=hello from YAML");
            },
            600_000,
        );

        it.skipIf(skipOtherLanguages !== undefined)(
            "Python (examples/package/python, its SDK generated from the provider's schema): up, a second up with no changes, destroy",
            async () => {
                const project = projectCopy("python");
                // The program's virtualenv (Pulumi.yaml: virtualenv: venv), with Pulumi's SDK from PyPI; the package's SDK
                // generated from the provider's schema, as `pulumi package add` does, into sdks/python.
                symlinkSync(pythonVenv(), join(project, "venv"));
                const site = join(project, "site");
                const stack = await stackFor("python", project, { PYTHONPATH: site });
                const gen = await stack.spawnInLab(["pulumi", "package", "gen-sdk", PROVIDER, "--language", "python", "--out", join(project, "sdks")], {
                    cwd: project,
                });
                expect(gen.status, gen.out.slice(-4000)).toBe(0);
                // Installed (its version comes from its metadata), beside the program rather than into the shared virtualenv.
                // (With the virtualenv's setuptools: the lab has no network to fetch a build backend.)
                const pip = await stack.spawnInLab(
                    [
                        join(project, "venv", "bin", "pip"),
                        "install",
                        "-q",
                        "--no-deps",
                        "--no-build-isolation",
                        "--target",
                        site,
                        join(project, "sdks", "python"),
                    ],
                    { cwd: project },
                );
                expect(pip.status, pip.out.slice(-4000)).toBe(0);
                await lifecycle(stack, "hello-python", "hello from the package GREETING=hello from Python");
            },
            600_000,
        );
    },
);

/**
 * A virtualenv with Pulumi's Python SDK at the CLI's version (from PyPI), made once and kept in the tests' cache.
 * Made in place (a virtualenv cannot move: its scripts name their folder); `ready` marks a finished one.
 */
function pythonVenv(): string {
    const dir = join(CACHE_DIR, `python-pulumi-${PYTHON_SDK_VERSION}-2`);
    if (existsSync(join(dir, "ready"))) return dir;
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(CACHE_DIR, { recursive: true });
    for (const argv of [
        ["python3", "-m", "venv", dir],
        // parver and semver: what the generated SDK imports besides pulumi (its pyproject.toml's dependencies).
        // setuptools and wheel: the build backend of the generated SDK's pyproject.toml, installed without build isolation.
        [join(dir, "bin", "pip"), "install", "-q", `pulumi==${PYTHON_SDK_VERSION}`, "parver>=0.2.1", "semver>=2.8.1", "setuptools>=61", "wheel"],
    ]) {
        const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8" });
        if (r.status !== 0) throw new Error(`${argv.join(" ")} failed: ${r.stderr}`);
    }
    writeFileSync(join(dir, "ready"), "");
    return dir;
}
