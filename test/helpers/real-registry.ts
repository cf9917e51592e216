import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { findResource, type RecordedResource, unwrap } from "./mocks";
import { type RegistryVersion, registryBinary } from "./registry-binary";

/** The container spec PrivateRegistry declared, as recorded by the mocks (secrets unwrapped). */
export interface ContainerSpec {
    command: string[];
    uploads: { file: string; content: string; permissions?: string }[];
    volumes: { containerPath: string; volumeName?: string }[];
    envs?: string[];
}

export function containerSpec(recorded: RecordedResource[]): ContainerSpec {
    const plain = unwrap(findResource(recorded, "docker:index/container:Container", "registry-container").inputs) as Record<string, unknown>;
    // The users the stack writes into the running container (ContainerFile), over the empty htpasswd it starts with:
    // a registry process here gets them before it starts, which is what the container has a moment after its start.
    const users = unwrap(findResource(recorded, "faasreg:registry:ContainerFile", "registry-htpasswd").inputs) as { path: string; content: string };
    const uploads = (plain.uploads as ContainerSpec["uploads"]).map((u) => (u.file === users.path ? { ...u, content: users.content } : u));
    return {
        command: plain.command as string[],
        uploads,
        volumes: (plain.volumes ?? []) as ContainerSpec["volumes"],
        envs: plain.envs as string[] | undefined,
    };
}

export async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = createServer();
        server.listen(0, "127.0.0.1", () => {
            const address = server.address();
            server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
        });
    });
}

export interface RunningRegistry {
    port: number;
    root: string;
    logs: () => string;
    stop: () => Promise<void>;
    /** Starts the same binary again on the same files and port (a container restart). */
    restart: () => Promise<void>;
    /** The container replaced by one with another spec (new files), keeping the volumes: what `pulumi up` does. */
    replaceSpec: (spec: ContainerSpec) => Promise<void>;
    /**
     * What `npm run registry:gc` does to the container: stop it, run the registry's garbage collector on the
     * same storage (`--delete-untagged` unless told otherwise), start it again. Returns the collector's output.
     */
    garbageCollect: (options?: { deleteUntagged?: boolean; dryRun?: boolean }) => Promise<string>;
    /** Where a container path (a volume, e.g. /var/lib/registry) lives here. */
    pathOf: (containerPath: string) => string;
    /** Removes the temp dir (the container and its volumes). */
    remove: () => void;
}

/** Rewrites every string in the config that names a path inside the container to the temp dir. */
function mapPaths(value: unknown, prefixes: string[], root: string): unknown {
    if (typeof value === "string") return prefixes.some((p) => value === p || value.startsWith(`${p}/`)) ? join(root, value) : value;
    if (Array.isArray(value)) return value.map((v) => mapPaths(v, prefixes, root));
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapPaths(v, prefixes, root)]));
    }
    return value;
}

/**
 * Starts the real registry (distribution v3 by default, the version the stack deploys; "2.8" is Debian's
 * docker-registry) with exactly the files, volumes and command the component declared, container paths mapped
 * into a temp dir, on 127.0.0.1.
 */
export async function startRealRegistry(
    spec: ContainerSpec,
    options: {
        env?: Record<string, string>;
        port?: number;
        /** Run it through this prefix, e.g. nsenter into a lab. */
        wrap?: string[];
        version?: RegistryVersion;
    } = {},
): Promise<RunningRegistry> {
    const binary = registryBinary(options.version);
    const root = mkdtempSync(join(tmpdir(), "faasreg-registry-"));
    let configPath = "";
    /** The container's files and volumes, as the spec declares them, container paths mapped into `root`. */
    const writeFiles = (declared: ContainerSpec) => {
        const prefixes = [...declared.volumes.map((v) => v.containerPath), ...declared.uploads.map((u) => dirname(u.file))];
        for (const volume of declared.volumes) mkdirSync(join(root, volume.containerPath), { recursive: true });
        const config = declared.command.find((arg) => arg.endsWith(".yml") || arg.endsWith(".yaml"));
        if (config === undefined) throw new Error(`the container command ${JSON.stringify(declared.command)} names no config file`);
        configPath = config;
        for (const upload of declared.uploads) {
            const target = join(root, upload.file);
            mkdirSync(dirname(target), { recursive: true });
            if (existsSync(target)) chmodSync(target, 0o600);
            const content = upload.file === config ? `${JSON.stringify(mapPaths(JSON.parse(upload.content), prefixes, root), null, 2)}\n` : upload.content;
            writeFileSync(target, content);
            if (upload.permissions) chmodSync(target, Number.parseInt(upload.permissions, 8));
        }
    };
    writeFiles(spec);
    const port = options.port ?? (await freePort());
    const env: Record<string, string> = {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        // Container paths in values (SSL_CERT_DIR=/etc/ssl/certs:/etc/distribution/acme-roots) mapped as in the config.
        ...Object.fromEntries(
            (spec.envs ?? []).map((e) => {
                const prefixes = spec.uploads.map((u) => dirname(u.file));
                const value = e
                    .slice(e.indexOf("=") + 1)
                    .split(":")
                    .map((part) => mapPaths(part, prefixes, root))
                    .join(":");
                return [e.slice(0, e.indexOf("=")), value];
            }),
        ),
        // The container listens on :5000 behind a port mapping; here the binary listens on loopback directly.
        REGISTRY_HTTP_ADDR: `127.0.0.1:${port}`,
        ...(options.env ?? {}),
    };
    let output = "";
    let child: ChildProcess | undefined;
    const start = async () => {
        const from = output.length;
        const argv = [...(options.wrap ?? []), binary, "serve", join(root, configPath)];
        child = spawn(argv[0], argv.slice(1), { env, stdio: ["ignore", "pipe", "pipe"] });
        child.stdout?.on("data", (d) => {
            output += d;
        });
        child.stderr?.on("data", (d) => {
            output += d;
        });
        const deadline = Date.now() + 15_000;
        while (!/listening on/.test(output.slice(from))) {
            if (child.exitCode !== null) throw new Error(`${binary} exited ${child.exitCode}:\n${output}`);
            if (Date.now() > deadline) throw new Error(`${binary} did not start within 15 s:\n${output}`);
            await new Promise((r) => setTimeout(r, 50));
        }
    };
    const stop = async () => {
        const c = child;
        if (c === undefined || c.exitCode !== null || c.signalCode !== null) return;
        await new Promise<void>((resolve) => {
            c.once("exit", () => resolve());
            c.kill("SIGTERM");
            setTimeout(() => c.kill("SIGKILL"), 5000).unref();
        });
    };
    await start();
    return {
        port,
        root,
        logs: () => output,
        stop,
        restart: async () => {
            await stop();
            output += "\n--- restart ---\n";
            await start();
        },
        replaceSpec: async (next) => {
            await stop();
            writeFiles(next);
            output += "\n--- replaced ---\n";
            await start();
        },
        garbageCollect: async ({ deleteUntagged = true, dryRun = false } = {}) => {
            await stop();
            const flags = [...(deleteUntagged ? ["--delete-untagged"] : []), ...(dryRun ? ["--dry-run"] : [])];
            const argv = [...(options.wrap ?? []), binary, "garbage-collect", ...flags, join(root, configPath)];
            const r = spawnSync(argv[0], argv.slice(1), { env, encoding: "utf8" });
            output += "\n--- garbage-collect ---\n";
            await start();
            if (r.status !== 0) throw new Error(`garbage-collect exited ${r.status}: ${r.stderr}`);
            return `${r.stdout}${r.stderr}`;
        },
        pathOf: (containerPath) => join(root, containerPath),
        remove: () => rmSync(root, { recursive: true, force: true }),
    };
}
