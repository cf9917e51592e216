// The faasreg provider: started by the engine for any program that declares the package, in any language, through
// the Node.js language host (PulumiPlugin.yaml; main.cjs loads serve.ts, which serves this).
// `pulumi package get-schema ./provider` prints its schema.
import * as provider from "@pulumi/pulumi/provider";
import { FunctionResource } from "./function";
import type { DynamicAdapter } from "./adapter";
import {
    CONTAINER_FILE_TOKEN,
    DOCKER_PLATFORM_TOKEN,
    FUNCTION_TOKEN,
    KUBERNETES_GATE_TOKEN,
    PACKAGE_VERSION,
    PINNED_IMAGE_TOKEN,
    PULL_SECRET_TOKEN,
    REGISTRY_TOKEN,
    SWARM_GATE_TOKEN,
    packageSchema,
} from "./schema";

// Each part loads what it needs when a program first uses it: the components' construct the Kubernetes parts
// (@pulumi/kubernetes, about 0.5 s) and the registry's (@pulumi/pulumi, @pulumi/docker, @pulumi/command and
// @pulumi/random, about 1 s under tsx). The custom resources (./resources) load neither: a stack's preview or no-op up
// starts on the function's code, those resources' logic, @pulumi/pulumi/provider and its gRPC.
// require first: main.cjs registers tsx for CommonJS only (its ESM hook fails to load on this Node 20), and an import()
// goes to the ESM loader, which does not resolve "./kubernetes" to kubernetes.ts there. Under vitest (the tests) it is
// the other way round: its loader resolves the import(), and require() finds no "./kubernetes".
async function lazy<T>(id: string, imported: () => Promise<T>): Promise<T> {
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        return require(id) as T;
    } catch (error) {
        if ((error as { code?: string }).code !== "MODULE_NOT_FOUND" || !String((error as Error).message).includes(`'${id}'`)) throw error;
        return imported();
    }
}
const kubernetes = () => lazy("./kubernetes", () => import("./kubernetes"));
const registry = () => lazy("./registry", () => import("./registry"));
const resources = () => lazy("./resources", () => import("./resources"));

/** The resource type a URN names (`urn:pulumi:STACK::PROJECT::[PARENT$]TYPE::NAME`). */
function typeOf(urn: string): string {
    const qualified = urn.split("::")[2] ?? "";
    return qualified.slice(qualified.lastIndexOf("$") + 1);
}

type CustomResource = FunctionResource | DynamicAdapter;

/**
 * The custom resources, by type: the function; the registry's htpasswd file, Swarm gate and pins, and the pull
 * secret's gate (children of the components); the Docker host's platform of the stack's builds.
 */
const custom: Record<string, () => Promise<CustomResource>> = {
    [FUNCTION_TOKEN]: async () => functionResource,
    [CONTAINER_FILE_TOKEN]: async () => (await resources()).containerFileResource,
    [SWARM_GATE_TOKEN]: async () => (await resources()).swarmGateResource,
    [PINNED_IMAGE_TOKEN]: async () => (await resources()).pinnedImageResource,
    [DOCKER_PLATFORM_TOKEN]: async () => (await resources()).dockerPlatformResource,
    [KUBERNETES_GATE_TOKEN]: async () => (await resources()).kubernetesGateResource,
};
const functionResource = new FunctionResource();

/** The components, by type. */
const components: Record<string, () => Promise<(typeof import("./registry"))["constructRegistry"]>> = {
    [REGISTRY_TOKEN]: async () => (await registry()).constructRegistry,
    [PULL_SECRET_TOKEN]: async () => (await kubernetes()).constructPullSecret,
};

async function resourceFor(urn: string): Promise<CustomResource> {
    const type = typeOf(urn);
    const r = custom[type];
    if (r === undefined) throw new Error(`the faasreg provider has no resource type ${type}: it provides ${Object.keys(custom).join(", ")}`);
    return r();
}

/** The state an Update reports in a preview: the resource's prediction where it makes one, else the new inputs. */
export async function previewUpdate(id: string, urn: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<Record<string, unknown>> {
    const resource = await resourceFor(urn);
    return "previewUpdate" in resource ? resource.previewUpdate(id, urn, olds, news) : news;
}

export const faasregProvider: provider.Provider = {
    version: PACKAGE_VERSION,
    schema: JSON.stringify(packageSchema()),
    check: async (urn, olds, news) => (await resourceFor(urn)).check(urn, olds, news),
    diff: async (id, urn, olds, news) => (await resourceFor(urn)).diff(id, urn, olds, news),
    create: async (urn, inputs) => (await resourceFor(urn)).create(urn, inputs),
    read: async (id, urn, props) => (await resourceFor(urn)).read(id, urn, props),
    update: async (id, urn, olds, news) => (await resourceFor(urn)).update(id, urn, olds, news),
    delete: async (id, urn, props) => (await resourceFor(urn)).delete(id, urn, props),
    construct: async (name, type, inputs, options) => {
        const construct = components[type];
        if (construct === undefined) throw new Error(`the faasreg provider has no component ${type}: it provides ${Object.keys(components).join(" and ")}`);
        return (await construct())(name, inputs, options);
    },
};
