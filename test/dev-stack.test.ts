// scripts/dev-stack.sh (npm run up|preview|destroy|pulumi) picks the Pulumi CLI. No real CLI can be
// installed here, so "an installed CLI" is a script that records how it was called; the npm package's
// download is the real one, which fails here (no internet), as it does for a user behind a firewall. Like the real
// CLI, the stand-in reads its stdin (`config set --secret` without a value reads it there).
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = join(__dirname, "..");
const SHIM_DIR = join(ROOT, "node_modules", ".bin");

describe("npm run up / preview / destroy / pulumi: which Pulumi CLI", () => {
    const dir = mkdtempSync(join(tmpdir(), "faasreg-cli-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    // As `npm run` does: node_modules/.bin first on PATH.
    const run = (path: string, env: Record<string, string> = {}) =>
        spawnSync("bash", ["scripts/dev-stack.sh", "version"], {
            cwd: ROOT,
            encoding: "utf8",
            env: { PATH: `${SHIM_DIR}:${path}:/usr/bin:/bin`, HOME: dir, PULUMI_CONFIG_PASSPHRASE: "test-only", ...env },
            timeout: 60_000,
        });

    it("uses an installed CLI, not the npm package's shim that npm run puts first on PATH", () => {
        const bin = join(dir, "bin");
        spawnSync("mkdir", ["-p", bin]);
        const log = join(dir, "calls.log");
        writeFileSync(join(bin, "pulumi"), `#!/bin/sh\ncat >/dev/null\necho "$@" >> ${log}\n`);
        chmodSync(join(bin, "pulumi"), 0o755);
        const r = run(bin);
        expect(r.status, r.stderr).toBe(0);
        expect(readFileSync(log, "utf8").trim().split("\n").pop()).toBe("version");
        expect(r.stderr).not.toMatch(/npm package/);
    });

    it("says what failed and how to install the CLI when the npm package cannot download it", (context) => {
        const r = run(join(dir, "nothing-here"));
        if (r.status === 0) context.skip(); // this machine could download the CLI: nothing to show
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(/no Pulumi CLI is installed, and the 'pulumi' npm package could not download one:\ndev-stack: {3}\S/);
        expect(r.stderr).toMatch(/Install the CLI \(https:\/\/www\.pulumi\.com\/docs\/install\/.*\n.*PULUMI_CLI=\/path\/to\/pulumi npm run up/);
    });

    it("uses PULUMI_CLI when it is set", () => {
        const log = join(dir, "explicit.log");
        const cli = join(dir, "my-pulumi");
        writeFileSync(cli, `#!/bin/sh\ncat >/dev/null\necho "$@" >> ${log}\n`);
        chmodSync(cli, 0o755);
        expect(run(join(dir, "nothing-here"), { PULUMI_CLI: cli }).status).toBe(0);
        expect(readFileSync(log, "utf8")).toMatch(/version/);
    });

    it("npm run pulumi with nothing after it prints the usage and runs nothing (it used to run pulumi up --yes)", () => {
        const log = join(dir, "bare.log");
        const cli = join(dir, "bare-pulumi");
        writeFileSync(cli, `#!/bin/sh\ncat >/dev/null\necho "$@" >> ${log}\n`);
        chmodSync(cli, 0o755);
        const r = spawnSync("bash", ["scripts/dev-stack.sh"], {
            cwd: ROOT,
            encoding: "utf8",
            env: { PATH: "/usr/bin:/bin", HOME: dir, PULUMI_CLI: cli, PULUMI_CONFIG_PASSPHRASE: "test-only" },
        });
        expect(r.status).toBe(2);
        expect(r.stdout).toMatch(/^usage: npm run up .*\n.*npm run -s pulumi -- ARGS/s);
        expect(() => readFileSync(log, "utf8")).toThrow(/ENOENT/);
    });
});
