#!/usr/bin/env node
// Readiness gate of PrivateRegistry, run by `pulumi up` as a local command (@pulumi/command).
// Reads {url, username, password, timeoutSeconds, tlsMode, host, httpsPort, certificate?} as JSON on
// stdin (never argv or env: those are visible to other processes), then waits until GET /v2/ answers
// 401 without credentials and 200 with them. It prints diagnostics to stderr and never a credential.
// Dependency-free on purpose: it runs with plain `node`, outside the Pulumi program.
import dns from "node:dns";
import http from "node:http";
import https from "node:https";
import tls from "node:tls";
import { pathToFileURL } from "node:url";

// Let's Encrypt issues the certificate during the first TLS handshake, which can take tens of seconds.
const requestTimeoutMs = (input) => (input.tlsMode === "letsencrypt" ? 45_000 : 10_000);

function readStdin() {
    return new Promise((resolve, reject) => {
        let text = "";
        process.stdin.setEncoding("utf8");
        process.stdin.on("data", (chunk) => {
            text += chunk;
        });
        process.stdin.on("end", () => resolve(text));
        process.stdin.on("error", reject);
    });
}

function get(url, authorization, ca, timeoutMs) {
    return new Promise((resolve, reject) => {
        const target = new URL(url);
        const lib = target.protocol === "https:" ? https : http;
        const headers = authorization ? { authorization } : {};
        const options = { method: "GET", headers, timeout: timeoutMs, agent: false };
        if (ca) options.ca = [...tls.rootCertificates, ca];
        const req = lib.request(target, options, (res) => {
            res.resume();
            res.on("end", () => resolve({ status: res.statusCode, api: res.headers["docker-distribution-api-version"] }));
        });
        req.on("timeout", () => {
            const err = new Error(`no answer within ${timeoutMs / 1000} s`);
            err.code = "ETIMEDOUT";
            req.destroy(err);
        });
        req.on("error", reject);
        req.end();
    });
}

/** What a failed attempt most likely means, in words a user can act on. */
export function explain(outcome, input) {
    const where = new URL(input.url);
    const hostPort = `${where.hostname}:${where.port || (where.protocol === "https:" ? 443 : 80)}`;
    const le = input.tlsMode === "letsencrypt";
    if (outcome.error) {
        const code = outcome.error.code ?? "";
        const text = `${code} ${outcome.error.message}`;
        if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
            return `DNS: ${where.hostname} does not resolve from this machine. Create an A record for it pointing at the Docker host (IPv4: the registry is published on IPv4 only)${le ? " (Let's Encrypt must resolve it too)" : ""}.`;
        }
        if (code === "ECONNREFUSED") {
            return `nothing accepts connections on ${hostPort}: the registry container is not running (see \`docker logs\` on the Docker host) or the port is not published there.`;
        }
        if (code === "ETIMEDOUT" || code === "ECONNRESET" || code === "EHOSTUNREACH" || code === "ENETUNREACH") {
            return `${hostPort} is not reachable (${code}): open the port in the firewall or security group${le ? "; Let's Encrypt's TLS-ALPN-01 challenge needs public port 443 to reach the registry" : ""}.`;
        }
        if (/CERT|SSL|TLS|certificate|alert|handshake/i.test(text)) {
            const address = outcome.address;
            const local = address !== undefined && isPrivateAddress(address);
            return le
                ? `TLS handshake failed (${text.trim()}): Let's Encrypt has not issued a certificate for ${where.hostname}. ` +
                      (local
                          ? `${where.hostname} resolves to ${address}, a private or loopback address: Let's Encrypt connects from the internet, so its DNS record must point at the server's public address. `
                          : `${where.hostname} resolves to ${address ?? "an address"} and port ${where.port || 443} answers there, so the registry runs; Let's Encrypt could not validate it. `) +
                      `Check that the public DNS record points at this server, that public port 443 reaches the registry (TLS-ALPN-01 is the only challenge it supports), and the registry's log (docker logs) for "acme" errors, rate limits included.`
                : `bad certificate (${text.trim()}): the certificate is not valid for ${where.hostname}, expired, or not signed by a CA this machine trusts; give the full chain, leaf first, and a private CA's root in registry:certificateRoot.`;
        }
        return `request failed: ${text.trim()}`;
    }
    if (outcome.stage === "anonymous") {
        if (outcome.status === 200) return `${input.url} answered 200 without credentials: something other than our authenticated registry serves ${hostPort}.`;
        return `${input.url} answered ${outcome.status} without credentials (expected 401 from the registry${outcome.api ? "" : "; no Docker-Distribution-Api-Version header, so this is probably not a registry"}).`;
    }
    if (outcome.status === 401)
        return "the registry refuses the first user's credentials (401): its htpasswd file does not hold them. Run `pulumi up` again; if it persists, the file was changed on the host.";
    if (outcome.status === 400)
        return "the registry answers 400 to authenticated requests: its htpasswd file has a malformed line, which locks every user out.";
    return `${input.url} answered ${outcome.status} with credentials (expected 200).`;
}

/** Private, loopback and link-local addresses: nobody on the internet (Let's Encrypt) can reach them. */
export function isPrivateAddress(address) {
    return /^(127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|169\.254\.|::1$|f[cd][0-9a-f]{2}:|fe80:)/i.test(address);
}

async function attempt(input) {
    const ca = input.certificate ?? undefined;
    try {
        const anonymous = await get(input.url, undefined, ca, requestTimeoutMs(input));
        if (anonymous.status !== 401 || !anonymous.api) return { ok: false, stage: "anonymous", ...anonymous };
        const basic = `Basic ${Buffer.from(`${input.username}:${input.password}`, "utf8").toString("base64")}`;
        const authed = await get(input.url, basic, ca, requestTimeoutMs(input));
        return { ok: authed.status === 200, stage: "authenticated", ...authed };
    } catch (error) {
        // A failed handshake with Let's Encrypt: where does the name point, as seen from here?
        const address =
            input.tlsMode === "letsencrypt"
                ? await dns.promises.lookup(new URL(input.url).hostname).then(
                      (a) => a.address,
                      () => undefined,
                  )
                : undefined;
        return { ok: false, error, address };
    }
}

/** Verification codes of a certificate that is served but not trusted (Node's, from OpenSSL). */
const UNTRUSTED = new Set([
    "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    "UNABLE_TO_GET_ISSUER_CERT",
    "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
    "SELF_SIGNED_CERT_IN_CHAIN",
    "DEPTH_ZERO_SELF_SIGNED_CERT",
    "CERT_HAS_EXPIRED",
    "CERT_NOT_YET_VALID",
    "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** With tls certificate, a served certificate that fails verification is final (Let's Encrypt's may still be on its way). */
export function untrustedCertificate(outcome, input) {
    return input.tlsMode === "certificate" && outcome.error !== undefined && UNTRUSTED.has(outcome.error.code ?? "");
}

export async function waitUntilReady(input, log = (line) => process.stderr.write(`${line}\n`)) {
    const started = Date.now();
    const deadline = started + input.timeoutSeconds * 1000;
    let delay = 500;
    let last;
    let tries = 0;
    for (;;) {
        tries += 1;
        last = await attempt(input);
        if (last.ok) {
            log(`registry ready at ${input.url}: 401 without credentials, 200 with them, after ${((Date.now() - started) / 1000).toFixed(1)} s`);
            return { ok: true, tries };
        }
        if (untrustedCertificate(last, input)) {
            // Our own certificate does not change by waiting: say so now, not after the whole timeout.
            log(`registry at ${input.url} presents a certificate this machine does not trust; not waiting. ${explain(last, input)}`);
            return { ok: false, tries, reason: explain(last, input) };
        }
        if (Date.now() + delay > deadline) break;
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 5000);
    }
    log(`registry at ${input.url} not ready after ${input.timeoutSeconds} s (${tries} tries). Likely cause: ${explain(last, input)}`);
    return { ok: false, tries, reason: explain(last, input) };
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
    const input = JSON.parse(await readStdin());
    const result = await waitUntilReady(input);
    process.exit(result.ok ? 0 : 1);
}
