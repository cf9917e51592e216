// A private test namespace ("lab"): its own mount and network namespaces, held by one `sleep` process, in
// which the tests run real servers (a Docker engine in Swarm mode, the registry, the OpenFaaS gateway) on
// whatever ports they need (2377, 7946, 8080, 443) without touching, or colliding with, anything on the
// host: another Docker engine in Swarm mode, another gateway on 8080. Inside it, /etc is an overlay whose
// changes (hosts entries, /etc/docker/certs.d) stay in the lab's own directory, and /run is a tmpfs.
// The test process reaches servers inside through relays on the host's 127.0.0.1 (`relay()`).
// Needs root (namespaces, mounts, dockerd); `labSkipReason()` says what is missing.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { createServer, type Server, connect as netConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const RELAY_SCRIPT = join(__dirname, "ns-relay.cjs");
const DOCKERD = "/usr/sbin/dockerd";
export const DOCKER_CLI = "/usr/bin/docker";
/** The lab's own non-loopback address (lab0), where its Swarm advertises and its services listen. */
export const LAB_ADDRESS = "10.199.0.1";

/** Why the lab cannot run here (undefined when it can). */
export function labSkipReason(needs: { dockerd?: boolean } = {}): string | undefined {
    if (process.getuid?.() !== 0) return "not root (the lab needs namespaces and mounts): run the tests as root, as .ci/run does";
    for (const bin of ["/usr/bin/unshare", "/usr/bin/nsenter", "/usr/sbin/ip"]) if (!existsSync(bin)) return `${bin} is missing (util-linux, iproute2)`;
    if (needs.dockerd && (!existsSync(DOCKERD) || !existsSync(DOCKER_CLI))) return "dockerd is missing: apt-get install docker.io (.ci/run does)";
    return undefined;
}

function sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
}

/** Polls `ok` every 100 ms until it says true (a throw counts as not yet), or fails naming `what`. */
export async function waitFor(what: string, ok: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await ok().catch(() => false))) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await sleep(100);
    }
}

/**
 * Names the step a long setup is in, for when it hangs: a hook that times out says only that it did. Past
 * `reportAfterMs`, one line on stderr names the step under way and how long each done step took.
 */
export function stepWatch(label: string, reportAfterMs: number): { step: (name: string) => void; done: () => void } {
    const started = Date.now();
    const done: string[] = [];
    let current = { name: "(none yet)", at: started };
    const timer = setTimeout(() => {
        process.stderr.write(
            `${label}: still in "${current.name}" ${Math.round((Date.now() - current.at) / 1000)} s in, ${Math.round((Date.now() - started) / 1000)} s since the start; done: ${done.join(", ") || "nothing"}\n`,
        );
    }, reportAfterMs);
    timer.unref();
    const close = () => {
        if (current.name !== "(none yet)") done.push(`${current.name} ${((Date.now() - current.at) / 1000).toFixed(1)} s`);
    };
    return {
        step: (name) => {
            close();
            current = { name, at: Date.now() };
        },
        done: () => clearTimeout(timer),
    };
}

export interface ExecResult {
    status: number | null;
    stdout: string;
    stderr: string;
    /** Why it has no status: the signal that ended it, or spawnSync's own error (a timeout, ENOBUFS). */
    ended?: string;
}

export class Lab {
    private readonly children: ChildProcess[] = [];
    private readonly relays: Server[] = [];
    private relayReady?: Promise<void>;
    private dockerdPid?: number;

    private constructor(
        readonly dir: string,
        readonly pid: number,
        private readonly holder: ChildProcess,
        /** cgroups that what runs inside creates (e.g. faasd's openfaas-fn), removed on stop. */
        private readonly cgroups: string[],
    ) {}

    /**
     * Creates the namespaces (about 0.3 s). `/etc` is always an overlay; `overlays` adds more folders whose
     * changes inside stay in the lab (faasd writes to fixed paths under /var/lib, /opt, /usr/local/bin).
     */
    static async start(name: string, options: { overlays?: string[]; cgroups?: string[] } = {}): Promise<Lab> {
        const dir = mkdtempSync(join(tmpdir(), `faasreg-lab-${name}-`));
        mkdirSync(join(dir, "logs"));
        const overlays = ["/etc", ...(options.overlays ?? [])];
        const overlayDir = (folder: string) => join(dir, "overlay", folder.replace(/\//g, "_"));
        for (const folder of overlays) for (const d of ["upper", "work"]) mkdirSync(join(overlayDir(folder), d), { recursive: true });
        const holder = spawn("/usr/bin/unshare", ["--mount", "--net", "--propagation", "private", "sleep", "infinity"], {
            detached: true,
            stdio: "ignore",
        });
        const pid = holder.pid as number;
        // Wait until the holder has its own network namespace.
        for (let i = 0; i < 100; i++) {
            try {
                if (readlinkSync(`/proc/${pid}/ns/net`) !== readlinkSync("/proc/self/ns/net")) break;
            } catch {
                // not there yet
            }
            await sleep(20);
        }
        const lab = new Lab(dir, pid, holder, options.cgroups ?? []);
        writeFileSync(join(dir, "holder.pid"), String(pid));
        // The run that made this lab (.ci/run exports FAASREG_RUN_ID): a killed run's sweep removes its own labs only.
        writeFileSync(join(dir, "run.id"), process.env.FAASREG_RUN_ID ?? "");
        const setup = [
            "set -e",
            // Docker's namespace files copied into our mount namespace would keep those alive: drop them.
            'for m in $(findmnt -rn -t nsfs -o TARGET); do umount -l "$m"; done',
            "mount -t tmpfs -o mode=755 tmpfs /run",
            // sysfs belongs to the network namespace it was mounted in: remount it so /sys/class/net is ours
            // (dockerd needs that), carrying the cgroup hierarchies over.
            "mkdir -p /run/cgsave && mount --rbind /sys/fs/cgroup /run/cgsave",
            "mount -t sysfs sysfs /sys",
            "mount --rbind /run/cgsave /sys/fs/cgroup && umount -l /run/cgsave",
            ...overlays.map((f) => `mount -t overlay overlay -o lowerdir=${f},upperdir=${overlayDir(f)}/upper,workdir=${overlayDir(f)}/work ${f}`),
            "ip link set lo up",
            // A non-loopback address for Swarm to advertise: a veth pair, both ends inside.
            "ip link add lab0 type veth peer name lab1",
            `ip addr add ${LAB_ADDRESS}/24 dev lab0 && ip addr add 10.199.0.2/24 dev lab1`,
            "ip link set lab0 up && ip link set lab1 up",
        ].join("\n");
        const r = lab.exec(["bash", "-c", setup]);
        if (r.status !== 0) {
            await lab.stop();
            throw new Error(`could not set up the lab's namespaces: ${r.stderr}`);
        }
        return lab;
    }

    /** `nsenter` into both namespaces, then ARGS. */
    wrap(): string[] {
        return ["/usr/bin/nsenter", "-t", String(this.pid), "-m", "-n", "--"];
    }

    exec(args: string[], options: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): ExecResult {
        const r = spawnSync(this.wrap()[0], [...this.wrap().slice(1), ...args], {
            input: options.input,
            encoding: "utf8",
            env: options.env ?? process.env,
            timeout: options.timeoutMs ?? 120_000,
        });
        const ended = r.status === null ? `${r.error?.message ?? ""} ${r.signal ?? ""}`.trim() : undefined;
        return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "", ...(ended === undefined ? {} : { ended }) };
    }

    /** Starts a long-running process inside; its output goes to logs/NAME.log. */
    spawn(name: string, args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
        const log = join(this.dir, "logs", `${name}.log`);
        const child = spawn(this.wrap()[0], [...this.wrap().slice(1), ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
        child.stdout?.on("data", (d) => appendFileSync(log, d));
        child.stderr?.on("data", (d) => appendFileSync(log, d));
        this.children.push(child);
        return child;
    }

    log(name: string): string {
        const file = join(this.dir, "logs", `${name}.log`);
        return existsSync(file) ? readFileSync(file, "utf8") : "";
    }

    /** Adds `ip name` to the lab's /etc/hosts (the host's file is not touched). */
    addHost(ip: string, name: string): void {
        const r = this.exec(["sh", "-c", `printf '%s %s\\n' "$0" "$1" >> /etc/hosts`, ip, name]);
        if (r.status !== 0) throw new Error(`could not add ${name} to the lab's /etc/hosts: ${r.stderr}`);
    }

    /** Writes a file inside the lab (its /etc is private to it). */
    writeFile(path: string, content: string, mode = "0644"): void {
        const r = this.exec(["sh", "-c", 'mkdir -p "$(dirname "$0")" && cat > "$0" && chmod "$1" "$0"', path, mode], { input: content });
        if (r.status !== 0) throw new Error(`could not write ${path} in the lab: ${r.stderr}`);
    }

    /**
     * A port on the host's 127.0.0.1 that leads to HOST:PORT inside the lab. One relay process per lab
     * (inside, on a unix socket); one listening socket per relayed port in this process.
     */
    async relay(port: number, host = "127.0.0.1"): Promise<number> {
        const socketPath = join(this.dir, "relay.sock");
        this.relayReady ??= new Promise<void>((resolve, reject) => {
            const child = spawn("/usr/bin/nsenter", ["-t", String(this.pid), "-n", "--", process.execPath, RELAY_SCRIPT, socketPath], {
                stdio: ["ignore", "pipe", "pipe"],
            });
            this.children.push(child);
            child.stdout?.once("data", () => resolve());
            child.on("exit", (code) => reject(new Error(`the lab's relay exited ${code}`)));
        });
        await this.relayReady;
        const server = createServer((client) => {
            const upstream = netConnect(socketPath, () => {
                upstream.write(`${host}:${port}\n`);
                client.pipe(upstream);
                upstream.pipe(client);
            });
            upstream.on("error", () => client.destroy());
            client.on("error", () => upstream.destroy());
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
        this.relays.push(server);
        const address = server.address();
        return typeof address === "object" && address !== null ? address.port : 0;
    }

    /**
     * Starts a Docker engine inside (bridge and iptables on: they touch only the lab's network namespace),
     * optionally in Swarm mode (advertising the lab's own address). About 2 s.
     */
    async startDockerd(
        options: {
            swarm?: boolean;
            /** Also listen on tcp://ADDRESS:2376 with mutual TLS (the server's files). */
            tls?: { address: string; ca: string; cert: string; key: string };
            /** Also listen on /var/run/docker.sock inside the lab (its /run is the lab's own): "the local engine" there. */
            defaultSocket?: boolean;
            /** The address the Swarm manager advertises (default: the lab's own 10.199.0.1). */
            advertise?: string;
        } = {},
    ): Promise<DockerEngine> {
        const sock = join(this.dir, "docker.sock");
        const tlsFlags: string[] = options.defaultSocket ? ["-H", "unix:///run/docker.sock"] : [];
        if (options.tls !== undefined) {
            for (const [file, pem] of Object.entries({ "tls-ca.pem": options.tls.ca, "tls-cert.pem": options.tls.cert, "tls-key.pem": options.tls.key }))
                writeFileSync(join(this.dir, file), pem, { mode: 0o600 });
            tlsFlags.push(
                "-H",
                `tcp://${options.tls.address}:2376`,
                "--tlsverify",
                "--tlscacert",
                join(this.dir, "tls-ca.pem"),
                "--tlscert",
                join(this.dir, "tls-cert.pem"),
                "--tlskey",
                join(this.dir, "tls-key.pem"),
            );
        }
        const cgroupParent = `/${this.dir.split("/").pop()}`;
        writeFileSync(
            join(this.dir, "daemon.json"),
            JSON.stringify({
                "storage-driver": "vfs",
                iptables: true,
                "ip-forward": true,
                "userland-proxy": true,
                "log-driver": "json-file",
                "cgroup-parent": cgroupParent,
            }),
        );
        const child = this.spawn("dockerd", [
            DOCKERD,
            "--config-file",
            join(this.dir, "daemon.json"),
            "-H",
            `unix://${sock}`,
            "--data-root",
            join(this.dir, "docker-data"),
            "--exec-root",
            join(this.dir, "docker-exec"),
            "--pidfile",
            join(this.dir, "dockerd.pid"),
            ...tlsFlags,
        ]);
        const engine = new DockerEngine(sock, this.dir);
        for (let i = 0; ; i++) {
            if (child.exitCode !== null) throw new Error(`dockerd exited ${child.exitCode}:\n${this.log("dockerd").slice(-3000)}`);
            if (existsSync(sock) && (await engine.call("GET", "/_ping").catch(() => undefined))?.status === 200) break;
            if (i > 150) throw new Error(`dockerd did not answer within 30 s:\n${this.log("dockerd").slice(-3000)}`);
            await sleep(200);
        }
        this.dockerdPid = Number(readFileSync(join(this.dir, "dockerd.pid"), "utf8"));
        if (options.swarm) {
            const init = await engine.call("POST", "/swarm/init", { ListenAddr: "0.0.0.0:2377", AdvertiseAddr: options.advertise ?? LAB_ADDRESS });
            if (init.status !== 200) throw new Error(`swarm init answered ${init.status}: ${JSON.stringify(init.json)}`);
        }
        return engine;
    }

    /** Stops everything started inside (the engine first, so it removes its containers), then the namespaces. */
    async stop(): Promise<void> {
        for (const server of this.relays) server.close();
        const ns = (pid: number) => {
            try {
                return readlinkSync(`/proc/${pid}/ns/mnt`);
            } catch {
                return undefined;
            }
        };
        const labMnt = ns(this.pid);
        if (this.dockerdPid !== undefined) await killAndWait(this.dockerdPid, 15_000);
        for (const child of this.children) if (child.pid !== undefined) await killAndWait(child.pid, 3000);
        // Whatever else still lives in the lab's mount namespace (containerd shims, containers) was started by us.
        if (labMnt !== undefined) {
            for (const entry of readdirSync("/proc")) {
                const pid = Number(entry);
                if (!Number.isInteger(pid) || pid === this.pid) continue;
                if (ns(pid) === labMnt) await killAndWait(pid, 2000);
            }
        }
        await killAndWait(this.pid, 2000);
        this.holder.unref();
        // What runs in mount namespaces of its own (a Kubernetes pod, a Docker container) is found by its cgroup: the
        // lab's own cgroup parent holds every container its engines started. (Not the shared ones in `cgroups`, such
        // as faasd's fixed /openfaas-fn: another lab's functions may run there.)
        for (const pid of cgroupProcs(`/${this.dir.split("/").pop()}`)) await killAndWait(pid, 500);
        for (const cgroup of [`/${this.dir.split("/").pop()}`, ...this.cgroups]) rmCgroups(cgroup);
        rmSync(this.dir, { recursive: true, force: true });
    }
}

async function killAndWait(pid: number, graceMs: number): Promise<void> {
    const alive = () => {
        try {
            process.kill(pid, 0);
            return !readFileSync(`/proc/${pid}/stat`, "utf8").split(" ")[2].startsWith("Z");
        } catch {
            return false;
        }
    };
    if (!alive()) return;
    try {
        process.kill(pid, "SIGTERM");
    } catch {
        return;
    }
    const deadline = Date.now() + graceMs;
    while (alive() && Date.now() < deadline) await sleep(50);
    if (alive()) {
        try {
            process.kill(pid, "SIGKILL");
        } catch {
            // gone
        }
    }
}

/** Every process in the cgroup `parent` and below, in every hierarchy. */
function cgroupProcs(parent: string): number[] {
    const roots = existsSync("/sys/fs/cgroup/cgroup.controllers") ? ["/sys/fs/cgroup"] : readdirSync("/sys/fs/cgroup").map((d) => join("/sys/fs/cgroup", d));
    const pids = new Set<number>();
    for (const root of roots) {
        const dir = join(root, parent);
        if (!existsSync(dir)) continue;
        const r = spawnSync("find", [dir, "-name", "cgroup.procs", "-exec", "cat", "{}", "+"], { encoding: "utf8" });
        for (const line of (r.stdout ?? "").split("\n")) if (/^\d+$/.test(line)) pids.add(Number(line));
    }
    return [...pids];
}

function rmCgroups(parent: string): void {
    const roots = existsSync("/sys/fs/cgroup/cgroup.controllers") ? ["/sys/fs/cgroup"] : readdirSync("/sys/fs/cgroup").map((d) => join("/sys/fs/cgroup", d));
    for (const root of roots) {
        const dir = join(root, parent);
        if (existsSync(dir)) spawnSync("find", [dir, "-depth", "-type", "d", "-exec", "rmdir", "{}", ";"], { stdio: "ignore" });
    }
}

/** A Docker engine in a lab: Engine API calls over its socket, and the docker CLI with a private config dir. */
export class DockerEngine {
    readonly host: string;
    constructor(
        readonly socket: string,
        private readonly labDir: string,
    ) {
        this.host = `unix://${socket}`;
    }

    call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown }> {
        return new Promise((resolve, reject) => {
            const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
            const req = http.request(
                {
                    socketPath: this.socket,
                    method,
                    path: `/v1.41${path}`,
                    headers: { ...(data ? { "content-type": "application/json", "content-length": data.length } : {}), ...headers },
                },
                (res) => {
                    let text = "";
                    res.on("data", (c) => {
                        text += c;
                    });
                    res.on("end", () => {
                        let json: unknown = text;
                        try {
                            json = text ? JSON.parse(text) : undefined;
                        } catch {
                            // not JSON: keep the text
                        }
                        resolve({ status: res.statusCode ?? 0, json });
                    });
                },
            );
            req.on("error", reject);
            req.end(data);
        });
    }

    /** The environment of a docker CLI (or a script that runs one) against this engine, never the user's config. */
    env(): NodeJS.ProcessEnv {
        const configDir = join(this.labDir, "docker-cli");
        mkdirSync(configDir, { recursive: true });
        return { PATH: process.env.PATH, HOME: configDir, DOCKER_HOST: this.host, DOCKER_CONFIG: configDir, DOCKER_BUILDKIT: "0" };
    }

    /** The docker CLI against this engine, never the user's config. */
    cli(args: string[], input?: string | Buffer): { status: number | null; out: string } {
        const r = spawnSync(DOCKER_CLI, args, {
            input,
            encoding: "utf8",
            env: this.env(),
            timeout: 180_000,
        });
        return { status: r.status, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
    }

    /** Like cli(), but throws with the output when the command fails. */
    must(args: string[], input?: string): string {
        const r = this.cli(args, input);
        if (r.status !== 0) throw new Error(`docker ${args.join(" ")} failed: ${r.out}`);
        return r.out;
    }
}
