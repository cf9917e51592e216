// The component's declared container, run for real: Debian's docker-registry (the distribution code of
// the registry image) started with exactly the uploaded files and command the mocks recorded.
import { createServer, type Server } from "node:net";
import tls from "node:tls";
import type * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeRandom, findResource, outputValue, unwrap } from "./helpers/mocks";
import { request } from "./helpers/http";
import { runProbe } from "./helpers/probe";
import { containerSpec, freePort, type RunningRegistry, startRealRegistry } from "./helpers/real-registry";
import { RegistryClient, sha256 } from "./helpers/registry-client";
import { evaluateStack } from "./helpers/stack";
import { makeCaSignedCertificate, makeCertificate } from "./helpers/tls";
import { registrySkipReason } from "./helpers/registry-binary";
import { skipping } from "./helpers/skip";

/** The registry version the stack deploys (distribution v3): FAASREG_REGISTRY_BIN. */
const skip = skipping("test/registry.real.test.ts", registrySkipReason());

const value = <T>(o: unknown) => outputValue(o as pulumi.Output<T>);
const ALICE = "alice-has-a-long:password";
const USERS = JSON.stringify([{ username: "ci" }, { username: "alice", password: ALICE }]);

interface Scenario {
    mode: "none" | "certificate";
    name: string;
    config: () => Record<string, string>;
    base: (port: number) => string;
    tlsOptions: () => { ca?: string; servername?: string };
}

const cert = makeCertificate("registry.internal.test");
/** A private CA's certificate, given as users give it: the chain without its root, the root in registry:certificateRoot. */
const privateCa = makeCaSignedCertificate(["registry.internal.test"], ["127.0.0.1"]);
const scenarios: Scenario[] = [
    {
        mode: "none",
        name: "none",
        config: () => ({ "registry:tls": "none", "registry:users": USERS }),
        base: (p) => `http://127.0.0.1:${p}`,
        tlsOptions: () => ({}),
    },
    {
        mode: "certificate",
        name: "certificate, self-signed",
        config: () => ({
            "registry:tls": "certificate",
            "registry:host": "registry.internal.test",
            "registry:certificate": cert.cert,
            "registry:privateKey": cert.key,
            "registry:users": USERS,
        }),
        base: (p) => `https://127.0.0.1:${p}`,
        tlsOptions: () => ({ ca: cert.cert, servername: "registry.internal.test" }),
    },
    {
        mode: "certificate",
        name: "certificate from a private CA",
        config: () => ({
            "registry:tls": "certificate",
            "registry:host": "registry.internal.test",
            "registry:certificate": privateCa.cert,
            "registry:certificateRoot": privateCa.ca,
            "registry:privateKey": privateCa.key,
            "registry:users": USERS,
        }),
        base: (p) => `https://127.0.0.1:${p}`,
        tlsOptions: () => ({ ca: privateCa.ca, servername: "registry.internal.test" }),
    },
];

describe.skipIf(skip !== undefined).each(scenarios)("the declared registry, run for real (tls $name)", (scenario) => {
    let registry: RunningRegistry;
    let passwords: Record<string, string>;
    let probeInput: Record<string, unknown>;
    let base: string;
    const client = (user: string, password: string) => new RegistryClient(base, [user, password], scenario.tlsOptions());

    beforeAll(async () => {
        const { recorded, exports } = await evaluateStack(scenario.config());
        registry = await startRealRegistry(containerSpec(recorded));
        base = scenario.base(registry.port);
        passwords = await value<Record<string, string>>(exports.registryPasswords);
        const gate = findResource(recorded, "command:local:Command", "registry-ready");
        probeInput = { ...JSON.parse(unwrap(gate.inputs.stdin) as string), url: `${base}/v2/` };
    });
    afterAll(async () => {
        await registry?.stop();
        registry?.remove();
    });

    it("answers 401 without credentials", async () => {
        const res = await request(`${base}/v2/`, scenario.tlsOptions());
        expect(res.status).toBe(401);
        expect(res.headers["docker-distribution-api-version"]).toBe("registry/2.0");
    });

    it("answers 200 to each configured user, and 401 to a wrong password", async () => {
        expect(Object.keys(passwords)).toEqual(["ci", "alice"]);
        expect(passwords.alice).toBe(ALICE);
        for (const [user, password] of Object.entries(passwords)) {
            expect((await request(`${base}/v2/`, { auth: [user, password], ...scenario.tlsOptions() })).status, user).toBe(200);
        }
        expect((await request(`${base}/v2/`, { auth: ["alice", `${ALICE}x`], ...scenario.tlsOptions() })).status).toBe(401);
        expect((await request(`${base}/v2/`, { auth: ["mallory", ALICE], ...scenario.tlsOptions() })).status).toBe(401);
    });

    it("stores a pushed blob and manifest that can be pulled back", async () => {
        const ci = client("ci", passwords.ci);
        const pushed = await ci.pushImage("team/hello", "1");
        const manifest = await client("alice", ALICE).getManifest("team/hello", "1");
        expect(manifest.status).toBe(200);
        expect(manifest.body.toString()).toBe(pushed.manifest);
        expect(manifest.headers["docker-content-digest"]).toBe(pushed.digest);
        const blob = await ci.getBlob("team/hello", pushed.layerDigest);
        expect(blob.status).toBe(200);
        expect(blob.body.equals(pushed.layer)).toBe(true);
        expect((await request(`${base}/v2/team/hello/manifests/1`, scenario.tlsOptions())).status).toBe(401);
    });

    it("passes the readiness probe, and fails it with a cause for a wrong password", async () => {
        const ok = await runProbe(probeInput);
        expect(ok.stderr).toMatch(/registry ready at .*401 without credentials, 200 with them/);
        expect(ok.code).toBe(0);
        const bad = await runProbe({ ...probeInput, password: "not-the-password-at-all", timeoutSeconds: 1 });
        expect(bad.code).toBe(1);
        expect(bad.stderr).toMatch(/refuses the first user's credentials \(401\)/);
        expect(bad.stderr + bad.stdout).not.toContain("not-the-password-at-all");
        expect(bad.stderr + ok.stderr).not.toContain(passwords.ci);
    });

    // Only a TLS registry can present a certificate the probe cannot trust.
    if (scenario.mode === "certificate") {
        it("fails the readiness probe at once, with 'bad certificate' and the key to set, for a certificate it cannot trust", async () => {
            // The chain as given, without what makes it trusted (the self-signed leaf, or the private CA's root).
            const untrusted = scenario.name.includes("private") ? privateCa.cert : null;
            const started = Date.now();
            const res = await runProbe({ ...probeInput, certificate: untrusted, timeoutSeconds: 60 });
            const took = Date.now() - started;
            expect(res.code).toBe(1);
            expect(res.stderr).toMatch(
                /presents a certificate this machine does not trust; not waiting\. bad certificate \(.*(self-signed|unable to verify|local issuer).*registry:certificateRoot/,
            );
            process.stderr.write(`registry.real (${scenario.name}): an untrusted certificate failed the gate in ${took} ms (timeout 60 s)\n`);
            expect(took).toBeLessThan(5_000);
        });
    }

    it("logs no password", () => {
        for (const password of Object.values(passwords)) expect(registry.logs()).not.toContain(password);
    });
});

describe.skipIf(skip !== undefined)("the declared registry, run for real: upload state and data across restarts (tls none)", () => {
    it("control: without the HTTP secret the same interrupted upload fails after the restart", async () => {
        const { recorded } = await evaluateStack({ "registry:tls": "none" });
        const spec = containerSpec(recorded);
        const config = spec.uploads.find((u) => u.file === spec.command[0]);
        if (config === undefined) throw new Error("no config upload");
        const parsed = JSON.parse(config.content);
        const password = parsed.http.secret as string;
        delete parsed.http.secret;
        config.content = JSON.stringify(parsed);
        expect(password.length).toBe(64);
        const registry = await startRealRegistry(spec);
        try {
            const htpasswdUser = spec.uploads.find((u) => u.file.endsWith("htpasswd"))?.content.split(":")[0];
            expect(htpasswdUser).toBe("admin");
            const ci = new RegistryClient(`http://127.0.0.1:${registry.port}`, ["admin", fakeRandom("registry-password-admin", 40)]);
            let location = await ci.startUpload("team/lost");
            location = await ci.patch(location, Buffer.alloc(1024, 1), 0);
            await registry.restart();
            await expect(ci.patch(location, Buffer.alloc(1024, 2), 1024)).rejects.toThrow(/patch: 4\d\d/);
        } finally {
            await registry.stop();
            registry.remove();
        }
    });

    it("completes a blob upload interrupted by a restart (same HTTP secret) and keeps pushed data", async () => {
        const { recorded, exports } = await evaluateStack({ "registry:tls": "none" });
        const registry = await startRealRegistry(containerSpec(recorded));
        try {
            const password = (await value<Record<string, string>>(exports.registryPasswords)).admin;
            const ci = new RegistryClient(`http://127.0.0.1:${registry.port}`, ["admin", password]);
            const pushed = await ci.pushImage("team/kept", "1");
            const part1 = Buffer.alloc(64 * 1024, 1);
            const part2 = Buffer.alloc(32 * 1024, 2);
            let location = await ci.startUpload("team/resumed");
            location = await ci.patch(location, part1, 0);
            await registry.restart();
            location = await ci.patch(location, part2, part1.length);
            const whole = Buffer.concat([part1, part2]);
            await ci.finish(location, sha256(whole));
            const blob = await ci.getBlob("team/resumed", sha256(whole));
            expect(blob.status).toBe(200);
            expect(blob.body.equals(whole)).toBe(true);
            const kept = await ci.getManifest("team/kept", "1");
            expect(kept.status).toBe(200);
            expect(kept.body.toString()).toBe(pushed.manifest);
        } finally {
            await registry.stop();
            registry.remove();
        }
    });
});

describe.skipIf(skip !== undefined)("the declared registry, run for real (tls letsencrypt)", () => {
    let proxy: Server;
    const connects: string[] = [];
    let proxyPort: number;

    beforeAll(async () => {
        // A stand-in for the internet: the registry's ACME client goes through HTTPS_PROXY, which
        // records the CONNECT and refuses it. Nothing leaves this machine.
        proxyPort = await freePort();
        proxy = createServer((socket) => {
            socket.once("data", (d) => {
                connects.push(d.toString().split("\r\n")[0]);
                socket.end("HTTP/1.1 502 Bad Gateway\r\n\r\n");
            });
        });
        await new Promise<void>((r) => proxy.listen(proxyPort, "127.0.0.1", r));
    });
    afterAll(() => proxy?.close());

    it("accepts the declared config, and a handshake for host reaches the ACME step (not the HostWhitelist)", async () => {
        const { recorded } = await evaluateStack({ "registry:host": "registry.example.com", "registry:email": "ops@example.com" });
        const proxyUrl = `http://127.0.0.1:${proxyPort}`;
        const registry = await startRealRegistry(containerSpec(recorded), { env: { HTTPS_PROXY: proxyUrl, https_proxy: proxyUrl } });
        const handshake = (servername: string) =>
            new Promise<string>((resolve) => {
                const socket = tls.connect({ host: "127.0.0.1", port: registry.port, servername, rejectUnauthorized: false }, () => {
                    socket.destroy();
                    resolve("handshake completed");
                });
                socket.on("error", (e) => resolve(e.message));
            });
        try {
            expect(registry.logs()).toMatch(/listening on 127\.0\.0\.1:\d+, tls/);
            await handshake("registry.example.com");
            await handshake("not-our-host.example.com");
            await new Promise((r) => setTimeout(r, 300));
            expect(connects).toContain("CONNECT acme-v02.api.letsencrypt.org:443 HTTP/1.1");
            expect(registry.logs()).toMatch(/acme-v02\.api\.letsencrypt\.org\/directory/);
            expect(registry.logs()).not.toMatch(/"registry\.example\.com" not configured in HostWhitelist/);
            // The control: a name we did not declare is refused before ACME.
            expect(registry.logs()).toMatch(/"not-our-host\.example\.com" not configured in HostWhitelist/);
        } finally {
            await registry.stop();
            registry.remove();
        }
    });
});

describe("the readiness probe against no registry", () => {
    it("names a refused connection as the likely cause, within its timeout", async () => {
        const port = await freePort();
        const started = Date.now();
        const res = await runProbe({ url: `http://127.0.0.1:${port}/v2/`, username: "u", password: "p-secret-value", timeoutSeconds: 1, tlsMode: "none" });
        expect(res.code).toBe(1);
        expect(res.stderr).toMatch(/not ready after 1 s .*nothing accepts connections on 127\.0\.0\.1:\d+/);
        expect(res.stderr).not.toContain("p-secret-value");
        expect(Date.now() - started).toBeLessThan(5000);
    });
});
