// Images made from Debian packages without installing them: `apt-get download` + `dpkg -x` into a cache
// folder, then an image of the binaries (images.ts). Caddy and Redis here stand for the official `caddy` and `redis` images the stack
// deploys (which cannot be pulled on this machine), shaped like them where the stack relies on it.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { importBinaryImage } from "./images";
import type { DockerEngine } from "./lab";
import { CACHE_DIR } from "./shared-binaries";

/** Where downloaded packages are kept between runs (they do not change within a Debian release). */
const CACHE = join(CACHE_DIR, "debs");

/** Downloads and unpacks the packages; returns the folder they are unpacked into, or why not. */
export function unpackDebs(packages: string[]): { root: string } | { error: string } {
    mkdirSync(join(CACHE, "x"), { recursive: true });
    for (const name of packages) {
        if (readdirSync(CACHE).some((f) => f.startsWith(`${name}_`) && f.endsWith(".deb"))) continue;
        const r = spawnSync("apt-get", ["download", name], { cwd: CACHE, encoding: "utf8", timeout: 120_000 });
        if (r.status !== 0) return { error: `apt-get download ${name} failed: ${(r.stderr || r.stdout).trim().split("\n").pop()}` };
    }
    // Each package is unpacked once (a marker per .deb): every lab start and skip check calls this.
    for (const deb of readdirSync(CACHE).filter((f) => f.endsWith(".deb"))) {
        const marker = join(CACHE, `${deb}.unpacked`);
        if (existsSync(marker)) continue;
        execFileSync("dpkg", ["-x", join(CACHE, deb), join(CACHE, "x")]);
        writeFileSync(marker, "");
    }
    return { root: join(CACHE, "x") };
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

/** Where Debian's iptables (a dependency of docker.io, installed here) keeps its extensions: the path compiled into it. */
const XTABLES = "/usr/lib/x86_64-linux-gnu/xtables";
/** The extensions the NAT front's rules load (nat-front.ts), by module: `-p tcp`, statistic, conntrack, DNAT, MASQUERADE. */
const NAT_EXTENSIONS = ["libxt_standard.so", "libxt_tcp.so", "libxt_statistic.so", "libxt_conntrack.so", "libxt_DNAT.so", "libxt_MASQUERADE.so"];

/**
 * An image for `swarm.front: "nat"` (standing for the default docker:dind): busybox's shell, nslookup, awk, sort
 * and wc, and this machine's iptables (nf_tables, as the engine here uses), `iptables` and `iptables-restore` as
 * the multi-call binary's applets.
 */
export function importNatImage(docker: DockerEngine, dir: string, ref: string): void {
    const multi = "/usr/sbin/xtables-nft-multi";
    const applet = (name: string) => `#!/bin/sh\nexec ${multi} ${name} "$@"\n`;
    importBinaryImage(docker, dir, {
        ref,
        files: { [multi]: multi, ...Object.fromEntries(NAT_EXTENSIONS.map((so) => [join(XTABLES, so), join(XTABLES, so)])) },
        texts: { "/usr/sbin/iptables": applet("iptables"), "/usr/sbin/iptables-restore": applet("iptables-restore") },
        applets: ["nslookup", "awk", "sort", "wc"],
        changes: ["ENV PATH=/usr/sbin:/usr/bin:/bin", 'CMD ["iptables", "--version"]'],
    });
}

export const SWARM_DEBS = ["caddy", "redis-server", "redis-tools", "libjemalloc2", "liblzf1"];
