// npm run config:check, run as a user runs it: every problem at once, key first, exit 1; OK exits 0.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
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
});
