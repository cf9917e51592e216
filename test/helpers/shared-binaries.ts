// The binaries the tests and the bench run, from ../shared beside the clone, as .ci/run finds them: the OpenFaaS
// and registry binaries as files, the Pulumi engine, MinIO and Kubernetes as xz archives that ../shared/*/unpack
// unpacks once into /var/tmp/faasreg-*-<hash> and names (or as unpacked folders). A FAASREG_* variable already set
// (a developer's own build) wins.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

const SHARED = join(__dirname, "..", "..", "..", "shared");

/**
 * What the tests keep between runs, in one folder beside the unpacked binaries (/var/tmp/faasreg-*): the plugins
 * installed for the engine (about 180 MB) and the Debian packages of the Swarm images (about 55 MB). Removing it
 * (`rm -rf /var/tmp/faasreg-*`) costs the next run about 20 s to make them again.
 */
export const CACHE_DIR = process.env.FAASREG_CACHE_DIR ?? "/var/tmp/faasreg-cache";

const FILES: Record<string, string> = {
    FAASREG_GATEWAY_BIN: "openfaas/bin/gateway",
    FAASREG_FAAS_SWARM_BIN: "openfaas/bin/faas-swarm",
    FAASREG_FAASD_BIN: "openfaas/bin/faasd",
    FAASREG_FAASD_GATEWAY_BIN: "openfaas/bin/gateway-0.25.4",
    FAASREG_REGISTRY_BIN: "registry/bin/registry",
};
/** Archives, each unpacked by `<folder>/unpack` (which prints the path); without one, an unpacked `<folder>/<fallback>`. */
const ARCHIVES: Record<string, { folder: string; fallback: string }> = {
    FAASREG_PULUMI_BIN: { folder: "pulumi", fallback: "bin" },
    FAASREG_MINIO_BIN: { folder: "minio", fallback: "bin/minio" },
    // Kubernetes 1.37.2, etcd, faas-netes and the kubernetes provider plugin (test/helpers/k8s-lab.ts).
    FAASREG_KUBERNETES_BIN: { folder: "kubernetes", fallback: "bin" },
    // The Python and YAML language hosts, built from source (the package used from other languages, provider/).
    FAASREG_LANGUAGES_BIN: { folder: "languages", fallback: "bin" },
};

/** Sets every FAASREG_* variable that is unset and that ../shared can provide; says which it could not. */
export function useSharedBinaries(): string[] {
    const missing: string[] = [];
    for (const [name, file] of Object.entries(FILES)) {
        if (process.env[name]) continue;
        if (existsSync(join(SHARED, file))) process.env[name] = join(SHARED, file);
        else missing.push(name);
    }
    for (const [name, { folder, fallback }] of Object.entries(ARCHIVES)) {
        if (process.env[name]) continue;
        const unpack = join(SHARED, folder, "unpack");
        const r = existsSync(unpack) ? spawnSync(unpack, { encoding: "utf8" }) : undefined;
        if (r?.status === 0 && r.stdout.trim() !== "") process.env[name] = r.stdout.trim();
        else if (existsSync(join(SHARED, folder, fallback))) process.env[name] = join(SHARED, folder, fallback);
        else missing.push(name);
    }
    return missing;
}

// `eval "$(npx tsx test/helpers/shared-binaries.ts)"` (.ci/run): export lines for what was found, a warning for the rest.
if (require.main === module) {
    const before = new Set(Object.keys(process.env));
    for (const name of useSharedBinaries()) process.stderr.write(`ci: WARNING: ${name}: not in ${SHARED}; the tests that need it will be skipped\n`);
    for (const name of [...Object.keys(FILES), ...Object.keys(ARCHIVES)]) {
        const value = process.env[name];
        if (value !== undefined && !before.has(name)) process.stdout.write(`export ${name}='${value.replace(/'/g, "'\\''")}'\n`);
    }
}
