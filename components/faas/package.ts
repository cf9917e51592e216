// The stack's view of the faasreg package (provider/): its provider, configured with a gateway's credentials, and the
// function, a custom resource of that provider. The stack's functions are these: one implementation of the
// gateway logic, served by the same provider to every Pulumi language.
import * as pulumi from "@pulumi/pulumi";
import { FUNCTION_OUTPUTS, FUNCTION_TOKEN, PACKAGE } from "../../provider/schema";

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
