// Deploying through our provider vs the platform itself, on the real gateway + faas-swarm + Swarm in a
// private lab (test/helpers/swarm-lab.ts), in the same run, rounds interleaved:
//  - platform: plain HTTP to the same gateway, then GET /system/function/NAME every 50 ms until the
//    function has an available replica (and, for an update, reports the new image), run inside the lab
//    next to the gateway (bench/platform-deploy.mjs), as our provider is;
//  - ours: the provider driven over gRPC through the SDK's dynamic-provider host, as `pulumi up` does.
// Figures: one function from POST to an available replica, an update's roll, 20 functions created
// concurrently. Needs root and the OpenFaaS binaries (the same as the end-to-end test).
import { spawn } from "node:child_process";
import { join } from "node:path";
import { serializeFunction } from "@pulumi/pulumi/runtime";
import { type FunctionInputs, functionProvider } from "../components/faas/provider";
import { renderHtpasswd } from "../components/registry/htpasswd";
import { CONTAINER_PATHS, renderRegistryConfig } from "../components/registry/registry-config";
import { EngineHarness } from "../test/helpers/engine";
import { faasdSkipReason, startFaasdLab } from "../test/helpers/faasd";
import { labSkipReason } from "../test/helpers/lab";
import { FUNCTIONS_NETWORK, openfaasSwarmSkipReason } from "../test/helpers/openfaas";
import type { ContainerSpec } from "../test/helpers/real-registry";
import { startSwarmLab } from "../test/helpers/swarm-lab";
import { makeCertificate } from "../test/helpers/tls";

const HOST = "registry.bench";
const USER = "bench";
const REGISTRY_PASSWORD = "bench-Registry-Pass-0123456789";
const GATEWAY_PASSWORD = "bench-Gateway-Pass-0123456789";
const REGISTRY_AUTH = Buffer.from(`${USER}:${REGISTRY_PASSWORD}`).toString("base64");

export type Add = (figure: string, value: number, unit: string, goal?: string) => void;

export function openfaasSkipReason(): string | undefined {
    return labSkipReason({ dockerd: true }) ?? openfaasSwarmSkipReason();
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

const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const timed = async (f: () => Promise<unknown>) => {
    const t = performance.now();
    await f();
    return performance.now() - t;
};

/** Runs bench/platform-deploy.mjs inside a lab and returns the time it measured (ms). */
function platformDeploy(wrap: string[], job: Record<string, unknown>): Promise<number> {
    return new Promise((resolve, reject) => {
        const child = spawn(wrap[0], [...wrap.slice(1), process.execPath, join(__dirname, "platform-deploy.mjs")], { stdio: ["pipe", "pipe", "inherit"] });
        let out = "";
        child.stdout.on("data", (d) => {
            out += d;
        });
        child.on("exit", (code) => (code === 0 ? resolve((JSON.parse(out) as { ms: number }).ms) : reject(new Error(`platform-deploy exited ${code}`))));
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
    const engine = await EngineHarness.start({ wrap: env.lab.wrap(), env: { NODE_EXTRA_CA_CERTS: env.caFile }, connect: (port) => env.lab.relay(port) });
    try {
        const v1 = env.push("bench/fn", "1", "v1");
        const v2 = env.push("bench/fn", "2", "v2");
        const providerText = (await serializeFunction(() => functionProvider)).text;
        const gatewayAuth = { authorization: `Basic ${Buffer.from(`admin:${GATEWAY_PASSWORD}`).toString("base64")}` };
        const gateway = env.faas.hostUrl;

        // The inputs as the engine sends them: the deployment, and the serialized provider the host loads.
        const inputs = (service: string, image: string): Record<string, unknown> =>
            ({
                gateway: { url: env.faas.url, username: "admin" },
                gatewayPassword: GATEWAY_PASSWORD,
                service,
                image,
                network: FUNCTIONS_NETWORK,
                registryAuth: REGISTRY_AUTH,
                settings: { owner: "bench/bench", registryServer: HOST, readiness: { enabled: true, timeoutSeconds: 120 } },
                __provider: providerText,
            }) satisfies FunctionInputs & { __provider: string };
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
            // Wait until Swarm has removed the tasks too, so the next round starts from the same state.
            for (let i = 0; i < 300; i++) {
                const tasks = (await env.docker.call("GET", "/tasks")).json as { ServiceID: string; Spec: { ContainerSpec: { Image: string } } }[];
                if (!tasks.some((t) => t.Spec.ContainerSpec.Image.startsWith(`${HOST}/bench/`))) return;
                await sleep(100);
            }
        };

        const samples: Record<string, number[]> = {};
        const note = (key: string, ms: number) => (samples[key] ??= []).push(ms);
        // Warm-up: the first pull of each image on the node, the provider host's first load and configure().
        await engine.configure({});
        await platform("POST", ["warm"], v1);
        await platform("PUT", ["warm"], v2);
        await engine.create("warm2", inputs("warm2", v1));
        await remove(["warm", "warm2"]);
        for (let round = 0; round < rounds; round++) {
            note("platform one", await platform("POST", ["p-one"], v1));
            note("platform roll", await platform("PUT", ["p-one"], v2));
            await remove(["p-one"]);
            let olds: Record<string, unknown> = {};
            note("ours one", await timed(async () => (olds = (await engine.create("o-one", inputs("o-one", v1))).outs)));
            note("ours roll", await timed(() => engine.update("o-one", "o-one", olds, inputs("o-one", v2))));
            await remove(["o-one"]);
            const names = (prefix: string) => Array.from({ length: 20 }, (_, i) => `${prefix}-${i}`);
            note("platform twenty", await platform("POST", names("p20"), v1));
            await remove(names("p20"));
            note("ours twenty", await timed(() => Promise.all(names("o20").map((n) => engine.create(n, inputs(n, v1))))));
            await remove(names("o20"));
        }
        const m = (k: string) => median(samples[k]);
        add("OpenFaaS: platform, 1 function POST -> available replica", m("platform one"), "ms");
        add("OpenFaaS: ours, 1 function create -> available replica", m("ours one"), "ms");
        add("OpenFaaS: ours - platform, 1 function", (m("ours one") - m("platform one")) / 1000, "s", "<= 0.2");
        add("OpenFaaS: platform, update roll PUT -> new image available", m("platform roll"), "ms");
        add("OpenFaaS: ours, update roll", m("ours roll"), "ms");
        add("OpenFaaS: platform, 20 functions concurrently", m("platform twenty"), "ms");
        add("OpenFaaS: ours, 20 functions concurrently", m("ours twenty"), "ms");
        add("OpenFaaS: ours / platform, 20 functions", m("ours twenty") / m("platform twenty"), "x", "<= 1.1");
    } finally {
        await engine.stop();
        await env.stop();
    }
}

export function faasdBenchSkipReason(): string | undefined {
    return labSkipReason() ?? faasdSkipReason();
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
    const engine = await EngineHarness.start({ wrap: faasd.lab.wrap(), connect: (port) => faasd.lab.relay(port) });
    try {
        const image = faasd.push("bench/fn", "1", "v1", `${USER}:${REGISTRY_PASSWORD}`);
        faasd.sh(
            "umask 077; mkdir -p /var/lib/faasd/.docker; cat > /var/lib/faasd/.docker/config.json",
            JSON.stringify({ auths: { [HOST]: { auth: REGISTRY_AUTH } } }),
        );
        await engine.configure({});
        const providerText = (await serializeFunction(() => functionProvider)).text;
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
                gateway: { url: faasd.url, username: "admin" },
                gatewayPassword: GATEWAY_PASSWORD,
                service,
                image,
                settings: { owner: "bench/bench", registryServer: HOST, backend: "faasd", readiness: { enabled: true, timeoutSeconds: 120 } },
                __provider: providerText,
            } satisfies FunctionInputs & { __provider: string });
        await platform("warm");
        await remove("warm");
        const p: number[] = [];
        const o: number[] = [];
        for (let round = 0; round < rounds; round++) {
            p.push(await platform("fd-p"));
            await remove("fd-p");
            o.push(await timed(() => ours("fd-o")));
            await remove("fd-o");
        }
        add("faasd: platform, 1 function POST -> available replica", median(p), "ms");
        add("faasd: ours, 1 function create -> available replica", median(o), "ms");
        add("faasd: ours - platform, 1 function", (median(o) - median(p)) / 1000, "s");
    } finally {
        await engine.stop();
        await faasd.stop();
    }
}
