// The bad-input matrix: each invalid configuration gets exactly one clear error that names the key and
// says how to fix it, raised before any resource is declared.
import * as pulumi from "@pulumi/pulumi";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadStackConfig, pulumiConfigSource } from "../config";
import { BAD_INPUT, PRIVATE_CA_ROOT, PRIVATE_CA_STACK } from "./config.bad-input.cases";
import { evaluateStack } from "./helpers/stack";

describe("bad input: one clear error naming the key, and nothing declared", () => {
    it("covers at least 30 configurations across registry:* and faas:*", () => {
        expect(BAD_INPUT.length).toBeGreaterThanOrEqual(30);
        expect(new Set(BAD_INPUT.map(([, , k]) => k.replace(/[[.].*$/, ""))).size).toBeGreaterThanOrEqual(18);
    });

    it.each(BAD_INPUT)("rejects %s", async (_name, config, key, message, plaintext = []) => {
        const secrets = Object.keys(config).filter((k) => /password|privateKey|certificate|users|kubeconfig/.test(k) && !plaintext.includes(k));
        let recorded: unknown[] = [];
        let error: unknown;
        try {
            const evaluated = await evaluateStack(config, { secretKeys: secrets });
            recorded = evaluated.recorded;
        } catch (e) {
            error = e;
        }
        expect(error, "no error was raised").toBeInstanceOf(Error);
        // A RunError: Pulumi prints the message alone, not the program's stack trace.
        expect(pulumi.RunError.isInstance(error)).toBe(true);
        const text = (error as Error).message;
        const lines = text.split("\n").filter((l) => l.startsWith("  - "));
        expect(lines, text).toHaveLength(1);
        expect(lines[0].startsWith(`  - ${key}: `), text).toBe(true);
        expect(lines[0]).toMatch(message);
        expect(recorded).toHaveLength(0);
    });
});

describe("keys misspelled inside a function", () => {
    it("are named with the key meant (did you mean), and nothing reads 'undefined'", async () => {
        const config = {
            "registry:host": "registry.example.com",
            "registry:email": "ops@example.com",
            "faas:gateway": "https://gateway.example.com",
            "faas:password": "gateway-password",
            "faas:functions": JSON.stringify([
                { servce: "hello", image: "team/hello:1", envVar: { A: "1" } },
                { service: "built", build: { contxt: "." } },
            ]),
        };
        const text = String(await evaluateStack(config, { secretKeys: ["faas:password"] }).catch((e: Error) => e.message));
        expect(text).toMatch(
            /^ {2}- faas:functions\[0\]: has unknown key\(s\) servce \(did you mean service\?\), envVar \(did you mean envVars\?\): allowed are /m,
        );
        expect(text).toMatch(/^ {2}- faas:functions\[0\]\.service: is required: the function's name, e\.g\. "hello"$/m);
        expect(text).toMatch(/^ {2}- faas:functions\[1\]\.build: has unknown key\(s\) contxt \(did you mean context\?\)/m);
        expect(text).not.toMatch(/undefined/);
    });
});

describe("a certificate from a private CA, with registry:certificateRoot", () => {
    it("is accepted, and the readiness gate trusts that root", async () => {
        const { recorded } = await evaluateStack(PRIVATE_CA_STACK);
        const ready = recorded.find((r) => r.name === "registry-ready");
        const stdin = JSON.parse(String((ready?.inputs.stdin as { value?: unknown })?.value ?? ready?.inputs.stdin)) as { certificate: string };
        expect(stdin.certificate).toContain(PRIVATE_CA_ROOT.trim());
    });
});

describe("plain HTTP to a gateway", () => {
    it.each([
        ["on this machine", { "faas:gateway": "http://127.0.0.1:8080" }],
        ["on another host, said explicitly with faas:allowHttp", { "faas:gateway": "http://10.0.0.5:8080", "faas:allowHttp": "true" }],
    ])("is accepted %s", async (_name, gateway) => {
        const { recorded } = await evaluateStack({ "registry:tls": "none", ...gateway, "faas:functions": '[{"service":"hello","image":"team/hello:1"}]' });
        expect(recorded.some((r) => r.name === "hello-deployment")).toBe(true);
    });
});

describe("the remote-host rule for tls none", () => {
    it.each(["unix:///var/run/docker.sock", "tcp://127.0.0.1:2375", "tcp://localhost:2375"])("accepts tls none with the local docker:host %s", async (host) => {
        const { recorded } = await evaluateStack({ "registry:tls": "none", "docker:host": host });
        expect(recorded.some((r) => r.type === "docker:index/container:Container")).toBe(true);
    });
});

describe("plaintext secrets inside a key that holds an encrypted one, at pulumi up", () => {
    const users = [
        { username: "ci", password: "ci-encrypted-password-0123" },
        { username: "alice", password: "alice-plaintext-password" },
    ];
    const config = { "registry:tls": "none", "registry:users": JSON.stringify(users) };
    // What Pulumi hands the program: the whole key secret, because users[0].password was set with --secret --path.
    const loadWith = (stackFile: string) => {
        pulumi.runtime.setAllConfig(config, ["registry:users"]);
        return () => loadStackConfig(pulumiConfigSource(stackFile));
    };
    const dir = mkdtempSync(join(tmpdir(), "faasreg-stack-file-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const write = (name: string, body: Record<string, unknown>) => {
        const path = join(dir, name);
        writeFileSync(path, JSON.stringify({ config: body }));
        return path;
    };
    const fileUsers = [
        { username: "ci", password: { secure: "v1:Y2lwaGVydGV4dA==" } },
        { username: "alice", password: "alice-plaintext-password" },
    ];

    it("refuses users[1].password, read from the stack file beside the program, without quoting it", () => {
        const load = loadWith(write("Pulumi.mixed.yaml", { "registry:tls": "none", "registry:users": fileUsers }));
        expect(load).toThrow(/registry:users\[1\]\.password: is stored in plaintext in the stack file/);
        expect(load).not.toThrow(/alice-plaintext-password/);
    });

    it("does not read a stack file that holds other keys than Pulumi handed over (one given with --config-file)", () => {
        const load = loadWith(write("Pulumi.other.yaml", { "registry:tls": "none", "registry:users": fileUsers, "registry:port": "5001" }));
        expect(load).not.toThrow();
    });
});
