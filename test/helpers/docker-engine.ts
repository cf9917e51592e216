// A Docker engine for the end-to-end tests: its socket comes from FAASREG_DOCKER_HOST (set by .ci/run,
// which starts Debian's dockerd with vfs storage and no bridge). Engine API calls go over the socket;
// `docker` CLI calls use /usr/bin/docker with a private DOCKER_CONFIG, never the user's.
import { spawnSync } from "node:child_process";
import http from "node:http";

export const DOCKER_HOST = process.env.FAASREG_DOCKER_HOST;

export function socketPath(): string {
    if (DOCKER_HOST === undefined || !DOCKER_HOST.startsWith("unix://")) throw new Error("FAASREG_DOCKER_HOST must be unix:///path/to/docker.sock");
    return DOCKER_HOST.slice("unix://".length);
}

/** One Engine API call; the JSON reply parsed when there is one. */
export function engine(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown }> {
    return new Promise((resolve, reject) => {
        const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
        const req = http.request(
            {
                socketPath: socketPath(),
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
                        // Not JSON: keep the text.
                    }
                    resolve({ status: res.statusCode ?? 0, json });
                });
            },
        );
        req.on("error", reject);
        req.end(data);
    });
}

/** Runs the docker CLI against the test engine with a private config dir. */
export function dockerCli(args: string[], options: { configDir: string; input?: string }): { status: number | null; out: string } {
    const res = spawnSync("/usr/bin/docker", args, {
        input: options.input,
        encoding: "utf8",
        env: { PATH: process.env.PATH, HOME: options.configDir, DOCKER_HOST, DOCKER_CONFIG: options.configDir, DOCKER_BUILDKIT: "0" },
        timeout: 120_000,
    });
    return { status: res.status, out: `${res.stdout}${res.stderr}` };
}

/**
 * The X-Registry-Auth header faas-swarm sends when it creates or updates a service from a deployment's
 * `registryAuth` (FACTS.md): base64 of `user:password`, decoded and split at the FIRST ':', sent as
 * {username, password, serveraddress} in the engine's URL-safe base64.
 */
export function xRegistryAuth(registryAuth: string, serveraddress: string): string {
    const decoded = Buffer.from(registryAuth, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    const config = { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), serveraddress };
    return Buffer.from(JSON.stringify(config)).toString("base64").replace(/\+/g, "-").replace(/\//g, "_");
}
