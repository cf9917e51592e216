// faasreg:faas:KubernetesPullSecret, the package's component for faas-netes: the stack's own image pull secret
// (components/faas/kubernetes.ts), a `kubernetes.io/dockerconfigjson` Secret in the functions' namespace, behind
// the gate that asks the API server first, a custom resource of this provider (faasreg:faas:KubernetesGate), in the
// stack as here.
import * as kubernetes from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type * as provider from "@pulumi/pulumi/provider";
import { KubernetesPullSecret, PULL_SECRET_TYPE } from "../components/faas/kubernetes";
import { describe } from "../components/problems";
import { isKubernetesNamespace } from "../components/names";
import { plainInputs } from "./registry";
import { PULL_SECRET_INPUTS } from "./schema";

export { PULL_SECRET_TYPE };

/** Where the pull secret takes an Input: the registry's login, and the kubeconfig (secrets, or another resource's outputs). */
const OUTPUT_PATHS = new Set(["registry.server", "registry.username", "registry.password", "kubeconfig"]);

export interface PullSecretInputs {
    registry: { server: pulumi.Input<string>; username: pulumi.Input<string>; password: pulumi.Input<string> };
    namespace: string;
    kubeconfig?: pulumi.Input<string>;
}

/** The pull secret's arguments from what the engine sent, checked by name before anything is declared. */
export async function pullSecretArgs(name: string, inputs: pulumi.Inputs): Promise<PullSecretInputs> {
    const where = `${PULL_SECRET_TYPE} "${name}"`;
    for (const key of Object.keys(inputs)) {
        if (!(key in PULL_SECRET_INPUTS))
            throw new Error(`${where}: ${key} is not an input of the pull secret: the inputs are ${Object.keys(PULL_SECRET_INPUTS).join(", ")}`);
    }
    const args = (await plainInputs(where, inputs, OUTPUT_PATHS)) as unknown as PullSecretInputs;
    const registry = args.registry as Partial<PullSecretInputs["registry"]> | undefined;
    const missing = ["server", "username", "password"].filter((k) => registry?.[k as keyof PullSecretInputs["registry"]] === undefined);
    if (missing.length > 0) {
        throw new Error(
            `${where}: registry needs server, username and password (${missing.join(", ")} missing): pass the registry's outputs, ` +
                "e.g. { server: registry.server, username: registry.username, password: registry.password }",
        );
    }
    if (!isKubernetesNamespace(args.namespace)) {
        throw new Error(
            `${where}: namespace must be the functions' namespace (faas-netes' function_namespace, e.g. "openfaas-fn"), got ${describe(args.namespace)}`,
        );
    }
    return args;
}

/** construct() of the component. */
export async function constructPullSecret(name: string, inputs: pulumi.Inputs, options: pulumi.ComponentResourceOptions): Promise<provider.ConstructResult> {
    const args = await pullSecretArgs(name, inputs);
    let opts: pulumi.ComponentResourceOptions = options;
    let kubeconfig: pulumi.Input<string>;
    if (args.kubeconfig === undefined) {
        // The program's own kubernetes:kubeconfig, which the Secret's default provider is configured by too.
        const configured = new pulumi.Config("kubernetes").getSecret("kubeconfig");
        if (configured === undefined) {
            throw new Error(
                `${PULL_SECRET_TYPE} "${name}": kubeconfig is not given and the program has no kubernetes:kubeconfig: give the cluster's kubeconfig ` +
                    '(pulumi config set --secret kubernetes:kubeconfig "$(cat kubeconfig)", or the kubeconfig input)',
            );
        }
        kubeconfig = configured;
    } else {
        kubeconfig = pulumi.secret(args.kubeconfig);
        const k8sProvider = new kubernetes.Provider(`${name}-kubernetes`, { kubeconfig }, { parent: options.parent });
        opts = { ...options, providers: { ...(options.providers as Record<string, pulumi.ProviderResource>), kubernetes: k8sProvider } };
    }
    const pullSecret = new KubernetesPullSecret(name, { registry: pulumi.output(args.registry), namespace: args.namespace, kubeconfig }, opts);
    return { urn: pullSecret.urn, state: { secretName: pulumi.output(pullSecret.secret.metadata.name) } };
}
