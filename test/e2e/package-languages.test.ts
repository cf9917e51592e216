// The faasreg package (provider/) consumed for real from TypeScript, Pulumi YAML and Python, the examples of the
// README (examples/package/*), by the real engine: each program declares a registry (the package's component, a
// container on the lab's Docker engine, a given certificate, htpasswd) and a function whose image lives in it, on
// the real OpenFaaS gateway + faas-swarm. For each language: a first `pulumi up` without the function (the
// registry answers), the image pushed there by the registry's user, `pulumi up` (the function answers: Swarm
// pulled the private image with the registry's registryAuth output), a second `up --expect-no-changes`, the
// secrets kept secret in state and output, `destroy` (the function leaves the gateway, the registry its engine).
// Needs the language hosts built from source (FAASREG_LANGUAGES_BIN, ../shared/languages) besides the engine.
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { labSkipReason } from "../helpers/lab";
import { openfaasSwarmSkipReason } from "../helpers/openfaas";
import { changedResources, PROJECT_ROOT, PulumiStack, pulumiSkipReason } from "../helpers/pulumi-cli";
import { containerSpec } from "../helpers/real-registry";
import { registrySkipReason } from "../helpers/registry-binary";
import { CACHE_DIR } from "../helpers/shared-binaries";
import { skipping } from "../helpers/skip";
import { evaluateStack } from "../helpers/stack";
import { importFunctionImage } from "../helpers/function-image";
import { ImageSource } from "../helpers/image-source";
import { importRegistryImage } from "../helpers/registry-image";
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
const ROTATED_PASSWORD = "ci-Rotated-Pass:9876543210";

describe.skipIf(skip !== undefined)(
    "the faasreg package from TypeScript, Pulumi YAML and Python, through the real engine, on the real OpenFaaS for Swarm",
    () => {
        let env: SwarmLab;
        let registryImage: string;
        const tls = makeCertificate(HOST);
        /** Each language's registry on a port of its own (the lab's registry, which the test itself uses, has 443). */
        const ports: Record<string, number> = { typescript: 5443, yaml: 5444, python: 5445 };

        /** The example copied into the lab, its `packages:` path made absolute. */
        const projectCopy = (language: string) =>
            copyPackageProgram(join(PROJECT_ROOT, "examples", "package", language), join(env.lab.dir, `example-${language}`));
        const stackFor = (language: string, project: string, extraEnv: NodeJS.ProcessEnv = {}) =>
            PulumiStack.init(
                env.lab,
                language,
                {
                    // Python names the registry's Docker host in the component's docker input; the others in docker:host.
                    [language === "python" ? "dockerHost" : "docker:host"]: env.docker.host,
                    registryHost: HOST,
                    registryHttpsPort: String(ports[language]),
                    registryImage,
                    certificate: tls.cert,
                    privateKey: tls.key,
                    registryPassword: REGISTRY_PASSWORD,
                    gatewayUrl: env.faas.url,
                    gatewayPassword: GATEWAY_PASSWORD,
                    image: "team/hello:1",
                },
                ["gatewayPassword", "registryPassword", "privateKey"],
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
        const keyLine = tls.key.split("\n")[1];
        const expectNoSecret = (text: string, where: string) => {
            for (const secret of [REGISTRY_PASSWORD, GATEWAY_PASSWORD, auth, keyLine]) expect(text.includes(secret), `a secret in ${where}`).toBe(false);
        };

        /** The lab's containers made by this language's stack (the registry's is named after its project and stack). */
        const containers = (language: string) =>
            env.docker
                .must(["ps", "-a", "--format", "{{.Names}}"])
                .split("\n")
                .filter((n) => n.includes(`-${language}-registry`));

        /**
         * A password rotation through the package: the htpasswd is rewritten in the running container (the container is not
         * replaced), the function is redeployed with the new registryAuth; the new password logs in, the old one no longer does.
         */
        const rotation = async (stack: PulumiStack, language: string, server: string, service: string, answer: string) => {
            const id = () => env.docker.must(["ps", "-q", "--no-trunc", "--filter", `name=-${language}-registry`]).trim();
            const before = id();
            await stack.setConfig({ registryPassword: ROTATED_PASSWORD }, ["registryPassword"]);
            const preview = await stack.preview(["--diff"]);
            expect(preview.status, preview.out.slice(-4000)).toBe(0);
            // The htpasswd is updated in place, the readiness gate runs again, the function is redeployed: the container stays.
            expect(preview.out).toMatch(/faasreg:registry:ContainerFile: \(update\)/);
            expect(changedResources(await stack.preview(["--json"]))).toEqual(["hello", "registry-htpasswd", "registry-ready"]);
            expectNoSecret(preview.out, "pulumi preview --diff of the rotation");
            expect(preview.out.includes(ROTATED_PASSWORD), "the new password in the preview").toBe(false);
            const up = await stack.up();
            expect(up.status, up.out.slice(-4000)).toBe(0);
            expect(up.out.includes(ROTATED_PASSWORD), "the new password in pulumi up's output").toBe(false);
            expect(id()).toBe(before);
            expect(env.docker.must(["login", server, "-u", "ci", "--password-stdin"], ROTATED_PASSWORD)).toMatch(/Login Succeeded/);
            expect(env.docker.cli(["login", server, "-u", "ci", "--password-stdin"], REGISTRY_PASSWORD).status).not.toBe(0);
            expect(await invoke(service)).toBe(`200 ${answer}`);
            // The new password, and the registryAuth made of it, are ciphertext in state too.
            const state = await stack.exportState();
            for (const secret of [ROTATED_PASSWORD, Buffer.from(`ci:${ROTATED_PASSWORD}`).toString("base64")])
                expect(state.includes(secret), "the rotated password in the state").toBe(false);
            process.stderr.write(`package-languages: ${stack.name}: rotation up ${up.ms} ms, container ${before.slice(0, 12)} kept\n`);
        };

        /**
         * up without the function (the registry answers); the image pushed; up (the function answers); up --expect-no-changes;
         * no secret in state or output; destroy (the function and the registry's container are gone).
         */
        const lifecycle = async (stack: PulumiStack, language: string, service: string, answer: string, rotate = false) => {
            const server = `${HOST}:${ports[language]}`;
            // The first time, the registry alone: the function's image is pushed there once it answers.
            const first = await stack.up(["--exclude", "**faasreg:index:Function**"]);
            expect(first.status, first.out.slice(-4000)).toBe(0);
            expect(first.out).toMatch(/registry ready at https:\/\/registry\.package\.test:\d+\/v2\/: 401 without credentials, 200 with them/);
            expect(await stack.output("registryServer")).toBe(server);
            // Docker trusts the registry's certificate as a user's engine does (certs.d), and logs in as the registry's user.
            env.lab.writeFile(`/etc/docker/certs.d/${server}/ca.crt`, tls.cert);
            env.docker.must(["login", server, "-u", "ci", "--password-stdin"], REGISTRY_PASSWORD);
            importFunctionImage(env.docker, env.lab.dir, `${server}/team/hello:1`, "hello from the package");
            env.docker.must(["push", `${server}/team/hello:1`]);
            env.docker.must(["rmi", "-f", `${server}/team/hello:1`]);
            const up = await stack.up();
            expect(up.status, up.out.slice(-4000)).toBe(0);
            expect(await invoke(service)).toBe(`200 ${answer}`);
            const again = await stack.run(["up", "--yes", "--expect-no-changes"]);
            expect(again.status, again.out.slice(-4000)).toBe(0);
            // A refresh reads the registry's container, its htpasswd (the provider's ContainerFile) and the function back: no drift.
            const refresh = await stack.refresh(["--expect-no-changes"]);
            expect(refresh.status, refresh.out.slice(-4000)).toBe(0);
            const state = await stack.exportState();
            for (const type of [
                "faasreg:index:Function",
                "faasreg:registry:PrivateRegistry",
                "faasreg:registry:ContainerFile",
                "docker:index/container:Container",
            ])
                expect(state).toContain(`"type": "${type}"`);
            expect(state).toContain("ciphertext");
            for (const [text, where] of [
                [state, "the state"],
                [first.out, "the first pulumi up's output"],
                [up.out, "pulumi up's output"],
                [again.out, "the second up's output"],
                [refresh.out, "pulumi refresh's output"],
            ])
                expectNoSecret(text, where);
            if (rotate) await rotation(stack, language, server, service, answer);
            process.stderr.write(`package-languages: ${stack.name}: registry up ${first.ms} ms, function up ${up.ms} ms, no-op up ${again.ms} ms\n`);
            expect(containers(language)).toHaveLength(1);
            const destroy = await stack.destroy();
            expect(destroy.status, destroy.out.slice(-4000)).toBe(0);
            expect(await onGateway(service)).toBe(404);
            expect(containers(language)).toEqual([]);
        };

        beforeAll(async () => {
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
            // The registry image the programs' registries run, pulled from a registry in the lab as registry:3.1.2 is from Docker Hub.
            const source = await ImageSource.start(env.lab, env.docker);
            importRegistryImage(env.docker, env.lab.dir, "faasreg-test/registry:3");
            registryImage = source.publish("faasreg-test/registry:3").ref;
        }, 300_000);

        afterAll(async () => {
            await env?.stop();
        }, 60_000);

        it("TypeScript (examples/package/typescript, its SDK generated from the provider's schema): the registry, then a function from it; no change on a second up or a refresh; a password rotation keeps the container; destroy; the secrets secret throughout", async () => {
            const project = projectCopy("typescript");
            const stack = await stackFor("typescript", project);
            // `pulumi package add` generates the SDK from the provider's schema; `npm install` links it beside @pulumi/pulumi.
            await prepareTypeScriptProgram(stack, project);
            // Bad input through the engine: the component names the property and the fix, and nothing is created.
            await stack.setConfig({ registryHost: `${HOST}:5443` });
            const bad = await stack.up();
            expect(bad.status).not.toBe(0);
            expect(bad.out).toMatch(/host.*"registry\.package\.test:5443" is not a bare host name/);
            expect(containers("typescript")).toEqual([]);
            await stack.setConfig({ registryHost: HOST });
            await lifecycle(stack, "typescript", "hello-typescript", "hello from the package GREETING=hello from TypeScript", true);
        }, 600_000);

        it.skipIf(skipOtherLanguages !== undefined)(
            "Pulumi YAML (examples/package/yaml): the registry, then a function from it; no change on a second up or a refresh; destroy; the secrets secret throughout",
            async () => {
                const stack = await stackFor("yaml", projectCopy("yaml"));
                await lifecycle(stack, "yaml", "hello-yaml", "hello from the package GREETING=hello from YAML");
            },
            600_000,
        );

        it.skipIf(skipOtherLanguages !== undefined)(
            "Python (examples/package/python, its SDK generated from the provider's schema): the registry, then a function from it; no change on a second up or a refresh; destroy; the secrets secret throughout",
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
                await lifecycle(stack, "python", "hello-python", "hello from the package GREETING=hello from Python");
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
