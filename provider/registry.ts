// faasreg:registry:PrivateRegistry, the package's component: the stack's own PrivateRegistry
// (components/registry), constructed in the provider's process for a program in any language, in a container or
// on a Swarm. Its own resources (the htpasswd written into the running container; on Swarm, the gate and the
// images' pins) are custom resources of this provider (faasreg:registry:ContainerFile, SwarmGate and PinnedImage,
// components/registry/package.ts), in the stack as here.
import { join } from "node:path";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type * as provider from "@pulumi/pulumi/provider";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import type { DockerConnectionArgs, PrivateRegistryArgs } from "../components/registry/args";
import { PrivateRegistry, REGISTRY_TYPE } from "../components/registry";
import { checkStringList, describe } from "../components/problems";
import { REGISTRY_INPUTS } from "./schema";
import { isSecret, unwrap } from "./function";

export { REGISTRY_TYPE };

/** The probe, by its absolute path: the command provider runs it in the consumer's program folder. */
const PROBE = join(__dirname, "..", "components", "registry", "probe.mjs");

/** An Output for a value the engine sent (a secret stays one; an unknown one, in a preview, stays unknown). */
function outputOf(value: unknown, secret: boolean): pulumi.Output<unknown> {
    const known = value !== unknownValue;
    // The SDK's own constructor: pulumi.output() cannot make an unknown value.
    const Output = pulumi.Output as unknown as new (...args: unknown[]) => pulumi.Output<unknown>;
    return new Output([], Promise.resolve(known ? value : undefined), Promise.resolve(known), Promise.resolve(secret), Promise.resolve([]));
}

type OutputInternals = { promise(withUnknowns?: boolean): Promise<unknown>; isKnown: Promise<boolean>; isSecret: Promise<boolean> };

/**
 * Plain values from what the engine sent for a component: secrets and other resources' outputs (Output objects, at
 * any depth) where the component takes an Input (`outputPaths`, by their paths without indexes) are kept as Outputs,
 * a secret wrapper becoming a secret Output; anywhere else the value must be plain, because the component decides
 * what to declare from it (a mode, a port, a user's name) before anything is created. An output that is known and
 * not secret is plain enough: its value is used (in an `up` it is always known).
 */
export async function plainInputs(where: string, inputs: pulumi.Inputs, outputPaths: ReadonlySet<string>): Promise<Record<string, unknown>> {
    const refuse = (path: string, what: string) =>
        new Error(`${where}: ${path} must be a plain value when the program runs, not ${what}: it decides what is declared`);
    const convert = async (value: unknown, path: string): Promise<unknown> => {
        const general = path.replace(/\[\d+\]/g, "");
        if (pulumi.Output.isInstance(value)) {
            if (outputPaths.has(general)) return value;
            const o = value as unknown as OutputInternals;
            const [known, secret] = await Promise.all([o.isKnown, o.isSecret]);
            if (!known) throw refuse(path, "an output not known yet");
            if (secret) throw refuse(path, "a secret");
            return convert(await o.promise(), path);
        }
        if (isSecret(value) || value === unknownValue) {
            if (outputPaths.has(general)) return isSecret(value) ? outputOf(unwrap({ v: value.value }).plain.v, true) : outputOf(value, false);
            throw refuse(path, value === unknownValue ? "an output not known yet" : "a secret");
        }
        if (Array.isArray(value)) return Promise.all(value.map((v, i) => convert(v, `${path}[${i}]`)));
        if (typeof value === "object" && value !== null) {
            const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await convert(v, `${path}.${k}`)] as const));
            return Object.fromEntries(entries);
        }
        return value;
    };
    const entries = await Promise.all(Object.entries(inputs).map(async ([k, v]) => [k, await convert(v, k)] as const));
    return Object.fromEntries(entries);
}

/** Where the registry takes an Input: the secrets, and the PEM texts another resource may make. */
const REGISTRY_OUTPUT_PATHS = new Set(["tls.certificate", "tls.privateKey", "tls.root", "users.password", "storage.secretKey", "docker.keyMaterial"]);

/** The registry's arguments from what the engine sent (plainInputs), its inputs checked by name. */
export async function registryArgs(name: string, inputs: pulumi.Inputs): Promise<PrivateRegistryArgs> {
    const where = `faasreg:registry:PrivateRegistry "${name}"`;
    for (const key of Object.keys(inputs)) {
        if (!(key in REGISTRY_INPUTS))
            throw new Error(`${where}: ${key} is not an input of the registry: the inputs are ${Object.keys(REGISTRY_INPUTS).join(", ")}`);
    }
    const args = (await plainInputs(where, inputs, REGISTRY_OUTPUT_PATHS)) as unknown as PrivateRegistryArgs;
    if (args.tls === undefined)
        throw new Error(`${where}: tls is required: { mode: "letsencrypt", email }, { mode: "certificate", certificate, privateKey } or { mode: "none" }`);
    if (!Array.isArray(args.users))
        throw new Error(`${where}: users is required: at least one { username }, e.g. [{ username: "ci" }], got ${describe(args.users)}`);
    return args;
}

/** How the docker provider reaches its engine when the registry's `docker` is not given: the program's docker:* config. */
function connectionFromConfig(where: string): DockerConnectionArgs {
    const config = new pulumi.Config("docker");
    const sshOpts = config.getObject<string[]>("sshOpts");
    const problem = checkStringList(sshOpts);
    if (problem !== undefined) throw new Error(`${where}: docker:sshOpts ${problem}, e.g. ["-o", "StrictHostKeyChecking=yes"]`);
    const keyMaterial = config.getSecret("keyMaterial");
    const c: Record<string, unknown> = {
        host: config.get("host"),
        context: config.get("context"),
        sshOpts,
        certPath: config.get("certPath"),
        caMaterial: config.get("caMaterial"),
        certMaterial: config.get("certMaterial"),
        keyMaterial,
    };
    return Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)) as DockerConnectionArgs;
}

/** construct() of the component. */
export async function constructRegistry(name: string, inputs: pulumi.Inputs, options: pulumi.ComponentResourceOptions): Promise<provider.ConstructResult> {
    const args = await registryArgs(name, inputs);
    let opts: pulumi.ComponentResourceOptions = options;
    if (args.docker === undefined) {
        args.docker = connectionFromConfig(`faasreg:registry:PrivateRegistry "${name}"`);
    } else {
        // The registry's own docker provider, from the connection given (its client key a secret).
        const d = args.docker;
        const dockerProvider = new docker.Provider(
            `${name}-docker`,
            {
                host: d.host,
                context: d.context,
                sshOpts: d.sshOpts,
                certPath: d.certPath,
                caMaterial: d.caMaterial,
                certMaterial: d.certMaterial,
                keyMaterial: d.keyMaterial,
            },
            { parent: options.parent },
        );
        opts = { ...options, providers: { ...(options.providers as Record<string, pulumi.ProviderResource>), docker: dockerProvider } };
    }
    const registry = new PrivateRegistry(name, args, {
        ...opts,
        runtime: { probeScript: PROBE },
    });
    return {
        urn: registry.urn,
        state: {
            server: registry.server,
            url: registry.url,
            username: pulumi.output(args.users[0].username),
            password: pulumi.secret(registry.credentials.apply((c) => c.password)),
            registryAuth: registry.registryAuth,
            dockerConfigJson: registry.dockerConfigJson,
            passwords: registry.passwords,
        },
    };
}
