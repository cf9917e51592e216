// Why a function's image could not be pulled, asked of the registry itself. Neither the gateway nor
// faas-swarm says why a task did not start: Swarm shows "No such image" and the real cause (credentials
// refused, tag not found) stays in the Docker daemon's log on the node. The provider therefore asks the
// registry for the image's manifest with the same credentials, the way `docker pull` does, and turns the
// answer into a cause. Runs in the faasreg provider's process, with global fetch.
import { redact } from "./gateway";
import { parseImageRef } from "./image";

export type PullVerdict = "pullable" | "credentials-refused" | "not-found" | "unknown";

export interface PullCheck {
    verdict: PullVerdict;
    /** One sentence a user can act on; never a credential. */
    cause: string;
}

const MANIFEST_TYPES = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

function isLoopbackHost(host: string): boolean {
    const name = host.replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
    return name === "localhost" || name.startsWith("127.") || name === "::1";
}

function basic(registryAuth: string | undefined): Record<string, string> {
    return registryAuth ? { authorization: `Basic ${registryAuth}` } : {};
}

/** `Bearer realm="https://auth/token",service="x",scope="y"` -> its parameters. */
function bearerChallenge(header: string | null): Record<string, string> | undefined {
    if (header === null || !/^bearer\s/i.test(header)) return undefined;
    const params: Record<string, string> = {};
    for (const m of header.matchAll(/(\w+)="([^"]*)"/g)) params[m[1].toLowerCase()] = m[2];
    return params.realm ? params : undefined;
}

async function manifestStatus(base: string, path: string, reference: string, registryAuth: string | undefined, timeoutMs: number): Promise<number> {
    const url = `${base}/v2/${path}/manifests/${reference}`;
    const signal = AbortSignal.timeout(timeoutMs);
    const first = await fetch(url, { method: "HEAD", headers: { accept: MANIFEST_TYPES, ...basic(registryAuth) }, signal });
    const challenge = first.status === 401 ? bearerChallenge(first.headers.get("www-authenticate")) : undefined;
    if (challenge === undefined) return first.status;
    // Token registries (Docker Hub, GHCR...): trade the basic credentials for a pull token, as docker does.
    const tokenUrl = new URL(challenge.realm);
    if (challenge.service) tokenUrl.searchParams.set("service", challenge.service);
    tokenUrl.searchParams.set("scope", `repository:${path}:pull`);
    const tokenReply = await fetch(tokenUrl, { headers: basic(registryAuth), signal });
    if (tokenReply.status === 401 || tokenReply.status === 403) return 401;
    const { token, access_token: accessToken } = (await tokenReply.json()) as { token?: string; access_token?: string };
    const second = await fetch(url, { method: "HEAD", headers: { accept: MANIFEST_TYPES, authorization: `Bearer ${token ?? accessToken}` }, signal });
    return second.status;
}

/**
 * Asks the image's registry whether `registryAuth` may pull `image`. HTTPS first; plain HTTP only for a
 * loopback registry, which Docker also allows. Never throws: a registry that cannot be asked gives "unknown".
 */
export async function checkPull(image: string, registryAuth: string | undefined, timeoutMs = 5000): Promise<PullCheck> {
    const ref = parseImageRef(image);
    if (ref === undefined) return { verdict: "unknown", cause: `"${image}" is not a valid image reference` };
    const domain = ref.domain ?? "registry-1.docker.io";
    const path = ref.domain === undefined && !ref.path.includes("/") ? `library/${ref.path}` : ref.path;
    const reference = ref.digest ?? ref.tag ?? "latest";
    const secrets = registryAuth ? [registryAuth, Buffer.from(registryAuth, "base64").toString("utf8")] : [];
    let status: number | undefined;
    let problem = "";
    for (const scheme of isLoopbackHost(domain) ? ["https", "http"] : ["https"]) {
        try {
            status = await manifestStatus(`${scheme}://${domain}`, path, reference, registryAuth, timeoutMs);
            break;
        } catch (error) {
            const e = error as { message?: string; cause?: { code?: string; message?: string } };
            problem = redact(e.cause?.code ?? e.cause?.message ?? e.message ?? String(error), secrets);
        }
    }
    if (status === 401 || status === 403) {
        return {
            verdict: "credentials-refused",
            cause: `the registry ${domain} refuses the credentials the function was deployed with (registryAuth, HTTP ${status}): they must be a registry user's "user:password", base64-encoded`,
        };
    }
    if (status === 404) {
        return {
            verdict: "not-found",
            cause: `the registry ${domain} has no image ${ref.path}:${reference} (HTTP 404, tag or digest not found): push it first, or correct the reference`,
        };
    }
    if (status !== undefined && status >= 200 && status < 300) {
        return {
            verdict: "pullable",
            cause: `the registry ${domain} serves ${ref.path}:${reference} to these credentials, so the image can be pulled from here: the function's container probably exits on start (docker service logs), or the node cannot reach the registry (its Docker daemon's log says why)`,
        };
    }
    return {
        verdict: "unknown",
        cause: `the registry ${domain} could not be asked why (${status === undefined ? problem : `HTTP ${status}`}); check the credentials and that ${image} was pushed`,
    };
}
