// The whole stack evaluated under mocks with a distinctive value for every secret, then EVERYTHING it
// produced is walked: resource inputs (outside secret wrappers), stack outputs that are not secret, the
// serialized dynamic providers, whatever was logged or printed, every error message bad input raises,
// and every file written while it ran. A new resource, output or log line is covered without editing
// this test.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { BAD_INPUT } from "../config.bad-input.cases";
import { fakeRandom, isSecretWrapped, outputValue, type RecordedResource } from "../helpers/mocks";
import { evaluateStack } from "../helpers/stack";
import { makeCertificate } from "../helpers/tls";
import { FAASD_KEY } from "../config.bad-input.cases";

const ALICE = "Alice-Secret-7f3a9c1e2b4d";
const GATEWAY = "Gateway-Secret-5e6f7a8b9c0d";
/** Set with `pulumi config set --secret --path 'faas:functions[1].envVars.API_KEY'`. */
const API_KEY = "Api-Key-Secret-3c4d5e6f7a8b";
const SSH_KEY_BODY = "Ssh-Key-Secret-9a8b7c6d5e4f";
const SSH_KEY = `-----BEGIN OPENSSH PRIVATE KEY-----\n${SSH_KEY_BODY}\n-----END OPENSSH PRIVATE KEY-----\n`;
const S3_KEY = "S3-Key-Secret-1d2e3f4a5b6c";
const KUBE_TOKEN = "Kube-Token-Secret-8b7a6c5d4e3f";
const { cert, key } = makeCertificate("registry.example.com");

const CONFIG = {
    "registry:tls": "certificate",
    "registry:host": "registry.example.com",
    "registry:certificate": cert,
    "registry:privateKey": key,
    "registry:users": JSON.stringify([{ username: "ci" }, { username: "alice", password: ALICE }]),
    "faas:gateway": "https://gateway.example.com",
    "faas:username": "admin",
    "faas:password": GATEWAY,
    "faas:functions": JSON.stringify([
        { service: "hello", image: "team/hello:1" },
        { service: "resize", image: "media/resize:2", envVars: { MODE: "fast", API_KEY } },
    ]),
};

/** Every secret of the stack, and the forms it could leak in. */
function secretForms(): string[] {
    const ci = fakeRandom("registry-password-ci", 40);
    const httpSecret = fakeRandom("registry-http-secret", 64);
    const keyBody = key
        .split("\n")
        .filter((l) => l && !l.startsWith("-----"))
        .join("");
    const values = [ALICE, GATEWAY, API_KEY, SSH_KEY_BODY, S3_KEY, ci, httpSecret, keyBody, key.split("\n")[1]];
    const pairs = [`ci:${ci}`, `alice:${ALICE}`, `admin:${GATEWAY}`];
    const forms = new Set<string>();
    for (const v of [...values, ...pairs]) {
        forms.add(v);
        forms.add(Buffer.from(v).toString("base64"));
    }
    return [...forms];
}

/** The passwords in a raw `registry:users` value. */
function secretsIn(users: string | undefined): string[] {
    try {
        const list = JSON.parse(users ?? "[]");
        return Array.isArray(list) ? list.map((u) => u?.password).filter((p) => typeof p === "string") : [];
    } catch {
        return [];
    }
}

/** Where in `value` (outside secret wrappers) a secret form appears. */
function leaks(value: unknown, forms: string[], path = "$"): string[] {
    if (isSecretWrapped(value)) return [];
    if (typeof value === "string") return forms.filter((f) => value.includes(f)).map((f) => `${path} contains ${f.slice(0, 6)}...`);
    if (Array.isArray(value)) return value.flatMap((v, i) => leaks(v, forms, `${path}[${i}]`));
    if (typeof value === "object" && value !== null) return Object.entries(value).flatMap(([k, v]) => leaks(v, forms, `${path}.${k}`));
    return [];
}

/**
 * Regular files under `dir` modified after `since`, skipping node_modules, .git and what other test files run at
 * the same time (their labs and the shared Pulumi plugins). Only regular files: a lab holds FIFOs (a container's
 * stdout), and reading one blocks forever.
 */
function filesWrittenSince(dir: string, since: number, depth = 0): string[] {
    if (depth > 4) return [];
    let entries: string[] = [];
    try {
        entries = readdirSync(dir);
    } catch {
        return [];
    }
    return entries.flatMap((name) => {
        if (name === "node_modules" || name === ".git" || /^faasreg-(lab|pulumi-home)-/.test(name)) return [];
        const path = join(dir, name);
        try {
            const st = statSync(path);
            if (st.isDirectory()) return filesWrittenSince(path, since, depth + 1);
            return st.isFile() && st.mtimeMs >= since && st.size < 5_000_000 ? [path] : [];
        } catch {
            return [];
        }
    });
}

describe("secret-leak scan of the whole stack", () => {
    const printed: string[] = [];
    beforeEach(() => {
        printed.length = 0;
        const capture = (...args: unknown[]) => void printed.push(args.map(String).join(" "));
        for (const m of ["log", "info", "warn", "error", "debug"] as const) vi.spyOn(console, m).mockImplementation(capture);
        const write = (chunk: unknown) => (printed.push(String(chunk)), true);
        vi.spyOn(process.stdout, "write").mockImplementation(write as typeof process.stdout.write);
        vi.spyOn(process.stderr, "write").mockImplementation(write as typeof process.stderr.write);
    });
    afterEach(() => vi.restoreAllMocks());

    /** Evaluates the stack and returns every place a secret form appears outside a secret wrapper. */
    const scan = async (config: Record<string, string>, secretKeys: string[], mustBeRecorded: string[]) => {
        const started = Date.now() - 1;
        const forms = secretForms();
        const { recorded, exports } = await evaluateStack(config, { secretKeys });
        await pulumi.log.info("scan: a log line through pulumi.log");

        // The scan must be able to fail: the secrets are really in the recorded inputs, wrapped.
        const wrapped = JSON.stringify(recorded);
        for (const form of mustBeRecorded) {
            expect(wrapped.includes(form), `${form.slice(0, 6)}... is not among the recorded inputs: the scan would prove nothing`).toBe(true);
        }
        const found: string[] = [];
        for (const r of recorded) found.push(...leaks(r.inputs, forms, `${r.type}::${r.name}`));
        for (const [name, output] of Object.entries(exports)) {
            if (!pulumi.Output.isInstance(output)) continue;
            if (await pulumi.isSecret(output)) continue;
            const value = await outputValue(output);
            found.push(...leaks(value, forms, `export ${name}`));
        }
        found.push(...leaks(printed, forms, "printed"));
        for (const file of [...filesWrittenSince(join(__dirname, "..", ".."), started), ...filesWrittenSince(tmpdir(), started)]) {
            found.push(...leaks(readFileSync(file, "latin1"), forms, `file ${file}`));
        }
        return { found, recorded };
    };

    it("finds no secret outside a secret wrapper in inputs, outputs, providers, logs or written files", async () => {
        const ci = fakeRandom("registry-password-ci", 40);
        const { found, recorded } = await scan(
            CONFIG,
            ["registry:certificate", "registry:privateKey", "registry:users", "faas:password", "faas:functions"],
            [GATEWAY, API_KEY, ci, Buffer.from(`ci:${ci}`).toString("base64"), fakeRandom("registry-http-secret", 64)],
        );
        // The registry's htpasswd, the functions (the faasreg package's resources, registryAuth inside) and their provider (the gateway
        // password) were scanned.
        for (const type of ["faasreg:registry:ContainerFile", "faasreg:index:Function", "pulumi:providers:faasreg"])
            expect(
                recorded.some((r: RecordedResource) => r.type === type),
                type,
            ).toBe(true);
        expect(found).toEqual([]);
    });

    it("finds none with faasd either: the credentials command, its stdin and the SSH key", async () => {
        const ci = fakeRandom("registry-password-ci", 40);
        const config = { ...CONFIG, ...FAASD_KEY, "faas:backend": "faasd", "faas:sshHost": "faasd.example.com", "faas:sshPrivateKey": SSH_KEY };
        const { found, recorded } = await scan(
            config,
            ["registry:certificate", "registry:privateKey", "registry:users", "faas:password", "faas:functions", "faas:sshPrivateKey"],
            [SSH_KEY_BODY, Buffer.from(`ci:${ci}`).toString("base64")],
        );
        expect(recorded.some((r: RecordedResource) => r.type === "command:remote:Command")).toBe(true);
        expect(found).toEqual([]);
    });

    it("finds none with faas:backend kubernetes: the image pull secret, the kubeconfig, the gate", async () => {
        const ci = fakeRandom("registry-password-ci", 40);
        const kubeconfig = `apiVersion: v1\nclusters:\n- name: c\n  cluster: {server: "https://k8s.example.com:6443"}\nusers:\n- name: u\n  user: {token: ${KUBE_TOKEN}}\n`;
        const config = { ...CONFIG, "faas:backend": "kubernetes", "kubernetes:kubeconfig": kubeconfig };
        const { found, recorded } = await scan(
            config,
            ["registry:certificate", "registry:privateKey", "registry:users", "faas:password", "faas:functions", "kubernetes:kubeconfig"],
            [KUBE_TOKEN, Buffer.from(`ci:${ci}`).toString("base64")],
        );
        expect(recorded.some((r: RecordedResource) => r.type === "kubernetes:core/v1:Secret")).toBe(true);
        expect(found).toEqual([]);
    });

    it("finds none with registry:mode swarm: Swarm secrets, the registry's Swarm config, services, the front", async () => {
        const ci = fakeRandom("registry-password-ci", 40);
        const httpSecret = fakeRandom("registry-http-secret", 64);
        const config = {
            ...CONFIG,
            "registry:mode": "swarm",
            "registry:replicas": "3",
            "registry:redis": "service",
            "registry:storage": "s3",
            "registry:s3Bucket": "images",
            "registry:s3Region": "eu-west-1",
            "registry:s3AccessKey": "AKIAEXAMPLE",
            "registry:s3SecretKey": S3_KEY,
            "docker:host": "ssh://ops@manager.example.com",
        };
        const { found, recorded } = await scan(
            config,
            ["registry:certificate", "registry:privateKey", "registry:users", "registry:s3SecretKey", "faas:password", "faas:functions"],
            // Swarm secrets carry their data base64-encoded.
            [Buffer.from(S3_KEY).toString("base64"), Buffer.from(httpSecret).toString("base64"), Buffer.from(`ci:${ci}`).toString("base64")],
        );
        expect(recorded.some((r: RecordedResource) => r.type === "docker:index/secret:Secret")).toBe(true);
        expect(recorded.some((r: RecordedResource) => r.type === "docker:index/service:Service")).toBe(true);
        expect(found).toEqual([]);
    });

    it("says nothing secret in any error bad input raises, including bad secrets themselves", async () => {
        const forms = secretForms();
        const badSecrets: [string, Record<string, string>][] = [
            ["a short password", { ...CONFIG, "registry:users": JSON.stringify([{ username: "ci", password: "Sh0rt-Secret" }]) }],
            ["a password with a newline", { ...CONFIG, "registry:users": JSON.stringify([{ username: "ci", password: `${ALICE}\nmore-of-it` }]) }],
            ["a password over 72 bytes", { ...CONFIG, "registry:users": JSON.stringify([{ username: "ci", password: ALICE.repeat(6) }]) }],
            ["a gateway URL with credentials", { ...CONFIG, "faas:gateway": `https://admin:${GATEWAY}@gateway.example.com` }],
        ];
        const cases: [string, Record<string, string>, string[]][] = [
            ...BAD_INPUT.map(([name, config, , , plaintext]) => [name, config, plaintext ?? []] as [string, Record<string, string>, string[]]),
            ...badSecrets.map(([name, config]) => [name, config, []] as [string, Record<string, string>, string[]]),
        ];
        for (const [name, config, plaintext] of cases) {
            // The secrets of this configuration: its secret keys' values, and every password in it.
            const secrets = [config["faas:password"], config["registry:privateKey"]?.split("\n")[1], ...secretsIn(config["registry:users"])].filter(
                (s): s is string => typeof s === "string" && s.length >= 4,
            );
            secrets.push(...(config["faas:gateway"]?.match(/:([^:@/]+)@/)?.slice(1) ?? []));
            let error: unknown;
            try {
                await evaluateStack(config, {
                    secretKeys: Object.keys(config).filter((k) => /password|privateKey|certificate|users/.test(k) && !plaintext.includes(k)),
                });
            } catch (e) {
                error = e;
            }
            expect(error, name).toBeInstanceOf(Error);
            const text = `${(error as Error).message}\n${(error as Error).stack ?? ""}`;
            expect(leaks(text, [...forms, ...secrets, ...secrets.map((s) => Buffer.from(s).toString("base64"))], name)).toEqual([]);
        }
        expect(leaks(printed, forms, "printed")).toEqual([]);
    });
});
