// The GitHub workflows cannot run here: parse them with a real YAML parser and check their structure.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

type Step = { uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string>; name?: string };
type Job = { "runs-on": string; steps: Step[]; environment?: string; needs?: string; "timeout-minutes"?: number; permissions?: unknown };
type Workflow = { name: string; on: Record<string, unknown>; permissions: Record<string, string>; jobs: Record<string, Job>; env?: Record<string, string> };

const DIR = join(__dirname, "..", ".github", "workflows");
const load = (file: string) => parse(readFileSync(join(DIR, file), "utf8")) as Workflow;
const steps = (w: Workflow) => Object.values(w.jobs).flatMap((j) => j.steps);
const pulumiStep = (w: Workflow) => {
    const found = steps(w).filter((s) => s.uses?.startsWith("pulumi/actions@"));
    expect(found).toHaveLength(1);
    return found[0];
};

/** What every Pulumi step gets: Pulumi Cloud's token, or a self-managed backend's URL and keys; the passphrase. */
const BACKEND_ENV = {
    PULUMI_BACKEND_URL: "${{ vars.PULUMI_BACKEND_URL }}",
    PULUMI_ACCESS_TOKEN: "${{ secrets.PULUMI_ACCESS_TOKEN }}",
    PULUMI_CONFIG_PASSPHRASE: "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}",
    AWS_ACCESS_KEY_ID: "${{ secrets.BACKEND_ACCESS_KEY_ID }}",
    AWS_SECRET_ACCESS_KEY: "${{ secrets.BACKEND_SECRET_ACCESS_KEY }}",
};

describe("GitHub workflows", () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith(".yml"));

    it("are exactly preview, up and drift", () => {
        expect(files.sort()).toEqual(["drift.yml", "preview.yml", "up.yml"]);
    });

    it.each(files)("%s: least-privilege permissions, timeouts, pinned actions, npm cache", (file) => {
        const w = load(file);
        expect(Object.keys(w.permissions).sort()).toEqual(file === "preview.yml" ? ["contents", "pull-requests"] : ["contents"]);
        expect(w.permissions.contents).toBe("read");
        if (file === "preview.yml") expect(w.permissions["pull-requests"]).toBe("write");
        for (const job of Object.values(w.jobs)) {
            expect(job["timeout-minutes"]).toBeGreaterThan(0);
            expect(job.permissions).toBeUndefined();
        }
        for (const step of steps(w).filter((s) => s.uses)) {
            const [, ref] = (step.uses as string).split("@");
            // A commit SHA, or (pulumi/actions only, see the workflow comment) a release tag: never a branch.
            expect(ref, step.uses).toMatch(step.uses?.startsWith("pulumi/actions@") ? /^v\d+(\.\d+\.\d+)?$/ : /^[0-9a-f]{40}$/);
        }
        for (const step of steps(w).filter((s) => s.uses?.startsWith("actions/setup-node@"))) {
            expect(step.with).toMatchObject({ cache: "npm", "node-version": 20 });
        }
    });

    it.each(files)("%s: never interpolates a secret into a run: line", (file) => {
        const w = load(file);
        for (const step of steps(w)) {
            if (step.run !== undefined) expect(step.run, step.name).not.toMatch(/\$\{\{\s*secrets\./);
        }
        // Secrets reach commands only through env: or with:.
        const text = readFileSync(join(DIR, file), "utf8");
        for (const line of text.split("\n").filter((l) => /secrets\./.test(l))) {
            expect(line).toMatch(/^\s+[A-Za-z_-]+: \$\{\{ secrets\.[A-Z_]+ \}\}$/);
        }
    });

    it("preview: on pull requests, checks first, then preview --diff commented on the PR (one comment, edited)", () => {
        const w = load("preview.yml");
        expect(Object.keys(w.on)).toEqual(["pull_request"]);
        expect(w.jobs.preview.needs).toBe("checks");
        expect(w.jobs.checks.steps.some((s) => s.run === "bash .ci/run")).toBe(true);
        const step = pulumiStep(w);
        expect(step.with).toMatchObject({
            command: "preview",
            diff: true,
            "comment-on-pr": true,
            "edit-pr-comment": true,
            "stack-name": "${{ env.PULUMI_STACK }}",
        });
        expect(step.env).toEqual(BACKEND_ENV);
        expect(w.env?.PULUMI_STACK).toBe("prod");
    });

    it("preview: holds nothing that reaches the production host (no SSH key, no known_hosts), in an environment that can require a reviewer", () => {
        const w = load("preview.yml");
        const text = readFileSync(join(DIR, "preview.yml"), "utf8");
        expect(text).not.toMatch(/DEPLOY_SSH_KEY|DEPLOY_KNOWN_HOSTS|ssh-agent/);
        expect(w.jobs.preview.environment).toBe("preview");
        // Only the backend's credentials and the passphrase: the secrets the job can read.
        expect([...text.matchAll(/secrets\.([A-Z_]+)/g)].map((m) => m[1]).sort()).toEqual(
            ["BACKEND_ACCESS_KEY_ID", "BACKEND_SECRET_ACCESS_KEY", "GITHUB_TOKEN", "PULUMI_ACCESS_TOKEN", "PULUMI_CONFIG_PASSPHRASE"].sort(),
        );
    });

    it("up: on pushes to main, behind the protected production environment", () => {
        const w = load("up.yml");
        expect(w.on).toEqual({ push: { branches: ["main"] } });
        expect(w.jobs.up.environment).toBe("production");
        expect(pulumiStep(w).with).toMatchObject({ command: "up", "stack-name": "${{ env.PULUMI_STACK }}" });
        expect(w.env?.PULUMI_STACK).toBe(load("preview.yml").env?.PULUMI_STACK);
    });

    it.each(files)("%s: works with Pulumi Cloud and with a self-managed backend (PULUMI_BACKEND_URL)", (file) => {
        expect(pulumiStep(load(file)).env).toEqual(BACKEND_ENV);
    });

    it("drift: scheduled refresh + preview --expect-no-changes of the same stack", () => {
        const w = load("drift.yml");
        expect(Object.keys(w.on).sort()).toEqual(["schedule", "workflow_dispatch"]);
        expect((w.on.schedule as { cron: string }[])[0].cron).toMatch(/^[\d*/,-]+( [\d*/,-]+){4}$/);
        expect(pulumiStep(w).with).toMatchObject({ command: "preview", refresh: true, "expect-no-changes": true });
        expect(w.env?.PULUMI_STACK).toBe("prod");
    });
});
