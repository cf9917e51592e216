// A dynamic provider of the stack (components/*: the registry's htpasswd file, the Kubernetes gate) served as a
// custom resource of the package's provider: the same code, its secrets unwrapped on the way in and marked on the
// way out. A Python or YAML program has no node_modules to find the dynamic provider through.
import type * as pulumi from "@pulumi/pulumi";
import type * as provider from "@pulumi/pulumi/provider";
import { unwrap, wrapKeys } from "./function";

type Wire = Record<string, unknown>;

export class DynamicAdapter {
    /**
     * @param dynamic the stack's dynamic provider.
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

    async diff(id: string, _urn: string, olds: Wire, news: Wire): Promise<provider.DiffResult> {
        const d = await this.dynamic.diff!(id, unwrap(olds).plain, unwrap(news).plain);
        return { changes: d.changes, replaces: d.replaces, deleteBeforeReplace: d.deleteBeforeReplace };
    }

    async create(_urn: string, inputs: Wire): Promise<provider.CreateResult> {
        const r = await this.dynamic.create(unwrap(inputs).plain);
        return { id: r.id, outs: wrapKeys(r.outs ?? {}, this.secretKeys) };
    }

    async update(id: string, _urn: string, olds: Wire, news: Wire): Promise<provider.UpdateResult> {
        const r = await this.dynamic.update!(id, unwrap(olds).plain, unwrap(news).plain);
        return { outs: wrapKeys(r.outs ?? {}, this.secretKeys) };
    }

    async read(id: string, _urn: string, props: Wire): Promise<provider.ReadResult> {
        const r = await this.dynamic.read!(id, unwrap(props).plain);
        // Gone (the dynamic provider's empty id): the engine drops it from state.
        if (r.id === "") return { id: "", props: {} };
        const state = wrapKeys(r.props ?? {}, this.secretKeys);
        return { id: r.id ?? id, props: state, inputs: Object.fromEntries(Object.entries(state).filter(([k]) => !this.outputKeys.has(k))) };
    }

    async delete(id: string, _urn: string, props: Wire): Promise<void> {
        await this.dynamic.delete?.(id, unwrap(props).plain);
    }
}
