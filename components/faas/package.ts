// The stack's view of the faasreg package (provider/): its provider, configured with a gateway's credentials, the
// function, a custom resource of that provider, the Kubernetes gate and the build host's platform. The stack's
// functions are these: one implementation of the gateway logic, served by the same provider to every Pulumi language.
import * as pulumi from "@pulumi/pulumi";
import { DOCKER_PLATFORM_TOKEN, FUNCTION_OUTPUTS, FUNCTION_TOKEN, KUBERNETES_GATE_TOKEN, PACKAGE } from "../../provider/schema";
import { packageResourceOptions } from "../package-resource";

export interface FaasregProviderArgs {
    /** The gateway of the functions that name none. */
    gatewayUrl?: pulumi.Input<string>;
    gatewayUsername?: pulumi.Input<string>;
    /** A secret in state. */
    gatewayPassword?: pulumi.Input<string>;
}

/** A faasreg provider: the functions deployed with it to `gatewayUrl` use its credentials, and keep none in their state. */
export class FaasregProvider extends pulumi.ProviderResource {
    constructor(name: string, args: FaasregProviderArgs, opts?: pulumi.ResourceOptions) {
        const inputs = { ...args, gatewayPassword: args.gatewayPassword === undefined ? undefined : pulumi.secret(args.gatewayPassword) };
        super(PACKAGE, name, Object.fromEntries(Object.entries(inputs).filter(([, v]) => v !== undefined)), opts);
    }
}

/** What the provider reports about a function, beyond its inputs (FaasFunction makes `url` itself). */
const FUNCTION_REPORTS = Object.keys(FUNCTION_OUTPUTS).filter((k) => k !== "url");

/**
 * faasreg:index:Function (provider/function.ts): the function on the gateway. Until 12-04 the stack declared it as a
 * dynamic resource (`pulumi-nodejs:dynamic:Resource`, its provider serialized into the state, about 62 KB per
 * function); the alias moves such a function to this type in place: the provider rewrites its state in one update,
 * and sends nothing to the gateway unless the declaration changed too.
 */
export class PackageFunction extends pulumi.CustomResource {
    declare readonly image: pulumi.Output<string>;
    declare readonly registryAuth: pulumi.Output<string | undefined>;
    declare readonly replicas: pulumi.Output<number>;
    declare readonly availableReplicas: pulumi.Output<number>;
    declare readonly reportedImage: pulumi.Output<string | undefined>;

    constructor(name: string, props: Record<string, pulumi.Input<unknown>>, opts: pulumi.CustomResourceOptions) {
        super(
            FUNCTION_TOKEN,
            name,
            { ...props, ...Object.fromEntries(FUNCTION_REPORTS.map((k) => [k, undefined])) },
            {
                ...opts,
                aliases: [{ type: "pulumi-nodejs:dynamic:Resource" }],
                additionalSecretOutputs: ["registryAuth", "gatewayPassword"],
            },
        );
    }
}

/**
 * Nothing is written to a cluster the kubeconfig cannot reach, or to a namespace it may not keep Secrets in: the
 * gate asks the API server on every preview, up and refresh (kubernetes.ts, KubernetesGateProvider). Until 12-04 a
 * dynamic resource: the alias moves it here in place (provider/adapter.ts rewrites its state without asking).
 */
export class KubernetesGate extends pulumi.CustomResource {
    /** The API server the kubeconfig points at. */
    declare readonly server: pulumi.Output<string>;

    constructor(name: string, args: { kubeconfig: pulumi.Input<string>; namespace: string }, opts: pulumi.CustomResourceOptions = {}) {
        super(
            KUBERNETES_GATE_TOKEN,
            name,
            { kubeconfig: pulumi.secret(args.kubeconfig), namespace: args.namespace, preview: pulumi.runtime.isDryRun(), server: undefined },
            packageResourceOptions(opts, ["kubeconfig"]),
        );
    }
}

/**
 * The platform of the Docker engine the stack builds function images on (components/docker-platform.ts, served by
 * the faasreg provider). Until 12-04 a dynamic resource: the alias moves it here in place (provider/adapter.ts).
 */
export class DockerPlatform extends pulumi.CustomResource {
    /** `os/arch[/variant]`, as `docker build --platform` takes it. */
    declare readonly platform: pulumi.Output<string>;

    /** `connection`: the docker provider's connection keys (the key material may be a secret Output). */
    constructor(name: string, args: { connection: pulumi.Inputs }, opts: pulumi.CustomResourceOptions = {}) {
        super(
            DOCKER_PLATFORM_TOKEN,
            name,
            { connection: pulumi.secret(args.connection), preview: pulumi.runtime.isDryRun(), platform: undefined },
            packageResourceOptions(opts, ["connection"]),
        );
    }
}
