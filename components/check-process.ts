/**
 * The checks that ask a live system on every preview, up and refresh (the Swarm gate and the Docker host's
 * platform: components/registry/swarm-check.mjs; the Kubernetes gate: components/faas/kubernetes-check.mjs) run
 * as a Node script in a child process: JSON on stdin, JSON on stdout, exit code 1 when the system answered and the
 * answer is refused, 2 when it could not be asked at all (nobody answered, ssh or the credentials plugin refused).
 * They run in the faasreg provider's process (provider/), which serves them as the stack's custom resources.
 */
import { spawn } from "node:child_process";

/**
 * Where the provider's warnings go. Its process has no program connection for pulumi.log, and the Node.js language
 * host, which runs it as a plugin, keeps its stderr out of `pulumi`'s output: provider/serve.ts sends them through
 * the engine's Log service. The default, a line on stderr, is what the tests' gRPC harness reads.
 */
export type WarningSink = (message: string) => Promise<void>;

let warningSink: WarningSink = async (message) => {
    process.stderr.write(`warning: ${message}\n`);
};

/** Shows `message` as a warning of `pulumi preview`, `up`, `refresh` or `destroy`. */
export function warn(message: string): Promise<void> {
    return warningSink(message);
}

export function setWarningSink(sink: WarningSink): void {
    warningSink = sink;
}

/** The check's answer, or why there is none: `unreachable` when the system could not be asked at all. */
export type CheckReply<T> = { answer: T } | { unreachable: boolean; message: string };

/** How long a check may take before it counts as unreachable. */
const CHECK_TIMEOUT_MS = 120_000;

/**
 * Runs `script` (relative to the working directory of the provider's process) with `request` on stdin,
 * asynchronously: every resource of the stack that asks a system (and the functions) is served by one provider
 * process, which must keep serving while a slow connection is made.
 */
export function runCheck<T>(script: string, request: object): Promise<CheckReply<T>> {
    return new Promise((resolve) => {
        const child = spawn(process.execPath, [script], { stdio: ["pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        const timer = setTimeout(() => child.kill("SIGKILL"), CHECK_TIMEOUT_MS);
        child.stdout.on("data", (c) => (stdout += c));
        child.stderr.on("data", (c) => (stderr += c));
        child.on("error", (e) => {
            clearTimeout(timer);
            resolve({ unreachable: false, message: `could not run ${script}: ${e.message}` });
        });
        child.on("close", (code, signal) => {
            clearTimeout(timer);
            if (code === 0) {
                try {
                    resolve({ answer: JSON.parse(stdout) as T });
                } catch {
                    resolve({ unreachable: false, message: `${script} answered something that is not JSON: ${stdout.slice(0, 200)}` });
                }
                return;
            }
            const timedOut = signal === "SIGKILL";
            resolve({
                unreachable: code === 2 || timedOut,
                message: (stderr || (timedOut ? `no answer within ${CHECK_TIMEOUT_MS / 1000} s` : `${script} exited ${code ?? signal}`)).trim(),
            });
        });
        child.stdin.end(JSON.stringify(request));
    });
}

/** The answer; the check's refusal becomes the error pulumi shows. */
export async function mustCheck<T>(script: string, request: object): Promise<T> {
    const reply = await runCheck<T>(script, request);
    if ("answer" in reply) return reply.answer;
    throw new Error(reply.message);
}

/**
 * The answer for a diff. A preview (`preview` input true: `pulumi preview`, and the preview `pulumi up` runs
 * first) that cannot reach the system at all (a CI job without the deploy key or the cluster's credentials, the
 * host down) gets undefined after a warning, and the resource shows no change: what only that system knows is
 * not known then. The update of `pulumi up` asks again, and stops if it still cannot.
 */
export async function checkForDiff<T>(script: string, request: object, preview: boolean | undefined, what: string, system: string): Promise<T | undefined> {
    const reply = await runCheck<T>(script, request);
    if ("answer" in reply) return reply.answer;
    if (preview === true && reply.unreachable) {
        await warn(
            `this preview could not ask ${system} (${reply.message.replace(/^[a-z]+:[a-zA-Z ]+: /, "")}), so ${what} is shown unchanged; pulumi up asks again and stops if it still cannot reach it`,
        );
        return undefined;
    }
    throw new Error(reply.message);
}
