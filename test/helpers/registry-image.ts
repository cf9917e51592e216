// A registry image made here from Debian's docker-registry binary (the same distribution code as the
// official image, which cannot be pulled here), shaped like the official 3.x image where the stack and its
// scripts rely on it: the default config at /etc/distribution/config.yml storing under /var/lib/registry,
// and an entrypoint that serves a *.yml argument and passes `serve`/`garbage-collect` to the registry.
import { importBinaryImage } from "./images";
import type { DockerEngine } from "./lab";

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
    importBinaryImage(docker, dir, {
        ref,
        files: { "/bin/registry": "/usr/bin/docker-registry" },
        texts: { "/entrypoint.sh": ENTRYPOINT, "/etc/distribution/config.yml": DEFAULT_CONFIG },
        dirs: ["var/lib/registry"],
        changes: ['ENTRYPOINT ["/entrypoint.sh"]', 'CMD ["/etc/distribution/config.yml"]', "ENV PATH=/bin"],
    });
}
