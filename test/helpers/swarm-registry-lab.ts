// registry:mode swarm on a real Swarm: a lab with its own dockerd (Swarm manager, bridge + iptables, overlay
// networks), images made from Debian packages, the stack evaluated under mocks and its recorded Swarm
// objects created on the engine through the provider's translation (swarm-engine.ts), the Swarm gate run
// for real (its node id placed where `pulumi up` would place it), and the readiness gate run at the end.
// Used by test/e2e/registry-swarm.test.ts and bench/registry-swarm.ts (which evaluate the stack each their way).
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { importCaddyImage, importRedisImage, SWARM_DEBS, unpackDebs } from "./deb-images";
import { tarOf } from "./images";
import { type DockerEngine, Lab, labSkipReason } from "./lab";
import { findResource, MOCK_DIGEST, MOCK_NODE_ID, outputValue, type RecordedResource, unwrap } from "./mocks";
import { ImageSource } from "./image-source";
import { registrySkipReason } from "./registry-binary";
import { importRegistryImage } from "./registry-image";
import type { EvaluatedStack } from "./evaluate";
import { type CreatedSwarm, createRecorded, waitConverged } from "./swarm-engine";

const ROOT = join(__dirname, "..", "..");
export const SWARM_CHECK = join(ROOT, "components", "registry", "swarm-check.mjs");
export const PROBE = join(ROOT, "components", "registry", "probe.mjs");
export const CHUNKED_UPLOAD = join(__dirname, "chunked-upload.mjs");
/** The registry's name inside the lab: the lab's own address, where the front publishes 443 (host mode). */
export const LAB_ADDRESS = "10.199.0.1";
/** The config keys a lab's stack sets as secrets. */
export const SECRET_KEYS = ["registry:users", "registry:privateKey", "registry:certificate"];
/** The images the lab builds, before they are published to its image source. */
const LOCAL_IMAGES = { registry: "faasreg-test/registry:3", front: "faasreg-test/caddy:2.6", redis: "faasreg-test/redis:7.0" };

/** Why this machine cannot run a Swarm registry lab (undefined when it can). Downloads the packages once. */
export function swarmLabSkipReason(): string | undefined {
    const lab = labSkipReason({ dockerd: true }) ?? registrySkipReason();
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

export class SwarmRegistryLab {
    private loops = 0;
    private constructor(
        readonly lab: Lab,
        readonly docker: DockerEngine,
        readonly host: string,
        readonly nodeId: string,
        /** The stack's images, as the engine pulls them from the lab's image source, and their digests. */
        readonly images: Record<keyof typeof LOCAL_IMAGES, { ref: string; digest: string }>,
    ) {}

    /** A lab with a Swarm manager, the three images, and `host` resolving to the lab's address. About 10 s. */
    /** `faultableRegistry`: the registry image can be made to answer 500 to everything (registry-image.ts). */
    static async start(name: string, host: string, options: { faultableRegistry?: boolean } = {}): Promise<SwarmRegistryLab> {
        const lab = await Lab.start(name);
        try {
            lab.addHost(LAB_ADDRESS, host);
            const docker = await lab.startDockerd({ swarm: true });
            const debs = unpackDebs(SWARM_DEBS);
            if ("error" in debs) throw new Error(debs.error);
            const bundle = join(lab.dir, "ca-bundle.pem");
            // The system's roots only, as in the official image.
            writeFileSync(bundle, readFileSync("/etc/ssl/certs/ca-certificates.crt", "utf8"));
            importRegistryImage(docker, lab.dir, LOCAL_IMAGES.registry, "v3", { faultable: options.faultableRegistry });
            importCaddyImage(docker, lab.dir, LOCAL_IMAGES.front, debs.root, bundle);
            importRedisImage(docker, lab.dir, LOCAL_IMAGES.redis, debs.root);
            const source = await ImageSource.start(lab, docker);
            const images = {
                registry: source.publish(LOCAL_IMAGES.registry),
                front: source.publish(LOCAL_IMAGES.front),
                redis: source.publish(LOCAL_IMAGES.redis),
            };
            const gate = runSwarmGate({ host: docker.host });
            if (gate.status !== 0) throw new Error(`the Swarm gate refused the lab's manager: ${gate.stderr}`);
            return new SwarmRegistryLab(lab, docker, host, JSON.parse(gate.stdout).nodeId, images);
        } catch (error) {
            await lab.stop();
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

    /** The stack's config for this lab: swarm mode, the test images, one generated user `ci`. */
    config(extra: Record<string, string>): Record<string, string> {
        return {
            "registry:mode": "swarm",
            "registry:host": this.host,
            "registry:users": JSON.stringify([{ username: "ci" }]),
            "registry:image": this.images.registry.ref,
            "registry:frontImage": this.images.front.ref,
            "docker:host": this.docker.host,
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

    /** An image with one layer of `bytes` random bytes, pushed as HOST/REPO:TAG; the local copy is removed. */
    pushRandomImage(repo: string, bytes: number): { ref: string; pushMs: number } {
        const root = join(this.lab.dir, `blob-image-${repo.replace(/\W+/g, "_")}`);
        mkdirSync(root, { recursive: true });
        writeFileSync(join(root, "blob"), randomBytes(bytes));
        const ref = `${this.host}/${repo}:1`;
        this.docker.must(["import", tarOf(root), ref]);
        const started = Date.now();
        this.docker.must(["push", ref]);
        const pushMs = Date.now() - started;
        this.docker.must(["rmi", "-f", ref]);
        return { ref, pushMs };
    }

    /** One pull of `ref` with nothing cached: ok, and how long it took. */
    pullOnce(ref: string): { ok: boolean; ms: number; out: string } {
        this.docker.cli(["rmi", "-f", ref]);
        const started = Date.now();
        const r = this.docker.cli(["pull", "-q", ref]);
        return { ok: r.status === 0, ms: Date.now() - started, out: r.out.trim().split("\n").pop() ?? "" };
    }

    /** `count` pulls one after another, in the background of `during` (which runs once the loop has started). */
    async pullsDuring(
        ref: string,
        count: number,
        during: () => Promise<void>,
        /** A pause after each pull, so the pulls span a window of known length. */
        pauseSeconds = 0,
    ): Promise<{ ok: number; failed: string[]; overlapping: number; pulls: { ok: boolean; endedAt: number }[] }> {
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
            .map((l) => /^(ok|FAIL) .* at (\d+)/.exec(l))
            .filter((m) => m !== null)
            .map((m) => ({ ok: m[1] === "ok", endedAt: Number(m[2]) }));
        return { ok: lines.filter((l) => l.startsWith("ok ")).length, failed: lines.filter((l) => l.startsWith("FAIL")), overlapping, pulls };
    }

    /** The ids of the running containers of a service (its tasks on this node). */
    containersOf(serviceName: string): string[] {
        return this.docker
            .must(["ps", "-q", "--filter", `label=com.docker.swarm.service.name=${serviceName}`])
            .split("\n")
            .filter(Boolean);
    }

    async stop(): Promise<void> {
        await this.lab.stop();
    }
}

export function sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
}
