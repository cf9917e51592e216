// The Kubernetes gate's logic, in the dynamic provider's interface: the faasreg provider serves it as the stack's
// and the package's faasreg:faas:KubernetesGate (./package.ts). Light on purpose: the provider loads it for a
// preview without loading @pulumi/kubernetes.
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { checkForDiff, mustCheck } from "../check-process";

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
