import { registryEndpoint } from "../components/registry/endpoint";
import { isLoopback, validateRegistryArgs } from "../components/registry/validate";
import { type DockerConnection, type PrivateRegistryArgs, type StorageArgs, type SwarmArgs, SWARM_SETTINGS, type TlsArgs } from "../components/registry/args";
import { validateFunctionArgs, checkGatewayUrl } from "../components/faas/validate";
import { parseImageRef } from "../components/faas/image";
import { DEPLOYMENT_FIELD_NAMES, type DeploymentFields } from "../components/faas/args";
import { checkBuild, contextTag, type FunctionBuild, repositoryName } from "../components/faas/build";
import { checkStringList, describe, unknownKeysNamed } from "../components/problems";
import { isKubernetesNamespace } from "../components/names";
import { closest, distance } from "fastest-levenshtein";
import { CONFIG_KEYS, DEFAULT_FAAS_NETWORK, DEFAULT_USERS, keySpec } from "./schema";

/** Where raw config comes from: Pulumi's runtime config, or a stack file read by `npm run config:check`. */
export interface ConfigSource {
    /** The raw value of `namespace:key` as Pulumi hands it to programs (objects as JSON text). */
    get(key: string): string | undefined;
    /** Whether Pulumi holds the key (or something inside it) as a secret. */
    isSecret(key: string): boolean;
    /** Every key set in the stack (to refuse misspelled ones); absent: not known. */
    keys?(): string[];
    /**
     * Whether the value at this path (`registry:privateKey`, `registry:users[1].password`) is set but cannot be
     * read here (an encrypted value in `config:check`): no check may judge its content.
     */
    isHidden?(path: string): boolean;
    /** The paths whose values the stack file stores encrypted; absent when no stack file was read. */
    securePaths?(): ReadonlySet<string>;
}

/** A config problem: the key (with a path inside it) and what to do. */
export interface ConfigProblem {
    key: string;
    message: string;
}

/** The registry as config describes it, with plain values (secrets are wrapped by `loadStackConfig`). */
export interface PlainRegistrySettings extends PrivateRegistryArgs {
    users: { username: string; password?: string }[];
}

/** One function as config describes it; `image` already carries the registry server. */
export interface PlainFunctionSettings extends DeploymentFields {
    service: string;
    image: string;
    network: string;
    adopt?: boolean;
    readinessTimeoutSeconds?: number;
    /** Build this image and push it (as `image`) into our registry; the function then deploys its digest. */
    build?: FunctionBuild;
}

export interface PlainFaasSettings {
    gateway: string;
    /** faas:allowHttp: an http:// gateway off this machine, said explicitly. */
    allowHttp: boolean;
    username: string;
    password?: string;
    functions: PlainFunctionSettings[];
    /**
     * Pulumi holds something inside `faas:functions` as a secret (`pulumi config set --secret --path
     * 'faas:functions[0].envVars.API_KEY'`). Pulumi then marks the whole key secret without saying which
     * value, so every value that can carry one is kept secret (see `SECRET_FUNCTION_FIELDS`).
     */
    functionsSecret: boolean;
    /** Which OpenFaaS backend the gateway runs, hence how the registry credentials reach it. */
    backend: FaasBackend;
    /** With faasd: how to reach the faasd host, to write the credentials file. */
    ssh?: SshSettings;
    /** faas:backend kubernetes. */
    kubernetes?: KubernetesSettings;
}

export type FaasBackend = "swarm" | "faasd" | "kubernetes";
export const FAAS_BACKENDS: readonly FaasBackend[] = ["swarm", "faasd", "kubernetes"];

/** faas:backend kubernetes: where the image pull secret goes, and how to reach the cluster. */
export interface KubernetesSettings {
    namespace: string;
    kubeconfig: string;
}

export interface SshSettings {
    host: string;
    user: string;
    port: number;
    privateKey?: string;
    hostKey?: string;
}

export interface PlainStackConfig {
    registry: PlainRegistrySettings;
    /** Absent when `faas:gateway` is unset: the stack then has the registry only. */
    faas?: PlainFaasSettings;
    /** `docker:host`, where the registry runs (undefined: the local engine). */
    dockerHost?: string;
    /** How the docker provider reaches that engine (its own config keys). */
    docker?: PlainDockerConnection;
}

/** The docker provider's connection keys, plain. */
export type PlainDockerConnection = DockerConnection;

export type ParseResult = { ok: true; config: PlainStackConfig; problems: [] } | { ok: false; problems: ConfigProblem[] };

const FUNCTION_KEYS = ["service", "image", ...DEPLOYMENT_FIELD_NAMES, "adopt", "readinessTimeoutSeconds", "build"];
const USER_KEYS = ["username", "password"];

/** Reads raw values by the key table, reporting wrong types; fills documented defaults. */
class Reader {
    readonly problems: ConfigProblem[] = [];
    constructor(private readonly source: ConfigSource) {}

    add(key: string, message: string): void {
        this.problems.push({ key, message });
    }

    raw(key: string): string | undefined {
        const value = this.source.get(key);
        return value === undefined || value === "" ? undefined : value;
    }

    string(key: string): string | undefined {
        const raw = this.raw(key);
        if (raw === undefined) return keySpec(key).default as string | undefined;
        if (/^\s*[[{]/.test(raw)) {
            try {
                const parsed = JSON.parse(raw);
                this.add(key, `must be a string, got ${describe(parsed)}: pulumi config set ${key} VALUE`);
                return undefined;
            } catch {
                // Not JSON: a string that happens to start with a bracket.
            }
        }
        return raw;
    }

    integer(key: string): number | undefined {
        const raw = this.raw(key);
        if (raw === undefined) return keySpec(key).default as number | undefined;
        if (!/^-?\d+$/.test(raw.trim())) {
            this.add(key, `must be an integer, got ${JSON.stringify(raw)}: pulumi config set ${key} ${keySpec(key).default ?? "NUMBER"}`);
            return undefined;
        }
        return Number(raw);
    }

    boolean(key: string): boolean | undefined {
        const raw = this.raw(key);
        if (raw === undefined) return keySpec(key).default as boolean | undefined;
        if (raw !== "true" && raw !== "false") {
            this.add(key, `must be true or false, got ${JSON.stringify(raw)}: pulumi config set ${key} true`);
            return undefined;
        }
        return raw === "true";
    }

    list(key: string, example: string): unknown[] | undefined {
        const raw = this.raw(key);
        if (raw === undefined) return structuredClone(keySpec(key).default as unknown[] | undefined);
        let parsed: unknown;
        try {
            parsed = JSON.parse(raw);
        } catch {
            this.add(key, `must be a list, got the text ${JSON.stringify(raw.slice(0, 40))}: set it with pulumi config set --path '${key}[0].${example}' ...`);
            return undefined;
        }
        if (!Array.isArray(parsed)) {
            this.add(key, `must be a list, got ${describe(parsed)}: set it with pulumi config set --path '${key}[0].${example}' ...`);
            return undefined;
        }
        return parsed;
    }
}

/** `users[1].username` (an argument path of PrivateRegistry) -> the config key that sets it. */
function registryKeyOf(path: string): string {
    if (path === "tls.mode") return "registry:tls";
    if (path === "storage.driver") return "registry:storage";
    if (path.startsWith("storage.")) return `registry:s3${path.charAt(8).toUpperCase()}${path.slice(9)}`;
    if (path === "tls.directory") return "registry:acmeDirectory";
    if (path === "tls.root") return "registry:acmeRoot";
    if (path.startsWith("tls.")) return `registry:${path.slice(4)}`;
    if (path.startsWith("swarm.")) return `registry:${path.slice(6)}`;
    return `registry:${path}`;
}

function unknownKeys(value: Record<string, unknown>, allowed: string[]): string[] {
    return Object.keys(value).filter((k) => !allowed.includes(k));
}

/**
 * Parses and validates the whole stack config, collecting every problem (so `config:check` can print
 * them all at once). No Pulumi runtime; the only I/O is reading the build contexts functions name.
 */
export function parseStackConfig(source: ConfigSource): ParseResult {
    const r = new Reader(source);
    // About the keys, not their values: reported even for an encrypted value (config:check cannot read it, but
    // a misspelled secret key is as ignored as any other), so the check and the program agree on every key.
    const keyProblems = source.keys === undefined ? [] : unknownConfigKeys(source.keys());

    // --- registry:*
    const tlsMode = r.string("registry:tls");
    const host = r.string("registry:host");
    const email = r.string("registry:email");
    const certificate = r.string("registry:certificate");
    const privateKey = r.string("registry:privateKey");
    const rawUsers = r.list("registry:users", "username");
    const users: { username: string; password?: string }[] = [];
    (rawUsers ?? []).forEach((u, i) => {
        // validateRegistryArgs reports entries that are not objects; here only unknown keys.
        if (typeof u === "object" && u !== null && !Array.isArray(u)) {
            const extra = unknownKeys(u as Record<string, unknown>, USER_KEYS);
            if (extra.length > 0)
                r.add(`registry:users[${i}]`, `has unknown key(s) ${unknownKeysNamed(extra, USER_KEYS)}: only username and password are allowed`);
        }
        users.push(u as { username: string; password?: string });
    });
    const acmeDirectory = r.string("registry:acmeDirectory");
    const acmeRoot = r.string("registry:acmeRoot");
    const certificateRoot = r.string("registry:certificateRoot");
    const tls: TlsArgs =
        tlsMode === "letsencrypt"
            ? {
                  mode: tlsMode,
                  email: email as string,
                  ...(acmeDirectory === undefined || acmeDirectory === "production" ? {} : { directory: acmeDirectory }),
                  ...(acmeRoot === undefined ? {} : { root: acmeRoot }),
              }
            : tlsMode === "certificate"
              ? {
                    mode: tlsMode,
                    certificate: certificate as string,
                    privateKey: privateKey as string,
                    ...(certificateRoot === undefined ? {} : { root: certificateRoot }),
                }
              : // An unknown mode is passed on for validateRegistryArgs to report.
                ({ mode: tlsMode } as TlsArgs);
    const storageDriver = r.string("registry:storage");
    const s3Keys = ["s3Bucket", "s3Region", "s3RegionEndpoint", "s3AccessKey", "s3SecretKey", "s3RootDirectory"] as const;
    const s3 = Object.fromEntries(s3Keys.map((k) => [k, r.string(`registry:${k}`)])) as Record<(typeof s3Keys)[number], string | undefined>;
    const forcePathStyle = r.boolean("registry:s3ForcePathStyle");
    const redirect = r.boolean("registry:s3Redirect");
    if (storageDriver !== "s3") {
        for (const k of [...s3Keys, "s3ForcePathStyle", "s3Redirect"]) {
            if (r.raw(`registry:${k}`) !== undefined)
                r.add(`registry:${k}`, `is set but registry:storage is "${storageDriver}": set registry:storage s3, or remove it`);
        }
    } else if (s3.s3SecretKey !== undefined) {
        plaintextCheck(r, source, "registry:s3SecretKey");
    }
    const storage: StorageArgs | undefined =
        storageDriver === "s3"
            ? {
                  driver: "s3",
                  bucket: s3.s3Bucket as string,
                  region: s3.s3Region as string,
                  ...(s3.s3RegionEndpoint === undefined ? {} : { regionEndpoint: s3.s3RegionEndpoint }),
                  ...(forcePathStyle ? { forcePathStyle } : {}),
                  ...(s3.s3AccessKey === undefined ? {} : { accessKey: s3.s3AccessKey }),
                  ...(s3.s3SecretKey === undefined ? {} : { secretKey: s3.s3SecretKey }),
                  ...(s3.s3RootDirectory === undefined ? {} : { rootDirectory: s3.s3RootDirectory }),
                  ...(redirect ? { redirect } : {}),
              }
            : storageDriver === "filesystem"
              ? undefined
              : // An unknown driver is passed on for validateRegistryArgs to report.
                ({ driver: storageDriver } as StorageArgs);
    const mode = r.string("registry:mode");
    const swarm = {
        replicas: r.raw("registry:replicas") === undefined ? undefined : r.integer("registry:replicas"),
        sharedPath: r.string("registry:sharedPath"),
        spread: r.boolean("registry:spread"),
        encryptOverlay: r.raw("registry:encryptOverlay") === undefined ? undefined : r.boolean("registry:encryptOverlay"),
        redis: r.string("registry:redis"),
        front: r.raw("registry:front") === undefined ? undefined : (r.string("registry:front") as SwarmArgs["front"]),
        frontImage: r.raw("registry:frontImage") === undefined ? undefined : r.string("registry:frontImage"),
        natImage: r.raw("registry:natImage") === undefined ? undefined : r.string("registry:natImage"),
        redisImage: r.raw("registry:redisImage") === undefined ? undefined : r.string("registry:redisImage"),
    };
    const swarmGiven = Object.fromEntries(SWARM_SETTINGS.filter((k) => swarm[k] !== undefined).map((k) => [k, swarm[k]]));
    const registry: PlainRegistrySettings = {
        ...(mode === undefined || mode === "container" ? {} : { mode: mode as "swarm" }),
        ...(Object.keys(swarmGiven).length === 0 ? {} : { swarm: swarmGiven }),
        host,
        tls,
        ...(storage === undefined ? {} : { storage }),
        users: rawUsers === undefined ? structuredClone(DEFAULT_USERS) : users,
        image: r.string("registry:image"),
        port: r.integer("registry:port"),
        httpsPort: r.integer("registry:httpsPort"),
        bindAddress: r.string("registry:bindAddress"),
        bcryptCost: r.integer("registry:bcryptCost"),
        retainData: r.boolean("registry:retainData"),
        readinessTimeoutSeconds: r.integer("registry:readinessTimeoutSeconds"),
    };
    const dockerHost = r.string("docker:host");
    const docker = dockerConnection(r, source, dockerHost);
    // The Swarm gate, and in container mode the htpasswd written into the running container, reach the engine so.
    registry.docker = docker;
    const typeProblemKeys = new Set(r.problems.map((p) => p.key));
    for (const p of validateRegistryArgs(registry)) {
        const key = tlsMode === "certificate" && p.path === "tls.root" ? "registry:certificateRoot" : registryKeyOf(p.path);
        // A value of the wrong type was already reported once; do not report it again as "missing".
        if (!typeProblemKeys.has(key.replace(/\[.*$/, ""))) r.add(key, p.message);
    }
    users.forEach((u, i) => {
        if (typeof u === "object" && u !== null && u.password !== undefined) plaintextCheck(r, source, `registry:users[${i}].password`);
    });
    if (privateKey !== undefined) plaintextCheck(r, source, "registry:privateKey", "< key.pem");
    for (const key of ["registry:acmeDirectory", "registry:acmeRoot"]) {
        if (r.raw(key) !== undefined && tlsMode !== "letsencrypt")
            r.add(key, `is set but registry:tls is "${tlsMode}": it applies to letsencrypt only; remove it`);
    }
    for (const key of ["registry:certificate", "registry:certificateRoot"]) {
        if (r.raw(key) !== undefined && tlsMode !== "certificate")
            r.add(key, `is set but registry:tls is "${tlsMode}": set registry:tls certificate, or remove it`);
    }

    if (tlsMode === "none" && dockerHost !== undefined && isRemoteDockerHost(dockerHost)) {
        r.add(
            "registry:tls",
            `is "none" (plain HTTP on the loopback address of the Docker host), but docker:host is ${dockerHost}: nobody but that host could reach it, and the readiness check runs here. Use registry:tls letsencrypt or certificate for a remote host`,
        );
    }

    // --- faas:*
    const gateway = r.string("faas:gateway");
    const allowHttp = r.boolean("faas:allowHttp") ?? false;
    const faasUsername = r.string("faas:username") as string;
    const faasPassword = r.string("faas:password");
    // A plaintext password is a leak whether or not a gateway is configured yet.
    if (faasPassword !== undefined) plaintextCheck(r, source, "faas:password");
    const backend = parseBackend(r, source, tlsMode);
    const network = r.string("faas:network") ?? DEFAULT_FAAS_NETWORK;
    const rawFunctions = r.list("faas:functions", "service");
    let faas: PlainFaasSettings | undefined;
    if (gateway === undefined) {
        if (rawFunctions !== undefined && rawFunctions.length > 0) {
            r.add(
                "faas:gateway",
                "is not set, but faas:functions lists functions: set the gateway URL (pulumi config set faas:gateway https://gateway.example.com), or remove faas:functions",
            );
        }
    } else {
        const urlProblem = checkGatewayUrl(gateway, allowHttp, "faas:allowHttp");
        if (urlProblem !== undefined) r.add("faas:gateway", urlProblem);
        // The registry's server name, when the keys it comes from are valid: images are checked against it.
        // Otherwise they are checked as written (a wrong registry:port must not hide them, nor make them
        // "undefined/fn:1").
        const endpointKeys = ["registry:host", "registry:tls", "registry:port", "registry:httpsPort", "registry:bindAddress"];
        const endpointKnown =
            ["letsencrypt", "certificate", "none"].includes(tlsMode as string) &&
            (tlsMode === "none" || host !== undefined) &&
            !r.problems.some((p) => endpointKeys.includes(p.key));
        const server = endpointKnown ? registryEndpoint(registry).server : undefined;
        const seen = new Set<string>();
        const functions: PlainFunctionSettings[] = [];
        (rawFunctions ?? []).forEach((f, i) => {
            const key = `faas:functions[${i}]`;
            if (typeof f !== "object" || f === null || Array.isArray(f)) {
                r.add(key, `must be an object {service, image, ...}, got ${describe(f)}`);
                return;
            }
            const fn = f as Record<string, unknown>;
            const extra = unknownKeys(fn, FUNCTION_KEYS);
            if (extra.length > 0) r.add(key, `has unknown key(s) ${unknownKeysNamed(extra, FUNCTION_KEYS)}: allowed are ${FUNCTION_KEYS.join(", ")}`);
            // An image without a registry host (`team/fn:1`) lives in our registry.
            let image = typeof fn.image === "string" && server !== undefined ? withRegistry(fn.image, server) : fn.image;
            if (fn.build !== undefined) {
                const buildProblem = checkBuild(fn.build);
                if (buildProblem !== undefined) {
                    r.add(`${key}.${buildProblem.path}`, buildProblem.message);
                    return;
                }
                const domain = typeof image === "string" ? parseImageRef(image)?.domain : undefined;
                if (server !== undefined && domain !== undefined && domain !== server) {
                    r.add(
                        `${key}.image`,
                        `is in registry ${domain}, but a function with build is pushed into our registry ${server}: write namespace/name[:tag], or leave image out`,
                    );
                    return;
                }
                // Default: server/<namespace or "functions">/<service>:<tag from the context's content>.
                if (image === undefined && server !== undefined) {
                    const ns = typeof fn.namespace === "string" ? fn.namespace : "functions";
                    image = `${server}/${ns}/${repositoryName(String(fn.service))}:${contextTag(fn.build as FunctionBuild)}`;
                }
            }
            const settings = { ...fn, image, network: fn.network ?? network } as PlainFunctionSettings;
            const problems = validateFunctionArgs(
                { ...settings, gateway: { url: gateway, allowHttp }, readiness: { timeoutSeconds: settings.readinessTimeoutSeconds } },
                server,
            );
            // Argument paths to config keys: readiness.timeoutSeconds is set as readinessTimeoutSeconds. An image
            // read as in our registry is quoted as the user wrote it.
            const quoted = (message: string) =>
                typeof fn.image === "string" && image !== fn.image
                    ? message.split(JSON.stringify(image)).join(`${JSON.stringify(fn.image)} (read as ${image})`)
                    : message;
            // The gateway is faas:gateway's, reported once under that key, not again per function.
            for (const p of problems.filter((x) => !x.path.startsWith("gateway.")))
                r.add(`${key}.${p.path === "readiness.timeoutSeconds" ? "readinessTimeoutSeconds" : p.path}`, quoted(p.message));
            if (typeof fn.service === "string") {
                if (seen.has(fn.service)) r.add(`${key}.service`, `"${fn.service}" appears more than once: function names must be unique`);
                seen.add(fn.service);
            }
            functions.push(settings);
        });
        faas = {
            gateway,
            allowHttp,
            username: faasUsername,
            password: faasPassword,
            functions,
            functionsSecret: source.isSecret("faas:functions"),
            backend: backend.backend,
            ssh: backend.ssh,
            kubernetes: backend.kubernetes,
        };
    }

    // A value that cannot be read here (encrypted, in config:check) is not judged by its content.
    const problems = [...keyProblems, ...r.problems.filter((p) => source.isHidden?.(p.key) !== true)];
    if (problems.length > 0) return { ok: false, problems };
    return { ok: true, config: { registry, faas, dockerHost, docker }, problems: [] };
}

/** `faas:backend` and, for faasd, the SSH connection to its host. Reports every problem with them. */
function parseBackend(
    r: Reader,
    source: ConfigSource,
    tlsMode: string | undefined,
): { backend: FaasBackend; ssh?: SshSettings; kubernetes?: KubernetesSettings } {
    const raw = r.string("faas:backend") ?? "swarm";
    const backend = FAAS_BACKENDS.includes(raw as FaasBackend) ? (raw as FaasBackend) : "swarm";
    if (backend !== raw)
        r.add(
            "faas:backend",
            `must be "swarm" (faas-swarm), "faasd" or "kubernetes" (faas-netes), got ${JSON.stringify(raw)}: pulumi config set faas:backend faasd`,
        );
    const kubernetes = parseKubernetes(r, source, backend);
    const host = r.string("faas:sshHost");
    const user = r.string("faas:sshUser") ?? "root";
    const port = r.integer("faas:sshPort") ?? 22;
    const privateKey = r.string("faas:sshPrivateKey");
    const hostKey = r.string("faas:sshHostKey");
    const skipHostKeyCheck = r.boolean("faas:sshSkipHostKeyCheck") ?? false;
    if (hostKey !== undefined) {
        const problem = checkHostKey(hostKey);
        if (problem !== undefined) r.add("faas:sshHostKey", problem);
        if (skipHostKeyCheck) r.add("faas:sshSkipHostKeyCheck", "is true, but faas:sshHostKey is set: remove one of them");
    }
    if (privateKey !== undefined && plaintextCheck(r, source, "faas:sshPrivateKey", "< id_ed25519")) {
        // Reported: stored in plaintext.
    } else if (privateKey !== undefined && !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(privateKey)) {
        r.add("faas:sshPrivateKey", 'is not a PEM private key (no "-----BEGIN ... PRIVATE KEY-----" line)');
    }
    if (port < 1 || port > 65535) r.add("faas:sshPort", `must be between 1 and 65535, got ${port}`);
    if (backend !== "faasd") {
        for (const [key, value] of [
            ["faas:sshHost", host],
            ["faas:sshPrivateKey", privateKey],
            ["faas:sshHostKey", hostKey],
            ["faas:sshSkipHostKeyCheck", skipHostKeyCheck ? "true" : undefined],
        ] as const) {
            if (value !== undefined)
                r.add(key, `is set, but faas:backend is "${backend}": only faasd is reached over SSH. Set faas:backend faasd, or remove ${key}`);
        }
        return { backend, kubernetes };
    }
    if (host === undefined) {
        r.add(
            "faas:sshHost",
            "is required with faas:backend faasd: the faasd host, where the registry credentials are written (pulumi config set faas:sshHost vm.example.com)",
        );
    } else if (/[\s/@:]/.test(host)) {
        r.add("faas:sshHost", `"${host}" must be a bare host name or address: set the user with faas:sshUser and the port with faas:sshPort`);
    }
    if (hostKey === undefined && !skipHostKeyCheck) {
        r.add(
            "faas:sshHostKey",
            "is required with faas:backend faasd: the registry password is written over this SSH connection, so the host must prove it is the faasd host. " +
                "Get its key (ssh-keyscan -t ed25519 HOST | cut -d' ' -f2-, and compare its fingerprint with ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the host), " +
                "then pulumi config set faas:sshHostKey 'ssh-ed25519 AAAA...'; or, knowingly, pulumi config set faas:sshSkipHostKeyCheck true",
        );
    }
    if (tlsMode === "none") {
        r.add(
            "registry:tls",
            'is "none", but faasd pulls over HTTPS only (faasd CE has no insecure-registry setting): use registry:tls letsencrypt or certificate with faas:backend faasd',
        );
    }
    return { backend, ssh: host === undefined ? undefined : { host, user, port, privateKey, hostKey } };
}

/** faas:namespace and kubernetes:kubeconfig: what faas:backend kubernetes needs, and only it. */
function parseKubernetes(r: Reader, source: ConfigSource, backend: FaasBackend): KubernetesSettings | undefined {
    const namespace = r.string("faas:namespace") as string;
    const kubeconfig = r.string("kubernetes:kubeconfig");
    if (backend !== "kubernetes") {
        if (r.raw("faas:namespace") !== undefined)
            r.add("faas:namespace", `is set, but faas:backend is "${backend}": it applies to kubernetes only. Set faas:backend kubernetes, or remove it`);
        return undefined;
    }
    if (!isKubernetesNamespace(namespace))
        r.add("faas:namespace", `${JSON.stringify(namespace)} is not a Kubernetes namespace name: lower-case letters, digits and '-', at most 63`);
    if (kubeconfig === undefined) {
        r.add(
            "kubernetes:kubeconfig",
            "is required with faas:backend kubernetes: the cluster where the registry's image pull secret goes. Set it from a kubeconfig with its certificates inline: " +
                "kubectl config view --flatten --minify | pulumi config set --secret kubernetes:kubeconfig",
        );
        return undefined;
    }
    if (plaintextCheck(r, source, "kubernetes:kubeconfig", "< kubeconfig")) return undefined;
    if (!/^\s*clusters\s*:/m.test(kubeconfig) && source.isHidden?.("kubernetes:kubeconfig") !== true)
        r.add(
            "kubernetes:kubeconfig",
            "is not a kubeconfig (it has no clusters:): kubectl config view --flatten --minify | pulumi config set --secret kubernetes:kubeconfig",
        );
    return { namespace, kubeconfig };
}

const HOST_KEY_TYPES = [
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "ssh-rsa",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
];

/**
 * An OpenSSH public key line, `TYPE BASE64` (what `ssh-keyscan HOST | cut -d' ' -f2-` prints): the base64 is
 * an SSH wire-format blob whose first field names the same type.
 */
export function checkHostKey(value: string): string | undefined {
    const form = "write it as TYPE BASE64, e.g. 'ssh-ed25519 AAAAC3Nza...' (ssh-keyscan -t ed25519 HOST | cut -d' ' -f2-)";
    const parts = value.trim().split(/\s+/);
    if (parts.length >= 3 && HOST_KEY_TYPES.includes(parts[1])) return `starts with ${JSON.stringify(parts[0])}, a host name: ${form}`;
    const [type, data] = parts;
    if (!HOST_KEY_TYPES.includes(type) || data === undefined) return `is not an SSH public host key: ${form}`;
    const blob = /^[A-Za-z0-9+/]+={0,2}$/.test(data) ? Buffer.from(data, "base64") : Buffer.alloc(0);
    const length = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
    if (length < 0 || blob.subarray(4, 4 + length).toString("latin1") !== type) return `is not a valid ${type} key (its base64 is damaged or cut): ${form}`;
    return undefined;
}

/** `ssh://user@vm`, `tcp://10.0.0.5:2376`: a Docker host other than this machine (unix sockets and loopback are local). */
/** docker:host, docker:context, docker:sshOpts and the TLS keys: what the Swarm gate needs to reach the engine as the provider does. */
function dockerConnection(r: Reader, source: ConfigSource, host: string | undefined): PlainDockerConnection {
    const sshOpts = r.list("docker:sshOpts", "0");
    const problem = checkStringList(sshOpts);
    if (problem !== undefined) r.add("docker:sshOpts", `${problem}, e.g. ["-o", "StrictHostKeyChecking=yes"]`);
    const keyMaterial = r.string("docker:keyMaterial");
    if (keyMaterial !== undefined) plaintextCheck(r, source, "docker:keyMaterial", "< key.pem");
    const connection: PlainDockerConnection = {
        host,
        context: r.string("docker:context"),
        sshOpts: problem === undefined ? (sshOpts as string[] | undefined) : undefined,
        certPath: r.string("docker:certPath"),
        caMaterial: r.string("docker:caMaterial"),
        certMaterial: r.string("docker:certMaterial"),
        keyMaterial,
    };
    return Object.fromEntries(Object.entries(connection).filter(([, v]) => v !== undefined));
}

/**
 * Reports a secret stored in plaintext, naming its exact path, and says whether it did. With the stack file
 * read, each value's own encryption is known (a plaintext `users[1].password` beside an encrypted `users[0]`
 * is found); from Pulumi's runtime alone, only whether the whole key holds a secret somewhere.
 */
function plaintextCheck(r: Reader, source: ConfigSource, path: string, input = "(it prompts for the value)"): boolean {
    const key = path.replace(/\[.*$/, "");
    const secure = source.securePaths?.();
    const plaintext = secure !== undefined ? !secure.has(path) : !source.isSecret(key);
    if (!plaintext) return false;
    const command = path === key ? `pulumi config set --secret ${key}` : `pulumi config set --secret --path '${path}'`;
    r.add(path, `is stored in plaintext in the stack file: set it as a secret, ${command} ${input}`);
    return true;
}

/** The namespaces whose every key is ours; `docker:` belongs to the docker provider, which reads many more. */
const OUR_NAMESPACES = ["registry", "faas"];

/**
 * Keys of our namespaces that this project does not read (a misspelled `registry:acmedirectory` would be
 * ignored: production Let's Encrypt instead of staging), and keys of other namespaces one typo away from
 * ours (`regsitry:port`). Each with the nearest key we read.
 */
function unknownConfigKeys(keys: readonly string[]): ConfigProblem[] {
    const known = CONFIG_KEYS.map((k) => k.key);
    const problems: ConfigProblem[] = [];
    for (const key of keys) {
        if (known.includes(key)) continue;
        // `registry:users[2].password` as a key of its own: `pulumi config set` without --path stores the path
        // as a key's name, and nothing reads it.
        const path = /^([a-z]+:[A-Za-z0-9]+)[[.]/.exec(key);
        if (path !== null && known.includes(path[1])) {
            const secret = keySpec(path[1]).secret !== "no";
            problems.push({
                key,
                message:
                    `is a key of its own, named like a path inside ${path[1]} (set without --path), so nothing reads it. ` +
                    `Set it with --path: pulumi config rm '${key}' && pulumi config set${secret ? " --secret" : ""} --path '${key}' VALUE`,
            });
            continue;
        }
        const ours = OUR_NAMESPACES.includes(key.split(":")[0]);
        const near = known.find((k) => k.toLowerCase() === key.toLowerCase()) ?? closest(key, known);
        const d = distance(key.toLowerCase(), near.toLowerCase());
        if (!ours && d > 2) continue;
        const suggestion = d <= Math.max(2, Math.floor(near.length / 4)) ? `: did you mean ${near}?` : "";
        problems.push({ key, message: `is not a key this project reads, so it would be ignored${suggestion} (remove it: pulumi config rm ${key})` });
    }
    return problems;
}

function isRemoteDockerHost(dockerHost: string): boolean {
    if (!/^(ssh|tcp|https?):\/\//.test(dockerHost)) return false;
    try {
        const host = new URL(dockerHost).hostname.replace(/^\[|\]$/g, "");
        return !(host === "localhost" || isLoopback(host));
    } catch {
        return true;
    }
}

/** `team/fn:1` -> `server/team/fn:1`; references that already name a registry are left alone. */
export function withRegistry(image: string, server: string): string {
    const ref = parseImageRef(image);
    return ref !== undefined && ref.domain === undefined ? `${server}/${image}` : image;
}

/** Formats problems as one error text, one line each, key first. */
export function formatProblems(problems: readonly ConfigProblem[]): string {
    return `Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${problems
        .map((p) => `  - ${p.key}: ${p.message}`)
        .join("\n")}`;
}
