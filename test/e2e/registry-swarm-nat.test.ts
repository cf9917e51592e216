// registry:front nat, for real: a Swarm manager of the test's own (dockerd in a private namespace), the stack
// evaluated with the NAT front, its recorded Swarm objects created on the engine through the docker provider's
// translation, then real traffic: the front task forwards the published port's connections with the kernel's
// NAT (this machine's iptables in an image made here) to 2 registry replicas (distribution v3) that terminate
// TLS with the given certificate. Login, push and pull, both replicas serving, and 30 pulls during a rolling
// update with none lost. Then on three nodes (a clear overlay): replicas on every node, the workers' reached over
// the overlay, and a rolling update with none lost there too.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NAT_REFRESH_SECONDS } from "../../components/registry/nat-front";
import { type Deployed, SECRET_KEYS, SwarmRegistryLab, swarmLabSkipReason } from "../helpers/swarm-registry-lab";
import { type Json, setReplicas, waitConverged } from "../helpers/swarm-engine";
import { waitFor } from "../helpers/lab";
import { evaluateStack } from "../helpers/stack";
import { makeCaSignedCertificate } from "../helpers/tls";
import { skipping } from "../helpers/skip";

const skip = skipping("test/e2e/registry-swarm-nat.test.ts", swarmLabSkipReason());

const HOST = "registry.nat.test";
const SERVICE = "faas-registry-test-registry";

/** The addresses the NAT front forwards to, as it last logged them. */
function forwardingTo(swarm: SwarmRegistryLab): string[] {
    const lines = swarm.docker.cli(["logs", swarm.containersOf(`${SERVICE}-front`)[0]]).out.split("\n");
    const last = lines.filter((l) => l.startsWith("front: forwarding to ")).pop() ?? "";
    return last.replace("front: forwarding to ", "").split(" ").filter(Boolean).sort();
}

describe.skipIf(skip !== undefined)("registry:front nat on a real Swarm: the kernel forwards connections to 2 replicas that terminate TLS", () => {
    let swarm: SwarmRegistryLab;
    let deployed: Deployed;
    let image: string;
    const certificate = makeCaSignedCertificate([HOST]);
    const front = () => swarm.containersOf(`${SERVICE}-front`)[0];
    const forwardedTo = () => forwardingTo(swarm);
    /** Each replica's address on the overlay network. */
    const replicaAddresses = () =>
        swarm
            .containersOf(SERVICE)
            .map((id) => swarm.docker.must(["inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", id]).trim().split(" ")[0])
            .sort();

    beforeAll(async () => {
        swarm = await SwarmRegistryLab.start("registry-nat", HOST);
        swarm.lab.writeFile(`/etc/docker/certs.d/${HOST}/ca.crt`, certificate.ca);
        deployed = await swarm.deploy(await evaluateStack(swarm.natConfig(certificate), { secretKeys: SECRET_KEYS }));
    }, 240_000);
    afterAll(async () => {
        await swarm?.stop();
    }, 60_000);

    it("passes the readiness gate through the NAT front, the replicas serving the certificate the stack was given", () => {
        const r = swarm.probe({ ...deployed.gateInput, timeoutSeconds: 60 });
        expect(r.status, r.stderr).toBe(0);
        expect(`${r.stdout}${r.stderr}`).not.toContain(deployed.password);
    });

    it("stores each service spec as the translation sent it: NET_ADMIN and ip_forward on the front only, no file on it", async () => {
        expect([...deployed.created.specs.keys()].sort()).toEqual(["registry-front", "registry-service"]);
        for (const [logical, sent] of deployed.created.specs) {
            const stored = ((await swarm.docker.call("GET", `/services/${deployed.serviceId(logical as "registry-service")}`)).json as { Spec: Json }).Spec;
            expect(stored, logical).toMatchObject(sent);
        }
        const frontSpec = deployed.created.specs.get("registry-front")?.TaskTemplate.ContainerSpec;
        expect(frontSpec).toMatchObject({ CapabilityAdd: ["CAP_NET_ADMIN"], Sysctls: { "net.ipv4.ip_forward": "1" } });
        expect(frontSpec.Secrets).toBeUndefined();
        expect(frontSpec.Configs).toBeUndefined();
        const registrySpec = deployed.created.specs.get("registry-service")?.TaskTemplate.ContainerSpec;
        expect(registrySpec.CapabilityAdd).toBeUndefined();
    });

    it("forwards to exactly the healthy replicas, and keeps the key in no spec and no container environment", async () => {
        await waitFor("the front to forward to both replicas", async () => forwardedTo().length === 2, 30_000);
        expect(forwardedTo()).toEqual(replicaAddresses());
        const inspected = swarm.docker.must(["service", "inspect", SERVICE, `${SERVICE}-front`]);
        const keyLine = certificate.key.split("\n")[1];
        expect(inspected.includes(keyLine)).toBe(false);
        for (const id of [...swarm.containersOf(SERVICE), front()]) expect(swarm.docker.must(["inspect", id]).includes(keyLine)).toBe(false);
        // The key is on the replicas only, as a Swarm secret file.
        expect(swarm.docker.cli(["exec", swarm.containersOf(SERVICE)[0], "cat", "/etc/distribution/tls/key.pem"]).out.trim()).toBe(certificate.key.trim());
        expect(swarm.docker.cli(["exec", front(), "ls", "/etc/distribution/tls/key.pem"]).status).not.toBe(0);
    });

    it("takes docker login, push and pull of a 20 MB layer through the NAT front, and both replicas serve connections", () => {
        expect(swarm.docker.must(["login", HOST, "-u", "ci", "--password-stdin"], deployed.password)).toMatch(/Login Succeeded/);
        const pushed = swarm.pushRandomImage("team/big", 20_000_000);
        image = pushed.ref;
        const pulls = [swarm.pullOnce(image), swarm.pullOnce(image)];
        for (const pull of pulls) expect(pull.ok, pull.out).toBe(true);
        process.stderr.write(`registry-swarm-nat: push 20 MB ${pushed.pushMs} ms, pulls ${pulls.map((p) => p.ms).join(", ")} ms through the kernel's NAT\n`);
        // Round robin per connection: every replica logged requests, each from the front's overlay address (MASQUERADE).
        const frontAddress = swarm.docker.must(["inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", front()]).trim().split(" ");
        for (const id of swarm.containersOf(SERVICE)) {
            const log = swarm.docker.cli(["logs", id]).out;
            const remotes = [...log.matchAll(/http\.request\.remoteaddr="?([0-9.]+):\d+/g)].map((m) => m[1]);
            expect(remotes.length, id).toBeGreaterThan(0);
            expect(
                remotes.every((r) => frontAddress.includes(r)),
                `${id}: ${[...new Set(remotes)].join(", ")}`,
            ).toBe(true);
        }
    });

    it("loses no pull of 30 during a rolling update (start-first, one at a time, each replica pausing before it drains)", async () => {
        const id = deployed.serviceId("registry-service");
        const result = await swarm.pullsDuringRollingUpdate("registry-swarm-nat", image, id, 2);
        expect(result.failed).toEqual([]);
        expect(result.overlapping).toBeGreaterThanOrEqual(5);
        expect(result.ok).toBe(30);
        // The front follows: it forwards to the new replicas, within a refresh.
        await waitFor(
            "the front to forward to the new replicas",
            async () => forwardedTo().join() === replicaAddresses().join(),
            (NAT_REFRESH_SECONDS + 5) * 1000,
        );
    }, 300_000);

    it("follows a scale 2 -> 3 -> 1: every replica it forwards to is running, and pulls go on", async () => {
        const id = deployed.serviceId("registry-service");
        for (const replicas of [3, 1]) {
            await setReplicas(swarm.docker, id, replicas);
            await waitConverged(swarm.docker, id, replicas);
            // Stopping replicas still run for their pause and drain: the front has dropped them by then.
            await waitFor(`the front to forward to ${replicas} replica(s)`, async () => forwardedTo().length === replicas, 30_000);
            await waitFor("the stopped replicas to be gone", async () => swarm.containersOf(SERVICE).length === replicas, 60_000);
            expect(forwardedTo()).toEqual(replicaAddresses());
            const pull = swarm.pullOnce(image);
            expect(pull.ok, pull.out).toBe(true);
        }
        await setReplicas(swarm.docker, id, 2);
        await waitConverged(swarm.docker, id, 2);
    }, 240_000);

    it("logs in the front's task what it forwards to, and nothing secret", () => {
        const log = swarm.docker.cli(["logs", front()]).out;
        expect(log).toMatch(/^front: forwarding to \d+\.\d+\.\d+\.\d+/m);
        expect(log.includes(deployed.password)).toBe(false);
        expect(log).not.toMatch(/BEGIN .*PRIVATE KEY/);
    });
});

describe.skipIf(skip !== undefined)("registry:front nat on three nodes: replicas on every node, the workers' reached over the overlay", () => {
    let swarm: SwarmRegistryLab;
    let deployed: Deployed;
    let image: string;
    const certificate = makeCaSignedCertificate([HOST]);

    beforeAll(async () => {
        swarm = await SwarmRegistryLab.start("registry-nat-nodes", HOST, { workers: 2 });
        swarm.lab.writeFile(`/etc/docker/certs.d/${HOST}/ca.crt`, certificate.ca);
        // A clear overlay: this machine's kernel cannot do the encrypted one's IPsec (registry-swarm-nodes.test.ts).
        const config = swarm.spreadConfig(certificate, "shared path", {
            "registry:replicas": "3",
            "registry:encryptOverlay": "false",
            "registry:front": "nat",
            "registry:natImage": swarm.images.nat.ref,
        });
        delete config["registry:frontImage"];
        deployed = await swarm.deploy(await evaluateStack(config, { secretKeys: SECRET_KEYS }));
    }, 300_000);
    afterAll(async () => {
        await swarm?.stop();
    }, 120_000);

    it("spreads 3 replicas over the 3 nodes, forwards to all of them, and takes login, push and pull", async () => {
        expect((await swarm.nodesOf(SERVICE)).sort()).toEqual([...swarm.workers.map((w) => w.address), "manager"].sort());
        const r = swarm.probe({ ...deployed.gateInput, timeoutSeconds: 60 });
        expect(r.status, r.stderr).toBe(0);
        await waitFor("the front to forward to 3 replicas", async () => forwardingTo(swarm).length === 3, 30_000);
        expect(swarm.docker.must(["login", HOST, "-u", "ci", "--password-stdin"], deployed.password)).toMatch(/Login Succeeded/);
        image = swarm.pushRandomImage("team/nodes", 20_000_000).ref;
        for (let i = 0; i < 3; i++) expect(swarm.pullOnce(image).ok).toBe(true);
    }, 120_000);

    it("loses no pull of 30 during a rolling update of replicas on 3 nodes", async () => {
        const id = deployed.serviceId("registry-service");
        const result = await swarm.pullsDuringRollingUpdate("registry-swarm-nat, 3 nodes", image, id, 3);
        expect(result.failed).toEqual([]);
        expect(result.overlapping).toBeGreaterThanOrEqual(5);
    }, 300_000);
});
