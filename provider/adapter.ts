// Logic written in the dynamic provider's interface (components/*: the registry's htpasswd file, Swarm gate and
// image pins, the Kubernetes gate, the build host's platform) served as a custom resource of the package's
// provider: its secrets unwrapped on the way in and marked on the way out. The stack and the package's components
// declare these resources (until 12-04 the stack declared dynamic resources, whose state this reads too).
import type * as pulumi from "@pulumi/pulumi";
import type * as provider from "@pulumi/pulumi/provider";
import { unwrap, wrapKeys } from "./function";

type Wire = Record<string, unknown>;

/**
 * The state a dynamic resource of the stack left (until 12-04; its alias brings it here): without the serialized
 * provider, and whether it had one. Such a state is rewritten by one update (diff reports a change), which asks
 * the engine nothing when the declaration did not change.
 */
export function withoutDynamicProvider(state: Wire): { state: Wire; dynamic: boolean } {
    if (!("__provider" in state)) return { state, dynamic: false };
    return { state: Object.fromEntries(Object.entries(state).filter(([k]) => k !== "__provider")), dynamic: true };
}

export class DynamicAdapter {
    /** The resources whose last diff found only a dynamic resource's state to move (by URN). */
    private readonly formOnly = new Set<string>();

    /**
     * @param dynamic the logic, in the dynamic provider's interface.
     * @param secretKeys the top-level properties always secret in state.
     * @param outputKeys what the provider reports beyond its inputs (left out of the inputs a read reports).
     */
    constructor(
        private readonly dynamic: pulumi.dynamic.ResourceProvider,
        private readonly secretKeys: ReadonlySet<string>,
        private readonly outputKeys: ReadonlySet<string>,
    ) {}

    async check(_urn: string, _olds: Wire, news: Wire): Promise<provider.CheckResult> {
        return { inputs: news, failures: [] };
    }

    async diff(id: string, urn: string, olds: Wire, news: Wire): Promise<provider.DiffResult> {
        const { state, dynamic } = withoutDynamicProvider(olds);
        const d = await this.dynamic.diff!(id, unwrap(state).plain, unwrap(news).plain);
        if (dynamic && !d.changes) this.formOnly.add(urn);
        else this.formOnly.delete(urn);
        return { changes: d.changes || dynamic, replaces: d.replaces, deleteBeforeReplace: d.deleteBeforeReplace };
    }

    /**
     * The state an update reports in a preview: a dynamic resource's state whose declaration did not change (diff
     * said so) keeps every value, so nothing that depends on them (a service's image pin, the readiness gate's
     * triggers) shows as changing; otherwise the new inputs, as the engine assumes.
     */
    async previewUpdate(_id: string, urn: string, olds: Wire, news: Wire): Promise<Wire> {
        return this.formOnly.has(urn) ? wrapKeys(unwrap(withoutDynamicProvider(olds).state).plain, this.secretKeys) : news;
    }

    async create(_urn: string, inputs: Wire): Promise<provider.CreateResult> {
        const r = await this.dynamic.create(unwrap(inputs).plain);
        return { id: r.id, outs: wrapKeys(r.outs ?? {}, this.secretKeys) };
    }

    async update(id: string, _urn: string, olds: Wire, news: Wire): Promise<provider.UpdateResult> {
        const { state, dynamic } = withoutDynamicProvider(olds);
        const old = unwrap(state).plain;
        // A dynamic resource's state whose declaration did not change: only the state's form changes.
        if (dynamic && !(await this.dynamic.diff!(id, old, unwrap(news).plain)).changes) return { outs: wrapKeys(old, this.secretKeys) };
        const r = await this.dynamic.update!(id, old, unwrap(news).plain);
        return { outs: wrapKeys(r.outs ?? {}, this.secretKeys) };
    }

    async read(id: string, _urn: string, props: Wire): Promise<provider.ReadResult> {
        const r = await this.dynamic.read!(id, unwrap(withoutDynamicProvider(props).state).plain);
        // Gone (the dynamic provider's empty id): the engine drops it from state.
        if (r.id === "") return { id: "", props: {} };
        const state = wrapKeys(r.props ?? {}, this.secretKeys);
        return { id: r.id ?? id, props: state, inputs: Object.fromEntries(Object.entries(state).filter(([k]) => !this.outputKeys.has(k))) };
    }

    async delete(id: string, _urn: string, props: Wire): Promise<void> {
        await this.dynamic.delete?.(id, unwrap(withoutDynamicProvider(props).state).plain);
    }
}
