// The faasreg provider: started by the engine for any program that declares the package, in any language, through
// the Node.js language host (PulumiPlugin.yaml; main.cjs loads serve.ts, which serves this).
// `pulumi package get-schema ./provider` prints its schema.
import * as provider from "@pulumi/pulumi/provider";
import { FunctionResource } from "./function";
import { FUNCTION_TOKEN, PACKAGE_VERSION, packageSchema } from "./schema";

/** The resource type a URN names (`urn:pulumi:STACK::PROJECT::[PARENT$]TYPE::NAME`). */
function typeOf(urn: string): string {
    const qualified = urn.split("::")[2] ?? "";
    return qualified.slice(qualified.lastIndexOf("$") + 1);
}

const fn = new FunctionResource();

function resourceFor(urn: string): FunctionResource {
    const type = typeOf(urn);
    if (type !== FUNCTION_TOKEN) throw new Error(`the faasreg provider has no resource type ${type}: it provides ${FUNCTION_TOKEN}`);
    return fn;
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
};
