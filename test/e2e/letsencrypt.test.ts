// Let's Encrypt's protocol, for real, against Let's Encrypt's own RFC 8555 test server (Debian's `pebble`)
// as a private ACME CA, in a private lab: the stack evaluated with tls letsencrypt, registry:acmeDirectory
// pebble's directory URL and registry:acmeRoot its roots -> the declared registry (distribution v3, the
// version deployed, with its `directoryurl`) on 443 -> a certificate ordered and validated through
// TLS-ALPN-01 on 443 -> trusted through registry:acmeRoot by the readiness probe -> docker login/push -> a
// restart on the same cache volume serves the same certificate without a new order -> another directory
// gets its own cache folder: its certificate is ordered, the first directory's is never served for it.
// The registry trusts pebble's HTTPS endpoint through the root the stack uploads (SSL_CERT_DIR), as it
// would a private CA's; nothing stands in for a name, nothing leaves the machine.
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import tls from "node:tls";
import type * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONTAINER_PATHS } from "../../components/registry/registry-config";
import { importFunctionImage } from "../helpers/function-image";
import { request } from "../helpers/http";
import { type DockerEngine, Lab, labSkipReason, waitFor } from "../helpers/lab";
import { findResource, outputValue, unwrap } from "../helpers/mocks";
import { containerSpec, type RunningRegistry, startRealRegistry } from "../helpers/real-registry";
import { evaluateStack } from "../helpers/stack";
import { makeCaSignedCertificate } from "../helpers/tls";
import { registrySkipReason } from "../helpers/registry-binary";
import { skipping } from "../helpers/skip";

const skip = skipping(
    "test/e2e/letsencrypt.test.ts",
    labSkipReason({ dockerd: true }),
    registrySkipReason(),
    existsSync("/usr/bin/pebble") ? undefined : "pebble is missing: apt-get install pebble (.ci/run does)",
);

const HOST = "registry.acme.test";
/** Two private ACME directories: pebble, then a second pebble (a switch like staging -> production). */
const DIRECTORY_A = "https://127.0.0.1:14000/dir";
const DIRECTORY_B = "https://127.0.0.1:14001/dir";
const PROBE = join(__dirname, "..", "..", "components", "registry", "probe.mjs");

describe.skipIf(skip !== undefined)("Let's Encrypt through a real ACME server (pebble): issuance, trust, restart on the same cache", () => {
    let lab: Lab;
    let registry: RunningRegistry;
    let tlsPort: number;
    let pebbleRoot: string;
    let gateInput: Record<string, unknown>;
    let password: string;
    let first: { fingerprint: string; issuer: string };
    let pebble: ReturnType<Lab["spawn"]>;
    const pebbleConfig = (tlsPort: number, offset: number) =>
        JSON.stringify({
            pebble: {
                listenAddress: `127.0.0.1:${14000 + offset}`,
                managementListenAddress: `127.0.0.1:${15000 + offset}`,
                certificate: join(lab.dir, "front.pem"),
                privateKey: join(lab.dir, "front.key"),
                httpPort: 80,
                // TLS-ALPN-01 validation connects here: the registry's published port.
                tlsPort,
            },
        });
    const startPebble = async (name: string, tlsPort: number, offset = 0) => {
        writeFileSync(join(lab.dir, `${name}.json`), pebbleConfig(tlsPort, offset));
        // No random sleeps or rejected nonces: the real protocol, without pebble's deliberate chaos.
        const started = lab.spawn(name, ["env", "PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0", "pebble", "-config", join(lab.dir, `${name}.json`)]);
        if (offset === 0) pebble = started;
        for (let i = 0; i < 100 && !/Listening on/.test(lab.log(name)); i++) await new Promise((r) => setTimeout(r, 100));
        return started;
    };

    /** The certificate the registry presents for `servername`, verified against pebble's root. */
    const handshake = (servername: string, ca = pebbleRoot) =>
        new Promise<{ fingerprint: string; issuer: string }>((resolve, reject) => {
            const socket = tls.connect({ host: "127.0.0.1", port: tlsPort, servername, ca, timeout: 60_000 }, () => {
                const cert = socket.getPeerCertificate();
                socket.end();
                resolve({ fingerprint: cert.fingerprint256, issuer: String(cert.issuer?.CN) });
            });
            socket.on("error", reject);
            socket.on("timeout", () => socket.destroy(new Error("handshake timed out")));
        });
    /** Certificates pebble has issued so far. */
    const issued = () => (lab.log("pebble").match(/Issued certificate serial/g) ?? []).length;

    /** The stack with ACME directory `directory` and its roots; what the readiness gate gets, and the container spec. */
    const declare = async (directory: string, roots: string) => {
        const stack = await evaluateStack({
            "registry:host": HOST,
            "registry:email": "ops@example.com",
            "registry:acmeDirectory": directory,
            "registry:acmeRoot": roots,
            "registry:users": JSON.stringify([{ username: "ci" }]),
        });
        password = (await outputValue(stack.exports.registryPasswords as pulumi.Output<Record<string, string>>)).ci;
        return {
            gate: JSON.parse(unwrap(findResource(stack.recorded, "command:local:Command", "registry-ready").inputs.stdin) as string) as Record<string, unknown>,
            spec: containerSpec(stack.recorded),
        };
    };
    /** Pebble's root for the certificates it issues (new at every start), from its management API. */
    const rootOf = async (managementPort: number) =>
        String((await request(`https://127.0.0.1:${await lab.relay(managementPort)}/roots/0`, { ca: testCa })).body);
    let testCa: string;

    beforeAll(async () => {
        lab = await Lab.start("letsencrypt");
        lab.addHost("127.0.0.1", HOST);
        // One test CA for pebble's own HTTPS endpoints (a private CA's endpoint has a certificate from its CA).
        const endpoint = makeCaSignedCertificate(["localhost"], ["127.0.0.1"]);
        testCa = endpoint.ca;
        writeFileSync(join(lab.dir, "front.pem"), endpoint.cert);
        writeFileSync(join(lab.dir, "front.key"), endpoint.key);
        await startPebble("pebble", 443);
        pebbleRoot = await rootOf(15000);
        expect(pebbleRoot).toMatch(/-----BEGIN CERTIFICATE-----/);

        const declared = await declare(DIRECTORY_A, `${pebbleRoot}\n${testCa}`);
        gateInput = declared.gate;
        // The private CA's roots reach the registry as an upload in a folder SSL_CERT_DIR names; nothing else.
        expect(declared.spec.envs).toEqual(["SSL_CERT_DIR=/etc/ssl/certs:/etc/distribution/acme-roots"]);
        expect(declared.spec.uploads.find((u) => u.file === "/etc/distribution/acme-roots/root.pem")?.content).toContain(testCa.trim());
        registry = await startRealRegistry(declared.spec, { port: 443, wrap: lab.wrap() });
        tlsPort = await lab.relay(443);
    }, 120_000);
    afterAll(async () => {
        await registry?.stop();
        registry?.remove();
        await lab?.stop();
    }, 60_000);

    it("orders a certificate for registry:host on the first handshake, validated through TLS-ALPN-01 on 443, issued by pebble", async () => {
        const started = Date.now();
        first = await handshake(HOST);
        process.stderr.write(`letsencrypt: certificate issued and served ${Date.now() - started} ms after the first handshake began\n`);
        expect(first.issuer).toMatch(/^Pebble Intermediate CA/);
        expect(issued()).toBe(1);
        // Validated by a challenge: nothing listens on port 80 in the lab, so it was TLS-ALPN-01 on 443.
        expect(lab.log("pebble")).toMatch(/set VALID by completed challenge/);
    });

    it("passes the readiness probe with pebble's root as registry:acmeRoot gives it", () => {
        const input = { ...gateInput, timeoutSeconds: 30 };
        expect(String(gateInput.certificate)).toContain(pebbleRoot.trim());
        const r = lab.exec([process.execPath, PROBE], { input: JSON.stringify(input) });
        expect(r.status, r.stderr).toBe(0);
        expect(`${r.stdout}${r.stderr}`).not.toContain(password);
        // The control: without the root, the same probe cannot trust the certificate.
        const untrusted = lab.exec([process.execPath, PROBE], { input: JSON.stringify({ ...gateInput, certificate: null, timeoutSeconds: 3 }) });
        expect(untrusted.status).not.toBe(0);
        expect(untrusted.stderr).toMatch(/TLS handshake failed|certificate/i);
    });

    it("takes docker login and push over that certificate", async () => {
        const docker: DockerEngine = await lab.startDockerd();
        lab.writeFile(`/etc/docker/certs.d/${HOST}/ca.crt`, pebbleRoot);
        expect(docker.must(["login", HOST, "-u", "ci", "--password-stdin"], password)).toMatch(/Login Succeeded/);
        importFunctionImage(docker, lab.dir, `${HOST}/team/hello:1`, "hello");
        expect(docker.must(["push", `${HOST}/team/hello:1`])).toMatch(/digest: sha256:/);
    });

    it("serves the same certificate after a restart on the same cache volume, with no new order", async () => {
        await registry.restart();
        const again = await handshake(HOST);
        expect(again.fingerprint).toBe(first.fingerprint);
        expect(issued()).toBe(1);
    });

    it("another ACME directory (as staging -> production) gets its own cache folder: never the first one's certificate", async () => {
        const second = await startPebble("pebble-b", 443, 1);
        try {
            const secondRoot = await rootOf(15001);
            const switched = await declare(DIRECTORY_B, `${secondRoot}\n${testCa}`);
            // What `pulumi up` does: the container replaced, the cache volume kept.
            await registry.replaceSpec(switched.spec);
            const fromB = await handshake(HOST, secondRoot);
            expect(fromB.fingerprint).not.toBe(first.fingerprint);
            expect(fromB.issuer).not.toBe(first.issuer);
            expect((lab.log("pebble-b").match(/Issued certificate serial/g) ?? []).length).toBe(1);
            // Both certificates stay cached, each in its directory's folder; back to the first: its own, no new order.
            const back = await declare(DIRECTORY_A, `${pebbleRoot}\n${testCa}`);
            await registry.replaceSpec(back.spec);
            expect((await handshake(HOST)).fingerprint).toBe(first.fingerprint);
            expect(issued()).toBe(1);
        } finally {
            second.kill("SIGTERM");
        }
    });

    it("controls: a host not in registry:host gets no certificate; without the cache a new order is made", async () => {
        await expect(handshake("other.acme.test")).rejects.toThrow();
        expect(issued()).toBe(1);
        rmSync(registry.pathOf(CONTAINER_PATHS.acmeCache), { recursive: true, force: true });
        await registry.restart();
        const renewed = await handshake(HOST);
        expect(renewed.fingerprint).not.toBe(first.fingerprint);
        expect(issued()).toBe(2);
    });

    it("names the likely cause when the ACME server cannot validate (here: its challenge finds port 443 closed)", async () => {
        // The CA's view of the server changes: its TLS-ALPN-01 connection now goes to a closed port.
        pebble.kill("SIGTERM");
        await new Promise((r) => pebble.once("exit", r));
        await startPebble("pebble-refusing", 5001);
        rmSync(registry.pathOf(CONTAINER_PATHS.acmeCache), { recursive: true, force: true });
        await registry.restart();
        await expect(handshake(HOST)).rejects.toThrow();
        // The CA refused: the challenge, hence the authorization and the order, are invalid.
        expect(lab.log("pebble-refusing")).toMatch(/authz \S+ set INVALID by completed challenge/);
        // The registry logs the failed handshake after closing it: the line may land a moment after the client sees it.
        const cause = /acme\/autocert: unable to satisfy .* for domain "registry\.acme\.test"/;
        await waitFor("the registry's autocert error in its log", async () => cause.test(registry.logs()), 15_000).catch(() => undefined);
        expect(registry.logs()).toMatch(cause);
        const r = lab.exec([process.execPath, PROBE], { input: JSON.stringify({ ...gateInput, timeoutSeconds: 3 }) });
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(
            /Let's Encrypt has not issued a certificate for registry\.acme\.test\. registry\.acme\.test resolves to 127\.0\.0\.1, a private or loopback address/,
        );
    });
});
