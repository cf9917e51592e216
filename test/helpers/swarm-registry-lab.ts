// registry:mode swarm on a real Swarm: a lab with its own dockerd (Swarm manager, bridge + iptables, overlay
// networks), images made from Debian packages, the stack evaluated under mocks and its recorded Swarm
// objects created on the engine through the provider's translation (swarm-engine.ts), the Swarm gate run
// for real (its node id placed where `pulumi up` would place it), and the readiness gate run at the end.
// Used by test/e2e/registry-swarm.test.ts and bench/registry-swarm.ts (which evaluate the stack each their way).
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { machineCpuMs } from "../../bench/measure";
import { importCaddyImage, importNatImage, importRedisImage, SWARM_DEBS, unpackDebs } from "./deb-images";
import { tarOf } from "./images";
import { type DockerEngine, Lab, LAB_ADDRESS, labSkipReason, waitFor } from "./lab";
import { findResource, MOCK_DIGEST, MOCK_NODE_ID, outputValue, type RecordedResource, unwrap } from "./mocks";
import { ImageSource } from "./image-source";
import { missing } from "./skip";
import { type LabSsh, sshDockerConfig, startSshd } from "./sshd";
import { registryBinary, registrySkipReason } from "./registry-binary";
import { importRegistryImage } from "./registry-image";
import type { EvaluatedStack } from "./evaluate";
import { type CreatedSwarm, createRecorded, forceUpdate, waitConverged } from "./swarm-engine";

const ROOT = join(__dirname, "..", "..");
export const SWARM_CHECK = join(ROOT, "components", "registry", "swarm-check.mjs");
export const PROBE = join(ROOT, "components", "registry", "probe.mjs");
export const CHUNKED_UPLOAD = join(__dirname, "chunked-upload.mjs");
/** The registry's name inside the lab: the lab's own address, where the front publishes 443 (host mode). */
export { LAB_ADDRESS };
/** The config keys a lab's stack sets as secrets. */
export const SECRET_KEYS = ["registry:users", "registry:privateKey", "registry:certificate"];
/** The images the lab builds, before they are published to its image source. */
const LOCAL_IMAGES = { registry: "faasreg-test/registry:3", front: "faasreg-test/caddy:2.6", redis: "faasreg-test/redis:7.0", nat: "faasreg-test/nat-front:1" };

/** Why this machine cannot run a Swarm registry lab (undefined when it can). Downloads the packages once. */
export function swarmLabSkipReason(): string | undefined {
    const lab = missing(labSkipReason({ dockerd: true }), registrySkipReason());
    if (lab !== undefined) return lab;
    const debs = unpackDebs(SWARM_DEBS);
    return "error" in debs ? `${debs.error} (the Swarm tests build Caddy and Redis images from Debian packages)` : undefined;
}

/** Runs the Swarm gate exactly as the stack's SwarmGate resource does: the script, stdin with the connection and the images to pin. */
export function runSwarmGate(
    connection: { host?: string; [key: string]: unknown },
    resolve: string[] = [],
    /** Run it inside this lab (its network), as `pulumi` run there would. */
    lab?: Lab,
): { status: number | null; stdout: string; stderr: string } {
    const input = JSON.stringify({ connection, resolve });
    if (lab !== undefined) return lab.exec([process.execPath, SWARM_CHECK], { input, timeoutMs: 60_000 });
    const r = spawnSync(process.execPath, [SWARM_CHECK], { input, encoding: "utf8", timeout: 60_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface Deployed {
    recorded: RecordedResource[];
    created: CreatedSwarm;
    password: string;
    /** The readiness gate's stdin, as recorded. */
    gateInput: Record<string, unknown>;
    serviceId(logical: "registry-service" | "registry-front" | "registry-redis"): string;
}

/** A worker node of a lab of several: its own namespaces and engine, on the lab's bridge. */
export interface WorkerNode {
    lab: Lab;
    docker: DockerEngine;
    /** Its address on the bridge (10.200.0.N). */
    address: string;
    nodeId: string;
}

/** The bridge that joins the nodes of a lab of several: 10.200.0.0/24, the manager .1, the workers .2, .3, ... */
const CLUSTER_NET = "10.200.0";
/** The bridge's own address in a lab of several nodes. */
export const BRIDGE_ADDRESS = `${CLUSTER_NET}.254`;

export class SwarmRegistryLab {
    private loops = 0;
    private constructor(
        readonly lab: Lab,
        readonly docker: DockerEngine,
        readonly host: string,
        readonly nodeId: string,
        /** The stack's images, as the engine pulls them from the lab's image source, and their digests. */
        readonly images: Record<keyof typeof LOCAL_IMAGES, { ref: string; digest: string }>,
        /** Worker nodes (a lab of several); empty for a Swarm of one node. */
        readonly workers: WorkerNode[] = [],
        /** The namespace that holds the bridge between the nodes (a lab of several). */
        readonly bridge?: Lab,
        /** The manager's sshd (`ssh`): the stack's docker:host is then ssh:// to it, as to a VM. */
        readonly ssh?: LabSsh,
    ) {}

    /** A lab with a Swarm manager, the three images, and `host` resolving to the lab's address. About 10 s. */
    /** `faultableRegistry`: the registry image can be made to answer 500 to everything (registry-image.ts). */
    /**
     * `workers`: that many more nodes, each a lab of its own (namespaces, engine, data root), joined to the
     * manager's Swarm over a bridge in a namespace of its own (nothing on the host's network). One manager:
     * the front is pinned to it and Raft needs no quorum of workers, so losing a worker is what it is in
     * production, while three managers would only add the quorum to what a test of a lost worker shows.
     * `managers`: the other nodes join as managers instead (a Swarm of three managers, Raft's quorum 2 of 3),
     * so that the first manager can be lost and the Swarm still be managed through another one.
     */
    static async start(
        name: string,
        host: string,
        /** `ssh`: the manager also runs sshd, and the stack reaches its engine over SSH (docker:host ssh://, as a VM). */
        options: { faultableRegistry?: boolean; workers?: number; managers?: boolean; ssh?: boolean } = {},
    ): Promise<SwarmRegistryLab> {
        const lab = await Lab.start(name);
        const labs: Lab[] = [lab];
        try {
            lab.addHost(LAB_ADDRESS, host);
            const count = options.workers ?? 0;
            const bridge = count > 0 ? await Lab.start(`${name}-bridge`) : undefined;
            if (bridge !== undefined) {
                labs.push(bridge);
                // The bridge has an address of its own too: servers every node reaches (a MinIO) listen there.
                must(
                    bridge.exec(["bash", "-c", `ip link add br0 type bridge && ip addr add ${BRIDGE_ADDRESS}/24 dev br0 && ip link set br0 up`]),
                    "the bridge",
                );
                connect(bridge, lab, 1);
            }
            const docker = await lab.startDockerd({
                swarm: true,
                ...(bridge === undefined ? {} : { advertise: `${CLUSTER_NET}.1` }),
                // `docker system dial-stdio` over SSH talks to the default socket.
                defaultSocket: options.ssh,
            });
            const ssh = options.ssh ? await startSshd(lab) : undefined;
            const debs = unpackDebs(SWARM_DEBS);
            if ("error" in debs) throw new Error(debs.error);
            const bundle = join(lab.dir, "ca-bundle.pem");
            // The system's roots only, as in the official image.
            writeFileSync(bundle, readFileSync("/etc/ssl/certs/ca-certificates.crt", "utf8"));
            importRegistryImage(docker, lab.dir, LOCAL_IMAGES.registry, "v3", { faultable: options.faultableRegistry });
            importCaddyImage(docker, lab.dir, LOCAL_IMAGES.front, debs.root, bundle);
            importRedisImage(docker, lab.dir, LOCAL_IMAGES.redis, debs.root);
            importNatImage(docker, lab.dir, LOCAL_IMAGES.nat);
            const source = await ImageSource.start(lab, docker);
            const images = {
                registry: source.publish(LOCAL_IMAGES.registry),
                front: source.publish(LOCAL_IMAGES.front),
                redis: source.publish(LOCAL_IMAGES.redis),
                nat: source.publish(LOCAL_IMAGES.nat),
            };
            const gate = runSwarmGate({ host: docker.host });
            if (gate.status !== 0) throw new Error(`the Swarm gate refused the lab's manager: ${gate.stderr}`);
            const workers: WorkerNode[] = [];
            if (bridge !== undefined) {
                const swarm = (await docker.call("GET", "/swarm")).json as { JoinTokens: { Worker: string; Manager: string } };
                for (let i = 0; i < count; i++) {
                    const node = await Lab.start(`${name}-worker${i + 1}`);
                    labs.push(node);
                    const address = `${CLUSTER_NET}.${i + 2}`;
                    connect(bridge, node, i + 2);
                    node.addHost(LAB_ADDRESS, host);
                    const engine = await node.startDockerd();
                    const joined = await engine.call("POST", "/swarm/join", {
                        ListenAddr: `${address}:2377`,
                        AdvertiseAddr: address,
                        RemoteAddrs: [`${CLUSTER_NET}.1:2377`],
                        JoinToken: options.managers ? swarm.JoinTokens.Manager : swarm.JoinTokens.Worker,
                    });
                    if (joined.status !== 200) throw new Error(`worker ${address} could not join: ${joined.status} ${JSON.stringify(joined.json)}`);
                    // Each node pulls the stack's images from its own 127.0.0.1:5999, serving the manager's store.
                    node.spawn("image-source", [registryBinary(), "serve", join(lab.dir, "image-source.yml")]);
                    await waitFor(`worker ${address}'s image source`, async () => node.log("image-source").includes("listening on"), 15_000);
                    const info = (await engine.call("GET", "/info")).json as { Swarm: { NodeID: string } };
                    workers.push({ lab: node, docker: engine, address, nodeId: info.Swarm.NodeID });
                }
            }
            return new SwarmRegistryLab(lab, docker, host, JSON.parse(gate.stdout).nodeId, images, workers, bridge, ssh);
        } catch (error) {
            for (const l of labs.reverse()) await l.stop();
            throw error;
        }
    }

    /** The config of a stack whose front serves `certificate` (CA-signed: the chain is leaf + CA), 3 replicas and Redis. */
    certificateConfig(certificate: { ca: string; cert: string; key: string }): Record<string, string> {
        return this.config({
            "registry:tls": "certificate",
            "registry:certificate": `${certificate.cert}${certificate.ca}`,
            "registry:privateKey": certificate.key,
            "registry:replicas": "3",
            "registry:redis": "service",
            "registry:redisImage": this.images.redis.ref,
        });
    }

    /**
     * The config of a stack behind the NAT front (`registry:front nat`): the replicas serve `certificate`
     * themselves, `replicas` of them, no Redis.
     */
    natConfig(certificate: { ca: string; cert: string; key: string }, replicas = 2): Record<string, string> {
        const config: Record<string, string> = {
            ...this.certificateConfig(certificate),
            "registry:front": "nat",
            "registry:natImage": this.images.nat.ref,
            "registry:replicas": String(replicas),
        };
        for (const key of ["registry:frontImage", "registry:redis", "registry:redisImage"]) delete config[key];
        return config;
    }

    /**
     * The config of a stack spread over the nodes of this lab: the front serving `certificate`, no Redis, the
     * images on a shared path (one folder of the host, at the same path in every node's namespace, standing
     * in for NFS) or in S3 (`s3`: a MinIO every node reaches), and `extra` keys.
     */
    spreadConfig(
        certificate: { ca: string; cert: string; key: string },
        storage: { s3: { endpoint: string; region: string; accessKey: string; secretKey: string; bucket: string } } | "shared path",
        extra: Record<string, string> = {},
    ): Record<string, string> {
        const config: Record<string, string> = { ...this.certificateConfig(certificate), ...extra };
        delete config["registry:redis"];
        delete config["registry:redisImage"];
        if (storage === "shared path") {
            const shared = join(this.lab.dir, "shared-images");
            mkdirSync(shared, { recursive: true });
            config["registry:sharedPath"] = shared;
        } else {
            Object.assign(config, {
                "registry:storage": "s3",
                "registry:s3Bucket": storage.s3.bucket,
                "registry:s3Region": storage.s3.region,
                "registry:s3RegionEndpoint": storage.s3.endpoint,
                "registry:s3ForcePathStyle": "true",
                "registry:s3AccessKey": storage.s3.accessKey,
                "registry:s3SecretKey": storage.s3.secretKey,
            });
        }
        return config;
    }

    /**
     * A worker gone as a crashed VM is: its link to the bridge cut, its engine killed. Resolves with the time of
     * the loss and when the manager saw the node down (0 if not within 60 s).
     */
    async loseWorker(worker: WorkerNode): Promise<{ lostAt: number; downAt: number }> {
        const lostAt = Date.now();
        worker.lab.exec(["ip", "link", "set", "eth1", "down"]);
        process.kill(Number(readFileSync(join(worker.lab.dir, "dockerd.pid"), "utf8")), "SIGKILL");
        for (let i = 0; i < 120; i++) {
            const node = (await this.docker.call("GET", `/nodes/${worker.nodeId}`)).json as { Status: { State: string } };
            if (node.Status.State === "down") return { lostAt, downAt: Date.now() };
            await sleep(500);
        }
        return { lostAt, downAt: 0 };
    }

    /**
     * A node gone as a crashed machine is: its link to the bridge cut, its engine, containerd and every container
     * on it killed (a SIGKILLed dockerd alone leaves its containers running). Works for the first manager too.
     */
    crash(node: Lab): void {
        node.exec(["ip", "link", "set", "eth1", "down"]);
        // Everything in the node's network namespace but the process holding it (the engine, containerd, the
        // shims, its image source), and every container (in the node's cgroup parent).
        const netns = (pid: string) => {
            try {
                return readlinkSync(`/proc/${pid}/ns/net`);
            } catch {
                return undefined;
            }
        };
        const own = netns(String(node.pid));
        const group = node.dir.split("/").pop() as string;
        const r = spawnSync("sh", ["-c", `cat /sys/fs/cgroup/*/${group}/*/cgroup.procs /sys/fs/cgroup/*/${group}/cgroup.procs 2>/dev/null | sort -u`], {
            encoding: "utf8",
        });
        const inNode = readdirSync("/proc").filter((pid) => /^\d+$/.test(pid) && pid !== String(node.pid) && netns(pid) === own);
        for (const pid of [...inNode, ...r.stdout.split("\n").filter(Boolean)]) {
            try {
                process.kill(Number(pid), "SIGKILL");
            } catch {
                // gone already
            }
        }
    }

    /** Points `host` at `address` in a lab's /etc/hosts (what changing the registry's DNS record does). */
    static pointHost(lab: Lab, host: string, address: string): void {
        const r = lab.exec(["sh", "-c", `sed -i "/ $1$/d" /etc/hosts && printf '%s %s\n' "$0" "$1" >> /etc/hosts`, address, host]);
        if (r.status !== 0) throw new Error(`could not point ${host} at ${address}: ${r.stderr}`);
    }

    /** The stack's config for this lab: swarm mode, the test images, one generated user `ci`. */
    config(extra: Record<string, string>): Record<string, string> {
        return {
            "registry:mode": "swarm",
            "registry:host": this.host,
            "registry:users": JSON.stringify([{ username: "ci" }]),
            "registry:image": this.images.registry.ref,
            "registry:frontImage": this.images.front.ref,
            ...(this.ssh === undefined ? { "docker:host": this.docker.host } : sshDockerConfig(this.ssh)),
            ...extra,
        };
    }

    /**
     * `pulumi up` without the engine: with the stack evaluated under mocks, every recorded Swarm object created
     * through the provider's translation (the gate's node id, and each image's digest, where the engine would put
     * them), converged, then the readiness gate run with its recorded stdin from inside the lab.
     */
    async deploy(stack: EvaluatedStack): Promise<Deployed> {
        const password = (await outputValue(stack.exports.registryPasswords as pulumi.Output<Record<string, string>>)).ci;
        const swapNode = (value: unknown): unknown => {
            let text = JSON.stringify(value).replaceAll(MOCK_NODE_ID, this.nodeId);
            for (const image of Object.values(this.images)) text = text.replaceAll(`${image.ref}@${MOCK_DIGEST}`, `${image.ref}@${image.digest}`);
            return JSON.parse(text);
        };
        const created = await createRecorded(this.docker, stack.recorded, (_, inputs) => swapNode(inputs) as Record<string, unknown>);
        const serviceId = (logical: string) => {
            const id = created.ids.get(logical);
            if (id === undefined) throw new Error(`no service ${logical} was created`);
            return id;
        };
        for (const [logical, spec] of created.specs) await waitConverged(this.docker, serviceId(logical), spec.Mode.Replicated.Replicas);
        const gateInput = JSON.parse(unwrap(findResource(stack.recorded, "command:local:Command", "registry-ready").inputs.stdin) as string);
        return { recorded: stack.recorded, created, password, gateInput, serviceId };
    }

    /** Runs the readiness gate (probe.mjs) inside the lab with the given stdin. */
    probe(input: Record<string, unknown>): { status: number | null; stdout: string; stderr: string } {
        return this.lab.exec([process.execPath, PROBE], { input: JSON.stringify(input), timeoutMs: 120_000 });
    }

    /**
     * An image with one layer of `bytes` random bytes, pushed as HOST/REPO:TAG; the local copy is removed. `pushCpuMs`:
     * the machine's CPU during the push (bench/measure.ts).
     */
    pushRandomImage(repo: string, bytes: number): { ref: string; pushMs: number; pushCpuMs: number } {
        const ref = this.randomImage(repo, bytes);
        const cpu = machineCpuMs();
        const started = Date.now();
        this.docker.must(["push", ref]);
        const pushMs = Date.now() - started;
        const pushCpuMs = machineCpuMs() - cpu;
        this.docker.must(["rmi", "-f", ref]);
        return { ref, pushMs, pushCpuMs };
    }

    /** A local image of one random layer, named HOST/REPO:1, not pushed; returns its name. */
    randomImage(repo: string, bytes: number): string {
        const root = join(this.lab.dir, `blob-image-${repo.replace(/\W+/g, "_")}`);
        mkdirSync(root, { recursive: true });
        writeFileSync(join(root, "blob"), randomBytes(bytes));
        const ref = `${this.host}/${repo}:1`;
        this.docker.must(["import", tarOf(root), ref]);
        return ref;
    }

    /** One pull of `ref` with nothing cached: ok, how long it took, and the machine's CPU meanwhile. */
    pullOnce(ref: string): { ok: boolean; ms: number; cpuMs: number; out: string } {
        this.docker.cli(["rmi", "-f", ref]);
        const cpu = machineCpuMs();
        const started = Date.now();
        const r = this.docker.cli(["pull", "-q", ref]);
        return { ok: r.status === 0, ms: Date.now() - started, cpuMs: machineCpuMs() - cpu, out: r.out.trim().split("\n").pop() ?? "" };
    }

    /** `count` pulls one after another, in the background of `during` (which runs once the loop has started). */
    async pullsDuring(
        ref: string,
        count: number,
        during: () => Promise<void>,
        /** A pause after each pull, so the pulls span a window of known length. */
        pauseSeconds = 0,
    ): Promise<{ ok: number; failed: string[]; overlapping: number; pulls: { ok: boolean; startedAt: number; endedAt: number }[] }> {
        const script = join(this.lab.dir, "pull-loop.sh");
        writeFileSync(
            script,
            // Each pull is bounded (60 s; one takes about 1 s here): a pull that hangs is a failed pull, named
            // with how long it ran and what the client said last, not a test that times out saying nothing.
            // Each line ends with when the pull ended (ms since the epoch).
            `#!/bin/sh\nfor i in $(seq 1 ${count}); do docker rmi -f "$1" >/dev/null 2>&1; t=$(date +%s%N); if out=$(timeout 60 docker pull -q "$1" 2>&1); then echo "ok $i $(( ($(date +%s%N) - t) / 1000000 )) ms at $(date +%s%3N)"; else echo "FAIL $i after $(( ($(date +%s%N) - t) / 1000000 )) ms at $(date +%s%3N): $(echo "$out" | tail -1)"; fi; sleep ${pauseSeconds}; done\n`,
        );
        const configDir = join(this.lab.dir, "docker-cli");
        const name = `pull-loop-${++this.loops}`;
        const loop = this.lab.spawn(name, ["env", `DOCKER_HOST=${this.docker.host}`, `DOCKER_CONFIG=${configDir}`, `HOME=${configDir}`, "sh", script, ref]);
        const done = new Promise<void>((resolve) => loop.on("exit", () => resolve()));
        const finished = () =>
            this.lab
                .log(name)
                .split("\n")
                .filter((l) => /^(ok|FAIL) /.test(l)).length;
        for (let i = 0; i < 100 && finished() === 0; i++) await sleep(100);
        const before = finished();
        await during();
        // Pulls that ended while the change ran: the loop really overlapped it.
        const overlapping = finished() - before;
        await done;
        const lines = this.lab.log(name).split("\n");
        const pulls = lines
            .map((l) => /^(ok|FAIL) \d+ (?:after )?(\d+) ms at (\d+)/.exec(l))
            .filter((m) => m !== null)
            .map((m) => ({ ok: m[1] === "ok", endedAt: Number(m[3]), startedAt: Number(m[3]) - Number(m[2]) }));
        return { ok: lines.filter((l) => l.startsWith("ok ")).length, failed: lines.filter((l) => l.startsWith("FAIL")), overlapping, pulls };
    }

    /**
     * 30 pulls of `ref` while the registry service rolls every replica (a forced update: start-first, one at a
     * time) until `replicas` run the new spec; printed as `LABEL: rolling update: ...`. The caller asserts.
     */
    async pullsDuringRollingUpdate(label: string, ref: string, serviceId: string, replicas: number): ReturnType<SwarmRegistryLab["pullsDuring"]> {
        const result = await this.pullsDuring(ref, 30, async () => {
            await forceUpdate(this.docker, serviceId);
            await waitConverged(this.docker, serviceId, replicas);
        });
        process.stderr.write(`${label}: rolling update: ${result.ok} pulls ok, ${result.failed.length} failed, ${result.overlapping} while it ran\n`);
        return result;
    }

    /** The ids of the running containers of a service (its tasks on this node). */
    containersOf(serviceName: string): string[] {
        return this.docker
            .must(["ps", "-q", "--filter", `label=com.docker.swarm.service.name=${serviceName}`])
            .split("\n")
            .filter(Boolean);
    }

    /** On which node (the manager, or worker N's address) each running task of a service is, as the manager says. */
    async nodesOf(serviceName: string): Promise<string[]> {
        const names = new Map<string, string>([[this.nodeId, "manager"], ...this.workers.map((w) => [w.nodeId, w.address] as [string, string])]);
        const filters = encodeURIComponent(JSON.stringify({ service: [serviceName], "desired-state": ["running"] }));
        const tasks = (await this.docker.call("GET", `/tasks?filters=${filters}`)).json as { NodeID: string; Status: { State: string } }[];
        return tasks.filter((t) => t.Status.State === "running").map((t) => names.get(t.NodeID) ?? t.NodeID);
    }

    async stop(): Promise<void> {
        for (const worker of this.workers) await worker.lab.stop();
        await this.lab.stop();
        await this.bridge?.stop();
    }
}

/** A veth from the bridge's namespace into `node`'s, addressed 10.200.0.N there. */
function connect(bridge: Lab, node: Lab, n: number): void {
    must(
        bridge.exec(["bash", "-c", `ip link add sw${n} type veth peer name eth1 netns ${node.pid} && ip link set sw${n} master br0 && ip link set sw${n} up`]),
        `the link to node ${n}`,
    );
    must(node.exec(["bash", "-c", `ip addr add ${CLUSTER_NET}.${n}/24 dev eth1 && ip link set eth1 up`]), `node ${n}'s address`);
}

function must(r: { status: number | null; stderr: string }, what: string): void {
    if (r.status !== 0) throw new Error(`could not set up ${what}: ${r.stderr}`);
}

export function sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
}
