// Images made from Debian packages without installing them: `apt-get download` + `dpkg -x` into a cache
// folder, then a root file system of static busybox, the binaries and the libraries `ldd` names, imported
// with `docker import`. Caddy and Redis here stand for the official `caddy` and `redis` images the stack
// deploys (which cannot be pulled on this machine), shaped like them where the stack relies on it.
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { DockerEngine } from "./lab";

/** Where downloaded packages are kept between runs (they do not change within a Debian release). */
const CACHE = join(tmpdir(), "faasreg-debs");

/** Downloads and unpacks the packages; returns the folder they are unpacked into, or why not. */
export function unpackDebs(packages: string[]): { root: string } | { error: string } {
    mkdirSync(join(CACHE, "x"), { recursive: true });
    for (const name of packages) {
        if (readdirSync(CACHE).some((f) => f.startsWith(`${name}_`) && f.endsWith(".deb"))) continue;
        const r = spawnSync("apt-get", ["download", name], { cwd: CACHE, encoding: "utf8", timeout: 120_000 });
        if (r.status !== 0) return { error: `apt-get download ${name} failed: ${(r.stderr || r.stdout).trim().split("\n").pop()}` };
    }
    for (const deb of readdirSync(CACHE).filter((f) => f.endsWith(".deb"))) {
        execFileSync("dpkg", ["-x", join(CACHE, deb), join(CACHE, "x")]);
    }
    return { root: join(CACHE, "x") };
}

const APPLETS = ["sh", "cat", "wget", "nc", "sleep", "ls", "hostname", "env"];

export interface BinaryImage {
    ref: string;
    /** In-image path -> file on this machine (binaries get their libraries from ldd). */
    files: Record<string, string>;
    /** In-image path -> text. */
    texts?: Record<string, string>;
    dirs?: string[];
    /** Extra library folders for ldd (those of the unpacked packages). */
    libraryPath?: string[];
    changes: string[];
}

/** Builds and imports an image; the folder `dir/image-NAME` holds its root file system. */
export function importBinaryImage(docker: DockerEngine, dir: string, image: BinaryImage): void {
    const root = join(dir, `image-${image.ref.replace(/[^a-z0-9]+/gi, "_")}`);
    rmSync(root, { recursive: true, force: true });
    for (const d of ["bin", "tmp", "etc", ...(image.dirs ?? [])]) mkdirSync(join(root, d), { recursive: true });
    chmodSync(join(root, "tmp"), 0o1777);
    copyFileSync("/bin/busybox", join(root, "bin", "busybox"));
    for (const applet of APPLETS) symlinkSync("busybox", join(root, "bin", applet));
    writeFileSync(join(root, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\n");
    writeFileSync(join(root, "etc", "group"), "root:x:0:\n");
    const put = (inImage: string, source: string) => {
        const target = join(root, inImage);
        mkdirSync(dirname(target), { recursive: true });
        copyFileSync(source, target);
    };
    for (const [inImage, source] of Object.entries(image.files)) {
        put(inImage, source);
        const ldd = spawnSync("ldd", [source], { encoding: "utf8", env: { ...process.env, LD_LIBRARY_PATH: (image.libraryPath ?? []).join(":") } });
        if (ldd.status !== 0) continue; // not dynamically linked
        for (const lib of ldd.stdout.match(/\/\S+\.so[^\s]*/g) ?? []) {
            // Libraries from the unpacked packages go where the loader looks by default.
            put(lib.startsWith(CACHE) ? join("/usr/lib/x86_64-linux-gnu", lib.split("/").pop() as string) : lib, lib);
        }
    }
    for (const [inImage, text] of Object.entries(image.texts ?? {})) {
        mkdirSync(dirname(join(root, inImage)), { recursive: true });
        writeFileSync(join(root, inImage), text, { mode: 0o755 });
    }
    const tar = `${root}.tar`;
    const r = spawnSync("tar", ["--numeric-owner", "--owner=0", "--group=0", "-C", root, "-cf", tar, "."], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`tar failed: ${r.stderr}`);
    docker.must(["import", ...image.changes.flatMap((c) => ["--change", c]), tar, image.ref]);
}

/** Caddy from Debian's `caddy` package, laid out like the official image (XDG dirs, CA bundle). */
export function importCaddyImage(docker: DockerEngine, dir: string, ref: string, debs: string, caBundle: string): void {
    importBinaryImage(docker, dir, {
        ref,
        files: { "/usr/bin/caddy": join(debs, "usr", "bin", "caddy"), "/etc/ssl/certs/ca-certificates.crt": caBundle },
        dirs: ["data", "config", "etc/caddy"],
        changes: ["ENV PATH=/usr/bin:/bin", "ENV XDG_CONFIG_HOME=/config", "ENV XDG_DATA_HOME=/data", 'CMD ["caddy", "version"]'],
    });
}

/** Redis from Debian's `redis-server` package; the entrypoint runs its arguments, as the official image's does. */
export function importRedisImage(docker: DockerEngine, dir: string, ref: string, debs: string): void {
    importBinaryImage(docker, dir, {
        ref,
        // Debian's redis-server is a link to redis-check-rdb (in redis-tools): one binary that looks at its name.
        files: { "/usr/bin/redis-server": join(debs, "usr", "bin", "redis-check-rdb") },
        libraryPath: [join(debs, "usr", "lib", "x86_64-linux-gnu")],
        texts: { "/usr/local/bin/docker-entrypoint.sh": '#!/bin/sh\nexec "$@"\n' },
        changes: ["ENV PATH=/usr/local/bin:/usr/bin:/bin", 'ENTRYPOINT ["docker-entrypoint.sh"]', 'CMD ["redis-server"]'],
    });
}

export const SWARM_DEBS = ["caddy", "redis-server", "redis-tools", "libjemalloc2", "liblzf1"];

export function debsAvailable(): boolean {
    return existsSync("/usr/bin/apt-get") && existsSync("/usr/bin/dpkg");
}
