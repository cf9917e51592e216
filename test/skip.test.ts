// A test file that cannot run says so once, naming everything it lacks: not only the first missing binary.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

describe("SKIPPED lines", () => {
    it("name every missing requirement of a file at once (faasd through the real engine: registry, faasd, its gateway, the engine)", () => {
        const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("FAASREG_")));
        const r = spawnSync(process.execPath, [join("node_modules", "vitest", "vitest.mjs"), "run", "test/e2e/pulumi-faasd.test.ts"], {
            cwd: join(__dirname, ".."),
            encoding: "utf8",
            env: { ...env, CI: "" },
            timeout: 120_000,
        });
        const line = `${r.stdout}${r.stderr}`.split("\n").find((l) => l.startsWith("test/e2e/pulumi-faasd.test.ts: SKIPPED: ")) ?? "";
        for (const variable of ["FAASREG_REGISTRY_BIN", "FAASREG_FAASD_BIN", "FAASREG_FAASD_GATEWAY_BIN", "FAASREG_PULUMI_BIN"])
            expect(line, variable).toContain(variable);
        // Each reason once.
        const reasons = line.replace(/^.*?SKIPPED: /, "").split("; ");
        expect(reasons.length).toBeGreaterThanOrEqual(3);
        expect(new Set(reasons).size).toBe(reasons.length);
    }, 120_000);
});
