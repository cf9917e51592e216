import { spawn } from "node:child_process";
import { PROBE_SCRIPT } from "../../components/registry";

/** Runs the readiness probe exactly as the local Command does: `node <script>` with JSON on stdin. */
export function runProbe(input: Record<string, unknown>): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
        const child = spawn("node", [PROBE_SCRIPT], { stdio: ["pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => {
            stdout += d;
        });
        child.stderr.on("data", (d) => {
            stderr += d;
        });
        child.on("error", reject);
        child.on("exit", (code) => resolve({ code, stdout, stderr }));
        child.stdin.end(JSON.stringify(input));
    });
}
