import * as pulumi from "@pulumi/pulumi";
import type { DockerConnectionArgs, PrivateRegistryArgs } from "../components/registry/args";
import type { FunctionBuild } from "../components/faas/build";
import {
    type ConfigSource,
    formatProblems,
    type PlainDockerConnection,
    type PlainFaasSettings,
    type KubernetesSettings,
    type PlainFunctionSettings,
    type PlainStackConfig,
    parseStackConfig,
    type SshSettings,
} from "./parse";
import { readStackFileConfig, securePaths } from "./stack-file";

export { CONFIG_KEYS, type KeySpec } from "./schema";
export { type ConfigProblem, type ConfigSource, formatProblems, parseStackConfig, type PlainStackConfig } from "./parse";

/**
 * The fields of a function whose values may hold a secret set with `--secret --path`: the environment, the
 * process line, labels and annotations, and build arguments. The rest names things (the function, its
 * image, network, constraints, Swarm secrets by name, resources) and stays visible in previews.
 */
export const SECRET_FUNCTION_FIELDS = ["envVars", "envProcess", "labels", "annotations"] as const;

/** A function as the program uses it: plain settings, or secret Outputs where they may hold a secret. */
export type FunctionSettings = Omit<PlainFunctionSettings, (typeof SECRET_FUNCTION_FIELDS)[number] | "build"> & {
    [K in (typeof SECRET_FUNCTION_FIELDS)[number]]?: pulumi.Input<NonNullable<PlainFunctionSettings[K]>>;
} & { build?: Omit<FunctionBuild, "args"> & { args?: pulumi.Input<Record<string, string>> } };

/** The stack's configuration: plain values, and every secret wrapped as a secret Output. */
export interface StackConfig {
    registry: PrivateRegistryArgs;
    faas?: Omit<PlainFaasSettings, "password" | "functions" | "ssh" | "kubernetes"> & {
        password?: pulumi.Output<string>;
        functions: FunctionSettings[];
        ssh?: Omit<SshSettings, "privateKey"> & { privateKey?: pulumi.Output<string> };
        kubernetes?: Omit<KubernetesSettings, "kubeconfig"> & { kubeconfig: pulumi.Output<string> };
    };
    dockerHost?: string;
    /** How the docker provider reaches its engine (the key material a secret Output). */
    docker?: DockerConnectionArgs;
}

/**
 * Thrown for invalid stack config, before any resource is declared. Lists every problem, key first.
 * A RunError: Pulumi shows its message alone, without the program's stack trace.
 */
export class ConfigError extends pulumi.RunError {
    constructor(message: string) {
        super(message);
        this.name = "ConfigError";
    }
}

/**
 * Stack config as Pulumi hands it to the program. This is the only place in the project that reads
 * `pulumi.Config`. Secret values are read as plain strings here only to validate them before anything
 * is declared; they leave this module wrapped in `pulumi.secret`.
 *
 * Pulumi says only whether a whole key holds a secret somewhere (`registry:users` with one password set by
 * `--secret --path`). The stack file beside the program (`Pulumi.<stack>.yaml`) says which value is
 * encrypted; it is read for that when it holds exactly the keys Pulumi handed over (not another file given
 * with --config-file), so a plaintext password beside an encrypted one is refused by `pulumi up` too.
 */
export function pulumiConfigSource(stackFile = `Pulumi.${pulumi.getStack()}.yaml`): ConfigSource {
    const bags = new Map<string, pulumi.Config>();
    const bag = (ns: string) => bags.get(ns) ?? (bags.set(ns, new pulumi.Config(ns)).get(ns) as pulumi.Config);
    const runtime = pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean };
    const keys = Object.keys(pulumi.runtime.allConfig());
    const fileConfig = readStackFileConfig(stackFile);
    const sameKeys = fileConfig !== undefined && [...Object.keys(fileConfig)].sort().join() === [...keys].sort().join();
    const secure = sameKeys ? securePaths(fileConfig) : undefined;
    return {
        get(key) {
            const [ns, name] = key.split(":");
            return bag(ns).get(name);
        },
        // `isConfigSecret` is internal to the SDK; without it we cannot tell, and assume the user did it right.
        isSecret: (key) => (typeof runtime.isConfigSecret === "function" ? runtime.isConfigSecret(key) : true),
        keys: () => keys,
        ...(secure === undefined ? {} : { securePaths: () => secure }),
    };
}

/** Marks the secrets of validated plain config as secret Outputs. */
export function wrapSecrets(plain: PlainStackConfig): StackConfig {
    const registry = plain.registry;
    const tls =
        registry.tls.mode === "certificate"
            ? {
                  mode: "certificate" as const,
                  certificate: pulumi.secret(registry.tls.certificate),
                  privateKey: pulumi.secret(registry.tls.privateKey),
                  ...(registry.tls.root === undefined ? {} : { root: registry.tls.root }),
              }
            : registry.tls;
    const users = registry.users.map((u) => ({
        username: u.username,
        ...(u.password === undefined ? {} : { password: pulumi.secret(u.password) }),
    }));
    const faas =
        plain.faas === undefined
            ? undefined
            : {
                  ...plain.faas,
                  password: plain.faas.password === undefined ? undefined : pulumi.secret(plain.faas.password),
                  functions: plain.faas.functionsSecret ? plain.faas.functions.map(secretFunction) : plain.faas.functions,
                  kubernetes:
                      plain.faas.kubernetes === undefined
                          ? undefined
                          : { ...plain.faas.kubernetes, kubeconfig: pulumi.secret(plain.faas.kubernetes.kubeconfig) },
                  ssh:
                      plain.faas.ssh === undefined
                          ? undefined
                          : {
                                ...plain.faas.ssh,
                                privateKey: plain.faas.ssh.privateKey === undefined ? undefined : pulumi.secret(plain.faas.ssh.privateKey),
                            },
              };
    const storage =
        registry.storage?.driver === "s3" && registry.storage.secretKey !== undefined
            ? { ...registry.storage, secretKey: pulumi.secret(registry.storage.secretKey) }
            : registry.storage;
    const connection = (c: PlainDockerConnection | undefined): DockerConnectionArgs | undefined =>
        c?.keyMaterial === undefined ? c : { ...c, keyMaterial: pulumi.secret(c.keyMaterial) };
    const docker = connection(registry.docker as PlainDockerConnection | undefined);
    return {
        registry: { ...registry, tls, users, ...(storage === undefined ? {} : { storage }), ...(docker === undefined ? {} : { docker }) },
        faas,
        dockerHost: plain.dockerHost,
        docker: connection(plain.docker),
    };
}

/** A function of a secret `faas:functions`: every value that may hold the secret, wrapped. */
function secretFunction(fn: PlainFunctionSettings): FunctionSettings {
    const wrapped: FunctionSettings = { ...fn };
    for (const field of SECRET_FUNCTION_FIELDS) {
        if (fn[field] !== undefined) (wrapped as Record<string, unknown>)[field] = pulumi.secret(fn[field]);
    }
    if (fn.build?.args !== undefined) wrapped.build = { ...fn.build, args: pulumi.secret(fn.build.args) };
    return wrapped;
}

/** Reads, validates and returns the whole stack config; throws one ConfigError listing every problem. */
export function loadStackConfig(source: ConfigSource = pulumiConfigSource()): StackConfig {
    const result = parseStackConfig(source);
    if (!result.ok) throw new ConfigError(formatProblems(result.problems));
    return wrapSecrets(result.config);
}
