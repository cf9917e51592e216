// The options of every custom resource the stack declares through the faasreg provider besides the function (the
// registry's htpasswd file, Swarm gate and pins, the Kubernetes gate, the build host's platform).
import type * as pulumi from "@pulumi/pulumi";
import { PACKAGE_VERSION } from "../provider/schema";

/**
 * The provider's version, the outputs always secret, and an alias to `pulumi-nodejs:dynamic:Resource`: until 12-04
 * these were dynamic resources, and the alias moves such a resource to its type in place (the provider reads the
 * dynamic state and rewrites it in one update that asks nothing unless the declaration changed too:
 * provider/adapter.ts).
 */
export function packageResourceOptions(opts: pulumi.CustomResourceOptions, secretOutputs: string[]): pulumi.CustomResourceOptions {
    return {
        ...opts,
        version: PACKAGE_VERSION,
        aliases: [...(opts.aliases ?? []), { type: "pulumi-nodejs:dynamic:Resource" }],
        additionalSecretOutputs: [...(opts.additionalSecretOutputs ?? []), ...secretOutputs],
    };
}
