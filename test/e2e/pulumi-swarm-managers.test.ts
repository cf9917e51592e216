// The first manager lost, for real: a Swarm of three managers (three Docker engines in three network namespaces,
// each its own data root, joined over a bridge of the lab's own), the stack deployed by the real Pulumi engine
// (FAASREG_PULUMI_BIN) with `registry:sharedPath` (a host folder at the same path in every node, standing in for
// NFS) and `docker:host` on the first manager. The CLI runs from the bridge's namespace, as from an operator's
// machine on the nodes' network. The front is pinned to the manager under `docker:host`; when that machine
// crashes, the README says what to do: point `docker:host` and the registry's DNS name at another manager and run
// `pulumi up`. This test does exactly that and checks what the stack then does, and that the first manager's
// return changes nothing the stack declared.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importFunctionImage } from "../helpers/function-image";
import { type Lab, waitFor } from "../helpers/lab";
import { changedResources, expectNoChanges, PulumiStack, pulumiSkipReason } from "../helpers/pulumi-cli";
import { SECRET_KEYS, SwarmRegistryLab, swarmLabSkipReason } from "../helpers/swarm-registry-lab";
import { makeCaSignedCertificate } from "../helpers/tls";
import { skipping } from "../helpers/skip";

const skip = skipping("test/e2e/pulumi-swarm-managers.test.ts", swarmLabSkipReason(), pulumiSkipReason());

const HOST = "registry.pulumi-managers.test";
const SERVICE = "faas-registry-mgr-registry";
const FIRST = "10.200.0.1";
const SECOND = "10.200.0.2";

interface Task {
    NodeID: string;
    DesiredState: string;
    Status: { State: string };
}

describe.skipIf(skip !== undefined)("a Swarm of three managers: the first one lost, the front moved by pulumi up", () => {
    let swarm: SwarmRegistryLab;
    let stack: PulumiStack;
    let password: string;
    let image: string;
    const certificate = makeCaSignedCertificate([HOST]);
    /** The second manager: where the operator turns once the first is gone. */
    const second = () => swarm.workers[0];
    const running = async (service: string): Promise<string[]> => {
        const tasks = (await second().docker.call("GET", `/tasks?filters=${encodeURIComponent(JSON.stringify({ service: [service] }))}`)).json as Task[];
        return tasks.filter((t) => t.DesiredState === "running" && t.Status.State === "running").map((t) => t.NodeID);
    };

    beforeAll(async () => {
        swarm = await SwarmRegistryLab.start("pulumi-managers", HOST, { workers: 2, managers: true });
        const nodes: Lab[] = [swarm.lab, ...swarm.workers.map((w) => w.lab)];
        for (const node of nodes) {
            node.writeFile(`/etc/docker/certs.d/${HOST}/ca.crt`, certificate.ca);
            // The registry's DNS name: the first manager, where the front runs, on the nodes' network.
            SwarmRegistryLab.pointHost(node, HOST, FIRST);
        }
        const bridge = swarm.bridge as Lab;
        SwarmRegistryLab.pointHost(bridge, HOST, FIRST);
        const config = swarm.spreadConfig(certificate, "shared path", { "registry:encryptOverlay": "false" });
        stack = await PulumiStack.init(bridge, "mgr", config, SECRET_KEYS);
    }, 300_000);
    afterAll(async () => {
        await swarm?.stop();
    }, 120_000);

    it("three managers; pulumi up: the front on the first, the replicas spread; push and pull through it", async () => {
        const nodes = (await swarm.docker.call("GET", "/nodes")).json as { ManagerStatus?: { Reachability: string } }[];
        expect(nodes.map((n) => n.ManagerStatus?.Reachability)).toEqual(["reachable", "reachable", "reachable"]);
        const up = await stack.up();
        expect(up.status, up.out).toBe(0);
        password = await stack.output("registryPassword", true);
        expect(await running(`${SERVICE}-front`)).toEqual([swarm.nodeId]);
        expect(new Set(await running(SERVICE)).size).toBe(3);
        second().docker.must(["login", HOST, "-u", "ci", "--password-stdin"], password);
        image = `${HOST}/team/survivor:1`;
        importFunctionImage(second().docker, second().lab.dir, image, "survivor");
        second().docker.must(["push", image]);
        second().docker.must(["rmi", image]);
        second().docker.must(["pull", "-q", image]);
        second().docker.must(["rmi", image]);
    }, 600_000);

    it("the first manager crashes: the Swarm keeps its quorum, but the registry is unreachable (its front was there)", async () => {
        const lostAt = Date.now();
        swarm.crash(swarm.lab);
        await waitFor(
            "the first manager seen down by the second",
            async () => {
                const node = (await second().docker.call("GET", `/nodes/${swarm.nodeId}`)).json as { Status: { State: string } };
                return node.Status?.State === "down";
            },
            // The first manager is the Raft leader: a new one is elected before the node is marked down (41 to 60 s here).
            120_000,
        );
        const downAfter = Date.now() - lostAt;
        // Two managers of three: the Swarm is still managed (this call goes through Raft).
        expect((await second().docker.call("GET", "/services")).status).toBe(200);
        // The front cannot move by itself: it is pinned to the lost node.
        expect(await running(`${SERVICE}-front`)).toEqual([]);
        const pullStarted = Date.now();
        const pull = second().docker.cli(["pull", "-q", image]);
        expect(pull.status).not.toBe(0);
        process.stderr.write(
            `pulumi-swarm-managers: first manager seen down after ${downAfter} ms; a pull failed after ${Date.now() - pullStarted} ms: ${pull.out.trim().split("\n").pop()}\n`,
        );
    }, 240_000);

    it("the README's remedy: docker:host and the DNS name on the second manager, then pulumi up moves the front there", async () => {
        await stack.setConfig({ "docker:host": second().docker.host });
        for (const lab of [swarm.bridge as Lab, ...swarm.workers.map((w) => w.lab)]) SwarmRegistryLab.pointHost(lab, HOST, SECOND);
        const plan = changedResources(await stack.preview(["--json"]));
        process.stderr.write(`pulumi-swarm-managers: plan after the loss: ${plan.join(" ")}\n`);
        // Exactly the gate (the new node id) and the front (its placement): nothing is replaced.
        expect(plan).toEqual(["registry-front", "registry-swarm-gate"]);
        const up = await stack.up();
        expect(up.status, up.out).toBe(0);
        expect(up.out).not.toContain(password);
        await waitFor("the front running on the second manager", async () => (await running(`${SERVICE}-front`)).join() === second().nodeId, 60_000);
        // The lost manager's replica was rescheduled on a live node; the images are on the shared folder.
        await waitFor("3 replicas running on the two live nodes", async () => (await running(SERVICE)).length === 3, 120_000);
        expect(await running(SERVICE)).not.toContain(swarm.nodeId);
        // Go re-reads /etc/hosts at most every 5 s: the engine may still try the first manager for a moment.
        await waitFor("a pull through the moved front", async () => second().docker.cli(["pull", "-q", image]).status === 0, 30_000);
        process.stderr.write(`pulumi-swarm-managers: pulumi up moving the front took ${up.ms} ms\n`);
        // The gate now names the second manager; a second up changes nothing.
        await expectNoChanges(stack);
    }, 600_000);

    it("the first manager comes back: it rejoins as a manager, and the stack (on the second) has nothing to change", async () => {
        swarm.lab.exec(["ip", "link", "set", "eth1", "up"]);
        // Its engine on the same data root: it rejoins the Swarm from its own Raft state (no init, no token).
        await swarm.lab.startDockerd();
        await waitFor(
            "the first manager ready and reachable again",
            async () => {
                const node = (await second().docker.call("GET", `/nodes/${swarm.nodeId}`)).json as {
                    Status: { State: string };
                    ManagerStatus?: { Reachability: string };
                };
                return node.Status?.State === "ready" && node.ManagerStatus?.Reachability === "reachable";
            },
            120_000,
        );
        // The front stays where the stack put it; the returning node changes nothing Pulumi declared.
        expect(await running(`${SERVICE}-front`)).toEqual([second().nodeId]);
        await expectNoChanges(stack);
    }, 300_000);
});
