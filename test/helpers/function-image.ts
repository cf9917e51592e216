// A function image made without pulling anything: a static busybox serving HTTP on :8080 (the watchdog's
// port) whose answer to any path is TEXT followed by the GREETING environment variable. PID 1 exits on
// SIGTERM, as OpenFaaS backends expect when they stop a function.
import { chmodSync, copyFileSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DockerEngine } from "./lab";
import { tarOf } from "./openfaas";

const ENTRY = `#!/bin/sh
/bin/busybox httpd -f -p 8080 -h /www &
child=$!
trap 'kill -TERM $child 2>/dev/null; exit 0' TERM INT
wait $child
`;

/** Imports the image as `ref` into the engine (it is not pushed). */
export function importFunctionImage(docker: DockerEngine, dir: string, ref: string, text: string): void {
    const root = join(dir, `fn-${ref.replace(/[^a-z0-9]+/gi, "_")}`);
    rmSync(root, { recursive: true, force: true });
    mkdirSync(join(root, "bin"), { recursive: true });
    mkdirSync(join(root, "www", "cgi-bin"), { recursive: true });
    mkdirSync(join(root, "tmp"), { recursive: true });
    copyFileSync("/bin/busybox", join(root, "bin", "busybox"));
    symlinkSync("busybox", join(root, "bin", "sh"));
    writeFileSync(join(root, "entry.sh"), ENTRY);
    // busybox httpd runs /cgi-bin/index.cgi for a directory without index.html.
    writeFileSync(join(root, "www", "cgi-bin", "index.cgi"), `#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\necho "${text} GREETING=$GREETING"\n`);
    chmodSync(join(root, "entry.sh"), 0o755);
    chmodSync(join(root, "www", "cgi-bin", "index.cgi"), 0o755);
    docker.must(["import", "--change", 'CMD ["/entry.sh"]', tarOf(root), ref]);
}
