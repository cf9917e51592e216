// The figure users feel first (BENCH_ONLY=fresh): a fresh `pulumi up` of a stack with the registry (certificate
// mode, container) and 20 functions whose images are built from source by the stack (the docker provider's
// Image, BuildKit in the lab's engine), deployed on the real OpenFaaS for Swarm, with the real engine. Measured
// from the CLI's start: the first function answering through the gateway, the last, and the `up` itself; CPU
// time of every process of the CLI beside. The engine's event log says where the time went: the registry ready,
// the images built and pushed, the functions deployed (BENCH_TIMELINE=1 prints every step). The program is
// transpiled only (tsconfig.pulumi.json); PULUMI_NODEJS_TRANSPILE_ONLY=false measures it with ts-node's type check.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_REGISTRY_IMAGE } from "../components/registry/args";
import { importFunctionImage } from "../test/helpers/function-image";
import { ImageSource } from "../test/helpers/image-source";
import { Lab } from "../test/helpers/lab";
import { openfaasSwarmSkipReason, startSwarmOpenFaas } from "../test/helpers/openfaas";
import { PulumiStack, pulumiSkipReason } from "../test/helpers/pulumi-cli";
import { registrySkipReason } from "../test/helpers/registry-binary";
import { importRegistryImage } from "../test/helpers/registry-image";
import { missing } from "../test/helpers/skip";
import { makeCaSignedCertificate } from "../test/helpers/tls";
import { median } from "./measure";
import { flags, timed } from "./pulumi";

type Add = (figure: string, value: number, unit: string, goal?: string) => void;

const FUNCTIONS = 20;
const HOST = "registry.bench-fresh.test";
const LAB_ADDRESS = "10.199.0.1";

export function freshStackSkipReason(): string | undefined {
    return missing(pulumiSkipReason(), registrySkipReason(), openfaasSwarmSkipReason());
}

/** The engine's event log: when each resource's step ended, in ms from the first event. */
function stepEnds(eventLog: string): { name: string; type: string; op: string; at: number }[] {
    const events = readFileSync(eventLog, "utf8")
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as { timestamp: number; resOutputsEvent?: { metadata: { urn: string; type: string; op: string } } });
    const start = events[0]?.timestamp ?? 0;
    return events.flatMap((e) =>
        e.resOutputsEvent === undefined
            ? []
            : [
                  {
                      name: e.resOutputsEvent.metadata.urn.split("::").pop() as string,
                      type: e.resOutputsEvent.metadata.type,
                      op: e.resOutputsEvent.metadata.op,
                      at: (e.timestamp - start) * 1000,
                  },
              ],
    );
}

async function freshRun(round: number): Promise<Record<string, number>> {
    const lab = await Lab.start(`bench-fresh-${round}`);
    try {
        lab.addHost(LAB_ADDRESS, HOST);
        const docker = await lab.startDockerd({ swarm: true });
        const certificate = makeCaSignedCertificate([HOST]);
        lab.writeFile(`/etc/docker/certs.d/${HOST}/ca.crt`, certificate.ca);
        importRegistryImage(docker, lab.dir, DEFAULT_REGISTRY_IMAGE);
        // The functions' base comes from a registry in the lab (BuildKit pulls it), as from a public one.
        const source = await ImageSource.start(lab, docker);
        importFunctionImage(docker, lab.dir, "faasreg-test/fn-base:1", "base");
        const base = source.publish("faasreg-test/fn-base:1").ref;
        const faas = await startSwarmOpenFaas(lab, docker, { password: "bench-Gateway-Pass-0123", hosts: { [HOST]: LAB_ADDRESS } });
        const functions = Array.from({ length: FUNCTIONS }, (_, i) => {
            const context = join(lab.dir, "functions", `fn-${i}`);
            mkdirSync(context, { recursive: true });
            writeFileSync(join(context, "Dockerfile"), `FROM ${base}\nCOPY index.cgi /www/cgi-bin/index.cgi\n`);
            writeFileSync(join(context, "index.cgi"), `#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\necho "fn-${i}"\n`, { mode: 0o755 });
            return { service: `fn-${i}`, build: { context } };
        });
        const stack = await PulumiStack.init(
            lab,
            "fresh",
            {
                "registry:tls": "certificate",
                "registry:host": HOST,
                "registry:certificate": `${certificate.cert}${certificate.ca}`,
                "registry:privateKey": certificate.key,
                "registry:users": JSON.stringify([{ username: "ci", password: "bench-Registry-Pass-0123456789" }]),
                "docker:host": docker.host,
                "faas:gateway": faas.url,
                "faas:password": "bench-Gateway-Pass-0123",
                "faas:functions": JSON.stringify(functions),
            },
            ["registry:users", "registry:certificate", "registry:privateKey", "faas:password"],
        );
        const eventLog = join(lab.dir, "fresh-events.jsonl");
        const started = Date.now();
        const answered = new Map<string, number>();
        let polling = true;
        // Every function's URL every 100 ms from the CLI's start: when each first answers with its own text.
        const poller = (async () => {
            while (polling && answered.size < FUNCTIONS) {
                await Promise.all(
                    functions
                        .filter((fn) => !answered.has(fn.service))
                        .map(async (fn) => {
                            const r = await fetch(`${faas.hostUrl}/function/${fn.service}`, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
                            if (r !== undefined && r.status === 200 && (await r.text()).trim() === fn.service) answered.set(fn.service, Date.now() - started);
                        }),
                );
                await new Promise((resolve) => setTimeout(resolve, 100));
            }
        })();
        // --json streams the engine's events, one JSON object per line, to the event log.
        const up = await timed(stack, ["up", "--yes", "--skip-preview", "--json", ...flags(stack)], {
            outputFile: eventLog,
            // ts-node's cache cold, as after a clone or an edit, or on a CI runner.
            env: {
                TS_NODE_CACHE: "false",
                ...(process.env.PULUMI_NODEJS_TRANSPILE_ONLY === undefined ? {} : { PULUMI_NODEJS_TRANSPILE_ONLY: process.env.PULUMI_NODEJS_TRANSPILE_ONLY }),
            },
        });
        const upMs = Date.now() - started;
        // The last functions may answer a moment after the CLI exits (the gateway's first route to a new task).
        const deadline = Date.now() + 30_000;
        while (answered.size < FUNCTIONS && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
        polling = false;
        await poller;
        if (answered.size < FUNCTIONS) throw new Error(`only ${answered.size} of ${FUNCTIONS} functions answered within 30 s of the up`);
        const steps = stepEnds(eventLog);
        if (process.env.BENCH_TIMELINE === "1")
            for (const s of steps) process.stderr.write(`    ${(s.at / 1000).toFixed(0).padStart(4)} s ${s.op} ${s.type} ${s.name}\n`);
        const at = (pred: (s: { name: string; type: string }) => boolean, pick: "first" | "last") => {
            const xs = steps.filter(pred).map((s) => s.at);
            return xs.length === 0 ? Number.NaN : pick === "first" ? Math.min(...xs) : Math.max(...xs);
        };
        const times = [...answered.values()];
        return {
            first: Math.min(...times),
            last: Math.max(...times),
            up: upMs,
            cpu: up.cpu,
            registryReady: at((s) => s.name === "registry-ready", "last"),
            firstImage: at((s) => s.type === "docker:index/image:Image", "first"),
            lastImage: at((s) => s.type === "docker:index/image:Image", "last"),
            firstFunction: at((s) => s.name.endsWith("-deployment"), "first"),
            lastFunction: at((s) => s.name.endsWith("-deployment"), "last"),
        };
    } finally {
        await lab.stop();
    }
}

export async function freshStackFigures(add: Add, runs: number): Promise<void> {
    const results: Record<string, number>[] = [];
    for (let round = 0; round < runs; round++) {
        const r = await freshRun(round);
        process.stderr.write(`  fresh stack, round ${round + 1}: ${JSON.stringify(r)}\n`);
        results.push(r);
    }
    const m = (key: string) => median(results.map((r) => r[key]));
    add(`fresh pulumi up, registry + ${FUNCTIONS} functions built from source: first function answering`, m("first"), "ms", "<= 60000");
    add(`fresh pulumi up, registry + ${FUNCTIONS} functions built from source: last function answering`, m("last"), "ms");
    add(`fresh pulumi up, registry + ${FUNCTIONS} functions built from source: the up, wall`, m("up"), "ms");
    add(`fresh pulumi up, registry + ${FUNCTIONS} functions built from source: the up, CPU of every process`, m("cpu"), "ms");
    add("  of which: the registry ready (engine's event log, from the up's first event)", m("registryReady"), "ms");
    add("  of which: the first image built and pushed", m("firstImage"), "ms");
    add("  of which: the last image built and pushed", m("lastImage"), "ms");
    add("  of which: the first function deployed and ready", m("firstFunction"), "ms");
    add("  of which: the last function deployed and ready", m("lastFunction"), "ms");
}
