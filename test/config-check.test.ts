// npm run config:check, run as a user runs it: every problem at once, key first, exit 1; OK exits 0.
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { evaluateStack } from "./helpers/stack";

const dir = mkdtempSync(join(tmpdir(), "faasreg-config-check-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const run = (file: string) => spawnSync(process.execPath, ["--import", "tsx", "config/check.ts", file], { encoding: "utf8" });

describe("config:check", () => {
    it("prints every problem of a stack file at once, each with its key, and exits 1", () => {
        const file = join(dir, "Pulumi.bad.yaml");
        writeFileSync(
            file,
            [
                "config:",
                "  registry:tls: none",
                "  registry:bindAddress: 0.0.0.0",
                "  registry:bcryptcost: 3",
                "  registry:port: http",
                "  registry:users:",
                '    - username: "a b"',
                "      password:",
                "        secure: v1:AAAA",
                "  faas:functions:",
                "    - service: hello",
                "",
            ].join("\n"),
        );
        const res = run(file);
        expect(res.status).toBe(1);
        expect(res.stdout).toContain(`${file}: 5 problems`);
        for (const key of ["registry:bcryptcost", "registry:port", "registry:bindAddress", "registry:users[0].username", "faas:gateway"]) {
            expect(res.stdout).toMatch(new RegExp(`^  - ${key.replace(/[[\].]/g, "\\$&")}: `, "m"));
        }
        expect(res.stdout).toContain("did you mean registry:bcryptCost?");
    });

    it("agrees with the program on every key, secret or not: a misspelled secret key, a list element set without --path", async () => {
        // What `pulumi config set --secret faas:pasword` and `pulumi config set --secret 'registry:users[2].password'`
        // (no --path) write: keys whose values the check cannot decrypt, which it used to pass.
        const file = join(dir, "Pulumi.keys.yaml");
        const secure = "        secure: v1:c2FsdA==:Y2lwaGVydGV4dA==";
        writeFileSync(
            file,
            [
                "config:",
                "  registry:tls: none",
                "  registry:users:",
                "    - username: a",
                "    - username: b",
                "    - username: c",
                "  faas:pasword:",
                secure.slice(4),
                "  registry:users[2].password:",
                secure.slice(4),
                "",
            ].join("\n"),
        );
        const res = run(file);
        expect(res.status, res.stdout).toBe(1);
        expect(res.stdout).toMatch(/^ {2}- faas:pasword: is not a key this project reads, so it would be ignored: did you mean faas:password\?/m);
        expect(res.stdout).toMatch(
            /^ {2}- registry:users\[2\]\.password: is a key of its own, named like a path inside registry:users \(set without --path\).*pulumi config set --secret --path 'registry:users\[2\]\.password' VALUE$/m,
        );
        // The program (pulumi preview: the same keys, values decrypted) refuses the same two keys.
        const config = {
            "registry:tls": "none",
            "registry:users": JSON.stringify([{ username: "a" }, { username: "b" }, { username: "c" }]),
            "faas:pasword": "gateway-password-1",
            "registry:users[2].password": "user-c-password-0123",
        };
        const error = await evaluateStack(config, { secretKeys: ["faas:pasword", "registry:users[2].password"] }).catch((e: Error) => e);
        const keys = (text: string) => [...text.matchAll(/^ {2}- ([^:]+:[^:]+): /gm)].map((m) => m[1]).sort();
        expect(keys(String(error))).toEqual(keys(res.stdout));
    });

    it("passes a good file", () => {
        expect(execFileSync(process.execPath, ["--import", "tsx", "config/check.ts", "examples/Pulumi.vm-functions.yaml"], { encoding: "utf8" })).toBe(
            "examples/Pulumi.vm-functions.yaml: OK\n",
        );
    });

    it("refuses a secure: value that is not ciphertext (an example's placeholder), with the command that sets it", () => {
        const file = join(dir, "Pulumi.placeholder.yaml");
        writeFileSync(
            file,
            [
                "config:",
                "  registry:tls: none",
                "  registry:users:",
                "    - username: ci",
                "      password:",
                "        secure: v1:PLACEHOLDER-set-it-with-pulumi-config-set-secret",
                "  faas:password:",
                "    secure: replace me",
                "",
            ].join("\n"),
        );
        const res = run(file);
        expect(res.status).toBe(1);
        expect(res.stdout).toContain(
            "  - registry:users[0].password: holds a placeholder, not a value encrypted by Pulumi: set it with pulumi config set --secret --path 'registry:users[0].password'",
        );
        expect(res.stdout).toContain(
            "  - faas:password: holds a placeholder, not a value encrypted by Pulumi: set it with pulumi config set --secret faas:password",
        );
    });
});

// Issue 20's findings, each reproduced with the stack file a user would have.
describe("config:check tells the truth about real stack files", () => {
    const ciphertext = (n: number) => ({ secure: `v1:${Buffer.from(`ciphertext-${n}`).toString("base64")}` });
    const file = (name: string, config: Record<string, unknown>) => {
        const path = join(dir, `Pulumi.${name}.yaml`);
        writeFileSync(path, JSON.stringify({ config }, null, 2)); // JSON is YAML
        return path;
    };

    it("passes PEM secrets set with --secret as the README says: it cannot see them, so it does not judge them", () => {
        const certificate = file("certificate", {
            "registry:tls": "certificate",
            "registry:host": "registry.example.com",
            "registry:certificate": ciphertext(1),
            "registry:privateKey": ciphertext(2),
            "registry:users": [{ username: "ci" }],
        });
        const faasd = file("faasd-pem", {
            "registry:tls": "letsencrypt",
            "registry:host": "registry.example.com",
            "registry:email": "ops@example.com",
            "faas:gateway": "https://faasd.example.com",
            "faas:password": ciphertext(3),
            "faas:backend": "faasd",
            "faas:sshHost": "faasd.example.com",
            "faas:sshHostKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ6sqy7qq5dbTdOCvRaWTafNJ8eSxpQwnR3k2fgGJg5T",
            "faas:sshPrivateKey": ciphertext(4),
        });
        for (const path of [certificate, faasd]) {
            const res = run(path);
            expect(res.stdout, res.stdout).toBe(`${path}: OK\n`);
            expect(res.status).toBe(0);
        }
    });

    it("refuses a plaintext password at any index, naming that index, when another one is encrypted", () => {
        const path = file("mixed", {
            "registry:tls": "none",
            "registry:users": [
                { username: "ci", password: ciphertext(1) },
                { username: "alice", password: "alice-plaintext-password" },
                { username: "bob", password: ciphertext(2) },
                { username: "eve", password: "eve-plaintext-password-1" },
            ],
        });
        const res = run(path);
        expect(res.status).toBe(1);
        expect(res.stdout).toContain(`${path}: 2 problems`);
        for (const i of [1, 3]) {
            expect(res.stdout).toContain(
                `  - registry:users[${i}].password: is stored in plaintext in the stack file: set it as a secret, pulumi config set --secret --path 'registry:users[${i}].password'`,
            );
        }
        expect(res.stdout).not.toMatch(/plaintext-password/);
    });

    it("names each misspelled key with the nearest key we read, in our namespaces and one typo away from them", () => {
        const path = file("typos", {
            "registry:tls": "none",
            "registry:acmedirectory": "staging",
            "registry:emial": "ops@example.com",
            "faas:gatway": "https://gateway.example.com",
            "regsitry:port": "5001",
            "aws:region": "eu-west-1",
            "docker:host": "unix:///var/run/docker.sock",
        });
        const res = run(path);
        expect(res.status).toBe(1);
        expect(res.stdout).toContain(`${path}: 4 problems`);
        for (const [typo, near] of [
            ["registry:acmedirectory", "registry:acmeDirectory"],
            ["registry:emial", "registry:email"],
            ["faas:gatway", "faas:gateway"],
            ["regsitry:port", "registry:port"],
        ]) {
            expect(res.stdout).toContain(
                `  - ${typo}: is not a key this project reads, so it would be ignored: did you mean ${near}? (remove it: pulumi config rm ${typo})`,
            );
        }
    });

    it("shows every problem at once: a type error does not hide the image checks, and a missing host is not read as a registry", () => {
        const typed = run(
            file("port-and-image", {
                "registry:tls": "none",
                "registry:port": "abc",
                "faas:gateway": "https://gateway.example.com",
                "faas:functions": [{ service: "hello", image: "Bad Image!" }],
            }),
        );
        expect(typed.stdout).toMatch(/registry:port: must be an integer, got "abc"/);
        expect(typed.stdout).toMatch(/faas:functions\[0\]\.image: "Bad Image!" is not a valid image reference/);
        const hostless = run(
            file("no-host", {
                "registry:tls": "letsencrypt",
                "registry:email": "ops@example.com",
                "faas:gateway": "https://gateway.example.com",
                "faas:functions": [{ service: "hello", image: "myfn:1" }],
            }),
        );
        expect(hostless.stdout).toMatch(/registry:host: /);
        expect(hostless.stdout).not.toContain("undefined/");
    });

    it("quotes an image as the user wrote it, with how it was read", () => {
        const res = run(
            file("short-image", {
                "registry:tls": "none",
                "faas:gateway": "http://127.0.0.1:8080",
                "faas:functions": [{ service: "hello", image: "hello:1" }],
            }),
        );
        expect(res.stdout).toContain('faas:functions[0].image: "hello:1" (read as 127.0.0.1:5000/hello:1) has no namespace');
    });
});

describe("the examples' own commands, as far as they run without a Pulumi CLI", () => {
    const EXAMPLES = join(__dirname, "..", "examples");
    const commands = (file: string) =>
        readFileSync(join(EXAMPLES, file), "utf8")
            .split("\n")
            .filter((l) => l.startsWith("#   "))
            .map((l) =>
                l
                    .slice(4)
                    .replace(/\s+#.*$/, "")
                    .trim(),
            );

    it("no two examples write the same stack file or init the same stack", () => {
        const files = ["Pulumi.vm.yaml", "Pulumi.vm-functions.yaml", "Pulumi.faasd.yaml", "Pulumi.swarm.yaml"];
        const targets = files.map(
            (f) =>
                commands(f)
                    .find((c) => c.startsWith(`cp examples/${f} `))
                    ?.split(" ")[2],
        );
        const stacks = files.map(
            (f) =>
                commands(f)
                    .find((c) => c.startsWith("pulumi stack init "))
                    ?.split(" ")[3],
        );
        expect(new Set(targets).size, targets.join(", ")).toBe(files.length);
        expect(new Set(stacks).size, stacks.join(", ")).toBe(files.length);
        for (const [i, stack] of stacks.entries()) expect(targets[i]).toBe(`Pulumi.${stack}.yaml`);
    });

    it.each(["Pulumi.vm.yaml", "Pulumi.vm-functions.yaml", "Pulumi.faasd.yaml", "Pulumi.swarm.yaml"])(
        "%s: copy before stack init (the salt survives), then config:check passes",
        (file) => {
            const steps = commands(file);
            const cp = steps.findIndex((c) => c.startsWith(`cp examples/${file} `));
            const init = steps.findIndex((c) => c.startsWith("pulumi stack init "));
            expect(cp, steps.join("\n")).toBeGreaterThanOrEqual(0);
            expect(init).toBeGreaterThan(cp);
            // Run the copy and the check as written, in a scratch project folder.
            const work = mkdtempSync(join(dir, "example-"));
            cpSync(EXAMPLES, join(work, "examples"), { recursive: true });
            expect(spawnSync("sh", ["-c", steps[cp]], { cwd: work }).status).toBe(0);
            const check = steps.find((c) => c.startsWith("npm run config:check -- "));
            expect(check).toBeDefined();
            const target = join(work, (check as string).replace("npm run config:check -- ", ""));
            const res = run(target);
            expect(res.stdout.trim(), res.stderr).toBe(`${target}: OK`);
        },
    );
});
