// The package's schema: what `pulumi package add`, `gen-sdk` and Pulumi YAML read to type and document the
// resources in every language. The table of the function's inputs below is the schema's, and the provider's check
// refuses any property not in it (./function.ts, which translates them to the stack's gateway logic).
import { DEFAULT_GATEWAY_USERNAME, DEFAULT_NETWORK, DEFAULT_READINESS_TIMEOUT_SECONDS } from "../components/faas/args";

/** The package's name: short, one word in every language (`faasreg` in TypeScript and YAML, `pulumi_faasreg` in Python). */
export const PACKAGE = "faasreg";
export const FUNCTION_TOKEN = `${PACKAGE}:index:Function`;
/** Kept in step with package.json by a test (the engine records it in state beside every resource). */
export const PACKAGE_VERSION = "0.1.0";

type PropertySpec = {
    type?: "string" | "boolean" | "integer" | "object" | "array";
    items?: { type: "string" };
    additionalProperties?: { type: "string" };
    $ref?: string;
    description: string;
    secret?: boolean;
    default?: unknown;
    replaceOnChanges?: boolean;
};

const resources = {
    type: "object",
    properties: {
        memory: { type: "string", description: 'Memory, in the gateway\'s own notation (e.g. "128m", "1Gi").' },
        cpu: { type: "string", description: 'CPU, in the gateway\'s own notation (e.g. "0.5", "500m").' },
    },
    description: "Resource limits or requests of a function.",
};

/** The function's inputs, by their names in every language. */
export const FUNCTION_INPUTS: Record<string, PropertySpec> = {
    gatewayUrl: {
        type: "string",
        description:
            "The FaaS gateway's base URL, e.g. `https://gateway.example.com`. `http://` is refused to a host other than this machine " +
            "unless `allowHttp` is true (the gateway password and `registryAuth` would cross the network in clear).",
    },
    gatewayUsername: { type: "string", description: "The gateway's basic-auth user.", default: DEFAULT_GATEWAY_USERNAME },
    gatewayPassword: {
        type: "string",
        secret: true,
        description: "The gateway's basic-auth password. A secret in state and in every SDK. Without it no Authorization header is sent.",
    },
    allowHttp: {
        type: "boolean",
        description: "Allow an `http://` gateway on a host other than this machine: only on a network you trust.",
        default: false,
    },
    service: {
        type: "string",
        replaceOnChanges: true,
        description: "The function's name on the gateway: 1 to 63 letters, digits, '-', '_' or '.'. A change replaces the function.",
    },
    image: {
        type: "string",
        description:
            "The image to run: `registry/namespace/name[:tag|@sha256:digest]`. With `registryServer`, it must live in that registry " +
            "(a short name such as `team/fn:1` is refused: the engines would pull it from Docker Hub with these credentials).",
    },
    registryAuth: {
        type: "string",
        secret: true,
        description:
            "base64 of `user:password` for the image's registry, sent to faas-swarm with the deployment. A secret in state and in every SDK. " +
            "faasd and faas-netes ignore it (faasd reads its host's credentials file; on Kubernetes name an image pull secret in `secrets`).",
    },
    registryServer: {
        type: "string",
        description: "The private registry the image must live in (e.g. `registry.example.com`): an image elsewhere is refused before anything is sent.",
    },
    backend: {
        type: "string",
        description:
            'The gateway\'s backend: "swarm" (faas-swarm), "faasd" or "kubernetes" (faas-netes). Checked against the gateway\'s `/system/info` before deploying.',
        default: "swarm",
    },
    envProcess: { type: "string", description: "The process the watchdog runs (`fprocess`)." },
    network: { type: "string", description: "The Swarm network of the function.", default: DEFAULT_NETWORK },
    envVars: { type: "object", additionalProperties: { type: "string" }, description: "Environment variables of the function." },
    labels: { type: "object", additionalProperties: { type: "string" }, description: "Labels of the function." },
    annotations: { type: "object", additionalProperties: { type: "string" }, description: "Annotations of the function." },
    constraints: { type: "array", items: { type: "string" }, description: "Placement constraints (e.g. `node.role==worker` on Swarm)." },
    secrets: {
        type: "array",
        items: { type: "string" },
        description: "Names of the platform's secrets the function reads (on Kubernetes: also the image pull secrets it names).",
    },
    limits: { $ref: "#/types/faasreg:index:FunctionResources", description: "Resource limits." },
    requests: { $ref: "#/types/faasreg:index:FunctionResources", description: "Resource requests." },
    readOnlyRootFilesystem: { type: "boolean", description: "Run the function with a read-only root file system." },
    namespace: { type: "string", replaceOnChanges: true, description: "The namespace (faas-netes, faasd). A change replaces the function." },
    adopt: {
        type: "boolean",
        description:
            "Take over a function of the same name that already exists on the gateway and was not deployed by this stack (it is overwritten with this declaration).",
        default: false,
    },
    waitForReady: {
        type: "boolean",
        description: "Wait after a create or an update until the gateway reports an available replica of the declared image.",
        default: true,
    },
    readinessTimeoutSeconds: {
        type: "integer",
        description: "How long to wait for an available replica, in seconds (1 to 3600).",
        default: DEFAULT_READINESS_TIMEOUT_SECONDS,
    },
};

export const REQUIRED_INPUTS = ["gatewayUrl", "service", "image"];

/** What the provider reports beyond its inputs. */
export const FUNCTION_OUTPUTS: Record<string, PropertySpec> = {
    url: { type: "string", description: "The function's URL on the gateway: `GATEWAY/function/SERVICE`." },
    replicas: { type: "integer", description: "Replicas the gateway reports." },
    availableReplicas: { type: "integer", description: "Available replicas the gateway reports." },
    reportedImage: { type: "string", description: "The image the gateway reports (faas-swarm may pin it by digest)." },
};

/** The schema: `pulumi package get-schema provider` prints it. Descriptions are Markdown, as every SDK's docs show them. */
export function packageSchema(): Record<string, unknown> {
    const clean = (spec: PropertySpec) => {
        const { replaceOnChanges, ...rest } = spec;
        return replaceOnChanges ? { ...rest, replaceOnChanges } : rest;
    };
    const inputs = Object.fromEntries(Object.entries(FUNCTION_INPUTS).map(([k, v]) => [k, clean(v)]));
    const outputs = Object.fromEntries(Object.entries(FUNCTION_OUTPUTS).map(([k, v]) => [k, clean(v)]));
    return {
        name: PACKAGE,
        displayName: "FaaS registry",
        version: PACKAGE_VERSION,
        description: "OpenFaaS functions whose images live in a private Docker registry, the registry credentials a secret from end to end.",
        keywords: ["openfaas", "faas", "docker", "registry", "category/cloud"],
        license: "Apache-2.0",
        meta: { moduleFormat: "(.*)" },
        language: {
            nodejs: { packageName: "@faasreg/pulumi", respectSchemaVersion: true },
            python: { packageName: "pulumi_faasreg", respectSchemaVersion: true, pyproject: { enabled: true } },
        },
        config: {},
        provider: { description: "The faasreg provider. It holds no configuration: every function names its gateway." },
        types: {
            "faasreg:index:FunctionResources": resources,
        },
        resources: {
            [FUNCTION_TOKEN]: {
                description:
                    "A function deployed through the FaaS gateway API (`POST/PUT/DELETE /system/functions`), its image pulled from a private " +
                    "registry. `pulumi up` creates or updates it and waits for an available replica; `pulumi refresh` reads it back " +
                    "(`GET /system/function/{name}`: drift in image, envProcess, labels and annotations); `pulumi destroy` deletes it, " +
                    "unless the function on the gateway is not this stack's (its `com.faasreg.owner` label).",
                inputProperties: inputs,
                requiredInputs: REQUIRED_INPUTS,
                properties: { ...inputs, ...outputs },
                required: [...REQUIRED_INPUTS, "gatewayUsername", "network", "backend", "url", "replicas", "availableReplicas"],
            },
        },
    };
}
