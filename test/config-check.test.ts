// npm run config:check, run as a user runs it: every problem at once, key first, exit 1; OK exits 0.
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

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
