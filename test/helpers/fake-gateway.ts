// A FaaS gateway for tests that reproduces the routes, status codes and bodies docs/upstream.md lists as
// observed on a real gateway in front of faas-swarm (not the OpenAPI document), with switches to
// inject faults. Starts on 127.0.0.1 and a free port.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface StoredFunction {
    service: string;
    image: string;
    envProcess?: string;
    labels: Record<string, string>;
    annotations?: Record<string, string>;
    registryAuth?: string;
    namespace?: string;
    network?: string;
    envVars?: Record<string, string>;
    deployedAt: number;
    updates: number;
    /** The whole last deployment body, as received. */
    body: Record<string, unknown>;
}

export interface RecordedRequest {
    method: string;
    path: string;
    authorization?: string;
    body: string;
}

/** One injected fault, consumed by the next request it matches. */
export interface Fault {
    method?: string;
    /** Matches the start of the path. */
    path?: string;
    /** Answer this status (with `body`) instead of handling the request. */
    status?: number;
    body?: string;
    /** Destroy the connection without an answer. */
    reset?: boolean;
    /** Handle the request (its effect happens), then destroy the connection: a lost reply. */
    resetAfterHandling?: boolean;
    /** Send headers, then the body this slowly (ms), e.g. beyond the client's timeout. */
    slowBodyMs?: number;
    /** Answer 200 with a body that is not JSON. */
    invalidJson?: boolean;
}

export interface GatewayOptions {
    username: string;
    password: string;
    /** Added to every request (ms). */
    latencyMs: number;
    /** A function becomes available this long after its deployment (ms). */
    readyAfterMs: number;
    /** Functions that never get an available replica. */
    neverReady: Set<string>;
    /** faas-swarm pulls with the registryAuth it was given: a different one never becomes ready. */
    expectedRegistryAuth?: string;
    /** What GET /system/info reports as the orchestrator. */
    orchestration: string;
    /** Swarm pins images by digest in the service spec; the gateway reports it so. */
    pinDigest: boolean;
    faults: Fault[];
}

export class FakeGateway {
    readonly functions = new Map<string, StoredFunction>();
    readonly requests: RecordedRequest[] = [];
    readonly options: GatewayOptions;
    private server?: Server;
    url = "";

    constructor(options: Partial<GatewayOptions> = {}) {
        this.options = {
            username: "admin",
            password: "gateway-secret-pw",
            latencyMs: 0,
            readyAfterMs: 0,
            neverReady: new Set(),
            orchestration: "swarm",
            pinDigest: false,
            faults: [],
            ...options,
        };
    }

    async start(): Promise<this> {
        this.server = createServer((req, res) => {
            void this.handle(req, res);
        });
        await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
        this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
        return this;
    }

    async stop(): Promise<void> {
        this.server?.closeAllConnections();
        await new Promise<void>((resolve) => this.server?.close(() => resolve()));
    }

    /** Creates a function directly, as if deployed outside the stack. */
    seed(fn: Partial<StoredFunction> & { service: string; image: string }): void {
        this.functions.set(fn.service, { labels: {}, deployedAt: 0, updates: 0, body: { ...fn }, ...fn });
    }

    private takeFault(method: string, path: string): Fault | undefined {
        const i = this.options.faults.findIndex((f) => (f.method === undefined || f.method === method) && (f.path === undefined || path.startsWith(f.path)));
        return i < 0 ? undefined : this.options.faults.splice(i, 1)[0];
    }

    private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const body = Buffer.concat(chunks).toString("utf8");
        const url = new URL(req.url ?? "/", "http://gateway");
        const method = req.method ?? "GET";
        this.requests.push({ method, path: url.pathname + url.search, authorization: req.headers.authorization, body });
        if (this.options.latencyMs > 0) await sleep(this.options.latencyMs);

        const fault = this.takeFault(method, url.pathname);
        if (fault?.reset) return void req.socket.destroy();
        if (fault?.status !== undefined) return send(res, fault.status, fault.body ?? "");
        if (fault?.invalidJson) return send(res, 200, "<html>not json</html>");
        if (fault?.slowBodyMs !== undefined) {
            res.writeHead(200, { "content-type": "application/json" });
            res.write("{");
            await sleep(fault.slowBodyMs);
            return void res.end('"name":"slow"}');
        }

        const expected = `Basic ${Buffer.from(`${this.options.username}:${this.options.password}`).toString("base64")}`;
        if (req.headers.authorization !== expected) return send(res, 401, "invalid credentials\n");

        let reply: { status: number; body: string; json?: boolean };
        try {
            reply = this.route(method, url, body);
        } catch {
            // As the real gateway's crashing handler: no response at all.
            return void req.socket.destroy();
        }
        if (fault?.resetAfterHandling) return void req.socket.destroy();
        send(res, reply.status, reply.body, reply.json);
    }

    private route(method: string, url: URL, body: string): { status: number; body: string; json?: boolean } {
        const path = url.pathname;
        if (path === "/system/functions" && (method === "POST" || method === "PUT")) {
            let spec: Record<string, unknown>;
            try {
                spec = JSON.parse(body);
            } catch {
                return { status: 400, body: "" };
            }
            const service = spec.service as string;
            if (!service || !spec.image) return { status: 400, body: "service and image are required\n" };
            if (spec.registryAuth !== undefined) {
                const decoded = Buffer.from(String(spec.registryAuth), "base64").toString("utf8");
                if (!decoded.includes(":")) return { status: 400, body: "Invalid registry auth\n" };
            }
            const existing = this.functions.get(service);
            if (method === "POST" && existing) {
                return { status: 400, body: "Error response from daemon: rpc error: code = AlreadyExists desc = name conflicts with an existing object\n" };
            }
            if (method === "PUT" && !existing) return { status: 404, body: "" };
            const labels = { ...((spec.labels as Record<string, string>) ?? {}) };
            this.functions.set(service, {
                service,
                image: spec.image as string,
                envProcess: spec.envProcess as string | undefined,
                labels,
                annotations: spec.annotations as Record<string, string> | undefined,
                // faas-swarm keeps the stored credentials when an update sends none.
                registryAuth: (spec.registryAuth as string | undefined) ?? existing?.registryAuth,
                namespace: spec.namespace as string | undefined,
                network: spec.network as string | undefined,
                envVars: spec.envVars as Record<string, string> | undefined,
                deployedAt: Date.now(),
                updates: (existing?.updates ?? -1) + 1,
                body: spec,
            });
            return { status: 202, body: "" };
        }
        if (path === "/system/functions" && method === "DELETE") {
            let spec: { functionName?: string };
            try {
                spec = JSON.parse(body);
            } catch {
                return { status: 400, body: "" };
            }
            if (!spec.functionName) return { status: 400, body: "functionName is required in request body\n" };
            if (!this.functions.delete(spec.functionName)) return { status: 404, body: "" };
            return { status: 202, body: "" };
        }
        if (path === "/system/functions" && method === "GET") {
            // The real handler crashes when Prometheus is unreachable and a function exists.
            throw new Error("GET /system/functions: the list route is not to be used (docs/upstream.md)");
        }
        const one = /^\/system\/function\/([^/]+)$/.exec(path);
        if (one && method === "GET") {
            const fn = this.functions.get(decodeURIComponent(one[1]));
            if (!fn) return { status: 404, body: "" };
            const available = this.isAvailable(fn) ? 1 : 0;
            const labels: Record<string, string> = { ...fn.labels, "com.openfaas.function": fn.service, function: "true" };
            if (fn.updates > 0) labels["com.openfaas.uid"] = String(900000 + fn.updates);
            const status = {
                name: fn.service,
                image: this.options.pinDigest ? `${fn.image}@sha256:${"ab".repeat(32)}` : fn.image,
                invocationCount: 0,
                replicas: 1,
                availableReplicas: available,
                envProcess: fn.envProcess ?? "",
                labels,
                annotations: fn.annotations ?? {},
            };
            return { status: 200, body: JSON.stringify(status), json: true };
        }
        if (path === "/system/info" && method === "GET") {
            const info = {
                provider: { provider: `faas-${this.options.orchestration}`, orchestration: this.options.orchestration, version: { release: "0.0.0-test" } },
                version: { release: "0.0.0-test" },
            };
            return { status: 200, body: JSON.stringify(info), json: true };
        }
        return { status: 404, body: "404 page not found\n" };
    }

    private isAvailable(fn: StoredFunction): boolean {
        if (this.options.neverReady.has(fn.service)) return false;
        if (this.options.expectedRegistryAuth !== undefined && fn.registryAuth !== this.options.expectedRegistryAuth) return false;
        return Date.now() - fn.deployedAt >= this.options.readyAfterMs;
    }
}

function send(res: ServerResponse, status: number, body: string, json = false): void {
    res.writeHead(status, { "content-type": json ? "application/json" : "text/plain; charset=utf-8" });
    res.end(body);
}

function sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
}
