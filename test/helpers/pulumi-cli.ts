// The real Pulumi CLI, its Node.js language host and the docker, command and random providers, run against a
// test lab: a local `file://` backend in the lab's folder, a passphrase, and plugins installed from local
// binaries into a PULUMI_HOME of the tests' own (nothing is downloaded: automatic plugin acquisition is off
// and plugins on PATH are ignored). Every command runs INSIDE the lab's namespaces, so the providers, the
// readiness probe and the Swarm gate reach the lab's engine and registry exactly as on a user's machine.
//
// The binaries come from one folder named by FAASREG_PULUMI_BIN (`.ci/run` unpacks ../shared/pulumi/engine.tar.xz there):
// pulumi, pulumi-language-nodejs, pulumi-resource-pulumi-nodejs, pulumi-resource-docker, pulumi-resource-command,
// pulumi-resource-random.
// They are built from their public sources (docs/building.md); without them these tests say SKIPPED.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Lab } from "./lab";
import { CACHE_DIR } from "./shared-binaries";

export const PULUMI_BIN_ENV = "FAASREG_PULUMI_BIN";
export const PROJECT_ROOT = join(__dirname, "..", "..");
/** The passphrase of every test stack (its secrets are the tests' own). */
export const TEST_PASSPHRASE = "faasreg-test-passphrase";

/** The plugins our packages pin (package-lock.json), installed under these versions from the local binaries. */
export const PLUGINS = [
    { name: "docker", version: "5.2.0", binary: "pulumi-resource-docker" },
    { name: "command", version: "1.2.1", binary: "pulumi-resource-command" },
    { name: "random", version: "4.21.2", binary: "pulumi-resource-random" },
] as const;
/** `pulumi-resource-pulumi-nodejs` is the script the CLI ships to start dynamic providers (ours among them). */
const BINARIES = ["pulumi", "pulumi-language-nodejs", "pulumi-resource-pulumi-nodejs", ...PLUGINS.map((p) => p.binary)];

/**
 * Every plugin to install, with its file: the engine's three, and the kubernetes provider (the version
 * package-lock.json pins for @pulumi/kubernetes) when FAASREG_KUBERNETES_BIN holds it (test/helpers/k8s-lab.ts).
 */
function pluginFiles(bin: string): { name: string; version: string; file: string }[] {
    const k8s = process.env.FAASREG_KUBERNETES_BIN;
    const kubernetes =
        k8s !== undefined && existsSync(join(k8s, "pulumi-resource-kubernetes"))
            ? [{ name: "kubernetes", version: "4.32.0", file: join(k8s, "pulumi-resource-kubernetes") }]
            : [];
    return [...PLUGINS.map((p) => ({ name: p.name, version: p.version, file: join(bin, p.binary) })), ...kubernetes];
}

/** Why the real engine cannot run here (undefined when it can). */
export function pulumiSkipReason(): string | undefined {
    const dir = process.env[PULUMI_BIN_ENV];
    if (dir === undefined || dir === "")
        return `${PULUMI_BIN_ENV} is not set (a folder with ${BINARIES.join(", ")}; .ci/run unpacks ../shared/pulumi/engine.tar.xz and sets it: export FAASREG_PULUMI_BIN="$(../shared/pulumi/unpack)")`;
    const missing = BINARIES.filter((b) => !existsSync(join(dir, b)));
    if (missing.length > 0) return `${PULUMI_BIN_ENV}=${dir} lacks ${missing.join(", ")}`;
    return undefined;
}

function binDir(): string {
    const reason = pulumiSkipReason();
    if (reason !== undefined) throw new Error(reason);
    return process.env[PULUMI_BIN_ENV] as string;
}

/**
 * A PULUMI_HOME holding the three plugins, made once per set of binaries and shared by every test file (the
 * plugins are 270 MB): made in a folder of its own, then renamed into place, so concurrent files never see a
 * half-made one.
 */
export function pulumiHome(): string {
    const bin = binDir();
    const plugins = pluginFiles(bin);
    const stamp = createHash("sha256")
        .update([...BINARIES.map((b) => join(bin, b)), ...plugins.map((p) => p.file)].map((f) => `${f}:${statSync(f).size}:${statSync(f).mtimeMs}`).join("\n"))
        .digest("hex")
        .slice(0, 16);
    const home = join(CACHE_DIR, `pulumi-home-${stamp}`);
    if (existsSync(join(home, "ready"))) return home;
    mkdirSync(CACHE_DIR, { recursive: true });
    const building = mkdtempSync(join(CACHE_DIR, "pulumi-home-new-"));
    for (const plugin of plugins) {
        const r = spawnSync(join(bin, "pulumi"), ["plugin", "install", "resource", plugin.name, plugin.version, "--file", plugin.file], {
            encoding: "utf8",
            env: { ...cliEnv(building), PATH: `${bin}:/usr/bin:/bin` },
        });
        if (r.status !== 0) throw new Error(`pulumi plugin install ${plugin.name} ${plugin.version} failed: ${r.stderr}`);
    }
    writeFileSync(join(building, "ready"), "");
    try {
        renameSync(building, home);
    } catch {
        // Another test file made it first.
        rmSync(building, { recursive: true, force: true });
    }
    return home;
}

/** The environment every pulumi command gets: no update check, no downloads, no ambient plugins, no colour. */
function cliEnv(home: string): NodeJS.ProcessEnv {
    return {
        PULUMI_HOME: home,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
        PULUMI_SKIP_CONFIRMATIONS: "true",
        NO_COLOR: "1",
        // ts-node's cache of the compiled program: one for every test (it defaults to a folder per home, in /tmp).
        TS_NODE_CACHE_DIRECTORY: join(CACHE_DIR, "ts-node"),
    };
}

export interface CliResult {
    status: number | null;
    stdout: string;
    stderr: string;
    /** stdout and stderr together, as a user reads them. */
    out: string;
    ms: number;
}

export interface StackOptions {
    /** The project folder (default: this repository). */
    project?: string;
    /** Extra environment for the program and its providers. */
    env?: NodeJS.ProcessEnv;
}

/**
 * One stack of this project on a `file://` backend inside the lab's folder, driven by the real CLI from inside
 * the lab's namespaces. Its config file lives in the lab's folder too (`--config-file`), so tests never write
 * a `Pulumi.<stack>.yaml` into the repository.
 */
export class PulumiStack {
    readonly backend: string;
    readonly configFile: string;
    readonly project: string;
    private readonly home: string;
    private readonly env: NodeJS.ProcessEnv;
    private runs = 0;

    private constructor(
        readonly lab: Lab,
        readonly name: string,
        options: StackOptions,
    ) {
        this.home = pulumiHome();
        this.project = options.project ?? PROJECT_ROOT;
        this.backend = join(lab.dir, "pulumi-state");
        mkdirSync(this.backend, { recursive: true });
        // Where `stack init` (run in the lab's folder) writes it; every later command names it with --config-file.
        this.configFile = join(lab.dir, `Pulumi.${name}.yaml`);
        this.env = {
            PATH: `${binDir()}:${process.env.PATH ?? "/usr/bin:/bin"}`,
            HOME: lab.dir,
            ...cliEnv(this.home),
            PULUMI_BACKEND_URL: `file://${this.backend}`,
            PULUMI_CONFIG_PASSPHRASE: TEST_PASSPHRASE,
            ...options.env,
        };
    }

    /** Creates the stack (passphrase secrets) and sets its config: `secretKeys` with --secret, the rest plaintext. */
    static async init(
        lab: Lab,
        name: string,
        config: Record<string, string>,
        secretKeys: readonly string[] = [],
        options: StackOptions = {},
    ): Promise<PulumiStack> {
        const stack = new PulumiStack(lab, name, options);
        // `stack init` writes Pulumi.<stack>.yaml (with the passphrase's salt) next to the Pulumi.yaml it finds:
        // run it in the lab's folder with a copy of ours, so nothing is written into the repository.
        copyFileSync(join(stack.project, "Pulumi.yaml"), join(lab.dir, "Pulumi.yaml"));
        const init = await stack.spawnInLab(["pulumi", "stack", "init", name, "--secrets-provider", "passphrase", "--non-interactive"], { cwd: lab.dir });
        if (init.status !== 0) throw new Error(`pulumi stack init ${name} failed: ${init.out}`);
        await stack.setConfig(config, secretKeys);
        return stack;
    }

    /**
     * The stack `name` that init() made in this lab, run from another project folder: the same backend, config file
     * and passphrase (a new version of the program over the state the old one wrote).
     */
    static open(lab: Lab, name: string, options: StackOptions = {}): PulumiStack {
        return new PulumiStack(lab, name, options);
    }

    /** `pulumi config set` for each key: `--secret` for `secretKeys`, `--plaintext` for the rest. */
    async setConfig(config: Record<string, string>, secretKeys: readonly string[] = []): Promise<void> {
        const args = Object.entries(config).flatMap(([key, value]) => [secretKeys.includes(key) ? "--secret" : "--plaintext", `${key}=${value}`]);
        if (args.length > 0) await this.must(["config", "set-all", ...args]);
    }

    async removeConfig(key: string): Promise<void> {
        await this.must(["config", "rm", key]);
    }

    /**
     * Runs `pulumi ARGS --stack NAME --config-file FILE --non-interactive` inside the lab, in the project folder.
     * `stackFlags`: "config" (the default: commands that read the stack's config), "stack" (`stack output`,
     * `stack export`: no --config-file), or false (none).
     */
    run(
        args: string[],
        options: { stackFlags?: "config" | "stack" | false; input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
    ): Promise<CliResult> {
        const mode = options.stackFlags ?? "config";
        const flags = mode === false ? [] : ["--stack", this.name, ...(mode === "config" ? ["--config-file", this.configFile] : []), "--non-interactive"];
        return this.spawnInLab(["pulumi", ...args, ...flags], options);
    }

    /** Runs any command (a script of the README, npm) inside the lab with the stack's environment. */
    spawnInLab(argv: string[], options: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {}): Promise<CliResult> {
        return runInLab(
            this.lab,
            argv,
            { ...options, cwd: options.cwd ?? this.project, env: { ...this.env, ...options.env } },
            `pulumi-${this.name}-${++this.runs}`,
        );
    }

    /** Like run(), but throws with the whole output when the command fails. */
    async must(args: string[], options: { stackFlags?: "config" | "stack" | false; input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
        const r = await this.run(args, options);
        if (r.status !== 0) throw new Error(`pulumi ${args.join(" ")} exited ${r.status} after ${r.ms} ms:\n${r.out.slice(-6000)}`);
        return r;
    }

    up(extra: string[] = []): Promise<CliResult> {
        return this.run(["up", "--yes", "--skip-preview", ...extra]);
    }

    preview(extra: string[] = []): Promise<CliResult> {
        return this.run(["preview", ...extra]);
    }

    refresh(extra: string[] = []): Promise<CliResult> {
        return this.run(["refresh", "--yes", "--skip-preview", ...extra]);
    }

    destroy(extra: string[] = []): Promise<CliResult> {
        return this.run(["destroy", "--yes", "--skip-preview", ...extra]);
    }

    /** A stack output (secrets shown only when asked). */
    async output(name: string, showSecrets = false): Promise<string> {
        const r = await this.must(["stack", "output", name, ...(showSecrets ? ["--show-secrets"] : [])], { stackFlags: "stack" });
        return r.stdout.trim();
    }

    /** The stack's state as `pulumi stack export` prints it (secrets encrypted). */
    async exportState(): Promise<string> {
        return (await this.must(["stack", "export"], { stackFlags: "stack" })).stdout;
    }
}

/** The environment the real CLI needs inside a lab, with no backend or passphrase chosen (scripts choose their own). */
export function cliEnvironment(lab: Lab): NodeJS.ProcessEnv {
    return { PATH: `${binDir()}:${process.env.PATH ?? "/usr/bin:/bin"}`, HOME: lab.dir, ...cliEnv(pulumiHome()) };
}

/**
 * The same, with a PULUMI_HOME of the lab's own (the shared plugins linked in): for commands that write there, as a
 * user's do (`pulumi login` keeps the backend in credentials.json, the selected stack lives in workspaces/).
 */
export function ownCliEnvironment(lab: Lab): NodeJS.ProcessEnv {
    const home = join(lab.dir, ".pulumi");
    if (!existsSync(home)) {
        mkdirSync(home);
        symlinkSync(join(pulumiHome(), "plugins"), join(home, "plugins"));
    }
    return { ...cliEnvironment(lab), PULUMI_HOME: home };
}

let labRuns = 0;

/**
 * Runs ARGV inside the lab's namespaces in `cwd`, asynchronously (tests run pulls beside it); its output also goes
 * to the lab's logs/LOG.log.
 */
export function runInLab(
    lab: Lab,
    argv: string[],
    options: { cwd: string; input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
    log = `run-${++labRuns}`,
): Promise<CliResult> {
    const started = Date.now();
    const file = join(lab.dir, "logs", `${log}.log`);
    appendFileSync(file, `$ ${argv.join(" ")}\n`);
    const child: ChildProcess = spawn("/usr/bin/nsenter", ["-t", String(lab.pid), "-m", "-n", `--wd=${options.cwd}`, "--", ...argv], {
        // PWD too: entering only the mount namespace leaves the root directory in the host's, where getcwd()
        // cannot name the working directory (Go's os.Getwd trusts a PWD that names it).
        env: { ...options.env, PWD: options.cwd },
        stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
        stdout += d;
        out += d;
        appendFileSync(file, d);
    });
    child.stderr?.on("data", (d: Buffer) => {
        stderr += d;
        out += d;
        appendFileSync(file, d);
    });
    child.stdin?.end(options.input ?? "");
    const timeout = setTimeout(() => child.kill("SIGTERM"), options.timeoutMs ?? 600_000);
    return new Promise((resolve) => {
        child.on("close", (status) => {
            clearTimeout(timeout);
            resolve({ status, stdout, stderr, out, ms: Date.now() - started });
        });
    });
}

/** What a `pulumi preview`/`up` printed as its resource summary, e.g. { unchanged: 17, update: 1 }. */
export function changeSummary(out: string): Record<string, number> {
    const summary: Record<string, number> = {};
    const block = out.slice(out.lastIndexOf("Resources:"));
    for (const m of block.matchAll(
        /^\s+([+~-]|\+-|-\+)?\s*(\d+) (to create|to update|to replace|to delete|created|updated|replaced|deleted|unchanged|to refresh)/gm,
    )) {
        summary[m[3].replace(/^to /, "")] = Number(m[2]);
    }
    return summary;
}

/** The resources a `pulumi preview --json` would change (any step but "same"), by name, sorted. */
export function changedResources(preview: CliResult): string[] {
    if (preview.status !== 0) throw new Error(`pulumi preview --json failed:\n${preview.out.slice(-4000)}`);
    const steps = (JSON.parse(preview.stdout) as { steps?: { op: string; urn: string }[] }).steps ?? [];
    return [...new Set(steps.filter((s) => s.op !== "same").map((s) => s.urn.slice(s.urn.lastIndexOf("::") + 2)))].sort();
}

/**
 * What users run to check nothing drifted: a second `pulumi up --expect-no-changes`, then `pulumi refresh
 * --expect-no-changes`. Throws with the CLI's output when either proposes a change; returns both (their times).
 */
export async function expectNoChanges(stack: PulumiStack): Promise<{ up: CliResult; refresh: CliResult }> {
    const up = await stack.up(["--expect-no-changes"]);
    if (up.status !== 0) throw new Error(`a second pulumi up proposed changes:\n${up.out.slice(-6000)}`);
    const refresh = await stack.refresh(["--expect-no-changes"]);
    if (refresh.status !== 0) throw new Error(`pulumi refresh proposed changes:\n${refresh.out.slice(-6000)}`);
    return { up, refresh };
}
