import * as path from "node:path";
import * as core from "@pulumi/kubernetes/core/v1";
import * as pulumi from "@pulumi/pulumi";
import { checkForDiff, mustCheck } from "../check-process";
import { dnsLabel } from "../names";
import type { RegistryLogin } from "./args";
import { KubernetesGate } from "./package";

export { KubernetesGate };

/** The gate's script, relative to the project root (the working directory of `pulumi`). */
export const KUBERNETES_CHECK_SCRIPT = path.relative(process.cwd(), path.join(__dirname, "kubernetes-check.mjs")).split(path.sep).join("/");

interface GateInputs {
    /** The kubeconfig's text (a secret). */
    kubeconfig: string;
    namespace: string;
    /** True while the program runs for a preview (pulumi.runtime.isDryRun()). */
    preview?: boolean;
}

interface GateState {
    kubeconfig: string;
    namespace: string;
    /** The API server the kubeconfig points at. */
    server: string;
}

const gateRequest = (inputs: GateInputs) => ({ kubeconfig: inputs.kubeconfig, namespace: inputs.namespace });
const gateOutputs = (inputs: GateInputs, server: string): GateState => ({ kubeconfig: inputs.kubeconfig, namespace: inputs.namespace, server });

/**
 * The Kubernetes gate's logic (the faasreg provider serves it as KubernetesGate, ./package.ts), so it runs on every preview, up and refresh: kubernetes-check.mjs asks the API
 * server `kubernetes:kubeconfig` points at whether `faas:namespace` exists and whether that kubeconfig may manage
 * Secrets there, before the image pull secret (and anything after it) is written. A preview that cannot reach the
 * API server (a CI job without the cluster's network or credentials plugin) shows no change, with a warning.
 */
class KubernetesGateProvider implements pulumi.dynamic.ResourceProvider {
    async create(inputs: GateInputs): Promise<pulumi.dynamic.CreateResult> {
        const answer = await mustCheck<{ server: string }>(KUBERNETES_CHECK_SCRIPT, gateRequest(inputs));
        return { id: "kubernetes-gate", outs: gateOutputs(inputs, answer.server) };
    }

    async diff(_id: string, olds: GateState, news: GateInputs): Promise<pulumi.dynamic.DiffResult> {
        const changed = olds.kubeconfig !== news.kubeconfig || olds.namespace !== news.namespace;
        const answer = await checkForDiff<{ server: string }>(
            KUBERNETES_CHECK_SCRIPT,
            gateRequest(news),
            news.preview,
            "the Kubernetes gate",
            "the Kubernetes API server",
        );
        return { changes: changed || (answer !== undefined && answer.server !== olds.server), replaces: [], deleteBeforeReplace: false };
    }

    async update(_id: string, _olds: GateState, news: GateInputs): Promise<pulumi.dynamic.UpdateResult> {
        const answer = await mustCheck<{ server: string }>(KUBERNETES_CHECK_SCRIPT, gateRequest(news));
        return { outs: gateOutputs(news, answer.server) };
    }

    async read(id: string, props: GateState): Promise<pulumi.dynamic.ReadResult> {
        const answer = await mustCheck<{ server: string }>(KUBERNETES_CHECK_SCRIPT, gateRequest(props));
        return { id, props: { ...props, server: answer.server } };
    }

    async delete(): Promise<void> {
        // Nothing to delete: the gate only asks.
    }
}

export const kubernetesGateProvider = new KubernetesGateProvider();

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
