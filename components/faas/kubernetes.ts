import * as core from "@pulumi/kubernetes/core/v1";
import * as pulumi from "@pulumi/pulumi";
import { dnsLabel } from "../names";
import type { RegistryLogin } from "./args";
import { KubernetesGate } from "./package";

export { KubernetesGate };

export const PULL_SECRET_TYPE = "faasreg:faas:KubernetesPullSecret";

/** The image pull secret's name: `<project>-<stack>-<name>`, as a DNS label (what Secrets' names are). */
export function pullSecretName(name: string): string {
    return dnsLabel(`${pulumi.getProject()}-${pulumi.getStack()}-${name}`, 63);
}

export interface KubernetesPullSecretArgs {
    /** The registry login (its password a secret). */
    registry: pulumi.Input<RegistryLogin>;
    /** The namespace faas-netes deploys functions to (its function_namespace). */
    namespace: string;
    /** The kubeconfig (a secret): the gate asks the cluster with it; the Secret is written with the provider's. */
    kubeconfig: pulumi.Input<string>;
    /** A gate declared before (the stack declares it first, so nothing is created before it passes). Else one is made. */
    gate?: pulumi.CustomResource;
}

/**
 * The registry's credentials where the kubelet reads them: a `kubernetes.io/dockerconfigjson` Secret in the
 * functions' namespace, written with `@pulumi/kubernetes` (its default provider, configured by
 * `kubernetes:kubeconfig`). faas-netes adds every Secret a function names in `secrets` that has this type to the
 * Deployment's `imagePullSecrets` (pkg/k8s/secrets.go, ConfigureSecrets): every function of the stack names it.
 * Its data is a secret end to end (the provider marks a Secret's data and stringData secret in state and diffs).
 * A password rotation updates it in place: pods pulled after it (a new function, a rescheduled pod; faas-netes
 * pulls Always) use the new password.
 */
export class KubernetesPullSecret extends pulumi.ComponentResource {
    /** The Secret's name, what functions name in `secrets`. */
    readonly secretName: string;
    readonly secret: core.Secret;
    readonly gate: pulumi.CustomResource;

    constructor(name: string, args: KubernetesPullSecretArgs, opts?: pulumi.ComponentResourceOptions) {
        const componentOpts = opts ?? {};
        super(PULL_SECRET_TYPE, name, {}, componentOpts);
        this.secretName = pullSecretName(name);
        this.gate = args.gate ?? new KubernetesGate(`${name}-gate`, { kubeconfig: args.kubeconfig, namespace: args.namespace }, { parent: this });
        const dockerConfigJson = pulumi.secret(
            pulumi
                .output(args.registry)
                .apply((r) => JSON.stringify({ auths: { [r.server]: { auth: Buffer.from(`${r.username}:${r.password}`, "utf8").toString("base64") } } })),
        );
        this.secret = new core.Secret(
            `${name}-secret`,
            {
                metadata: { name: this.secretName, namespace: args.namespace, labels: { "app.kubernetes.io/managed-by": "faasreg" } },
                type: "kubernetes.io/dockerconfigjson",
                stringData: { ".dockerconfigjson": dockerConfigJson },
            },
            // Explicitly: a component's dependsOn is not inherited by the children it declares.
            {
                parent: this,
                dependsOn: [this.gate, ...(componentOpts.dependsOn === undefined ? [] : [componentOpts.dependsOn].flat())] as pulumi.Input<pulumi.Resource>[],
                additionalSecretOutputs: ["data", "stringData"],
            },
        );
        this.registerOutputs({ secretName: this.secretName });
    }
}
