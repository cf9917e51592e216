// Deploying through our provider vs the platform itself, on the real gateway + faas-swarm + Swarm in a
// private lab (test/helpers/swarm-lab.ts), in the same run, rounds interleaved:
//  - platform: plain HTTP to the same gateway, then GET /system/function/NAME every 50 ms until the
//    function has an available replica (and, for an update, reports the new image), run inside the lab
//    next to the gateway (bench/platform-deploy.mjs), as our provider is;
//  - ours: the provider driven over gRPC through the SDK's dynamic-provider host, as `pulumi up` does.
//  - Swarm's own time: from the start to the engine's timestamp of the last task running, read after each
//    deploy: the deploy as it is, whoever polls.
// Figures: one function from POST to an available replica, an update's roll, 20 functions created
// concurrently; each in two regimes: fast deploys (a tiny image) and slow ones (a 300 MB image, which the
// vfs storage driver copies for every container, as a small VM's slow disk would). Needs root and the
// OpenFaaS binaries (the same as the end-to-end test).
import { execFileSync, spawn } from "node:child_process";
import { join } from "node:path";
import type { PublicFunction } from "../provider/function";
import { renderHtpasswd } from "../components/registry/htpasswd";
import { CONTAINER_PATHS, renderRegistryConfig } from "../components/registry/registry-config";
import { EngineHarness } from "../test/helpers/engine";
import { faasdSkipReason, startFaasdLab } from "../test/helpers/faasd";
import { labSkipReason } from "../test/helpers/lab";
import { FUNCTIONS_NETWORK, openfaasSwarmSkipReason } from "../test/helpers/openfaas";
import type { ContainerSpec } from "../test/helpers/real-registry";
import { startSwarmLab } from "../test/helpers/swarm-lab";
import { makeCertificate } from "../test/helpers/tls";
import { machineCpuMs, median, processCpuMs, timedWithCpu } from "./measure";
import { missing } from "../test/helpers/skip";

const HOST = "registry.bench";
const USER = "bench";
const REGISTRY_PASSWORD = "bench-Registry-Pass-0123456789";
const GATEWAY_PASSWORD = "bench-Gateway-Pass-0123456789";
const REGISTRY_AUTH = Buffer.from(`${USER}:${REGISTRY_PASSWORD}`).toString("base64");
/** The slow regime's image size (BENCH_SLOW_PAD_MB). */
const SLOW_PAD_MB = Number(process.env.BENCH_SLOW_PAD_MB ?? 300);

export type Add = (figure: string, value: number, unit: string, goal?: string) => void;

export function openfaasSkipReason(): string | undefined {
    return missing(labSkipReason({ dockerd: true }), openfaasSwarmSkipReason());
}

/** The registry container's files, rendered as PrivateRegistry renders them (certificate mode). */
function registrySpec(tls: { cert: string; key: string }): ContainerSpec {
    return {
        command: [CONTAINER_PATHS.config],
        volumes: [{ containerPath: CONTAINER_PATHS.data }],
        uploads: [
            {
                file: CONTAINER_PATHS.config,
                content: renderRegistryConfig({ tls: { mode: "certificate" }, port: 443, httpSecret: "bench-http-secret", realm: HOST }),
            },
            { file: CONTAINER_PATHS.htpasswd, content: renderHtpasswd("bench-key", [{ username: USER, password: REGISTRY_PASSWORD }], 4) },
            { file: CONTAINER_PATHS.certificate, content: tls.cert },
            { file: CONTAINER_PATHS.privateKey, content: tls.key },
        ],
    };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs bench/platform-deploy.mjs inside a lab and returns the time it measured (ms) and when it started (epoch ms). */
function platformDeploy(wrap: string[], job: Record<string, unknown>): Promise<{ ms: number; startedAt: number }> {
    return new Promise((resolve, reject) => {
        const child = spawn(wrap[0], [...wrap.slice(1), process.execPath, join(__dirname, "platform-deploy.mjs")], { stdio: ["pipe", "pipe", "inherit"] });
        let out = "";
        child.stdout.on("data", (d) => {
            out += d;
        });
        child.on("exit", (code) =>
            code === 0 ? resolve(JSON.parse(out) as { ms: number; startedAt: number }) : reject(new Error(`platform-deploy exited ${code}`)),
        );
        child.stdin.end(JSON.stringify(job));
    });
}

export async function openfaasFigures(add: Add, rounds: number): Promise<void> {
    const tls = makeCertificate(HOST);
    const env = await startSwarmLab({
        name: "bench",
        host: HOST,
        registrySpec: registrySpec(tls),
        certificate: tls.cert,
        user: USER,
        registryPassword: REGISTRY_PASSWORD,
        gatewayPassword: GATEWAY_PASSWORD,
    });
    const engine = await EngineHarness.start({
        host: "faasreg",
        wrap: env.lab.wrap(),
        env: { NODE_EXTRA_CA_CERTS: env.caFile },
        connect: (port) => env.lab.relay(port),
    });
    try {
        const regimes = [
            { name: "fast", label: "", v1: env.push("bench/fn", "1", "v1"), v2: env.push("bench/fn", "2", "v2") },
            // Every container copies the image on vfs: a Swarm deploy of 20 then takes tens of seconds, as on a small VM.
            {
                name: "slow",
                label: `, slow deploys (${SLOW_PAD_MB} MB image on vfs)`,
                v1: env.push("bench/fn", "slow-1", "v1", SLOW_PAD_MB),
                v2: env.push("bench/fn", "slow-2", "v2", SLOW_PAD_MB),
            },
        ];
        const gatewayAuth = { authorization: `Basic ${Buffer.from(`admin:${GATEWAY_PASSWORD}`).toString("base64")}` };
        const gateway = env.faas.hostUrl;

        // The inputs as the engine sends them to the functions' provider (the faasreg package's, as the stack declares them).
        const inputs = (service: string, image: string): Record<string, unknown> =>
            ({
                gatewayUrl: env.faas.url,
                gatewayPassword: GATEWAY_PASSWORD,
                service,
                image,
                network: FUNCTIONS_NETWORK,
                registryAuth: REGISTRY_AUTH,
                registryServer: HOST,
                readinessTimeoutSeconds: 300,
            }) satisfies PublicFunction;
        /** The platform itself, from inside the lab like our provider: returns the wall time it measured. */
        const platform = (method: "POST" | "PUT", services: string[], image: string) =>
            platformDeploy(env.lab.wrap(), {
                url: env.faas.url,
                authorization: gatewayAuth.authorization,
                method,
                image,
                services,
                body: { network: FUNCTIONS_NETWORK, registryAuth: REGISTRY_AUTH },
            });
        const remove = async (services: string[]) => {
            for (const service of services) {
                await fetch(`${gateway}/system/functions`, { method: "DELETE", headers: gatewayAuth, body: JSON.stringify({ functionName: service }) });
            }
            // Wait until Swarm has removed the tasks and their containers too, so the next round starts from the same state.
            for (let i = 0; i < 1200; i++) {
                const tasks = (await env.docker.call("GET", "/tasks")).json as { ServiceID: string; Spec: { ContainerSpec: { Image: string } } }[];
                const containers = (await env.docker.call("GET", "/containers/json?all=1")).json as { Image: string }[];
                const ours = (image: string) => image.startsWith(`${HOST}/bench/`);
                if (!tasks.some((t) => ours(t.Spec.ContainerSpec.Image)) && !containers.some((c) => ours(c.Image))) break;
                await sleep(100);
            }
            // The removed containers' copies are GBs of dirty pages on vfs: written back now, not during the next deploy.
            execFileSync("sync");
        };

        /**
         * Swarm's own time, with no observer: from `startedAt` to the moment the engine recorded the last of
         * these services' tasks of `image` as running (the task's status timestamp). Whoever polls, the
         * deploy itself takes this long; what a poller adds on top is its overhead.
         */
        const swarmOwn = async (services: string[], image: string, startedAt: number): Promise<number> => {
            const all = (await env.docker.call("GET", "/services")).json as { ID: string; Spec: { Name: string } }[];
            const ids = new Set(all.filter((s) => services.includes(s.Spec.Name)).map((s) => s.ID));
            const tasks = (await env.docker.call("GET", "/tasks")).json as {
                ServiceID: string;
                Spec: { ContainerSpec: { Image: string } };
                Status: { State: string; Timestamp: string };
            }[];
            const runningAt = new Map<string, number>();
            for (const t of tasks) {
                if (!ids.has(t.ServiceID) || t.Status.State !== "running" || !t.Spec.ContainerSpec.Image.startsWith(image)) continue;
                runningAt.set(t.ServiceID, Math.min(runningAt.get(t.ServiceID) ?? Infinity, Date.parse(t.Status.Timestamp)));
            }
            if (runningAt.size !== ids.size) throw new Error(`swarmOwn: ${runningAt.size} of ${ids.size} services have a running task of ${image}`);
            return Math.max(...runningAt.values()) - startedAt;
        };
        const samples: Record<string, number[]> = {};
        const note = (key: string, ms: number) => (samples[key] ??= []).push(ms);
        /** CPU the platform spent (the gateway, faas-swarm, and the lab's engine they call): the load a poller adds. */
        const platformCpu = () =>
            processCpuMs((c) => c.startsWith("/bin/gateway") || c.startsWith("/bin/faas-swarm") || (c.includes("dockerd") && c.includes(env.lab.dir)));
        /** Ours, timed, and Swarm's own time for the same deploy. */
        const ours = async <T>(key: string, services: string[], image: string, run: () => Promise<T>): Promise<T> => {
            const startedAt = Date.now();
            const cpu = platformCpu();
            const t = performance.now();
            const result = await run();
            note(`ours ${key}`, performance.now() - t);
            note(`ours-cpu ${key}`, platformCpu() - cpu);
            note(`ours-swarm ${key}`, await swarmOwn(services, image, startedAt));
            return result;
        };
        const theirs = async (key: string, method: "POST" | "PUT", services: string[], image: string) => {
            const cpu = platformCpu();
            const { ms, startedAt } = await platform(method, services, image);
            note(`platform ${key}`, ms);
            note(`platform-cpu ${key}`, platformCpu() - cpu);
            note(`platform-swarm ${key}`, await swarmOwn(services, image, startedAt));
        };
        await engine.configure({});
        for (const { name, v1, v2 } of regimes) {
            // Warm-up: the first pull of each image on the node, the provider host's first load and configure().
            await platform("POST", [`warm-${name}`], v1);
            await platform("PUT", [`warm-${name}`], v2);
            await engine.create(`warm2-${name}`, inputs(`warm2-${name}`, v1));
            await remove([`warm-${name}`, `warm2-${name}`]);
        }
        const names = (prefix: string) => Array.from({ length: 20 }, (_, i) => `${prefix}-${i}`);
        for (let round = 0; round < rounds; round++) {
            for (const { name, v1, v2 } of regimes) {
                // Who goes first alternates, so a drift of the machine within a round favours neither.
                const order = round % 2 === 0 ? ["platform", "ours"] : ["ours", "platform"];
                for (const who of order) {
                    if (who === "platform") {
                        await theirs(`${name} one`, "POST", ["p-one"], v1);
                        await theirs(`${name} roll`, "PUT", ["p-one"], v2);
                        await remove(["p-one"]);
                        await theirs(`${name} twenty`, "POST", names("p20"), v1);
                        await remove(names("p20"));
                    } else {
                        const { outs } = await ours(`${name} one`, ["o-one"], v1, () => engine.create("o-one", inputs("o-one", v1)));
                        await ours(`${name} roll`, ["o-one"], v2, () => engine.update("o-one", "o-one", outs, inputs("o-one", v2)));
                        await remove(["o-one"]);
                        await ours(`${name} twenty`, names("o20"), v1, () => Promise.all(names("o20").map((n) => engine.create(n, inputs(n, v1)))));
                        await remove(names("o20"));
                    }
                }
            }
        }
        for (const { name, label } of regimes) {
            const m = (k: string) => median(samples[k]);
            for (const [key, what] of [
                ["one", "1 function, POST/create -> available replica"],
                ["roll", "update roll -> new image available"],
                ["twenty", "20 functions concurrently"],
            ]) {
                const k = `${name} ${key}`;
                add(`OpenFaaS: platform (GET every 50 ms), ${what}${label}`, m(`platform ${k}`), "ms");
                add(`OpenFaaS: ours, ${what}${label}`, m(`ours ${k}`), "ms");
                add(`OpenFaaS: ours / platform, ${what}${label}`, m(`ours ${k}`) / m(`platform ${k}`), "x", "<= 1.1");
                // The deploy itself as the engine timed it, under each poller: what polling costs the deploy.
                add(`OpenFaaS: Swarm's own time under the platform's polling, ${what}${label}`, m(`platform-swarm ${k}`), "ms");
                add(`OpenFaaS: Swarm's own time under our polling, ${what}${label}`, m(`ours-swarm ${k}`), "ms");
                add(`OpenFaaS: ours / Swarm's own time, ${what}${label}`, m(`ours ${k}`) / m(`ours-swarm ${k}`), "x");
                // CPU beside wall time: what the gateway, faas-swarm and the engine spent under each poller.
                add(`OpenFaaS: CPU of gateway + faas-swarm + engine under the platform's polling, ${what}${label}`, m(`platform-cpu ${k}`), "ms");
                add(`OpenFaaS: CPU of gateway + faas-swarm + engine under our polling, ${what}${label}`, m(`ours-cpu ${k}`), "ms");
            }
        }
    } finally {
        await engine.stop();
        await env.stop();
    }
}

export function faasdBenchSkipReason(): string | undefined {
    return missing(labSkipReason(), faasdSkipReason());
}

/** faasd: one function from POST to an available replica, the platform vs ours, rounds interleaved. */
export async function faasdFigures(add: Add, rounds: number): Promise<void> {
    const tls = makeCertificate(HOST);
    const faasd = await startFaasdLab({
        host: HOST,
        registrySpec: registrySpec(tls),
        certificate: tls.cert,
        gatewayUser: "admin",
        gatewayPassword: GATEWAY_PASSWORD,
    });
    const engine = await EngineHarness.start({ host: "faasreg", wrap: faasd.lab.wrap(), connect: (port) => faasd.lab.relay(port) });
    try {
        const image = faasd.push("bench/fn", "1", "v1", `${USER}:${REGISTRY_PASSWORD}`);
        faasd.sh(
            "umask 077; mkdir -p /var/lib/faasd/.docker; cat > /var/lib/faasd/.docker/config.json",
            JSON.stringify({ auths: { [HOST]: { auth: REGISTRY_AUTH } } }),
        );
        await engine.configure({});
        const gatewayAuth = { authorization: `Basic ${Buffer.from(`admin:${GATEWAY_PASSWORD}`).toString("base64")}` };
        const remove = async (service: string) => {
            await fetch(`${faasd.hostUrl}/system/functions`, { method: "DELETE", headers: gatewayAuth, body: JSON.stringify({ functionName: service }) });
        };
        const platform = (service: string) =>
            platformDeploy(faasd.lab.wrap(), {
                url: faasd.url,
                authorization: gatewayAuth.authorization,
                method: "POST",
                image,
                services: [service],
                body: {},
            });
        const ours = (service: string) =>
            engine.create(service, {
                gatewayUrl: faasd.url,
                gatewayPassword: GATEWAY_PASSWORD,
                service,
                image,
                registryServer: HOST,
                backend: "faasd",
                readinessTimeoutSeconds: 120,
            } satisfies PublicFunction);
        await platform("warm");
        await remove("warm");
        const p: number[] = [];
        const o: number[] = [];
        const pCpu: number[] = [];
        const oCpu: number[] = [];
        for (let round = 0; round < rounds; round++) {
            const cpu = machineCpuMs();
            p.push((await platform("fd-p")).ms);
            pCpu.push(machineCpuMs() - cpu);
            await remove("fd-p");
            const t = await timedWithCpu(() => ours("fd-o"));
            o.push(t.wall);
            oCpu.push(t.cpu);
            await remove("fd-o");
        }
        add("faasd: platform, 1 function POST -> available replica", median(p), "ms");
        // The poller is a Node.js process of its own (bench/platform-deploy.mjs): its start is in this figure (about 80 ms of CPU here).
        add("  CPU of the machine meanwhile (faasd, containerd, the gateway, the poller and its start)", median(pCpu), "ms");
        add("faasd: ours, 1 function create -> available replica", median(o), "ms");
        add("  CPU of the machine meanwhile (faasd, containerd, the gateway, our provider)", median(oCpu), "ms");
        add("faasd: ours - platform, 1 function", (median(o) - median(p)) / 1000, "s");
    } finally {
        await engine.stop();
        await faasd.stop();
    }
}
