// Images made here without pulling anything: a root file system of static busybox, the binaries and the
// libraries `ldd` names, imported with `docker import`. Every image the tests run is made this way.
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { DockerEngine } from "./lab";

/** A tar of `root` plus extra files (path in the image -> path here), made with the tar CLI. */
export function tarOf(root: string, extra: Record<string, string> = {}): string {
    for (const [inImage, source] of Object.entries(extra)) {
        const target = join(root, inImage);
        mkdirSync(join(target, ".."), { recursive: true });
        copyFileSync(source, target);
        chmodSync(target, 0o755);
    }
    const tar = `${root}.tar`;
    const r = spawnSync("tar", ["--numeric-owner", "--owner=0", "--group=0", "-C", root, "-cf", tar, "."], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`tar failed: ${r.stderr}`);
    return tar;
}

const APPLETS = ["sh", "cat", "wget", "nc", "sleep", "ls", "hostname", "env"];

export interface BinaryImage {
    ref: string;
    /** In-image path -> file on this machine (binaries get their libraries from ldd). */
    files: Record<string, string>;
    /** In-image path -> text (written executable). */
    texts?: Record<string, string>;
    dirs?: string[];
    /** busybox applets besides APPLETS, linked in /bin. */
    applets?: string[];
    /** Extra library folders for ldd (those of unpacked packages); their libraries go to /usr/lib/x86_64-linux-gnu. */
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
    for (const applet of [...APPLETS, ...(image.applets ?? [])]) symlinkSync("busybox", join(root, "bin", applet));
    writeFileSync(join(root, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\n");
    writeFileSync(join(root, "etc", "group"), "root:x:0:\n");
    for (const [inImage, text] of Object.entries(image.texts ?? {})) {
        mkdirSync(dirname(join(root, inImage)), { recursive: true });
        writeFileSync(join(root, inImage), text, { mode: 0o755 });
    }
    const files: Record<string, string> = { ...image.files };
    const extraLibs = image.libraryPath ?? [];
    for (const source of Object.values(image.files)) {
        const ldd = spawnSync("ldd", [source], { encoding: "utf8", env: { ...process.env, LD_LIBRARY_PATH: extraLibs.join(":") } });
        if (ldd.status !== 0) continue; // not dynamically linked
        for (const lib of ldd.stdout.match(/\/\S+\.so[^\s]*/g) ?? []) {
            // Libraries from unpacked packages go where the loader looks by default.
            const fromPackage = extraLibs.some((folder) => lib.startsWith(folder));
            files[fromPackage ? join("/usr/lib/x86_64-linux-gnu", lib.split("/").pop() as string) : lib] = lib;
        }
    }
    docker.must(["import", ...image.changes.flatMap((c) => ["--change", c]), tarOf(root, files), image.ref]);
}
