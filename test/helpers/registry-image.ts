// A registry image made here from a registry binary (the official images cannot be pulled here), shaped like
// the official 3.x image where the stack and its scripts rely on it: the default config at
// /etc/distribution/config.yml storing under /var/lib/registry, and an entrypoint that serves a *.yml argument
// and passes `serve`/`garbage-collect` to the registry. By default the binary is distribution v3, the version
// the stack deploys (registry-binary.ts); "2.8" (Debian's) only where a 2.x image's behaviour is the point.
import { importBinaryImage } from "./images";
import type { DockerEngine } from "./lab";
import { type RegistryVersion, registryBinary } from "./registry-binary";

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

/**
 * Test-only: a registry that turns faulty on demand. `registry serve` runs the real binary (SIGTERM forwarded, so
 * it drains as usual) until the file /var/lib/registry/faulty-HOSTNAME appears; then the registry is killed and
 * every request to :5000 gets 500 (its health check included), as a replica whose storage broke answers.
 */
const FAULTABLE = `#!/bin/sh
[ "$1" = serve ] || exec /bin/registry.real "$@"
/bin/registry.real "$@" &
pid=$!
trap 'kill -TERM $pid; wait $pid; exit 0' TERM INT
while kill -0 $pid 2>/dev/null; do
    if [ -e "/var/lib/registry/faulty-$(hostname)" ]; then
        kill -KILL $pid
        while true; do printf 'HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n' | nc -l -p 5000 >/dev/null 2>&1; done
    fi
    sleep 0.5
done
wait $pid
`;

export function importRegistryImage(
    docker: DockerEngine,
    dir: string,
    ref: string,
    version: RegistryVersion = "v3",
    options: { faultable?: boolean } = {},
): void {
    importBinaryImage(docker, dir, {
        ref,
        files: { [options.faultable ? "/bin/registry.real" : "/bin/registry"]: registryBinary(version) },
        texts: { "/entrypoint.sh": ENTRYPOINT, "/etc/distribution/config.yml": DEFAULT_CONFIG, ...(options.faultable ? { "/bin/registry": FAULTABLE } : {}) },
        dirs: ["var/lib/registry"],
        // The official image (Alpine) has mv: the stack renames the rotated htpasswd into place with it.
        applets: ["mv"],
        changes: ['ENTRYPOINT ["/entrypoint.sh"]', 'CMD ["/etc/distribution/config.yml"]', "ENV PATH=/bin"],
    });
}
