// The registry's data path against its limit: a 100 MB blob (random bytes) pushed (one monolithic PUT) and
// pulled (one GET) with curl, on loopback inside one lab, rounds interleaved:
//  - direct: one registry process (distribution v3, the version deployed) serving TLS itself, as in container
//    mode, on the filesystem;
//  - container: the same registry in a container on the lab engine's default bridge, its port published as
//    container mode publishes it (the engine's DNAT, a veth, a bridge): a client elsewhere reaches container mode so;
//  - front: registry:mode swarm with 1 replica, through the front (Caddy: TLS there, plain HTTP over the
//    overlay to the replica), on the same disk;
//  - l4 (when Debian's haproxy is installed): a layer-4 front, HAProxy in TCP mode, before the direct registry,
//    which terminates TLS itself: the design that keeps the bytes' encryption off the front;
//  - nat: the kernel's NAT (an iptables DNAT rule, what a host-mode published port is) before the direct registry:
//    a layer-4 front with no process at all, the nearest this machine has to Swarm's routing mesh (IPVS, which its
//    kernel lacks: no /proc/net/ip_vs);
//  - natFront: registry:mode swarm with registry:front nat, 1 replica: the stack's own NAT front (a task whose
//    network namespace forwards the published port with iptables DNAT) before a replica that terminates TLS,
//    a second stack in the same lab, published on NAT_FRONT_PORT;
//  - replica: that same replica process reached without the front, on its address on the engine's docker_gwbridge
//    (one veth, one bridge, as a container): what the front's forward costs, the registry and its TLS being equal;
//  - limit: the same bytes over TLS to a server that does nothing else (bench/tls-copy.mjs: the body read and
//    dropped; the file served from disk), the same certificate and client.
// Each with a client asking for HTTP/1.1 (as the Docker engine does) and one offering HTTP/2 (as containerd
// does; the version the server chose is in the row's name). Used by bench/run.ts.
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderHtpasswd } from "../components/registry/htpasswd";
import { DEFAULT_PORT } from "../components/registry/args";
import { CONTAINER_PATHS, renderRegistryConfig } from "../components/registry/registry-config";
import { evaluateProgram } from "../test/helpers/evaluate";
import { waitFor } from "../test/helpers/lab";
import { freePort, startRealRegistry } from "../test/helpers/real-registry";
import { setReplicas, waitConverged } from "../test/helpers/swarm-engine";
import { LAB_ADDRESS, SECRET_KEYS, SwarmRegistryLab } from "../test/helpers/swarm-registry-lab";
import { makeCaSignedCertificate } from "../test/helpers/tls";
import { childPids, machineCpuMs, median, pidsCpuMs, processCpuMs } from "./measure";

const HOST = "registry.bench-data.test";
const MB = 1_000_000;
const SIZE = Number(process.env.BENCH_BLOB_MB ?? 100) * MB;

type Add = (figure: string, value: number, unit: string, goal?: string) => void;
type Target = "direct" | "container" | "front" | "l4" | "nat" | "natFront" | "replica" | "limit";
/** Where the second stack (registry:front nat) publishes its front: the first one's holds 443. */
const NAT_FRONT_PORT = 8443;

/** Debian's haproxy, when installed (`apt-get install haproxy`): the l4 target is measured only then. */
function haproxyBinary(): string | undefined {
    const r = spawnSync("sh", ["-c", "command -v haproxy"], { encoding: "utf8" });
    return r.status === 0 ? r.stdout.trim() : undefined;
}
type Protocol = "1.1" | "2";

export async function dataPathFigures(add: Add, runs: number): Promise<void> {
    const certificate = makeCaSignedCertificate([HOST]);
    const swarm = await SwarmRegistryLab.start("bench-data-path", HOST);
    const stops: (() => Promise<void>)[] = [];
    /** What to print when a round fails (a request that never got an answer). */
    const failureLogs: (() => string)[] = [];
    try {
        const dir = swarm.lab.dir;
        const files = { ca: join(dir, "data-ca.pem"), cert: join(dir, "data-cert.pem"), key: join(dir, "data-key.pem"), blob: join(dir, "blob-100") };
        writeFileSync(files.ca, certificate.ca);
        writeFileSync(files.cert, `${certificate.cert}${certificate.ca}`);
        writeFileSync(files.key, certificate.key);

        // front: the stack in Swarm mode, scaled to one replica (one registry process, as direct).
        const stack = await evaluateProgram(swarm.certificateConfig(certificate), { secretKeys: SECRET_KEYS });
        const deployed = await swarm.deploy(stack);
        const id = deployed.serviceId("registry-service");
        await setReplicas(swarm.docker, id, 1);
        await waitConverged(swarm.docker, id, 1);
        // The replicas scaled away drain before they go: the server side's CPU is read by pid, of the one left.
        await waitFor("one replica left", async () => swarm.containersOf("faas-registry-test-registry").length === 1, 60_000);

        // natFront: a second stack (its own names) with registry:front nat and 1 replica, its front on NAT_FRONT_PORT.
        const natStack = await evaluateProgram(
            { ...swarm.natConfig(certificate, 1), "registry:httpsPort": String(NAT_FRONT_PORT) },
            { secretKeys: SECRET_KEYS, stack: "nat" },
        );
        const natDeployed = await swarm.deploy(natStack);
        /** A container's processes: its first process and that one's children (the registry under its shell). */
        const pidsOfContainer = (nameOrId: string) => {
            const first = Number(swarm.docker.must(["inspect", "-f", "{{.State.Pid}}", nameOrId]).trim());
            return [first, ...childPids(first)];
        };
        // replica: the NAT stack's one replica, on its address on docker_gwbridge (the lab's own namespace reaches it there).
        const [natReplica] = swarm.containersOf("faas-registry-nat-registry");
        const gateways = JSON.parse(swarm.docker.must(["network", "inspect", "docker_gwbridge", "-f", "{{json .Containers}}"])) as Record<
            string,
            { IPv4Address: string }
        >;
        const replicaAddress = Object.entries(gateways)
            .find(([id]) => id.startsWith(natReplica))?.[1]
            .IPv4Address.split("/")[0];
        if (replicaAddress === undefined) throw new Error(`the NAT stack's replica ${natReplica} has no address on docker_gwbridge`);

        // direct: the same registry version serving TLS itself, in the same lab, with the user of the front.
        const directPort = await freePort();
        const directSpec = {
            command: [CONTAINER_PATHS.config],
            volumes: [{ containerPath: CONTAINER_PATHS.data }],
            uploads: [
                {
                    file: CONTAINER_PATHS.config,
                    content: renderRegistryConfig({ tls: { mode: "certificate" }, port: 443, httpSecret: "bench-http-secret", realm: HOST }),
                },
                { file: CONTAINER_PATHS.htpasswd, content: renderHtpasswd("bench-key", [{ username: "ci", password: deployed.password }], 4) },
                { file: CONTAINER_PATHS.certificate, content: `${certificate.cert}${certificate.ca}` },
                { file: CONTAINER_PATHS.privateKey, content: certificate.key },
            ],
        };
        const startDirect = async (port: number) =>
            startRealRegistry(directSpec, { wrap: swarm.lab.wrap(), port, env: { REGISTRY_HTTP_ADDR: `${LAB_ADDRESS}:${port}` } });
        const direct = await startDirect(directPort);
        failureLogs.push(() => `direct registry's log (last lines):\n${direct.logs().split("\n").slice(-15).join("\n")}`);
        stops.push(async () => {
            await direct.stop();
            direct.remove();
        });

        // container: the direct registry's files, bind-mounted into a container of the registry image, port published.
        const containerPort = await freePort();
        const containerFiles = join(dir, "container-files");
        mkdirSync(containerFiles, { recursive: true });
        const mounts = directSpec.uploads.map((u, i) => {
            const file = join(containerFiles, String(i));
            writeFileSync(file, u.content);
            return ["-v", `${file}:${u.file}:ro`];
        });
        swarm.docker.must([
            "run",
            "-d",
            "--name",
            "bench-container-registry",
            "-p",
            `${LAB_ADDRESS}:${containerPort}:443`,
            ...mounts.flat(),
            swarm.images.registry.ref,
            CONTAINER_PATHS.config,
        ]);
        failureLogs.push(() => `the container's log:\n${swarm.docker.cli(["logs", "bench-container-registry"]).out.split("\n").slice(-15).join("\n")}`);
        await waitFor(
            "the container registry to listen",
            async () => swarm.lab.exec(["bash", "-c", `exec 3<>/dev/tcp/${LAB_ADDRESS}/${containerPort}`]).status === 0,
            15_000,
        );

        // l4: HAProxy in TCP mode (no TLS of its own) before the direct registry, in the lab.
        const haproxy = haproxyBinary();
        const l4Port = await freePort();
        const l4Config = join(dir, "haproxy-l4.cfg");
        if (haproxy !== undefined) {
            writeFileSync(
                l4Config,
                [
                    "global",
                    "  maxconn 100",
                    "defaults",
                    "  mode tcp",
                    "  timeout connect 5s",
                    "  timeout client 120s",
                    "  timeout server 120s",
                    "frontend l4",
                    `  bind ${LAB_ADDRESS}:${l4Port}`,
                    "  default_backend registry",
                    "backend registry",
                    `  server direct ${LAB_ADDRESS}:${directPort}`,
                    "",
                ].join("\n"),
            );
            const front = swarm.lab.spawn("haproxy", [haproxy, "-db", "-f", l4Config]);
            stops.push(async () => {
                front.kill();
            });
            await waitFor("haproxy to listen", async () => swarm.lab.exec(["bash", "-c", `exec 3<>/dev/tcp/${LAB_ADDRESS}/${l4Port}`]).status === 0, 10_000);
        } else process.stderr.write("  data path through a layer-4 front SKIPPED: no haproxy (apt-get install haproxy)\n");

        // nat: a DNAT rule in the lab's own network namespace (gone with it), for connections to the lab's address, to a
        // second registry process like direct's, so that DNAT'd and direct connections never meet in the conntrack
        // table on one port (a precaution: the stalls described in docs/performance.md happen without NAT too).
        const natServer = await startDirect(await freePort());
        stops.push(async () => {
            await natServer.stop();
            natServer.remove();
        });
        const natPort = await freePort();
        const nat = swarm.lab.exec([
            "iptables",
            "-t",
            "nat",
            "-A",
            "OUTPUT",
            "-d",
            LAB_ADDRESS,
            "-p",
            "tcp",
            "--dport",
            String(natPort),
            "-j",
            "DNAT",
            "--to-destination",
            `${LAB_ADDRESS}:${natServer.port}`,
        ]);
        if (nat.status !== 0) process.stderr.write(`  data path through the kernel's NAT SKIPPED: iptables refused the rule: ${nat.stderr}\n`);

        const limitPort = await freePort();
        const limit = swarm.lab.spawn("tls-copy", [process.execPath, join(__dirname, "tls-copy.mjs"), String(limitPort), files.cert, files.key, files.blob]);
        stops.push(async () => {
            limit.kill();
        });
        await waitFor("tls-copy to listen", async () => swarm.lab.log("tls-copy").includes("listening on"), 10_000);

        /**
         * CPU time (ms) the server side of a target has used so far: every process of it on this machine, from
         * /proc (10 ms ticks). direct: the registry process; front: Caddy and the replica; limit: tls-copy.
         */
        const isDirect = (c: string) => c.includes(direct.root);
        const isHaproxy = (c: string) => c.includes(l4Config);
        const sides: Partial<Record<Target | "caddy" | "haproxy", (cmdline: string) => boolean>> = {
            direct: isDirect,
            l4: (c) => isDirect(c) || isHaproxy(c),
            // The kernel's NAT runs in softirq context, on no process's account: only the registry's is counted.
            nat: (c) => c.includes(natServer.root),
            haproxy: isHaproxy,
            limit: (c) => c.includes("tls-copy.mjs"),
            caddy: (c) => c.startsWith("caddy"),
        };
        // The server side by pid, as every registry here runs the same command line: the NAT stack's replica (behind
        // its front or not; the NAT is the kernel's), the container, and the Caddy stack's replica (plus Caddy).
        const natReplicaPids = pidsOfContainer(natReplica);
        const pidsOf: Partial<Record<Target, number[]>> = {
            natFront: natReplicaPids,
            replica: natReplicaPids,
            container: pidsOfContainer("bench-container-registry"),
            front: pidsOfContainer(swarm.containersOf("faas-registry-test-registry")[0]),
        };
        const serverCpu = (side: Target | "caddy" | "haproxy"): number => {
            const pids = pidsOf[side as Target];
            const byCommandLine = (s: Target | "caddy" | "haproxy") => processCpuMs(sides[s] ?? (() => false));
            if (pids === undefined) return byCommandLine(side);
            return pidsCpuMs(pids) + (side === "front" ? byCommandLine("caddy") : 0);
        };
        const ports: Record<Target, number> = {
            direct: direct.port,
            container: containerPort,
            front: 443,
            l4: l4Port,
            nat: natPort,
            natFront: NAT_FRONT_PORT,
            replica: DEFAULT_PORT,
            limit: limitPort,
        };
        /** One curl inside the lab; returns its status, time and HTTP version, and the response headers. */
        const curl = (target: Target, protocol: Protocol, args: string[]) => {
            const port = ports[target];
            const serversBefore = serverCpu(target);
            const caddyBefore = serverCpu("caddy");
            const machineBefore = machineCpuMs();
            const haproxyBefore = serverCpu("haproxy");
            const r = swarm.lab.exec(
                [
                    "bash",
                    "-c",
                    'TIMEFORMAT="cpu %U %S"; time curl "$@"',
                    "_",
                    "-sS",
                    `--http${protocol === "2" ? "2" : "1.1"}`,
                    "--cacert",
                    files.ca,
                    "--resolve",
                    // The lab's address, as a client elsewhere reaches it: the front's published port (host mode)
                    // is then the engine's DNAT, not the userland proxy that serves 127.0.0.1. The replica without
                    // its front: its own address on docker_gwbridge.
                    `${HOST}:${port}:${target === "replica" ? replicaAddress : LAB_ADDRESS}`,
                    // The credentials from stdin (curl's config), not on a command line where ps shows them.
                    "-K",
                    "-",
                    "-D",
                    "-",
                    // No "Expect: 100-continue" round trip before a body (the Docker client sends none either).
                    "-H",
                    "Expect:",
                    "-w",
                    "\n%{http_code} %{time_total} %{http_version}",
                    ...args.map((a) => a.replace("BASE", `https://${HOST}:${port}`)),
                ],
                { timeoutMs: 120_000, input: `user = "ci:${target === "natFront" || target === "replica" ? natDeployed.password : deployed.password}"\n` },
            );
            const machine = machineCpuMs() - machineBefore;
            const servers = serverCpu(target) - serversBefore;
            const caddy = serverCpu("caddy") - caddyBefore;
            const haproxyCpu = serverCpu("haproxy") - haproxyBefore;
            const lines = r.stdout.trim().split("\n");
            const [code, seconds, version] = (lines.pop() ?? "").split(" ");
            const cpu = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
            const client = cpu === null ? Number.NaN : (Number(cpu[1]) + Number(cpu[2])) * 1000;
            return {
                exit: r.status ?? r.ended,
                code: Number(code),
                ms: Number(seconds) * 1000,
                version,
                headers: lines.join("\n"),
                stderr: r.stderr,
                client,
                servers,
                caddy,
                haproxy: haproxyCpu,
                machine,
            };
        };
        /** What each target answered a client offering HTTP/2 with (the stack's registry and front: 1.1). */
        const spoken = new Map<Target, string>();
        const must = (what: string, target: Target, result: ReturnType<typeof curl>, code: number, protocol: Protocol) => {
            if (result.code !== code) throw new Error(`${what}: ${result.code} (expected ${code}; curl exited ${result.exit}) ${result.stderr}`);
            if (protocol === "1.1" && result.version !== "1.1") throw new Error(`${what}: spoke HTTP/${result.version}, not 1.1`);
            if (protocol === "2") spoken.set(target, result.version);
            return result;
        };

        const samples = new Map<string, number[]>();
        const note = (key: string, ms: number) => samples.set(key, [...(samples.get(key) ?? []), ms]);
        const targets: Target[] = [
            "direct",
            "container",
            "front",
            ...(haproxy === undefined ? [] : ["l4" as const]),
            ...(nat.status === 0 ? ["nat" as const] : []),
            "natFront",
            "replica",
            "limit",
        ];
        for (let round = -1; round < runs; round++) {
            // A new blob each round (a registry that has it would not need it again); round -1 warms up.
            const blob = randomBytes(SIZE);
            writeFileSync(files.blob, blob);
            const digest = `sha256:${createHash("sha256").update(blob).digest("hex")}`;
            for (const protocol of ["1.1", "2"] as Protocol[]) {
                // Rotated each round so that no target always runs first.
                for (const target of targets.map((_, i) => targets[(i + round + 1) % targets.length])) {
                    const repo = `bench/data-${round + 1}-${protocol === "2" ? "h2" : "h1"}`;
                    const at = `round ${round + 1}, HTTP/${protocol}`;
                    let push: ReturnType<typeof curl>;
                    let pull: ReturnType<typeof curl>;
                    if (target === "limit") {
                        push = must(
                            `limit PUT`,
                            target,
                            curl(target, protocol, ["-X", "PUT", "-T", files.blob, "-o", "/dev/null", "BASE/upload"]),
                            201,
                            protocol,
                        );
                        pull = must(`limit GET`, target, curl(target, protocol, ["-o", "/dev/null", "BASE/blob"]), 200, protocol);
                    } else {
                        const started = must(
                            `${target} POST (${at})`,
                            target,
                            curl(target, protocol, ["-X", "POST", "-o", "/dev/null", `BASE/v2/${repo}/blobs/uploads/`]),
                            202,
                            protocol,
                        );
                        const location = /^location: (.+)$/im.exec(started.headers)?.[1].trim() ?? "";
                        const url = `${location.startsWith("/") ? "BASE" : ""}${location}${location.includes("?") ? "&" : "?"}digest=${digest}`;
                        push = must(
                            `${target} PUT (${at})`,
                            target,
                            curl(target, protocol, ["-X", "PUT", "-T", files.blob, "-o", "/dev/null", url]),
                            201,
                            protocol,
                        );
                        pull = must(
                            `${target} GET (${at})`,
                            target,
                            curl(target, protocol, ["-o", "/dev/null", `BASE/v2/${repo}/blobs/${digest}`]),
                            200,
                            protocol,
                        );
                    }
                    if (round < 0) continue;
                    note(`${target} ${protocol} push`, push.ms);
                    note(`${target} ${protocol} pull`, pull.ms);
                    note(`${target} ${protocol} push client-cpu`, push.client);
                    note(`${target} ${protocol} pull client-cpu`, pull.client);
                    note(`${target} ${protocol} push server-cpu`, push.servers);
                    note(`${target} ${protocol} pull server-cpu`, pull.servers);
                    note(`${target} ${protocol} push caddy-cpu`, push.caddy);
                    note(`${target} ${protocol} pull caddy-cpu`, pull.caddy);
                    note(`${target} ${protocol} push haproxy-cpu`, push.haproxy);
                    note(`${target} ${protocol} push machine-cpu`, push.machine);
                    note(`${target} ${protocol} pull machine-cpu`, pull.machine);
                    note(`${target} ${protocol} pull haproxy-cpu`, pull.haproxy);
                }
            }
        }
        const mbps = (key: string) => SIZE / MB / (median(samples.get(key) ?? []) / 1000);
        const names: Record<Target, string> = {
            direct: "straight to one registry process (TLS)",
            container: "to the registry in a container, its port published (container mode's path)",
            front: "through the Swarm front (Caddy, 1 replica)",
            l4: "through a layer-4 front (HAProxy, TCP) to the registry's own TLS",
            nat: "through the kernel's NAT (iptables DNAT) to the registry's own TLS",
            natFront: "through the stack's NAT front (registry:front nat, 1 replica, its own TLS)",
            replica: "to that NAT stack's replica without its front (its docker_gwbridge address)",
            limit: "limit: the same bytes over TLS, nothing else",
        };
        for (const protocol of ["1.1", "2"] as Protocol[]) {
            for (const way of ["push", "pull"]) {
                for (const target of targets) {
                    if (target === "limit" && protocol === "2") continue; // the limit server speaks 1.1 only
                    const asked = protocol === "2" ? `client offering HTTP/2, spoken HTTP/${spoken.get(target)}` : "HTTP/1.1";
                    add(`data path ${SIZE / MB} MB ${way}, ${asked}: ${names[target]}`, mbps(`${target} ${protocol} ${way}`), "MB/s");
                    // What bounds it on 2 cores: the CPU each side spends on the same bytes.
                    const cpu = (side: string) => median(samples.get(`${target} ${protocol} ${way} ${side}-cpu`) ?? []);
                    add(`  CPU of that ${way}: client (curl)`, cpu("client"), "ms");
                    add(
                        `  CPU of that ${way}: server side (${{ front: "Caddy + replica", direct: "registry", container: "registry", l4: "HAProxy + registry", nat: "registry; the NAT's is the kernel's", natFront: "replica; the NAT's is the kernel's", replica: "replica", limit: "tls-copy" }[target]})`,
                        cpu("server"),
                        "ms",
                    );
                    // The kernel's forwarding (softirq) is on no process's account, partly on the processes' it interrupts.
                    add(`  CPU of that ${way}: the whole machine (every process and the kernel's network)`, cpu("machine"), "ms");
                    if (target === "front") add(`  CPU of that ${way}: of which Caddy`, cpu("caddy"), "ms");
                    if (target === "l4") add(`  CPU of that ${way}: of which HAProxy`, cpu("haproxy"), "ms");
                }
                const front = mbps(`front ${protocol} ${way}`);
                const straight = mbps(`direct ${protocol} ${way}`);
                add(
                    `data path ${way}, ${protocol === "2" ? "client offering HTTP/2" : "HTTP/1.1"}: the front's cost against direct`,
                    (100 * (straight - front)) / straight,
                    "%",
                    "<= 10",
                );
                for (const [target, what] of [
                    ["l4", "a layer-4 front's"],
                    ["nat", "the kernel's NAT's"],
                    ["natFront", "the stack's NAT front's (registry:front nat)"],
                ] as const) {
                    if (!targets.includes(target)) continue;
                    const through = mbps(`${target} ${protocol} ${way}`);
                    add(
                        `data path ${way}, ${protocol === "2" ? "client offering HTTP/2" : "HTTP/1.1"}: ${what} cost against direct`,
                        (100 * (straight - through)) / straight,
                        "%",
                        "<= 10",
                    );
                }
                // Against what container mode's clients get: the same network path up to the registry's container.
                const contained = mbps(`container ${protocol} ${way}`);
                for (const [target, what] of [
                    ["front", "the front's (Caddy)"],
                    ["natFront", "the stack's NAT front's (registry:front nat)"],
                ] as const) {
                    const through = mbps(`${target} ${protocol} ${way}`);
                    add(
                        `data path ${way}, ${protocol === "2" ? "client offering HTTP/2" : "HTTP/1.1"}: ${what} cost against container mode`,
                        (100 * (contained - through)) / contained,
                        "%",
                        "<= 10",
                    );
                }
                // The same replica process with and without the NAT front: what the front's forward alone costs, in
                // throughput and in the machine's CPU (the kernel's, softirq: on no process's account).
                const replica = mbps(`replica ${protocol} ${way}`);
                add(
                    `data path ${way}, ${protocol === "2" ? "client offering HTTP/2" : "HTTP/1.1"}: the NAT front's cost against its own replica reached without it`,
                    (100 * (replica - mbps(`natFront ${protocol} ${way}`))) / replica,
                    "%",
                    "<= 10",
                );
                const machinePerGb = (target: Target) => (median(samples.get(`${target} ${protocol} ${way} machine-cpu`) ?? []) * 1000) / (SIZE / MB);
                add(
                    `  the machine's CPU per GB ${way === "pull" ? "pulled" : "pushed"} through the NAT front, beyond that to its replica without it (the forward)`,
                    machinePerGb("natFront") - machinePerGb("replica"),
                    "ms more",
                );
                add(
                    `data path ${way}, ${protocol === "2" ? "client offering HTTP/2" : "HTTP/1.1"}: limit / direct`,
                    mbps(`limit 1.1 ${way}`) / straight,
                    "x",
                    "<= 2",
                );
            }
        }
    } catch (error) {
        for (const log of failureLogs) process.stderr.write(`${log()}\n`);
        throw error;
    } finally {
        for (const stop of stops.reverse()) await stop().catch(() => undefined);
        await swarm.stop();
    }
}
