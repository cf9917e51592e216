// registry:mode swarm on a real Swarm (the lab of test/e2e/registry-swarm.test.ts): push and pull time of a
// 20 MB layer through the front to 1 vs 3 replicas of the same deployment (scaled between rounds), and
// pulls lost while a rolling update replaces every replica. Used by bench/run.ts.
import { evaluateProgram } from "../test/helpers/evaluate";
import type { Lab } from "../test/helpers/lab";
import { type Minio, startMinio } from "../test/helpers/minio";
import { setReplicas, waitConverged } from "../test/helpers/swarm-engine";
import { BRIDGE_ADDRESS, SECRET_KEYS, SwarmRegistryLab, swarmLabSkipReason } from "../test/helpers/swarm-registry-lab";
import { makeCaSignedCertificate } from "../test/helpers/tls";
import { median } from "./measure";

const HOST = "registry.bench-swarm.test";
const LAYER = 20_000_000;

export const registrySwarmSkipReason = swarmLabSkipReason;

type Add = (figure: string, value: number, unit: string, goal?: string) => void;

/** Wall times, and the machine's CPU meanwhile (the lab's engine, the front, the replicas, the kernel's network), in ms. */
type Samples = { push: number[]; pull: number[]; pushCpu: number[]; pullCpu: number[] };

/**
 * `runs` rounds of: scale the registry to 1, then 3 replicas (interleaved, so the machine's drift falls on both
 * alike), each time push a 20 MB layer and pull it once. Returns the samples and the last image pushed.
 */
async function pushPullRounds(swarm: SwarmRegistryLab, id: string, runs: number, tag: string) {
    const samples = new Map<number, Samples>([
        [1, { push: [], pull: [], pushCpu: [], pullCpu: [] }],
        [3, { push: [], pull: [], pushCpu: [], pullCpu: [] }],
    ]);
    let last = "";
    for (let round = 0; round < runs; round++) {
        for (const replicas of [1, 3]) {
            await setReplicas(swarm.docker, id, replicas);
            await waitConverged(swarm.docker, id, replicas);
            const pushed = swarm.pushRandomImage(`bench/${tag}${replicas}-${round}`, LAYER);
            const pulled = swarm.pullOnce(pushed.ref);
            if (!pulled.ok) throw new Error(`pull failed: ${pulled.out}`);
            samples.get(replicas)?.push.push(pushed.pushMs);
            samples.get(replicas)?.pull.push(pulled.ms);
            samples.get(replicas)?.pushCpu.push(pushed.pushCpuMs);
            samples.get(replicas)?.pullCpu.push(pulled.cpuMs);
            last = pushed.ref;
        }
    }
    return { samples, last };
}

export async function registrySwarmFigures(add: Add, runs: number): Promise<void> {
    const certificate = makeCaSignedCertificate([HOST]);
    const swarm = await SwarmRegistryLab.start("bench-registry-swarm", HOST);
    try {
        swarm.lab.writeFile(`/etc/docker/certs.d/${HOST}/ca.crt`, certificate.ca);
        const stack = await evaluateProgram(swarm.certificateConfig(certificate), { secretKeys: SECRET_KEYS });
        const deployed = await swarm.deploy(stack);
        const id = deployed.serviceId("registry-service");
        swarm.docker.must(["login", HOST, "-u", "ci", "--password-stdin"], deployed.password);
        const { samples, last } = await pushPullRounds(swarm, id, runs, "r");
        for (const replicas of [1, 3]) {
            const s = samples.get(replicas) as Samples;
            add(`Swarm registry: push of a 20 MB layer through the front, ${replicas} replica${replicas > 1 ? "s" : ""}`, median(s.push), "ms");
            add("  CPU of the machine during that push", median(s.pushCpu), "ms");
            add(`Swarm registry: pull of a 20 MB layer through the front, ${replicas} replica${replicas > 1 ? "s" : ""}`, median(s.pull), "ms");
            add("  CPU of the machine during that pull", median(s.pullCpu), "ms");
        }
        const lost = await swarm.pullsDuringRollingUpdate("bench", last, id, 3);
        add("Swarm registry: pulls lost of 30 during a rolling update of 3 replicas", lost.failed.length, "pulls", "0");
        add("Swarm registry: of those 30, pulls made while the update ran", lost.overlapping, "pulls");
    } finally {
        await swarm.stop();
    }
}

/**
 * A Swarm of three nodes (the lab of test/e2e/registry-swarm-nodes.test.ts, a clear overlay: this machine's
 * kernel cannot do the IPsec of an encrypted one): a 20 MB layer pushed and pulled through the front with 1
 * vs 3 replicas (spread, so 3 replicas are on 3 nodes), the images on a shared path or in S3 (MinIO on the
 * nodes' network); then the window of failed pulls when a worker is lost (its link cut, its engine killed),
 * by when each failed pull started.
 */
export async function registrySwarmNodesFigures(add: Add, runs: number, withMinio: boolean): Promise<void> {
    const certificate = makeCaSignedCertificate([HOST]);
    for (const storage of withMinio ? ["shared path", "s3"] : ["shared path"]) {
        const swarm = await SwarmRegistryLab.start(`bench-swarm-nodes-${storage === "s3" ? "s3" : "fs"}`, HOST, { workers: 2 });
        let minio: Minio | undefined;
        try {
            swarm.lab.writeFile(`/etc/docker/certs.d/${HOST}/ca.crt`, certificate.ca);
            if (storage === "s3") {
                minio = await startMinio({ lab: swarm.bridge as Lab, address: BRIDGE_ADDRESS });
                await minio.createBucket("images");
            }
            const config = swarm.spreadConfig(certificate, minio === undefined ? "shared path" : { s3: { ...minio, bucket: "images" } }, {
                "registry:encryptOverlay": "false",
            });
            const stack = await evaluateProgram(config, { secretKeys: [...SECRET_KEYS, "registry:s3SecretKey"] });
            const deployed = await swarm.deploy(stack);
            const id = deployed.serviceId("registry-service");
            swarm.docker.must(["login", HOST, "-u", "ci", "--password-stdin"], deployed.password);
            const { samples, last } = await pushPullRounds(swarm, id, runs, "n");
            for (const replicas of [1, 3]) {
                const s = samples.get(replicas) as Samples;
                const where = replicas === 1 ? "1 replica" : "3 replicas on 3 nodes";
                add(`Swarm of 3 nodes, ${storage}: push of a 20 MB layer through the front, ${where}`, median(s.push), "ms");
                add("  CPU of the machine during that push", median(s.pushCpu), "ms");
                add(`Swarm of 3 nodes, ${storage}: pull of a 20 MB layer through the front, ${where}`, median(s.pull), "ms");
                add("  CPU of the machine during that pull", median(s.pullCpu), "ms");
            }
            if (storage !== "shared path") continue;
            // A worker lost while pulls run, once (it takes a node).
            const worker = swarm.workers[0];
            let lost = { lostAt: 0, downAt: 0 };
            const result = await swarm.pullsDuring(
                last,
                40,
                async () => {
                    await new Promise((r) => setTimeout(r, 2000));
                    lost = await swarm.loseWorker(worker);
                },
                1,
            );
            const { lostAt, downAt } = lost;
            const failedStarts = result.pulls.filter((p) => !p.ok).map((p) => p.startedAt - lostAt);
            add("Swarm of 3 nodes: a worker lost, seconds until Swarm sees it down", (downAt - lostAt) / 1000, "s");
            add("Swarm of 3 nodes: a worker lost, pulls failed of 40", failedStarts.length, "pulls");
            add("Swarm of 3 nodes: a worker lost, the last failed pull started after", failedStarts.length === 0 ? 0 : Math.max(...failedStarts) / 1000, "s");
        } finally {
            await swarm.stop();
            await minio?.stop();
        }
    }
}
