// A function image made without pulling anything: a static busybox serving HTTP on :8080 (the watchdog's
// port) whose answer to any path is TEXT followed by the GREETING environment variable. PID 1 exits on
// SIGTERM, as OpenFaaS backends expect when they stop a function.
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, copyFileSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { DockerEngine } from "./lab";
import { tarOf } from "./images";

// /tmp/.lock is the watchdog's "ready" file: faas-netes probes it (`cat /tmp/.lock`) before a pod takes traffic.
const ENTRY = `#!/bin/sh
: > /tmp/.lock
/bin/busybox httpd -f -p 8080 -h /www &
child=$!
trap 'kill -TERM $child 2>/dev/null; exit 0' TERM INT
wait $child
`;

/**
 * Imports the image as `ref` into the engine (it is not pushed). `padMB` adds a file of that many MB that
 * nothing compresses: on the vfs storage driver every container copies it, which makes a deploy as slow as
 * on a small VM (the bench's slow regime).
 */
export function importFunctionImage(docker: DockerEngine, dir: string, ref: string, text: string, padMB = 0): void {
    const root = functionRootfs(dir, ref, text);
    if (padMB > 0) {
        // A 1 MB random block repeated: gzip's 32 KB window finds no repeats in it.
        const block = randomBytes(1 << 20);
        writeFileSync(join(root, "pad"), Buffer.concat(Array.from({ length: padMB }, () => block)));
    }
    docker.must(["import", "--change", 'CMD ["/entry.sh"]', tarOf(root), ref]);
}

/** The image's files in a folder under `dir`. */
export function functionRootfs(dir: string, ref: string, text: string): string {
    const root = join(dir, `fn-${ref.replace(/[^a-z0-9]+/gi, "_")}`);
    rmSync(root, { recursive: true, force: true });
    mkdirSync(join(root, "bin"), { recursive: true });
    mkdirSync(join(root, "www", "cgi-bin"), { recursive: true });
    mkdirSync(join(root, "tmp"), { recursive: true });
    copyFileSync("/bin/busybox", join(root, "bin", "busybox"));
    for (const applet of ["sh", "cat"]) symlinkSync("busybox", join(root, "bin", applet));
    writeFileSync(join(root, "entry.sh"), ENTRY);
    // busybox httpd runs /cgi-bin/index.cgi for a directory without index.html.
    writeFileSync(join(root, "www", "cgi-bin", "index.cgi"), `#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\necho "${text} GREETING=$GREETING"\n`);
    chmodSync(join(root, "entry.sh"), 0o755);
    chmodSync(join(root, "www", "cgi-bin", "index.cgi"), 0o755);
    return root;
}

/**
 * The same image as an OCI image layout in a tar (one gzip layer), named `ref`, for `ctr images import`:
 * containerd (faasd) has no `docker import`.
 */
export function functionOciArchive(dir: string, ref: string, text: string): string {
    // fprocess, as every OpenFaaS template's image sets it: faasd reports it back as the function's envProcess.
    return ociArchive(functionRootfs(dir, ref, text), ref, { Env: ["PATH=/bin", "fprocess=/entry.sh"], Cmd: ["/entry.sh"], ExposedPorts: { "8080/tcp": {} } });
}

/** A folder as an OCI image layout in a tar (one gzip layer, amd64), named `ref`, with the image config given. */
export function ociArchive(root: string, ref: string, config: Record<string, unknown>): string {
    const layout = `${root}-oci`;
    rmSync(layout, { recursive: true, force: true });
    mkdirSync(join(layout, "blobs", "sha256"), { recursive: true });
    const blob = (data: Buffer) => {
        const digest = createHash("sha256").update(data).digest("hex");
        writeFileSync(join(layout, "blobs", "sha256", digest), data);
        return { digest: `sha256:${digest}`, size: data.length };
    };
    const r = spawnSync("tar", ["--sort=name", "--numeric-owner", "--owner=0", "--group=0", "--mtime=@0", "-C", root, "-cf", "-", "."], {
        maxBuffer: 64 << 20,
    });
    if (r.status !== 0) throw new Error(`tar failed: ${r.stderr}`);
    const diffId = `sha256:${createHash("sha256").update(r.stdout).digest("hex")}`;
    const layer = blob(gzipSync(r.stdout));
    const imageConfig = blob(
        Buffer.from(
            JSON.stringify({ architecture: "amd64", os: "linux", config: { WorkingDir: "/", ...config }, rootfs: { type: "layers", diff_ids: [diffId] } }),
        ),
    );
    const manifest = blob(
        Buffer.from(
            JSON.stringify({
                schemaVersion: 2,
                mediaType: "application/vnd.oci.image.manifest.v1+json",
                config: { mediaType: "application/vnd.oci.image.config.v1+json", ...imageConfig },
                layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...layer }],
            }),
        ),
    );
    writeFileSync(join(layout, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
    writeFileSync(
        join(layout, "index.json"),
        JSON.stringify({
            schemaVersion: 2,
            manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", ...manifest, annotations: { "io.containerd.image.name": ref } }],
        }),
    );
    const archive = `${layout}.tar`;
    const t = spawnSync("tar", ["-C", layout, "-cf", archive, "."]);
    if (t.status !== 0) throw new Error(`tar failed: ${t.stderr}`);
    return archive;
}
