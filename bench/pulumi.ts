// The real Pulumi engine's figures (FAASREG_PULUMI_BIN), in labs of their own:
//  - the dev stack (`registry:tls none` on the lab's engine): first `pulumi up`, and an `up` with nothing to do;
//  - `pulumi preview` of a fresh stack with 1, 20 and 50 functions (the engine's cost per function: preview
//    evaluates the program and checks every resource with its provider; nothing is created, so no gateway is
//    needed), interleaved over the rounds, CPU time (the CLI and every child) beside wall time;
//  - a no-op `pulumi up` of a stack with 1, 20 and 50 functions deployed on the real OpenFaaS for Swarm (the
//    stack's registry holding their image), the sizes one after another (each needs its first `up`), first with
//    the version before the package (its functions dynamic resources, from the repository's history; BENCH_BEFORE=COMMIT
//    another one), then this one;
//  - the same functions through the faasreg package (provider/, bench/package-functions), side by side: preview,
//    first up, no-op up and state bytes per function;
//  - a no-op `pulumi up` of the swarm-mode stack (3 replicas, the front, Redis).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { importFunctionImage } from "../test/helpers/function-image";
import { Lab } from "../test/helpers/lab";
import { openfaasSwarmSkipReason, startSwarmOpenFaas } from "../test/helpers/openfaas";
import { checkoutOldVersion, DYNAMIC_FUNCTIONS_VERSION, oldVersionSkipReason } from "../test/helpers/old-version";
import { copyPackageProgram, prepareTypeScriptProgram } from "../test/helpers/package-project";
import { type CliResult, PROJECT_ROOT, PulumiStack, pulumiSkipReason } from "../test/helpers/pulumi-cli";
import { registrySkipReason } from "../test/helpers/registry-binary";
import { importRegistryImage } from "../test/helpers/registry-image";
import { SECRET_KEYS, SwarmRegistryLab } from "../test/helpers/swarm-registry-lab";
import { makeCaSignedCertificate } from "../test/helpers/tls";
import { DEFAULT_REGISTRY_IMAGE } from "../components/registry/args";
import { median } from "./measure";
import { missing } from "../test/helpers/skip";

type Add = (figure: string, value: number, unit: string, goal?: string) => void;

/**
 * Runs a CLI command and returns wall and CPU time (the command and its children, from bash's `time`). With
 * `outputFile`, the command's output goes there (an event stream, say) instead of into the result.
 */
export async function timed(
    stack: PulumiStack,
    args: string[],
    options: { env?: NodeJS.ProcessEnv; outputFile?: string } = {},
): Promise<{ wall: number; cpu: number; r: CliResult }> {
    const { outputFile } = options;
    const script =
        outputFile === undefined ? 'TIMEFORMAT="cpu %U %S"; time pulumi "$@" 2>&1' : 'out="$1"; shift; TIMEFORMAT="cpu %U %S"; time pulumi "$@" > "$out" 2>&1';
    const r = await stack.spawnInLab(["/usr/bin/env", "bash", "-c", script, "_", ...(outputFile === undefined ? [] : [outputFile]), ...args], {
        env: options.env,
    });
    if (r.status !== 0) {
        const out = outputFile === undefined ? r.out : `${readFileSync(outputFile, "utf8")}${r.out}`;
        throw new Error(`pulumi ${args.join(" ")} failed:\n${out.slice(-3000)}`);
    }
    const m = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
    return { wall: r.ms, cpu: m === null ? Number.NaN : (Number(m[1]) + Number(m[2])) * 1000, r };
}

/** What `timed`'s CPU covers: the CLI and the processes it waits for (the language host, the program, the providers). */
const CLI_CPU = "CPU of pulumi, the language host, the program and the providers";

export const flags = (stack: PulumiStack) => ["--stack", stack.name, "--config-file", stack.configFile, "--non-interactive"];

/** Why the real engine's figures cannot be measured here (undefined when they can). */
export function pulumiBenchSkipReason(): string | undefined {
    return missing(pulumiSkipReason(), registrySkipReason());
}

export async function pulumiFigures(add: Add, runs: number): Promise<void> {
    await devStackFigures(add, runs);
    await previewFigures(add, runs);
    if (openfaasSwarmSkipReason() === undefined) await functionsNoOpFigures(add, runs);
    else process.stderr.write(`  no-op up with functions SKIPPED: ${openfaasSwarmSkipReason()}\n`);
    await swarmNoOpFigure(add, runs);
}

async function withLab<T>(name: string, body: (lab: Lab) => Promise<T>): Promise<T> {
    const lab = await Lab.start(name);
    try {
        return await body(lab);
    } finally {
        await lab.stop();
    }
}

async function devStackFigures(add: Add, runs: number): Promise<void> {
    const first: { wall: number; cpu: number }[] = [];
    const noop: { wall: number; cpu: number }[] = [];
    for (let round = 0; round < runs; round++) {
        await withLab("bench-pulumi-dev", async (lab) => {
            const docker = await lab.startDockerd();
            importRegistryImage(docker, lab.dir, DEFAULT_REGISTRY_IMAGE);
            const stack = await PulumiStack.init(lab, "dev", { "registry:tls": "none", "docker:host": docker.host });
            first.push(await timed(stack, ["up", "--yes", "--skip-preview", ...flags(stack)]));
            noop.push(await timed(stack, ["up", "--yes", "--expect-no-changes", ...flags(stack)]));
        });
    }
    add("pulumi up of the dev stack, first (real engine)", median(first.map((t) => t.wall)), "ms");
    add(`  ${CLI_CPU}`, median(first.map((t) => t.cpu)), "ms");
    add("pulumi up of the dev stack, nothing to do (preview + update)", median(noop.map((t) => t.wall)), "ms");
    add(`  ${CLI_CPU}`, median(noop.map((t) => t.cpu)), "ms");
}

async function previewFigures(add: Add, runs: number): Promise<void> {
    const sizes = [1, 20, 50];
    const wall = new Map<number, number[]>(sizes.map((n) => [n, []]));
    const cpu = new Map<number, number[]>(sizes.map((n) => [n, []]));
    await withLab("bench-pulumi-preview", async (lab) => {
        const docker = await lab.startDockerd();
        const stacks = new Map<number, PulumiStack>();
        for (const n of sizes) {
            const functions = Array.from({ length: n }, (_, i) => ({ service: `fn-${i}`, image: `team/fn-${i}:1`, envVars: { INDEX: String(i) } }));
            stacks.set(
                n,
                await PulumiStack.init(
                    lab,
                    `preview-${n}`,
                    {
                        "registry:tls": "none",
                        "docker:host": docker.host,
                        "faas:gateway": "http://127.0.0.1:8080",
                        "faas:password": "bench-gateway-password-0123",
                        "faas:functions": JSON.stringify(functions),
                    },
                    ["faas:password"],
                ),
            );
        }
        for (let round = 0; round < runs; round++) {
            for (const n of sizes) {
                const stack = stacks.get(n) as PulumiStack;
                const t = await timed(stack, ["preview", ...flags(stack)]);
                wall.get(n)?.push(t.wall);
                cpu.get(n)?.push(t.cpu);
            }
        }
    });
    for (const n of sizes) {
        add(`pulumi preview, fresh stack, ${n} function(s)`, median(wall.get(n) as number[]), "ms");
        add(`  ${CLI_CPU}`, median(cpu.get(n) as number[]), "ms");
    }
    const perFunction = (m: Map<number, number[]>) => (median(m.get(50) as number[]) - median(m.get(1) as number[])) / 49;
    add("pulumi preview: engine cost per function (1 -> 50), wall", perFunction(wall), "ms/function");
    add("pulumi preview: engine cost per function (1 -> 50), CPU", perFunction(cpu), "ms/function");
}

/**
 * A no-op `pulumi up` (preview, then an update with nothing to do) of one stack with 1, then 20, then 50
 * functions on the real gateway + faas-swarm, after an `up` deployed them. Its images are in the stack's registry
 * (certificate mode, in the lab), pulled by Swarm with registryAuth.
 */
export async function functionsNoOpFigures(add: Add, runs: number): Promise<void> {
    const host = "registry.bench-functions.test";
    const labAddress = "10.199.0.1";
    const certificate = makeCaSignedCertificate([host]);
    const password = "bench-Registry-Pass-0123456789";
    await withLab("bench-pulumi-functions", async (lab) => {
        lab.addHost(labAddress, host);
        const docker = await lab.startDockerd({ swarm: true });
        lab.writeFile(`/etc/docker/certs.d/${host}/ca.crt`, certificate.ca);
        importRegistryImage(docker, lab.dir, DEFAULT_REGISTRY_IMAGE);
        const faas = await startSwarmOpenFaas(lab, docker, { password: "bench-Gateway-Pass-0123", hosts: { [host]: labAddress } });
        const secretKeys = ["registry:users", "registry:certificate", "registry:privateKey", "faas:password"];
        /** The stack of `project` (this checkout, or an older version): its registry, then 1, 20, 50 functions; rows prefixed with `prefix`. */
        const stackFigures = async (name: string, prefix: string, project?: string): Promise<PulumiStack> => {
            const stack = await PulumiStack.init(
                lab,
                name,
                {
                    "registry:tls": "certificate",
                    "registry:host": host,
                    "registry:certificate": `${certificate.cert}${certificate.ca}`,
                    "registry:privateKey": certificate.key,
                    "registry:users": JSON.stringify([{ username: "ci", password }]),
                    "docker:host": docker.host,
                    "faas:gateway": faas.url,
                    "faas:password": "bench-Gateway-Pass-0123",
                },
                secretKeys,
                { project },
            );
            await timed(stack, ["up", "--yes", "--skip-preview", ...flags(stack)]);
            docker.must(["login", host, "-u", "ci", "--password-stdin"], password);
            importFunctionImage(docker, lab.dir, `${host}/team/fn:1`, "bench");
            docker.must(["push", `${host}/team/fn:1`]);
            const noop = new Map<number, { wall: number; cpu: number }>();
            const stateBytes = new Map<number, number>();
            const preview = new Map<number, number>();
            for (const n of [1, 20, 50]) {
                const functions = Array.from({ length: n }, (_, i) => ({ service: `fn-${i}`, image: "team/fn:1", envVars: { INDEX: String(i) } }));
                await stack.setConfig({ "faas:functions": JSON.stringify(functions) });
                const { previews, previewsCpu, deployed, wall, cpu } = await previewUpNoOp(stack, runs);
                add(`${prefix}pulumi preview of ${n} new function(s) (${n === 1 ? 0 : n === 20 ? 1 : 20} deployed)`, median(previews), "ms");
                add(`  ${CLI_CPU}`, median(previewsCpu), "ms");
                preview.set(n, median(previews));
                add(`${prefix}pulumi up deploying ${n} function(s) on the real OpenFaaS (from ${n === 1 ? 0 : n === 20 ? 1 : 20})`, deployed.wall, "ms");
                add(`  ${CLI_CPU}`, deployed.cpu, "ms");
                add(`${prefix}pulumi up with nothing to do, ${n} function(s)`, median(wall), "ms");
                add(`${prefix}pulumi up with nothing to do, ${n} function(s), CPU of every process`, median(cpu), "ms");
                noop.set(n, { wall: median(wall), cpu: median(cpu) });
                stateBytes.set(n, (await stack.exportState()).length);
            }
            const [one, fifty] = [noop.get(1), noop.get(50)] as { wall: number; cpu: number }[];
            add(`${prefix}pulumi up with nothing to do: engine cost per function (1 -> 50), wall`, (fifty.wall - one.wall) / 49, "ms/function");
            add(`${prefix}pulumi up with nothing to do: engine cost per function (1 -> 50), CPU`, (fifty.cpu - one.cpu) / 49, "ms/function");
            add(`${prefix}pulumi preview of new functions: cost per function (1 -> 50)`, (preview.get(50)! - preview.get(1)!) / 49, "ms/function");
            add(`${prefix}state bytes per function, the stack (1 -> 50)`, (stateBytes.get(50)! - stateBytes.get(1)!) / 49, "bytes/function");
            return stack;
        };
        // Before: the version whose functions were dynamic resources (from this repository's history), taken down after.
        // BENCH_BEFORE=COMMIT compares with another version of this repository's history instead.
        const beforeVersion = process.env.BENCH_BEFORE ?? DYNAMIC_FUNCTIONS_VERSION;
        if (oldVersionSkipReason(beforeVersion) === undefined) {
            const label = process.env.BENCH_BEFORE === undefined ? "before the package (dynamic resource): " : `version ${beforeVersion}: `;
            const before = await stackFigures("fns-before", label, checkoutOldVersion(join(lab.dir, "old-version"), beforeVersion));
            await timed(before, ["destroy", "--yes", "--skip-preview", ...flags(before)]);
        } else process.stderr.write(`  the version before SKIPPED: ${oldVersionSkipReason(beforeVersion)}\n`);
        const stack = await stackFigures("fns", "");
        // The same functions through the faasreg package (provider/), on the same gateway and registry, the stack's taken off first.
        await stack.setConfig({ "faas:functions": "[]" });
        await timed(stack, ["up", "--yes", "--skip-preview", ...flags(stack)]);
        await packageFigures(add, runs, lab, { gateway: faas.url, gatewayPassword: "bench-Gateway-Pass-0123", registry: host, password });
    });
}

/** `runs` previews of the stack's new declaration, the up that deploys it, then `runs` no-op ups (wall and CPU). */
async function previewUpNoOp(
    stack: PulumiStack,
    runs: number,
): Promise<{ previews: number[]; previewsCpu: number[]; deployed: { wall: number; cpu: number }; wall: number[]; cpu: number[] }> {
    const previews: number[] = [];
    const previewsCpu: number[] = [];
    for (let round = 0; round < runs; round++) {
        const t = await timed(stack, ["preview", ...flags(stack)]);
        previews.push(t.wall);
        previewsCpu.push(t.cpu);
    }
    const deployed = await timed(stack, ["up", "--yes", "--skip-preview", ...flags(stack)]);
    const wall: number[] = [];
    const cpu: number[] = [];
    for (let round = 0; round < runs; round++) {
        const t = await timed(stack, ["up", "--yes", "--expect-no-changes", ...flags(stack)]);
        wall.push(t.wall);
        cpu.push(t.cpu);
    }
    return { previews, previewsCpu, deployed, wall, cpu };
}

/**
 * The figures above for functions declared through the faasreg package (bench/package-functions, TypeScript): a
 * fresh preview, the first up, a no-op up and the state's size at 1, 20 and 50 functions, per function.
 */
async function packageFigures(
    add: Add,
    runs: number,
    lab: Lab,
    target: { gateway: string; gatewayPassword: string; registry: string; password: string },
): Promise<void> {
    const project = copyPackageProgram(join(PROJECT_ROOT, "bench", "package-functions"), join(lab.dir, "package-functions"));
    const stack = await PulumiStack.init(
        lab,
        "pkg",
        {
            gatewayUrl: target.gateway,
            gatewayPassword: target.gatewayPassword,
            registryServer: target.registry,
            registryUsername: "ci",
            registryPassword: target.password,
            image: `${target.registry}/team/fn:1`,
            count: "1",
        },
        ["gatewayPassword", "registryPassword"],
        { project },
    );
    await prepareTypeScriptProgram(stack, project);
    const preview = new Map<number, number>();
    const noop = new Map<number, { wall: number; cpu: number }>();
    const bytes = new Map<number, number>();
    for (const n of [1, 20, 50]) {
        await stack.setConfig({ count: String(n) });
        const { previews, previewsCpu, deployed, wall, cpu } = await previewUpNoOp(stack, runs);
        add(`package: pulumi preview of ${n} new function(s) (${n === 1 ? 0 : n === 20 ? 1 : 20} deployed)`, median(previews), "ms");
        add(`  ${CLI_CPU}`, median(previewsCpu), "ms");
        add(`package: pulumi up deploying ${n} function(s) on the real OpenFaaS (from ${n === 1 ? 0 : n === 20 ? 1 : 20})`, deployed.wall, "ms");
        add(`  ${CLI_CPU}`, deployed.cpu, "ms");
        add(`package: pulumi up with nothing to do, ${n} function(s)`, median(wall), "ms");
        add(`package: pulumi up with nothing to do, ${n} function(s), CPU of every process`, median(cpu), "ms");
        preview.set(n, median(previews));
        noop.set(n, { wall: median(wall), cpu: median(cpu) });
        bytes.set(n, (await stack.exportState()).length);
    }
    const slope = (m: Map<number, number>) => (m.get(50)! - m.get(1)!) / 49;
    add("package: pulumi preview of new functions: cost per function (1 -> 50)", slope(preview), "ms/function");
    add("package: pulumi up with nothing to do: cost per function (1 -> 50), wall", slope(new Map([...noop].map(([k, v]) => [k, v.wall]))), "ms/function");
    add("package: pulumi up with nothing to do: cost per function (1 -> 50), CPU", slope(new Map([...noop].map(([k, v]) => [k, v.cpu]))), "ms/function");
    add("package: state bytes per function (1 -> 50)", slope(bytes), "bytes/function");
    await stack.destroy();
}

async function swarmNoOpFigure(add: Add, runs: number): Promise<void> {
    const host = "registry.bench-swarm.test";
    const swarm = await SwarmRegistryLab.start("bench-pulumi-swarm", host);
    try {
        const certificate = makeCaSignedCertificate([host]);
        const stack = await PulumiStack.init(swarm.lab, "sw", swarm.certificateConfig(certificate), SECRET_KEYS);
        const first = await timed(stack, ["up", "--yes", "--skip-preview", ...flags(stack)]);
        const noop: { wall: number; cpu: number }[] = [];
        for (let round = 0; round < runs; round++) noop.push(await timed(stack, ["up", "--yes", "--expect-no-changes", ...flags(stack)]));
        add("pulumi up of the swarm-mode stack (3 replicas, front, Redis), first", first.wall, "ms");
        add(`  ${CLI_CPU}`, first.cpu, "ms");
        add("pulumi up of the swarm-mode stack, nothing to do", median(noop.map((t) => t.wall)), "ms");
        add(`  ${CLI_CPU}`, median(noop.map((t) => t.cpu)), "ms");
    } finally {
        await swarm.stop();
    }
}
