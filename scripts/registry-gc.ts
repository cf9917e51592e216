// npm run -s registry:gc -- CONTAINER [--delete-untagged (--deployed IMAGE ... | --none-deployed)] [--dry-run]
// With DOCKER_HOST set as for `pulumi up` (e.g. ssh://deploy@vm.example.com).
//
// Frees the space of manifests that `npm run registry:prune -- --apply` deleted, with the registry's own
// garbage collector, on the registry's Docker host. The collector must not run while the registry takes
// pushes (it would delete the blobs of an upload in flight), so the container is stopped for it and started
// again, whatever happens: a signal (a dropped SSH session's SIGHUP, Ctrl-C) lets the step under way finish, starts
// no collection, removes the one-off container, starts the registry, then exits 1. The collector runs in a one-off container of the registry's own image, with the
// registry's volumes and its own config file (copied from container to container, never to disk here), so
// it collects exactly the storage the registry serves: the data volume, or the S3 bucket.
//
// `--delete-untagged` also deletes every manifest that no tag points at. A function deployed by digest
// whose tag has since moved runs such a manifest: deleting it breaks the function's next pull (a Swarm
// reschedule, a faasd restart). So `--delete-untagged` needs the deployed images (`pulumi stack output
// functionImages`), runs the collector dry first, and refuses if any of them would go (`registry:prune
// --apply` tags them so they survive). It is refused on distribution 2.x images, whose collector deletes the
// platform images of every multi-platform image (distribution/distribution#3178, fixed in v3).
//
// Swarm mode (replicas of a service) is refused: every replica must be stopped and the collector run on
// the storage they share, which this script does not do (README, "Disk").
import { spawn } from "node:child_process";
import { posix } from "node:path";
import { imageReference } from "./registry-prune";

export const USAGE = [
    "usage: npm run -s registry:gc -- CONTAINER [--dry-run] [--delete-untagged (--deployed IMAGE ... | --none-deployed)]",
    "  CONTAINER        the registry container (`<project>-<stack>-registry`), on the engine DOCKER_HOST names",
    "  --dry-run        only say what the collector would delete (the registry is still stopped meanwhile)",
    "  --delete-untagged  also delete manifests no tag points at; needs every deployed image:",
    "  --deployed IMAGE   an image a function runs (repeat; `pulumi stack output functionImages`)",
    "  --none-deployed    no function runs an image of this registry",
].join("\n");

export interface GcOptions {
    container: string;
    dryRun: boolean;
    deleteUntagged: boolean;
    deployed: string[];
}

/** The command line, or the reason it is wrong (null: --help). */
export function parseGcArgs(args: readonly string[]): GcOptions | { error: string } | null {
    if (args.includes("--help") || args.includes("-h")) return null;
    const options: GcOptions = { container: "", dryRun: false, deleteUntagged: false, deployed: [] };
    let noneDeployed = false;
    for (let i = 0; i < args.length; i++) {
        const arg = args[i];
        if (arg === "--dry-run") options.dryRun = true;
        else if (arg === "--delete-untagged") options.deleteUntagged = true;
        else if (arg === "--none-deployed") noneDeployed = true;
        else if (arg === "--deployed") {
            const image = args[++i];
            if (image === undefined || image.startsWith("-")) return { error: "--deployed needs an image (host/repository:tag or host/repository@sha256:...)" };
            options.deployed.push(image);
        } else if (arg.startsWith("-")) return { error: `unknown option ${arg}` };
        else if (options.container !== "") return { error: `one container only (got ${options.container} and ${arg})` };
        else options.container = arg;
    }
    if (options.container === "") return { error: "name the registry container" };
    if (options.deleteUntagged && options.deployed.length === 0 && !noneDeployed) {
        return {
            error:
                "--delete-untagged deletes every untagged manifest, including images functions run by digest: " +
                "give each with --deployed (pulumi stack output functionImages), or say --none-deployed",
        };
    }
    return options;
}

/** The major version of distribution from `registry --version` ("registry github.com/distribution/distribution/v3 v3.1.1"). */
export function distributionMajor(versionOutput: string): number | undefined {
    const m = /\sv?(\d+)\.\d+\.\d+/.exec(versionOutput);
    return m ? Number(m[1]) : undefined;
}

/**
 * The manifests a (dry) collection deletes, from its output. v3 prints
 * `manifest eligible for deletion: {team/hello sha256:... [tags]}`; 2.x prints the digest only, after a line
 * naming the repository.
 */
export function eligibleManifests(output: string): { repository: string; digest: string }[] {
    const found: { repository: string; digest: string }[] = [];
    let repository = "";
    for (const line of output.split("\n")) {
        const bare = /^([a-z0-9]+(?:[._/-][a-z0-9]+)*)$/.exec(line.trim());
        if (bare) repository = bare[1];
        const m = /manifest eligible for deletion: (?:\{(\S+) )?(sha256:[0-9a-f]{64})/.exec(line);
        if (m) found.push({ repository: m[1] ?? repository, digest: m[2] });
    }
    return found;
}

/** The deployed images (by digest) a collection with this output would delete. */
export function deployedAtRisk(output: string, deployed: readonly string[]): string[] {
    const eligible = new Set(eligibleManifests(output).map((e) => `${e.repository}@${e.digest}`));
    return deployed.filter((image) => {
        const ref = imageReference(image);
        return ref.digest !== undefined && eligible.has(`${ref.repository}@${ref.digest}`);
    });
}

/** Why this container cannot be collected here, if it cannot. */
export function refusal(inspect: { Config?: { Labels?: Record<string, string> | null } }, major: number | undefined, options: GcOptions): string | undefined {
    const service = inspect.Config?.Labels?.["com.docker.swarm.service.name"];
    if (service !== undefined) return swarmRefusal(service);
    if (major === undefined) return `could not tell the registry's version from its image; run its collector by hand (README, "Disk")`;
    if (major < 3 && options.deleteUntagged) {
        return (
            `the registry image is distribution ${major}.x, whose --delete-untagged deletes the platform images of every ` +
            "multi-platform image (distribution/distribution#3178, fixed in v3). Run without --delete-untagged, or " +
            "deploy registry:3 (registry:image)"
        );
    }
    return undefined;
}

function swarmRefusal(service: string): string {
    return (
        `${service} is a Swarm service (registry:mode swarm): the collector needs every replica stopped and must run on ` +
        "the storage they share, which registry:gc does not do. Deleted manifests cost only their blobs' space " +
        'until then; README, "Disk", says how to collect by hand'
    );
}

/**
 * `docker ARGS`, asynchronously, in a process group of its own: a dropped SSH session or Ctrl-C signals the
 * terminal's foreground group (npm, node), and must not kill the docker CLI in the middle of a stop or a start.
 */
async function docker(args: string[], input?: Buffer): Promise<{ status: number; stdout: Buffer; stderr: string }> {
    const r = await dockerOnce(args, input);
    // A signal to our group can still reach a child in the instant between its fork and its setsid (measured: the
    // hang-up test lost `docker stop` so about one run in three). Killed by it, the command runs again: every
    // command here can be repeated (stop, start, rm -f, cp; the collector never starts once a signal came).
    return r.signal !== null && interrupted !== undefined ? dockerOnce(args, input) : r;
}

function dockerOnce(args: string[], input?: Buffer): Promise<{ status: number; stdout: Buffer; stderr: string; signal: NodeJS.Signals | null }> {
    return new Promise((resolve, reject) => {
        const child = spawn("docker", args, { detached: true, stdio: ["pipe", "pipe", "pipe"] });
        const out: Buffer[] = [];
        let err = "";
        child.stdout.on("data", (c: Buffer) => out.push(c));
        child.stderr.on("data", (c: Buffer) => (err += c));
        child.on("error", (e) => reject(new Error(`docker ${args[0]}: ${e.message}`)));
        child.on("close", (code, signal) => resolve({ status: code ?? 1, stdout: Buffer.concat(out), stderr: err, signal }));
        child.stdin.end(input);
    });
}

async function must(args: string[], input?: Buffer): Promise<Buffer> {
    const r = await docker(args, input);
    if (r.status !== 0) throw new Error(`docker ${args.slice(0, 2).join(" ")} failed: ${r.stderr.trim()}`);
    return r.stdout;
}

const log = (line: string) => process.stderr.write(`registry:gc: ${line}\n`);

/**
 * The signal that asked us to stop (SIGHUP: the SSH session dropped; SIGINT; SIGTERM), if any. The registry is
 * stopped for the collection, so a signal never ends the process at once: the step under way finishes, no new
 * collection starts, the one-off container is removed, and the registry is started again.
 */
let interrupted: NodeJS.Signals | undefined;

function stopIfInterrupted(): void {
    if (interrupted !== undefined) throw new Error(`${interrupted} received: stopped before collecting; nothing was deleted by this step`);
}

/** Runs the collector once in a one-off container with the registry's volumes and config; returns its output. */
async function collect(container: string, image: string, config: string, flags: string[]): Promise<string> {
    stopIfInterrupted();
    const oneOff = (await must(["create", "--volumes-from", container, "--network", "none", image, "garbage-collect", ...flags, config])).toString().trim();
    try {
        // The config (with the S3 key, if any) goes from container to container as a tar stream.
        await must(["cp", "-", `${oneOff}:${posix.dirname(config)}`], await must(["cp", `${container}:${config}`, "-"]));
        stopIfInterrupted();
        const run = await docker(["start", "-a", oneOff]);
        const output = `${run.stdout.toString()}${run.stderr}`;
        if (run.status !== 0) throw new Error(`the collector exited ${run.status}: ${output.trim().split("\n").slice(-3).join(" | ")}`);
        return output;
    } finally {
        await docker(["rm", "-f", oneOff]);
    }
}

export async function runGc(options: GcOptions): Promise<void> {
    const found = await docker(["inspect", "--type", "container", options.container]);
    if (found.status !== 0) {
        if ((await docker(["service", "inspect", options.container])).status === 0) throw new Error(swarmRefusal(options.container));
        throw new Error(`no container ${options.container} on ${process.env.DOCKER_HOST ?? "the local engine"}: ${found.stderr.trim()}`);
    }
    const [inspect] = JSON.parse(found.stdout.toString()) as [{ Image: string; Config: { Cmd?: string[]; Labels?: Record<string, string> | null } }];
    const image = inspect.Image;
    const config = inspect.Config.Cmd?.find((a) => /\.ya?ml$/.test(a)) ?? "/etc/distribution/config.yml";
    const version = await docker(["run", "--rm", "--network", "none", image, "--version"]);
    const why = refusal(inspect, distributionMajor(`${version.stdout.toString()}${version.stderr}`), options);
    if (why !== undefined) throw new Error(why);
    stopIfInterrupted();

    log(`stopping ${options.container}`);
    await must(["stop", options.container]);
    try {
        const flags = options.deleteUntagged ? ["--delete-untagged"] : [];
        if (options.deleteUntagged) {
            const dry = await collect(options.container, image, config, [...flags, "--dry-run"]);
            const atRisk = deployedAtRisk(dry, options.deployed);
            if (atRisk.length > 0) {
                throw new Error(
                    `--delete-untagged would delete images that functions run: ${atRisk.join(", ")}. Nothing was deleted. ` +
                        "Run npm run registry:prune -- --apply with the same --deployed images first (it tags them), or collect without --delete-untagged",
                );
            }
        }
        const output = await collect(options.container, image, config, options.dryRun ? [...flags, "--dry-run"] : flags);
        const summary = output.split("\n").find((l) => /blobs marked/.test(l));
        log(`${options.dryRun ? "dry run: " : ""}${summary?.trim() ?? "the collector printed no summary"}`);
    } finally {
        log(`starting ${options.container}`);
        await must(["start", options.container]);
    }
}

if (require.main === module) {
    const parsed = parseGcArgs(process.argv.slice(2));
    if (parsed === null) {
        process.stdout.write(`${USAGE}\n`);
        process.exit(0);
    }
    if ("error" in parsed) {
        process.stderr.write(`registry:gc: ${parsed.error}\n${USAGE}\n`);
        process.exit(2);
    }
    for (const signal of ["SIGHUP", "SIGINT", "SIGTERM"] as const) {
        process.on(signal, () => {
            if (interrupted !== undefined) return;
            interrupted = signal;
            log(`${signal}: finishing the step under way, then starting the registry again`);
        });
    }
    // A terminal that hung up fails every write (EIO): that must not end the process before the registry is started.
    for (const stream of [process.stdout, process.stderr]) stream.on("error", () => undefined);
    runGc(parsed).then(
        () => process.exit(interrupted === undefined ? 0 : 1),
        (error: unknown) => {
            process.stderr.write(`registry:gc: ${(error as Error).message}\n`);
            process.exit(1);
        },
    );
}
