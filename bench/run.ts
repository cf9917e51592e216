// npm run bench: every figure the issues ask for, as medians over several runs, printed as one table
// and written to bench/results.json (git-ignored) so two runs can be compared.
//  - registry auth overhead on the REAL registry at the default bcrypt cost and at cost 10, against an
//    unauthenticated request, and a 20 MB layer pushed and pulled: distribution v3 (the version deployed,
//    FAASREG_REGISTRY_BIN) and Debian's 2.8 side by side, in one run;
//  - bcryptjs hashing time for one user;
//  - wall time of 1 vs 50 concurrent function creates, the test gateway adding 50 ms per request;
//  - time to evaluate the stack under mocks with 1, 50 and 200 functions;
//  - our provider vs the platform itself on the real OpenFaaS for Swarm, fast and slow deploys (bench/openfaas.ts);
//  - registry:mode swarm: 20 MB push/pull through 1 vs 3 replicas, pulls lost in a rolling update (bench/registry-swarm.ts);
//  - the real Pulumi engine: the dev stack's up, preview of 1/20/50 functions, a no-op up in swarm mode (bench/pulumi.ts).
//  - a Swarm of three nodes: 20 MB push/pull with 1 vs 3 replicas, shared path vs S3 (MinIO), a worker lost;
//  - the data path: a 100 MB blob straight to one registry, through the Swarm front, through a layer-4 front
//    (HAProxy, when installed), and the TLS limit (bench/data-path.ts).
//  - a fresh `pulumi up` of the registry and 20 functions built from source, to the first and the last function
//    answering, and where the time went (bench/fresh-stack.ts).
// BENCH_ONLY=registry | local | openfaas | faasd | swarm | data | nodes | eval | pulumi | package | fresh: those rows only.
// Every wall time has a CPU time beside it: of the process that did the work, of the CLI and its plugins, or of the
// whole machine (bench/measure.ts machineCpuMs) where the work is spread over a lab's processes and the kernel.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type FunctionInputs, functionProvider } from "../components/faas/provider";
import { DEFAULT_BCRYPT_COST } from "../components/registry/args";
import { renderHtpasswd } from "../components/registry/htpasswd";
import { CONTAINER_PATHS, renderRegistryConfig } from "../components/registry/registry-config";
import { FakeGateway } from "../test/helpers/fake-gateway";
import { dataPathFigures } from "./data-path";
import { freshStackFigures, freshStackSkipReason } from "./fresh-stack";
import { faasdBenchSkipReason, faasdFigures, openfaasFigures, openfaasSkipReason } from "./openfaas";
import { functionsNoOpFigures, pulumiBenchSkipReason, pulumiFigures } from "./pulumi";
import { registrySwarmFigures, registrySwarmNodesFigures, registrySwarmSkipReason } from "./registry-swarm";
import { minioSkipReason } from "../test/helpers/minio";
import { openfaasSwarmSkipReason } from "../test/helpers/openfaas";
import { missing } from "../test/helpers/skip";
import { PROVIDER_DIR } from "../test/helpers/package-project";
import { faasregProvider } from "../provider/index";
import { FUNCTION_TOKEN } from "../provider/schema";
import { pulumiHome, pulumiSkipReason } from "../test/helpers/pulumi-cli";
import { request } from "../test/helpers/http";
import { startRealRegistry } from "../test/helpers/real-registry";
import { type RegistryVersion, registrySkipReason } from "../test/helpers/registry-binary";
import { RegistryClient } from "../test/helpers/registry-client";
import { useSharedBinaries } from "../test/helpers/shared-binaries";
import { median, processCpuMs, timed, timedInProcess } from "./measure";

const PASSWORD = "bench-password-0123456789-abcdefgh";
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 60);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

function registrySpec(cost: number) {
    return {
        command: [CONTAINER_PATHS.config],
        volumes: [{ containerPath: CONTAINER_PATHS.data }],
        uploads: [
            {
                file: CONTAINER_PATHS.config,
                content: renderRegistryConfig({ tls: { mode: "none" }, port: 5000, httpSecret: "bench-http-secret", realm: "bench" }),
            },
            { file: CONTAINER_PATHS.htpasswd, content: renderHtpasswd("bench-key", [{ username: "bench", password: PASSWORD }], cost) },
        ],
    };
}

/** Medians of the wall time per request, and the registry process's CPU per request (its total over every request). */
async function registryLatency(
    cost: number,
    version: RegistryVersion,
): Promise<{ unauthenticated: number; authenticated: number; cpuUnauthenticated: number; cpuAuthenticated: number }> {
    const registry = await startRealRegistry(registrySpec(cost), { version });
    const registryCpu = () => processCpuMs((c) => c.includes(registry.root));
    const cpu = { unauthenticated: 0, authenticated: 0 };
    try {
        const url = `http://127.0.0.1:${registry.port}/v2/`;
        const sample = async (auth?: [string, string]) => {
            const before = registryCpu();
            const xs: number[] = [];
            for (let i = 0; i < REQUESTS; i++) {
                xs.push(
                    await timed(async () => {
                        const res = await request(url, { auth });
                        if (res.status !== (auth ? 200 : 401)) throw new Error(`unexpected ${res.status}`);
                    }),
                );
            }
            cpu[auth ? "authenticated" : "unauthenticated"] += registryCpu() - before;
            return median(xs.slice(5)); // the first requests warm up connections and caches
        };
        // Interleave the two kinds so drift of the machine affects both alike.
        const unauth: number[] = [];
        const auth: number[] = [];
        for (let r = 0; r < RUNS; r++) {
            unauth.push(await sample());
            auth.push(await sample(["bench", PASSWORD]));
        }
        const requests = REQUESTS * RUNS;
        return {
            unauthenticated: median(unauth),
            authenticated: median(auth),
            cpuUnauthenticated: cpu.unauthenticated / requests,
            cpuAuthenticated: cpu.authenticated / requests,
        };
    } finally {
        await registry.stop();
        registry.remove();
    }
}

/** Push and pull of one 20 MB layer (random bytes: nothing compresses), medians over RUNS, each a new repository. */
type Moved = { wall: number; registryCpu: number; clientCpu: number };
async function transfer(version: RegistryVersion): Promise<{ push: Moved; pull: Moved }> {
    const registry = await startRealRegistry(registrySpec(DEFAULT_BCRYPT_COST), { version });
    const registryCpu = () => processCpuMs((c) => c.includes(registry.root));
    /** Wall time, the registry's CPU and this process's (the client's) CPU of one step. */
    const step = async (f: () => Promise<unknown>) => {
        const before = registryCpu();
        const t = await timedInProcess(f);
        return { wall: t.wall, clientCpu: t.cpu, registryCpu: registryCpu() - before };
    };
    const medians = (xs: Moved[]): Moved => ({
        wall: median(xs.map((x) => x.wall)),
        registryCpu: median(xs.map((x) => x.registryCpu)),
        clientCpu: median(xs.map((x) => x.clientCpu)),
    });
    try {
        const client = new RegistryClient(`http://127.0.0.1:${registry.port}`, ["bench", PASSWORD]);
        const push: Moved[] = [];
        const pull: Moved[] = [];
        for (let r = 0; r < RUNS; r++) {
            const layer = randomBytes(20 * 1024 * 1024);
            let digest = "";
            push.push(await step(async () => (digest = await client.pushBlob(`bench/layer-${r}`, layer))));
            pull.push(
                await step(async () => {
                    const res = await client.getBlob(`bench/layer-${r}`, digest);
                    if (res.status !== 200 || res.body.length !== layer.length) throw new Error(`pull: ${res.status}`);
                }),
            );
        }
        return { push: medians(push), pull: medians(pull) };
    } finally {
        await registry.stop();
        registry.remove();
    }
}

/** Median wall time of one hash, and the CPU per hash (this process, over all of them). */
function hashTime(cost: number): { wall: number; cpu: number } {
    const xs: number[] = [];
    const n = cost >= 10 ? 3 : 15;
    const cpu = process.cpuUsage();
    for (let i = 0; i < n; i++) {
        const t = performance.now();
        renderHtpasswd(`key-${i}`, [{ username: "bench", password: PASSWORD }], cost);
        xs.push(performance.now() - t);
    }
    const used = process.cpuUsage(cpu);
    return { wall: median(xs), cpu: (used.user + used.system) / 1000 / n };
}

/** Medians of the wall time and of this process's CPU (our provider and the test double, both in it). */
async function createFunctions(n: number): Promise<{ wall: number; cpu: number }> {
    const gateway = await new FakeGateway({ latencyMs: 50 }).start();
    try {
        const runs: { wall: number; cpu: number }[] = [];
        for (let r = 0; r < RUNS; r++) {
            gateway.functions.clear();
            const inputs = (i: number): FunctionInputs => ({
                gateway: { url: gateway.url, username: "admin" },
                gatewayPassword: gateway.options.password,
                service: `fn-${i}`,
                image: `registry.example.com/team/fn-${i}:1`,
                registryAuth: Buffer.from(`ci:${PASSWORD}`).toString("base64"),
                settings: { owner: "bench/bench", readiness: { enabled: true, timeoutSeconds: 30 } },
            });
            runs.push(await timedInProcess(() => Promise.all(Array.from({ length: n }, (_, i) => functionProvider.create(inputs(i))))));
        }
        return { wall: median(runs.map((r) => r.wall)), cpu: median(runs.map((r) => r.cpu)) };
    } finally {
        await gateway.stop();
    }
}

/**
 * Our part of the engine's cost per function in a preview or a no-op up: the functions' provider's check() and diff()
 * of one function (what the faasreg provider runs for each, provider/), in process, no gateway involved. Microseconds.
 */
async function checkDiffRows(add: (figure: string, value: number, unit: string) => void): Promise<void> {
    const urn = `urn:pulumi:bench::faas-registry::faasreg:faas:Function$${FUNCTION_TOKEN}::fn-1-deployment`;
    const inputs = {
        gatewayUrl: "https://gateway.example.com",
        gatewayPassword: "bench-gateway-password",
        service: "fn-1",
        image: "registry.example.com/team/fn-1:1",
        network: "func_functions",
        envVars: { INDEX: "1" },
        registryAuth: Buffer.from(`ci:${PASSWORD}`).toString("base64"),
        registryServer: "registry.example.com",
    };
    const checked = (await faasregProvider.check!(urn, {}, inputs)).inputs as Record<string, unknown>;
    const outs = { ...checked, url: "https://gateway.example.com/function/fn-1", replicas: 1, availableReplicas: 1, reportedImage: inputs.image };
    /** Medians over 5 rounds of 2000 calls: wall and CPU (this process) per call, in µs. */
    const per = async (f: () => Promise<unknown>) => {
        const xs: { wall: number; cpu: number }[] = [];
        for (let r = 0; r < 5; r++) {
            const t = await timedInProcess(async () => {
                for (let i = 0; i < 2000; i++) await f();
            });
            xs.push({ wall: (t.wall * 1000) / 2000, cpu: (t.cpu * 1000) / 2000 });
        }
        return { wall: median(xs.map((x) => x.wall)), cpu: median(xs.map((x) => x.cpu)) };
    };
    const check = await per(() => faasregProvider.check!(urn, checked, inputs));
    const diff = await per(() => faasregProvider.diff!("fn-1", urn, outs, checked));
    add("our provider's check() of one function, in process", check.wall, "us");
    add("  CPU of that check()", check.cpu, "us");
    add("our provider's diff() of one function, in process", diff.wall, "us");
    add("  CPU of that diff()", diff.cpu, "us");
}

/** What runs in this process alone: bcryptjs, and our provider creating functions on the test gateway. */
async function localRows(add: (figure: string, value: number, unit: string, goal?: string) => void): Promise<void> {
    for (const cost of [DEFAULT_BCRYPT_COST, 10]) {
        const hash = hashTime(cost);
        add(`bcryptjs hash of one user, cost ${cost}`, hash.wall, "ms");
        add("  CPU per hash (the mean over them, the first one's warm-up in it)", hash.cpu, "ms");
    }
    const one = await createFunctions(1);
    const fifty = await createFunctions(50);
    add("create 1 function (gateway +50 ms/request)", one.wall, "ms");
    add("  CPU of our provider and the test gateway", one.cpu, "ms");
    add("create 50 functions concurrently (gateway +50 ms/request)", fifty.wall, "ms");
    add("  CPU of our provider and the test gateway", fifty.cpu, "ms");
    add("50 creates / 1 create", fifty.wall / one.wall, "x", "<= 3");
}

/**
 * Stack evaluations are the noisiest figures (a fresh process each, on a machine whose speed varies by
 * the minute): more runs, one warm-up, and the sizes interleaved round by round so that a slow spell
 * slows all of them alike instead of one.
 */
const EVAL_RUNS = Math.max(RUNS, 9);

/** Medians of EVAL_RUNS evaluations (after one warm-up) at each size, each in a fresh process: `script` (a file of bench/ and its arguments) gets the size last. */
function evaluateStacks(
    sizes: number[],
    sourceMaps: boolean,
    script: string[] = ["evaluate-stack.ts"],
    env: NodeJS.ProcessEnv = {},
): Map<number, { wall: number; cpu: number }> {
    const samples = new Map(sizes.map((n) => [n, { wall: [] as number[], cpu: [] as number[] }]));
    for (let r = -1; r < EVAL_RUNS; r++) {
        for (const n of sizes) {
            const out = execFileSync(process.execPath, ["--import", "tsx", join(__dirname, script[0]), ...script.slice(1), String(n)], {
                encoding: "utf8",
                env: { ...process.env, ...env, BENCH_SOURCE_MAPS: String(sourceMaps) },
            });
            const result = JSON.parse(out.trim().split("\n").pop() as string) as { ms: number; cpuMs: number };
            if (r < 0) continue;
            samples.get(n)?.wall.push(result.ms);
            samples.get(n)?.cpu.push(result.cpuMs);
        }
    }
    return new Map([...samples].map(([n, s]) => [n, { wall: median(s.wall), cpu: median(s.cpu) }]));
}

async function main(): Promise<void> {
    const rows: { figure: string; value: number; unit: string; goal?: string }[] = [];
    const add = (figure: string, value: number, unit: string, goal?: string) => {
        rows.push({ figure, value: Math.round(value * 100) / 100, unit, goal });
        process.stderr.write(`  ${figure}: ${value.toFixed(2)} ${unit}\n`);
    };
    process.stderr.write(`bench: ${REQUESTS} requests x ${RUNS} runs per registry figure, ${RUNS} runs per other figure\n`);
    // The engine and MinIO unpacked from ../shared's archives (as .ci/run does) when not given.
    const absent = useSharedBinaries();
    if (absent.length > 0) process.stderr.write(`bench: not in ../shared, so their figures are skipped: ${absent.join(", ")}\n`);

    // The parts that BENCH_ONLY can run alone (besides "registry", below): why each cannot run here, and its rows.
    const parts: Record<string, { skip: () => string | undefined; run: () => Promise<void> }> = {
        openfaas: { skip: openfaasSkipReason, run: () => openfaasFigures(add, RUNS) },
        faasd: { skip: faasdBenchSkipReason, run: () => faasdFigures(add, RUNS) },
        pulumi: { skip: pulumiBenchSkipReason, run: () => pulumiFigures(add, RUNS) },
        // The functions on the real gateway, the stack's dynamic resource beside the faasreg package's provider.
        package: { skip: () => missing(pulumiBenchSkipReason(), openfaasSwarmSkipReason()), run: () => functionsNoOpFigures(add, RUNS) },
        fresh: { skip: freshStackSkipReason, run: () => freshStackFigures(add, RUNS) },
        eval: { skip: () => undefined, run: async () => (await checkDiffRows(add), evaluationRows(add), packageEvaluationRows(add)) },
        local: { skip: () => undefined, run: () => localRows(add) },
        swarm: { skip: registrySwarmSkipReason, run: () => registrySwarmFigures(add, RUNS) },
        data: { skip: registrySwarmSkipReason, run: () => dataPathFigures(add, RUNS) },
        nodes: { skip: registrySwarmSkipReason, run: () => registrySwarmNodesFigures(add, RUNS, minioSkipReason() === undefined) },
    };
    const only = parts[process.env.BENCH_ONLY ?? ""];
    if (only !== undefined) {
        const why = only.skip();
        if (why === undefined) await only.run();
        else process.stderr.write(`  ${process.env.BENCH_ONLY} figures SKIPPED: ${why}\n`);
        return print(rows);
    }
    for (const version of ["v3", "2.8"] as RegistryVersion[]) {
        const why = registrySkipReason(version);
        if (why !== undefined) {
            process.stderr.write(`  registry ${version} figures SKIPPED: ${why}\n`);
            continue;
        }
        const atDefault = await registryLatency(DEFAULT_BCRYPT_COST, version);
        const other = (DEFAULT_BCRYPT_COST as number) === 4 ? 5 : 4;
        const atOther = await registryLatency(other, version);
        const at10 = await registryLatency(10, version);
        add(`registry ${version} GET /v2/ unauthenticated (baseline)`, atDefault.unauthenticated, "ms");
        add("  CPU of the registry per request", atDefault.cpuUnauthenticated, "ms");
        add(`registry ${version} GET /v2/ authenticated, cost ${DEFAULT_BCRYPT_COST} (default)`, atDefault.authenticated, "ms");
        add("  CPU of the registry per request", atDefault.cpuAuthenticated, "ms");
        add(
            `registry ${version} auth overhead, cost ${DEFAULT_BCRYPT_COST} (default)`,
            atDefault.authenticated - atDefault.unauthenticated,
            "ms/request",
            "<= 2",
        );
        add("  CPU of the registry per request, its overhead", atDefault.cpuAuthenticated - atDefault.cpuUnauthenticated, "ms/request");
        add(`registry ${version} auth overhead, cost ${other}`, atOther.authenticated - atOther.unauthenticated, "ms/request");
        add("  CPU of the registry per request, its overhead", atOther.cpuAuthenticated - atOther.cpuUnauthenticated, "ms/request");
        add(`registry ${version} auth overhead, cost 10`, at10.authenticated - at10.unauthenticated, "ms/request");
        add("  CPU of the registry per request, its overhead", at10.cpuAuthenticated - at10.cpuUnauthenticated, "ms/request");
        const moved = await transfer(version);
        for (const way of ["push", "pull"] as const) {
            add(`registry ${version} ${way} of a 20 MB layer`, moved[way].wall, "ms");
            add(`  CPU of that ${way}: the registry`, moved[way].registryCpu, "ms");
            add(`  CPU of that ${way}: the client (this process)`, moved[way].clientCpu, "ms");
        }
    }
    if (process.env.BENCH_ONLY === "registry") return print(rows);
    await localRows(add);
    await checkDiffRows(add);

    const skip = openfaasSkipReason();
    if (skip === undefined) await openfaasFigures(add, RUNS);
    else process.stderr.write(`  OpenFaaS figures SKIPPED: ${skip}\n`);
    const faasdSkip = faasdBenchSkipReason();
    if (faasdSkip === undefined) await faasdFigures(add, RUNS);
    else process.stderr.write(`  faasd figures SKIPPED: ${faasdSkip}\n`);
    const swarmSkip = registrySwarmSkipReason();
    if (swarmSkip === undefined) {
        await registrySwarmFigures(add, RUNS);
        await dataPathFigures(add, RUNS);
        await registrySwarmNodesFigures(add, RUNS, minioSkipReason() === undefined);
    } else process.stderr.write(`  Swarm registry figures SKIPPED: ${swarmSkip}\n`);
    const pulumiSkip = pulumiBenchSkipReason();
    if (pulumiSkip === undefined) await pulumiFigures(add, RUNS);
    else process.stderr.write(`  real Pulumi engine figures SKIPPED: ${pulumiSkip}\n`);
    const freshSkip = freshStackSkipReason();
    if (freshSkip === undefined) await freshStackFigures(add, RUNS);
    else process.stderr.write(`  fresh stack figures SKIPPED: ${freshSkip}\n`);

    evaluationRows(add);
    packageEvaluationRows(add);
    print(rows);
}

/**
 * Evaluation under mocks of the same functions declared through the faasreg package (its generated SDK: one
 * CustomResource each), and of bare CustomResources (the SDK's floor per resource), 1 and 200, source maps on
 * (as pulumi runs a TypeScript program). Needs the engine's CLI to generate the SDK.
 */
function packageEvaluationRows(add: (figure: string, value: number, unit: string, goal?: string) => void): void {
    const why = pulumiSkipReason();
    if (why !== undefined) return void process.stderr.write(`  package evaluation figures SKIPPED: ${why}\n`);
    const dir = mkdtempSync(join(tmpdir(), "faasreg-bench-sdk-"));
    try {
        const bin = process.env.FAASREG_PULUMI_BIN as string;
        execFileSync(join(bin, "pulumi"), ["package", "gen-sdk", PROVIDER_DIR, "--language", "nodejs", "--out", dir], {
            env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, PULUMI_HOME: pulumiHome(), PULUMI_SKIP_UPDATE_CHECK: "true" },
            stdio: ["ignore", "ignore", "inherit"],
        });
        // Its @pulumi/pulumi is the repository's, as npm would link it.
        mkdirSync(join(dir, "node_modules"));
        symlinkSync(join(__dirname, "..", "node_modules", "@pulumi"), join(dir, "node_modules", "@pulumi"));
        for (const mode of ["package", "baseline"]) {
            const e = evaluateStacks([1, 200], true, ["evaluate-package.ts", mode], { FAASREG_BENCH_SDK: join(dir, "nodejs") });
            const [one, many] = [e.get(1), e.get(200)] as { wall: number; cpu: number }[];
            const what = mode === "package" ? "a function through the faasreg package's SDK" : "a bare CustomResource (baseline)";
            add(`evaluation per resource beyond the first (1 -> 200), ${what}, source maps on`, (many.wall - one.wall) / 199, "ms/function");
            add(`CPU per resource beyond the first (1 -> 200), ${what}, source maps on`, (many.cpu - one.cpu) / 199, "ms/function");
        }
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

/** Stack evaluation under mocks: 1, 50 and 200 functions, source maps off and on. */
function evaluationRows(add: (figure: string, value: number, unit: string, goal?: string) => void): void {
    // The SDK captures a stack trace per promise it makes; with source maps on (tsx turns them on, and `pulumi up` runs
    // the program with source-map-support) each costs far more. Both are measured. Goal (issue 34): 2 ms per function
    // with source maps on.
    for (const sourceMaps of [false, true]) {
        const tag = sourceMaps ? ", source maps on" : "";
        const goal = sourceMaps ? "<= 2" : undefined;
        const e = evaluateStacks([1, 50, 200], sourceMaps);
        for (const n of [1, 50, 200]) {
            const { wall, cpu } = e.get(n) as { wall: number; cpu: number };
            add(`evaluate stack under mocks, ${n} function${n === 1 ? "" : "s"}${tag}`, wall, "ms");
            add("  CPU of that evaluation (all threads, GC included)", cpu, "ms");
        }
        const [e1, e50, e200] = [e.get(1), e.get(50), e.get(200)] as { wall: number; cpu: number }[];
        add(`evaluation per function beyond the first (1 -> 50)${tag}`, (e50.wall - e1.wall) / 49, "ms/function", goal);
        add("  CPU per function", (e50.cpu - e1.cpu) / 49, "ms/function");
        add(`evaluation per function beyond the first (1 -> 200)${tag}`, (e200.wall - e1.wall) / 199, "ms/function", goal);
        // CPU time (all threads, GC included) moves less with the machine's load than wall time.
        add(`CPU per function beyond the first (1 -> 200)${tag}`, (e200.cpu - e1.cpu) / 199, "ms/function");
    }
}

/** The table on stdout, and bench/results.json. */
function print(rows: { figure: string; value: number; unit: string; goal?: string }[]): void {
    const width = Math.max(...rows.map((r) => r.figure.length));
    const lines = [
        `${"figure".padEnd(width)}  ${"median".padStart(10)}  unit          goal`,
        ...rows.map((r) => `${r.figure.padEnd(width)}  ${r.value.toFixed(2).padStart(10)}  ${r.unit.padEnd(12)}  ${r.goal ?? ""}`),
    ];
    process.stdout.write(`\n${lines.join("\n")}\n`);
    const results = { date: new Date().toISOString(), node: process.version, requests: REQUESTS, runs: RUNS, defaultBcryptCost: DEFAULT_BCRYPT_COST, rows };
    writeFileSync(join(__dirname, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write("\nwritten to bench/results.json\n");
}

main().catch((error) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : error}\n`);
    process.exit(1);
});
