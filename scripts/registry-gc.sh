#!/usr/bin/env bash
# Frees the disk space of deleted manifests (npm run registry:prune -- --apply) on the registry's Docker
# host: the registry's garbage collector must not run while the registry takes pushes (it would delete
# blobs of an upload in flight), so the container is stopped for it, then started again. Clients see the
# registry down for the collection (measured: README, "Disk"); pulls and pushes retry or fail meanwhile.
#   DOCKER_HOST=ssh://deploy@vm scripts/registry-gc.sh CONTAINER [IMAGE]
# CONTAINER: the registry container (`<project>-<stack>-registry`); IMAGE: its image (default registry:3.1.2).
# The one-off collector mounts the container's volumes and uses the image's default config, whose storage
# root (/var/lib/registry) is where the stack mounts the data volume.
set -euo pipefail
container=${1:?usage: scripts/registry-gc.sh CONTAINER [IMAGE]}
image=${2:-registry:3.1.2}
docker inspect "$container" >/dev/null
echo "registry-gc: stopping $container" >&2
docker stop "$container" >/dev/null
trap 'echo "registry-gc: starting $container" >&2; docker start "$container" >/dev/null' EXIT
docker run --rm --volumes-from "$container" "$image" garbage-collect --delete-untagged /etc/distribution/config.yml
