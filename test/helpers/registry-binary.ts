// Which registry binary the real-registry tests run. The stack deploys `registry:3.1.2` (distribution v3): its
// binary comes from FAASREG_REGISTRY_BIN (`.ci/run` sets it to ../shared/registry/bin/registry, a build of
// distribution v3.1.1 from its tagged source; ../shared/registry/README.md). Debian's `docker-registry`
// (distribution 2.8.2) runs only where a 2.x image's behaviour is the point.
import { existsSync } from "node:fs";

export const REGISTRY_BIN_ENV = "FAASREG_REGISTRY_BIN";
export const DEBIAN_REGISTRY = "/usr/bin/docker-registry";

export type RegistryVersion = "v3" | "2.8";

/** Why the registry binary of `version` cannot run here (undefined when it can). */
export function registrySkipReason(version: RegistryVersion = "v3"): string | undefined {
    if (version === "2.8") return existsSync(DEBIAN_REGISTRY) ? undefined : `${DEBIAN_REGISTRY} is missing: apt-get install docker-registry (.ci/run does)`;
    const path = process.env[REGISTRY_BIN_ENV];
    if (path === undefined || path === "")
        return `${REGISTRY_BIN_ENV} is not set (the distribution v3 binary; .ci/run sets it from ../shared/registry/bin/registry)`;
    if (!existsSync(path)) return `${REGISTRY_BIN_ENV}=${path} does not exist`;
    return undefined;
}

/** The path of the registry binary of `version`; throws the skip reason when it is missing. */
export function registryBinary(version: RegistryVersion = "v3"): string {
    const reason = registrySkipReason(version);
    if (reason !== undefined) throw new Error(reason);
    return version === "2.8" ? DEBIAN_REGISTRY : (process.env[REGISTRY_BIN_ENV] as string);
}
