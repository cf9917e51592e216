// The FaaS gateway's HTTP API as observed on a real gateway in front of faas-swarm (docs/upstream.md), not as
// its OpenAPI document says. Everything here runs inside the dynamic provider, in the engine's provider
// process: plain functions over global `fetch`, nothing captured but constants.

/** How to reach the gateway. The password is only ever used to build the Authorization header. */
export interface GatewayConnection {
    url: string;
    username?: string;
    password?: string;
}

export interface RetryPolicy {
    /** Tries per request, the first included. */
    tries: number;
    /** Give up retrying once this much time has passed since the first try. */
    budgetMs: number;
    /** Timeout of one request, body included. */
    requestTimeoutMs: number;
    /** First back-off; doubles each retry. */
    baseDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { tries: 5, budgetMs: 60_000, requestTimeoutMs: 15_000, baseDelayMs: 500 };

export interface GatewayReply {
    status: number;
    body: string;
    /** How many tries it took (more than one: an earlier try may have reached the gateway). */
    tries: number;
}

/** The function as `GET /system/function/{name}` describes it. */
export interface FunctionStatus {
    name: string;
    image: string;
    replicas: number;
    availableReplicas: number;
    envProcess?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
}

/** Replaces every occurrence of a secret (and its base64) in `text` by `[secret]`. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
    let out = text;
    for (const secret of secrets) {
        if (secret === undefined || secret.length < 4) continue;
        for (const form of [secret, Buffer.from(secret, "utf8").toString("base64")]) out = out.split(form).join("[secret]");
    }
    return out;
}

/** An error from the gateway, with the HTTP status when there was one. */
export type GatewayError = Error & { status?: number };

/**
 * Makes a GatewayError: an Error with the gateway's `status` (a factory, as it was while the provider was
 * serialized into the state, whose serializer dropped the message of an Error subclass).
 */
export function gatewayError(message: string, status?: number): GatewayError {
    return Object.assign(new Error(message), { name: "GatewayError", status });
}

function authorization(conn: GatewayConnection): Record<string, string> {
    if (conn.password === undefined || conn.password === "") return {};
    const token = Buffer.from(`${conn.username ?? "admin"}:${conn.password}`, "utf8").toString("base64");
    return { authorization: `Basic ${token}` };
}

function describeNetworkError(error: unknown): string {
    const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
    if (e?.name === "TimeoutError" || e?.name === "AbortError") return "no complete answer within the request timeout";
    return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(error);
}

/**
 * One gateway call with bounded retries: connection errors, timeouts, 5xx and Swarm's "update out of
 * sequence" conflict are retried with exponential back-off (at most `tries` tries within `budgetMs`);
 * any other 4xx is returned at once, for the caller to interpret. Errors name the method, route, status and a trimmed body, never the credentials
 * or the request body.
 */
export async function gatewayCall(
    conn: GatewayConnection,
    method: string,
    route: string,
    body: unknown,
    redactAlso: readonly (string | undefined)[] = [],
    policy: RetryPolicy = DEFAULT_RETRY,
): Promise<GatewayReply> {
    const started = Date.now();
    const secrets = [conn.password, ...redactAlso];
    const url = `${conn.url.replace(/\/+$/, "")}${route}`;
    let lastProblem = "";
    for (let attempt = 1; ; attempt++) {
        try {
            const res = await fetch(url, {
                method,
                headers: { ...authorization(conn), ...(body === undefined ? {} : { "content-type": "application/json" }) },
                body: body === undefined ? undefined : JSON.stringify(body),
                signal: AbortSignal.timeout(policy.requestTimeoutMs),
            });
            const text = await res.text();
            // A failed pull is an answer, not a fault: faasd says so with a 500 on update. So is a name taken:
            // faas-netes answers 500 "already exists" to a create (faas-swarm: 400).
            if ((res.status < 500 && !isConflict(res.status, text)) || /unable to pull image|already exists/i.test(text))
                return { status: res.status, body: text, tries: attempt };
            lastProblem = `HTTP ${res.status} ${trimBody(text, secrets)}`.trim();
        } catch (error) {
            lastProblem = redact(describeNetworkError(error), secrets);
        }
        const delay = policy.baseDelayMs * 2 ** (attempt - 1);
        if (attempt >= policy.tries || Date.now() - started + delay > policy.budgetMs) {
            throw gatewayError(
                `${method} ${route} on the FaaS gateway ${conn.url} failed after ${attempt} tr${attempt === 1 ? "y" : "ies"} in ${((Date.now() - started) / 1000).toFixed(1)} s: ${lastProblem}. ` +
                    "Check that the gateway is up and reachable from where pulumi runs, then run pulumi up again.",
            );
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
    }
}

/**
 * A 4xx that is worth retrying: faas-swarm answers 400 "update out of sequence" when Swarm changed the
 * service while it was updating it (an earlier rolling update finishing, measured on the real pair).
 */
function isConflict(status: number, body: string): boolean {
    return status === 400 && /update out of sequence/i.test(body);
}

/** The body of an error reply, one line, at most 200 characters, secrets removed. */
export function trimBody(text: string, secrets: readonly (string | undefined)[]): string {
    const oneLine = redact(text, secrets).replace(/\s+/g, " ").trim();
    return oneLine.length > 200 ? `${oneLine.slice(0, 200)}...` : oneLine;
}

/** Turns a reply the caller did not expect into an error a user can act on. */
export function unexpected(
    conn: GatewayConnection,
    method: string,
    route: string,
    reply: GatewayReply,
    secrets: readonly (string | undefined)[],
): GatewayError {
    const body = trimBody(reply.body, [conn.password, ...secrets]);
    const hint =
        reply.status === 401
            ? " The gateway refused its credentials: check faas:username and faas:password (pulumi config set --secret faas:password ...; with the faasreg package, the function's gatewayPassword or the provider's faasreg:gatewayPassword). If you just changed them, `pulumi refresh` and `pulumi destroy` still use the last deployment's: run `pulumi up` first, or add --run-program."
            : reply.status === 400 && /registry auth/i.test(reply.body)
              ? " The gateway could not decode registryAuth: it must be base64 of user:password."
              : reply.status === 400 && /only allows public images/i.test(reply.body)
                ? ' This is faas-netes Community Edition from 2024-02 on (0.18.0 and later): its license lets it deploy only images anyone may pull (it checks with an anonymous HEAD of the manifest, handlers/validate.go), so no private registry works with it. Use OpenFaaS Standard or Enterprise, or faas-netes CE 0.17.x (README, "Kubernetes").'
                : "";
    return gatewayError(`${method} ${route} on the FaaS gateway ${conn.url} answered HTTP ${reply.status}${body ? `: ${body}` : ""}.${hint}`, reply.status);
}

export function functionRoute(name: string, namespace?: string): string {
    return `/system/function/${encodeURIComponent(name)}${namespace ? `?namespace=${encodeURIComponent(namespace)}` : ""}`;
}

/** `GET /system/function/{name}`; undefined when the gateway says 404 (the function does not exist). */
export async function getFunction(
    conn: GatewayConnection,
    name: string,
    namespace: string | undefined,
    policy?: RetryPolicy,
): Promise<FunctionStatus | undefined> {
    const route = functionRoute(name, namespace);
    const reply = await gatewayCall(conn, "GET", route, undefined, [], policy);
    if (reply.status === 404) return undefined;
    if (reply.status !== 200) throw unexpected(conn, "GET", route, reply, []);
    try {
        return JSON.parse(reply.body) as FunctionStatus;
    } catch {
        throw gatewayError(
            `GET ${route} on the FaaS gateway ${conn.url} answered 200 with a body that is not JSON: ${trimBody(reply.body, [conn.password])}`,
            200,
        );
    }
}

/** The orchestrator the gateway's provider reports (`swarm`, `kubernetes`, `faasd`...), or undefined. */
export async function getOrchestrator(conn: GatewayConnection, policy?: RetryPolicy): Promise<string | undefined> {
    const reply = await gatewayCall(conn, "GET", "/system/info", undefined, [], policy);
    if (reply.status !== 200) return undefined;
    try {
        const info = JSON.parse(reply.body) as { provider?: { orchestration?: string; provider?: string } };
        return info.provider?.orchestration ?? info.provider?.provider;
    } catch {
        return undefined;
    }
}
