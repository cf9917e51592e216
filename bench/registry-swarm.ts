// registry:mode swarm on a real Swarm (the lab of test/e2e/registry-swarm.test.ts): push and pull time of a
// 20 MB layer through the front to 1 vs 3 replicas of the same deployment (scaled between rounds), and
// pulls lost while a rolling update replaces every replica. Used by bench/run.ts.
import { evaluateProgram } from "../test/helpers/evaluate";
import { forceUpdate, setReplicas, waitConverged } from "../test/helpers/swarm-engine";
import { SECRET_KEYS, SwarmRegistryLab, swarmLabSkipReason } from "../test/helpers/swarm-registry-lab";
import { makeCaSignedCertificate } from "../test/helpers/tls";

const HOST = "registry.bench-swarm.test";
const LAYER = 20_000_000;

export const registrySwarmSkipReason = swarmLabSkipReason;

type Add = (figure: string, value: number, unit: string, goal?: string) => void;

const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export async function registrySwarmFigures(add: Add, runs: number): Promise<void> {
    const certificate = makeCaSignedCertificate([HOST]);
    const swarm = await SwarmRegistryLab.start("bench-registry-swarm", HOST);
    try {
        swarm.lab.writeFile(`/etc/docker/certs.d/${HOST}/ca.crt`, certificate.ca);
        const stack = await evaluateProgram(swarm.certificateConfig(certificate), { secretKeys: SECRET_KEYS });
        const deployed = await swarm.deploy(stack);
        const id = deployed.serviceId("registry-service");
        swarm.docker.must(["login", HOST, "-u", "ci", "--password-stdin"], deployed.password);
        const scale = async (n: number) => {
            await setReplicas(swarm.docker, id, n);
            await waitConverged(swarm.docker, id, n);
        };
        const samples = new Map<number, { push: number[]; pull: number[] }>([
            [1, { push: [], pull: [] }],
            [3, { push: [], pull: [] }],
        ]);
        let last = "";
        for (let round = 0; round < runs; round++) {
            // Interleaved, so the machine's drift falls on both sizes alike.
            for (const replicas of [1, 3]) {
                await scale(replicas);
                const pushed = swarm.pushRandomImage(`bench/r${replicas}-${round}`, LAYER);
                const pulled = swarm.pullOnce(pushed.ref);
                if (!pulled.ok) throw new Error(`pull failed: ${pulled.out}`);
                samples.get(replicas)?.push.push(pushed.pushMs);
                samples.get(replicas)?.pull.push(pulled.ms);
                last = pushed.ref;
            }
        }
        for (const replicas of [1, 3]) {
            const s = samples.get(replicas) as { push: number[]; pull: number[] };
            add(`Swarm registry: push of a 20 MB layer through the front, ${replicas} replica${replicas > 1 ? "s" : ""}`, median(s.push), "ms");
            add(`Swarm registry: pull of a 20 MB layer through the front, ${replicas} replica${replicas > 1 ? "s" : ""}`, median(s.pull), "ms");
        }
        const lost = await swarm.pullsDuring(last, 30, async () => {
            await forceUpdate(swarm.docker, id);
            await waitConverged(swarm.docker, id, 3);
        });
        add("Swarm registry: pulls lost of 30 during a rolling update of 3 replicas", lost.failed.length, "pulls", "0");
        add("Swarm registry: of those 30, pulls made while the update ran", lost.overlapping, "pulls");
    } finally {
        await swarm.stop();
    }
}
