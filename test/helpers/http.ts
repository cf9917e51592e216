import http from "node:http";
import https from "node:https";

export interface HttpReply {
    status: number;
    headers: http.IncomingHttpHeaders;
    body: Buffer;
}

export interface HttpOptions {
    method?: string;
    headers?: Record<string, string>;
    body?: Buffer | string;
    /** Basic auth as [user, password]. */
    auth?: [string, string];
    /** Extra CA (PEM) and SNI name for https URLs. */
    ca?: string;
    servername?: string;
    timeoutMs?: number;
}

/** A minimal HTTP(S) client for tests: no retries, no redirects, the whole body buffered. */
export function request(url: string, o: HttpOptions = {}): Promise<HttpReply> {
    const target = new URL(url);
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (o.auth) headers.authorization = `Basic ${Buffer.from(`${o.auth[0]}:${o.auth[1]}`).toString("base64")}`;
    const body = o.body === undefined ? undefined : Buffer.from(o.body);
    if (body) headers["content-length"] = String(body.length);
    const lib = target.protocol === "https:" ? https : http;
    return new Promise((resolve, reject) => {
        const req = lib.request(
            target,
            { method: o.method ?? "GET", headers, ca: o.ca, servername: o.servername, agent: false, timeout: o.timeoutMs ?? 10_000 },
            (res) => {
                const chunks: Buffer[] = [];
                res.on("data", (c: Buffer) => chunks.push(c));
                res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
                res.on("error", reject);
            },
        );
        req.on("timeout", () => req.destroy(new Error(`timeout: ${o.method ?? "GET"} ${url}`)));
        req.on("error", reject);
        req.end(body);
    });
}
