// A registry image made here from Debian's docker-registry binary (the same distribution code as the
// official image, which cannot be pulled here), shaped like the official 3.x image where the stack and its
// scripts rely on it: the default config at /etc/distribution/config.yml storing under /var/lib/registry,
// and an entrypoint that serves a *.yml argument and passes `serve`/`garbage-collect` to the registry.
import { chmodSync, copyFileSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DockerEngine } from "./lab";
import { tarOf } from "./openfaas";

const ENTRYPOINT = `#!/bin/sh
set -e
case "$1" in
    *.yaml|*.yml) set -- registry serve "$@" ;;
    serve|garbage-collect|help|-*) set -- registry "$@" ;;
esac
exec "$@"
`;

const DEFAULT_CONFIG = `version: 0.1
storage:
  filesystem:
    rootdirectory: /var/lib/registry
  delete:
    enabled: true
http:
  addr: :5000
`;

export function importRegistryImage(docker: DockerEngine, dir: string, ref: string): void {
    const root = join(dir, "registry-image");
    for (const d of ["bin", "etc/distribution", "tmp", "var/lib/registry"]) mkdirSync(join(root, d), { recursive: true });
    copyFileSync("/bin/busybox", join(root, "bin", "busybox"));
    // sh for the entrypoint; cat for the Swarm task's command; wget for its health check (as in the official image).
    for (const applet of ["sh", "cat", "wget"]) symlinkSync("busybox", join(root, "bin", applet));
    writeFileSync(join(root, "entrypoint.sh"), ENTRYPOINT);
    chmodSync(join(root, "entrypoint.sh"), 0o755);
    writeFileSync(join(root, "etc", "distribution", "config.yml"), DEFAULT_CONFIG);
    // The binary and the two libraries it links (ldd: libc and the loader).
    const tar = tarOf(root, {
        "bin/registry": "/usr/bin/docker-registry",
        "lib/x86_64-linux-gnu/libc.so.6": "/lib/x86_64-linux-gnu/libc.so.6",
        "lib64/ld-linux-x86-64.so.2": "/lib64/ld-linux-x86-64.so.2",
    });
    docker.must([
        "import",
        "--change",
        'ENTRYPOINT ["/entrypoint.sh"]',
        "--change",
        'CMD ["/etc/distribution/config.yml"]',
        "--change",
        "ENV PATH=/bin",
        tar,
        ref,
    ]);
}
