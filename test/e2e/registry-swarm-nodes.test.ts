// registry:mode swarm on a Swarm of THREE nodes, for real: three Docker engines, each in network and mount
// namespaces of its own with its own data root, joined into one Swarm (one manager, two workers) over a
// bridge in a namespace of its own; nothing on the host's network. The images live on
// `registry:sharedPath`: one folder of the host, at the same path in every node's namespace, standing in
// for NFS. With `registry:spread` (the default with shared storage) the replicas land on every node; the
// front (on the manager) reaches the ones on the workers over the overlay.
// The overlay is encrypted by default (IPsec). This machine's kernel refuses the IPsec state Docker asks for
// ("Failed Adding rSA ... rfc4106(gcm(aes)) ...: function not implemented" in the engine's log), so here
// requests to replicas on other nodes are lost: the first suite shows exactly that (and, on a kernel with
// IPsec, that no credential crosses the nodes' bridge in clear). The second runs everything else with
// `registry:encryptOverlay false`, and shows its cost: Basic credentials on the bridge in clear. The third
// keeps the images in S3: MinIO on the bridge's own address, which every node reaches.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeCaSignedCertificate } from "../helpers/tls";
import { evaluateStack } from "../helpers/stack";
import {
    BRIDGE_ADDRESS,
    CHUNKED_UPLOAD,
    type Deployed,
    runSwarmGate,
    SECRET_KEYS,
    sleep,
    SwarmRegistryLab,
    swarmLabSkipReason,
} from "../helpers/swarm-registry-lab";
import { waitConverged } from "../helpers/swarm-engine";
import { type Lab, stepWatch } from "../helpers/lab";
import { type Minio, minioSkipReason, startMinio } from "../helpers/minio";
import { skipping } from "../helpers/skip";

const skip = skipping("test/e2e/registry-swarm-nodes.test.ts", swarmLabSkipReason());
/** The S3 suite needs MinIO too. */
const s3Skip = skipping("test/e2e/registry-swarm-nodes.test.ts, its S3 suite", skip, minioSkipReason());

const HOST = "registry.nodes.test";
const SERVICE = "faas-registry-test-registry";

/**
 * Frames on the manager's link to the bridge (every packet between the front and the workers' replicas) that
 * carry a Basic Authorization header in clear, while `during` runs. (On br0 itself only frames for the bridge
 * device are seen, not those it forwards between ports.)
 */
async function basicAuthOnBridge(swarm: SwarmRegistryLab, during: () => Promise<void> | void, seconds = 15): Promise<number> {
    const script = [
        "import socket, time, sys",
        "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(3))",
        "s.bind((sys.argv[2], 0)); s.settimeout(0.2)",
        "end = time.time() + float(sys.argv[1]); found = 0",
        "while time.time() < end:",
        "    try: d = s.recv(65535)",
        "    except socket.timeout: continue",
        '    found += b"Authorization: Basic" in d',
        "print(found, flush=True)",
    ].join("\n");
    const bridge = swarm.bridge as NonNullable<SwarmRegistryLab["bridge"]>;
    const capture = bridge.spawn(`capture-${Date.now()}`, ["python3", "-c", script, String(seconds), "sw1"]);
    let out = "";
    capture.stdout?.on("data", (d) => (out += d));
    const done = new Promise<void>((r) => capture.on("exit", () => r()));
    await sleep(500);
    await during();
    await done;
    return Number(out.trim());
}

describe.skipIf(skip !== undefined)("registry:mode swarm on two nodes with the default encrypted overlay, on this kernel", () => {
    let swarm: SwarmRegistryLab;
    let deployed: Deployed;
    const certificate = makeCaSignedCertificate([HOST]);

    beforeAll(async () => {
        swarm = await SwarmRegistryLab.start("swarm-ipsec", HOST, { workers: 1 });
        swarm.lab.writeFile(`/etc/docker/certs.d/${HOST}/ca.crt`, certificate.ca);
        const config = swarm.spreadConfig(certificate, "shared path", { "registry:replicas": "2" });
        deployed = await swarm.deploy(await evaluateStack(config, { secretKeys: SECRET_KEYS }));
    }, 300_000);
    afterAll(async () => {
        await swarm?.stop();
    }, 120_000);

    it("either keeps every credential off the bridge (a kernel with IPsec), or loses the requests to the other node, as the engine's log says", async () => {
        expect((await swarm.nodesOf(SERVICE)).sort()).toEqual(["10.200.0.2", "manager"]);
        // Each step bounded: one that cannot reach a replica would retry for minutes.
        const env = swarm.docker.env();
        const steps: { step: string; ok: boolean; said: string }[] = [];
        const seen = await basicAuthOnBridge(
            swarm,
            () => {
                const login = swarm.lab.exec(["timeout", "25", "docker", "login", HOST, "-u", "ci", "--password-stdin"], { env, input: deployed.password });
                steps.push({ step: "login", ok: login.status === 0, said: `${login.stdout}${login.stderr}`.trim().split("\n").pop() ?? "" });
                for (let i = 0; i < 2; i++) {
                    const push = swarm.lab.exec(["timeout", "25", "docker", "push", swarm.randomImage(`team/enc-${i}`, 200_000)], { env });
                    steps.push({ step: `push ${i + 1}`, ok: push.status === 0, said: `${push.stdout}${push.stderr}`.trim().split("\n").pop() ?? "" });
                }
            },
            80,
        );
        const outcomes = steps.map((s) => s.ok);
        const refused = /Failed Adding [rf]SA\{.*Proto: esp.*function not implemented/.exec(swarm.lab.log("dockerd"))?.[0];
        process.stderr.write(
            `registry-swarm-nodes: encrypted overlay: ${steps.map((s) => `${s.step} ${s.ok ? "ok" : `failed (${s.said})`}`).join("; ")}; ${seen} frames with Basic credentials on the bridge; the kernel ${refused === undefined ? "did the IPsec" : "refused it"}\n`,
        );
        expect(seen).toBe(0);
        if (refused === undefined) {
            expect(outcomes.every(Boolean)).toBe(true);
        } else {
            // What the stack does on such a kernel: it deploys (it cannot see the nodes' kernels), and the front's
            // requests to the replica on the other node are lost. The README says how to recognise it and what to set.
            expect(refused).toMatch(/rfc4106\(gcm\(aes\)\)/);
            expect(outcomes.some((ok) => !ok)).toBe(true);
        }
    }, 300_000);
});

describe.skipIf(skip !== undefined)("registry:mode swarm on a Swarm of three nodes, images on a shared path (registry:encryptOverlay false)", () => {
    let swarm: SwarmRegistryLab;
    let deployed: Deployed;
    let image: string;
    const certificate = makeCaSignedCertificate([HOST]);

    beforeAll(async () => {
        swarm = await SwarmRegistryLab.start("swarm-nodes", HOST, { workers: 2 });
        swarm.lab.writeFile(`/etc/docker/certs.d/${HOST}/ca.crt`, certificate.ca);
        swarm.lab.writeFile(join(swarm.lab.dir, "ca.pem"), certificate.ca);
        const config = swarm.spreadConfig(certificate, "shared path", { "registry:encryptOverlay": "false" });
        deployed = await swarm.deploy(await evaluateStack(config, { secretKeys: SECRET_KEYS }));
    }, 300_000);
    afterAll(async () => {
        await swarm?.stop();
    }, 120_000);

    it("joins three engines into one Swarm, and spreads the 3 replicas over the 3 nodes; the front stays on the manager", async () => {
        const nodes = (await swarm.docker.call("GET", "/nodes")).json as { Status: { State: string; Addr: string } }[];
        expect(nodes.map((n) => n.Status.State)).toEqual(["ready", "ready", "ready"]);
        const placed = await swarm.nodesOf(SERVICE);
        process.stderr.write(`registry-swarm-nodes: replicas on ${placed.join(", ")}\n`);
        expect(new Set(placed).size).toBe(3);
        expect(await swarm.nodesOf(`${SERVICE}-front`)).toEqual(["manager"]);
    });

    it("passes the readiness gate, and takes docker login, push and pull of a 20 MB layer through the front", async () => {
        const gate = swarm.probe({ ...deployed.gateInput, timeoutSeconds: 60 });
        expect(gate.status, gate.stderr).toBe(0);
        expect(swarm.docker.must(["login", HOST, "-u", "ci", "--password-stdin"], deployed.password)).toMatch(/Login Succeeded/);
        let pushed = { ref: "", pushMs: 0 };
        // The cost of a clear overlay: the front's requests to the workers' replicas cross the bridge readable.
        const seen = await basicAuthOnBridge(swarm, () => {
            pushed = swarm.pushRandomImage("team/big", 20_000_000);
        });
        image = pushed.ref;
        const pull = swarm.pullOnce(image);
        expect(pull.ok, pull.out).toBe(true);
        process.stderr.write(
            `registry-swarm-nodes: push 20 MB ${pushed.pushMs} ms, pull ${pull.ms} ms through the front to replicas on 3 nodes; ${seen} frames with Basic credentials on the bridge in clear\n`,
        );
        expect(seen).toBeGreaterThan(0);
    });

    it("the Swarm gate refuses a worker as docker:host, naming it and what to do", () => {
        const worker = swarm.workers[0];
        const r = runSwarmGate({ host: worker.docker.host });
        expect(r.status).not.toBe(0);
        expect(r.stderr).toContain(`is a Swarm worker, not a manager: services can only be created on a manager. Point docker:host at a manager`);
    });

    it("completes a 20 MB upload in 6 chunks whose requests land on replicas on different nodes", () => {
        const r = swarm.lab.exec(
            [
                "env",
                `NODE_EXTRA_CA_CERTS=${join(swarm.lab.dir, "ca.pem")}`,
                process.execPath,
                CHUNKED_UPLOAD,
                `https://${HOST}`,
                "ci",
                "team/chunked",
                "20000000",
                "6",
            ],
            { input: deployed.password },
        );
        expect(r.status, r.stderr).toBe(0);
        const upload = JSON.parse(r.stdout) as { uuid: string; stored: boolean };
        expect(upload.stored, r.stdout).toBe(true);
        // Which nodes' replicas logged a request of this upload (each node's engine holds its own containers' logs).
        const engines = [{ name: "manager", docker: swarm.docker }, ...swarm.workers.map((w) => ({ name: w.address, docker: w.docker }))];
        const served = engines.filter(({ docker }) =>
            docker
                .must(["ps", "-q", "--filter", `label=com.docker.swarm.service.name=${SERVICE}`])
                .split("\n")
                .filter(Boolean)
                .some((id) => docker.cli(["logs", id]).out.includes(upload.uuid)),
        );
        process.stderr.write(`registry-swarm-nodes: a 6-chunk upload was served on ${served.map((e) => e.name).join(", ")}\n`);
        expect(served.length).toBeGreaterThanOrEqual(2);
    });

    it("loses no pull of 30 during a rolling update of replicas on 3 nodes", async () => {
        const id = deployed.serviceId("registry-service");
        const result = await swarm.pullsDuringRollingUpdate("registry-swarm-nodes", image, id, 3);
        expect(result.failed).toEqual([]);
        expect(result.ok).toBe(30);
    }, 300_000);

    it("loses no pull of 30 while a worker is drained", async () => {
        const worker = swarm.workers[1];
        const id = deployed.serviceId("registry-service");
        const result = await swarm.pullsDuring(image, 30, async () => {
            swarm.docker.must(["node", "update", "--availability", "drain", worker.nodeId]);
            await waitConverged(swarm.docker, id, 3);
            await sleep(3000);
        });
        process.stderr.write(`registry-swarm-nodes: drain: ${result.ok} pulls ok, ${result.failed.length} failed, ${result.overlapping} while it ran\n`);
        expect(await swarm.nodesOf(SERVICE)).not.toContain(worker.address);
        expect(result.failed).toEqual([]);
        expect(result.ok).toBe(30);
        swarm.docker.must(["node", "update", "--availability", "active", worker.nodeId]);
    }, 300_000);

    it("keeps serving pulls after a bounded window when a worker is lost (network cut, engine killed), and takes the node back", async () => {
        const id = deployed.serviceId("registry-service");
        const worker = swarm.workers[0];
        expect(await swarm.nodesOf(SERVICE)).toContain(worker.address);
        let lost = { lostAt: 0, downAt: 0 };
        const result = await swarm.pullsDuring(
            image,
            60,
            async () => {
                await sleep(2000);
                lost = await swarm.loseWorker(worker);
            },
            1,
        );
        const { lostAt, downAt } = lost;
        // The window, by when each pull STARTED: a pull in flight at the loss may hang until the client gives up.
        const failedStarts = result.pulls.filter((p) => !p.ok && p.endedAt >= lostAt).map((p) => p.startedAt - lostAt);
        const window = failedStarts.length === 0 ? 0 : Math.max(...failedStarts);
        const seenDown = downAt - lostAt;
        process.stderr.write(
            `registry-swarm-nodes: worker lost: Swarm saw the node down after ${seenDown} ms; ${result.ok} of 60 pulls ok, ` +
                `${result.failed.length} failed (${result.failed.join(" | ")}), the last failed pull started ${window} ms after the loss\n`,
        );
        // A bounded window: every pull started once Swarm saw the node down (plus 5 s for DNS and the front) succeeds.
        const after = result.pulls.filter((p) => p.startedAt > downAt + 5_000);
        expect(downAt).toBeGreaterThan(0);
        expect(after.length).toBeGreaterThan(5);
        expect(after.every((p) => p.ok)).toBe(true);
        await waitConverged(swarm.docker, id, 3);
        expect(await swarm.nodesOf(SERVICE)).not.toContain(worker.address);
        // The node comes back: its link up, its engine started on the same data root; Swarm marks it ready.
        worker.lab.exec(["ip", "link", "set", "eth1", "up"]);
        await worker.lab.startDockerd();
        for (let i = 0; i < 60; i++) {
            const nodes = (await swarm.docker.call("GET", "/nodes")).json as { ID: string; Status: { State: string } }[];
            if (nodes.find((n) => n.ID === worker.nodeId)?.Status.State === "ready") break;
            await sleep(1000);
        }
        const back = (await swarm.docker.call("GET", `/nodes/${worker.nodeId}`)).json as { Status: { State: string } };
        expect(back.Status.State).toBe("ready");
    }, 300_000);
});

describe.skipIf(s3Skip !== undefined)("registry:mode swarm on three nodes with the images in S3 (MinIO every node reaches)", () => {
    let swarm: SwarmRegistryLab;
    let deployed: Deployed;
    let minio: Minio;
    const certificate = makeCaSignedCertificate([HOST]);

    beforeAll(async () => {
        // It timed out once in ten CI runs (12-05), in a step nobody knew: the watch names it next time.
        const watch = stepWatch("registry-swarm-nodes, S3 setup", 240_000);
        try {
            watch.step("three nodes in one Swarm");
            swarm = await SwarmRegistryLab.start("swarm-s3", HOST, { workers: 2 });
            swarm.lab.writeFile(`/etc/docker/certs.d/${HOST}/ca.crt`, certificate.ca);
            // MinIO on the bridge's own address: every node reaches it, as a store on the nodes' network.
            watch.step("MinIO");
            minio = await startMinio({ lab: swarm.bridge as Lab, address: BRIDGE_ADDRESS });
            await minio.createBucket("images");
            const config = swarm.spreadConfig(certificate, { s3: { ...minio, bucket: "images" } }, { "registry:encryptOverlay": "false" });
            watch.step("the stack's services created and converged");
            deployed = await swarm.deploy(await evaluateStack(config, { secretKeys: [...SECRET_KEYS, "registry:s3SecretKey"] }));
        } finally {
            // A step that failed has said so itself.
            watch.done();
        }
    }, 300_000);
    afterAll(async () => {
        await swarm?.stop();
        await minio?.stop();
    }, 120_000);

    it("spreads the replicas over 3 nodes (s3 storage), takes a 20 MB push and pull through the front into the bucket, the secret key in no spec", async () => {
        const placed = await swarm.nodesOf(SERVICE);
        expect(new Set(placed).size).toBe(3);
        const gate = swarm.probe({ ...deployed.gateInput, timeoutSeconds: 60 });
        expect(gate.status, gate.stderr).toBe(0);
        expect(swarm.docker.must(["login", HOST, "-u", "ci", "--password-stdin"], deployed.password)).toMatch(/Login Succeeded/);
        const pushed = swarm.pushRandomImage("team/s3", 20_000_000);
        const pull = swarm.pullOnce(pushed.ref);
        expect(pull.ok, pull.out).toBe(true);
        const stored = await minio.objects("images");
        process.stderr.write(
            `registry-swarm-nodes: s3 on 3 nodes: push 20 MB ${pushed.pushMs} ms, pull ${pull.ms} ms through the front; bucket ${stored.bytes} bytes in ${stored.keys.length} objects\n`,
        );
        expect(stored.bytes).toBeGreaterThan(20_000_000);
        const specs = swarm.docker.must(["service", "inspect", SERVICE, `${SERVICE}-front`]);
        expect(specs.includes(minio.secretKey)).toBe(false);
        for (const worker of swarm.workers) {
            for (const id of worker.docker.must(["ps", "-q"]).split("\n").filter(Boolean))
                expect(worker.docker.must(["inspect", id]).includes(minio.secretKey)).toBe(false);
        }
    }, 300_000);
});
