// The faasreg provider: started by the engine for any program that declares the package, in any language, through
// the Node.js language host (PulumiPlugin.yaml; main.cjs loads serve.ts, which serves this).
// `pulumi package get-schema ./provider` prints its schema.
import * as provider from "@pulumi/pulumi/provider";
import { FunctionResource } from "./function";
import type { DynamicAdapter } from "./adapter";
import { constructPullSecret, KUBERNETES_GATE_TOKEN, kubernetesGateResource, PULL_SECRET_TYPE } from "./kubernetes";
import { CONTAINER_FILE_TOKEN, containerFileResource, REGISTRY_TYPE, constructRegistry } from "./registry";
import { FUNCTION_TOKEN, PACKAGE_VERSION, packageSchema } from "./schema";

/** The resource type a URN names (`urn:pulumi:STACK::PROJECT::[PARENT$]TYPE::NAME`). */
function typeOf(urn: string): string {
    const qualified = urn.split("::")[2] ?? "";
    return qualified.slice(qualified.lastIndexOf("$") + 1);
}

type CustomResource = FunctionResource | DynamicAdapter;

/** The custom resources, by type: the function; the registry's htpasswd file and the pull secret's gate (children of the components). */
const custom: Record<string, CustomResource> = {
    [FUNCTION_TOKEN]: new FunctionResource(),
    [CONTAINER_FILE_TOKEN]: containerFileResource,
    [KUBERNETES_GATE_TOKEN]: kubernetesGateResource,
};

/** The components, by type. */
const components: Record<string, typeof constructRegistry> = {
    [REGISTRY_TYPE]: constructRegistry,
    [PULL_SECRET_TYPE]: constructPullSecret,
};

function resourceFor(urn: string): CustomResource {
    const type = typeOf(urn);
    const r = custom[type];
    if (r === undefined) throw new Error(`the faasreg provider has no resource type ${type}: it provides ${Object.keys(custom).join(", ")}`);
    return r;
}

export const faasregProvider: provider.Provider = {
    version: PACKAGE_VERSION,
    schema: JSON.stringify(packageSchema()),
    check: (urn, olds, news) => resourceFor(urn).check(urn, olds, news),
    diff: (id, urn, olds, news) => resourceFor(urn).diff(id, urn, olds, news),
    create: (urn, inputs) => resourceFor(urn).create(urn, inputs),
    read: (id, urn, props) => resourceFor(urn).read(id, urn, props),
    update: (id, urn, olds, news) => resourceFor(urn).update(id, urn, olds, news),
    delete: (id, urn, props) => resourceFor(urn).delete(id, urn, props),
    construct: async (name, type, inputs, options) => {
        const construct = components[type];
        if (construct === undefined) throw new Error(`the faasreg provider has no component ${type}: it provides ${Object.keys(components).join(" and ")}`);
        return construct(name, inputs, options);
    },
};
