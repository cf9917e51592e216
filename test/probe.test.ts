// The readiness probe's diagnosis of a failed attempt (the failures themselves are run for real in
// registry.real.test.ts where they can be made on this machine: refused, wrong password, bad certificate).
import { describe, expect, it } from "vitest";
// @ts-expect-error: a dependency-free .mjs script without type declarations.
import { explain } from "../components/registry/probe.mjs";

const le = { url: "https://registry.example.com/v2/", tlsMode: "letsencrypt" };
const cert = { url: "https://registry.example.com:5443/v2/", tlsMode: "certificate" };
const err = (code: string, message = code) => ({ error: Object.assign(new Error(message), { code }) });

describe("readiness probe diagnosis", () => {
    it.each([
        [err("ENOTFOUND"), le, /^DNS: registry\.example\.com does not resolve .*Let's Encrypt must resolve it too/],
        [err("ECONNREFUSED"), cert, /nothing accepts connections on registry\.example\.com:5443/],
        [err("ETIMEDOUT"), le, /registry\.example\.com:443 is not reachable \(ETIMEDOUT\).*TLS-ALPN-01 challenge needs public port 443/],
        [err("EPROTO", "tlsv1 alert internal error"), le, /TLS handshake failed .*Let's Encrypt has not issued a certificate/],
        [
            { ...err("EPROTO", "tlsv1 alert internal error"), address: "10.0.0.5" },
            le,
            /resolves to 10\.0\.0\.5, a private or loopback address: Let's Encrypt connects from the internet/,
        ],
        [
            { ...err("EPROTO", "tlsv1 alert internal error"), address: "203.0.113.7" },
            le,
            /resolves to 203\.0\.113\.7 and port 443 answers there, so the registry runs/,
        ],
        [
            err("ERR_TLS_CERT_ALTNAME_INVALID", "Hostname/IP does not match certificate's altnames"),
            cert,
            /bad certificate .*not valid for registry\.example\.com/,
        ],
        [{ stage: "anonymous", status: 200 }, cert, /answered 200 without credentials/],
        [{ stage: "anonymous", status: 404 }, cert, /no Docker-Distribution-Api-Version header/],
        [{ stage: "authenticated", status: 401 }, cert, /refuses the first user's credentials/],
        [{ stage: "authenticated", status: 400 }, cert, /malformed line, which locks every user out/],
    ])("explains %j", (outcome, input, message) => {
        expect(explain(outcome, input)).toMatch(message);
    });
});
