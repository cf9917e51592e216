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

export function importRegistryImage(docker: DockerEngine, dir: string, ref: string, version: RegistryVersion = "v3"): void {
    importBinaryImage(docker, dir, {
        ref,
        files: { "/bin/registry": registryBinary(version) },
        texts: { "/entrypoint.sh": ENTRYPOINT, "/etc/distribution/config.yml": DEFAULT_CONFIG },
        dirs: ["var/lib/registry"],
        changes: ['ENTRYPOINT ["/entrypoint.sh"]', 'CMD ["/etc/distribution/config.yml"]', "ENV PATH=/bin"],
    });
}
