import type * as pulumi from "@pulumi/pulumi";
import { DEPLOYMENT_FIELD_NAMES, type DeploymentFields } from "./args";
import {
    DEFAULT_RETRY,
    type FunctionStatus,
    type GatewayConnection,
    gatewayError,
    gatewayCall,
    getFunction,
    getOrchestrator,
    type RetryPolicy,
    unexpected,
} from "./gateway";
import { checkPrivateImage, parseImageRef } from "./image";
import { checkResources, SERVICE_NAME } from "./rules";

/**
 * What the dynamic resource receives: plain values (the engine unwraps secrets before calling us).
 * Few top-level properties on purpose: the SDK spends four promises and stack traces on each one, per
 * function (see README, "Performance"), so what is not a deployment field is grouped.
 */
export interface FunctionInputs extends DeploymentFields {
    gateway: { url: string; username: string };
    gatewayPassword?: string;
    service: string;
    image: string;
    registryAuth?: string;
    settings: FunctionSettings;
}

/** How the provider handles the function, beyond what it sends to the gateway. */
export interface FunctionSettings {
    /** `project/stack`: written to the `com.faasreg.owner` label, so a function this stack made is recognised. */
    owner: string;
    /** The registry `registryAuth` is for, when known: images must live there. */
    registryServer?: string;
    adopt?: boolean;
    readiness?: { enabled?: boolean; timeoutSeconds?: number };
    /** Test hook: the retry policy of gateway calls. */
    retry?: RetryPolicy;
}

/** What the gateway reports about the deployed function. One output property, not four: each property costs the SDK per function. */
export interface FunctionState {
    replicas: number;
    availableReplicas: number;
    /** The image the gateway reports (Swarm may pin it by digest). */
    image: string;
    /** Set when the gateway's backend ignores registryAuth. */
    warning?: string;
}

export interface FunctionOutputs extends FunctionInputs {
    status: FunctionState;
}

export const OWNER_LABEL = "com.faasreg.owner";
/** Fields sent in the deployment body, with the gateway's own names (namespace goes too, but replaces). */
const DEPLOYMENT_FIELDS = ["image", ...DEPLOYMENT_FIELD_NAMES.filter((f) => f !== "namespace"), "registryAuth"] as const;
/** Fields whose change is an in-place update (besides the deployment fields). */
const OTHER_FIELDS = ["gateway", "gatewayPassword", "settings"] as const;
const REPLACE_FIELDS = ["service", "namespace"] as const;

/** What must never appear in an error: registryAuth, and the password inside it. */
function registrySecrets(inputs: FunctionInputs): (string | undefined)[] {
    if (inputs.registryAuth === undefined) return [];
    const decoded = Buffer.from(inputs.registryAuth, "base64").toString("utf8");
    return [inputs.registryAuth, decoded, decoded.slice(decoded.indexOf(":") + 1)];
}

function connection(inputs: FunctionInputs): GatewayConnection {
    return { url: inputs.gateway.url, username: inputs.gateway.username, password: inputs.gatewayPassword };
}

/** Labels the platform adds to every function (and ours): never a drift. */
export function isPlatformLabel(key: string): boolean {
    return key.startsWith("com.openfaas.") || key === "function" || key === OWNER_LABEL;
}

export function userLabels(labels: Record<string, string> | undefined): Record<string, string> {
    return Object.fromEntries(Object.entries(labels ?? {}).filter(([k]) => !isPlatformLabel(k)));
}

/** Swarm may pin `host/team/fn:1` as `host/team/fn:1@sha256:...`: the same image. */
export function sameImage(declared: string | undefined, reported: string | undefined): boolean {
    if (declared === reported) return true;
    if (declared === undefined || reported === undefined) return false;
    return reported.startsWith(`${declared}@sha256:`) || declared.startsWith(`${reported}@sha256:`);
}

/** Absent and empty maps, lists and strings are the same thing; key order is not a difference. */
function normalize(value: unknown): unknown {
    if (value === undefined || value === null || value === "") return undefined;
    if (Array.isArray(value)) return value.length === 0 ? undefined : value;
    if (typeof value === "object") {
        const entries = Object.entries(value as Record<string, unknown>)
            .map(([k, v]) => [k, normalize(v)] as const)
            .filter(([, v]) => v !== undefined);
        return entries.length === 0 ? undefined : Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : 1)));
    }
    return value;
}

export function sameValue(field: string, a: unknown, b: unknown): boolean {
    if (field === "image") return sameImage(a as string | undefined, b as string | undefined);
    if (field === "labels")
        return JSON.stringify(normalize(userLabels(a as Record<string, string>))) === JSON.stringify(normalize(userLabels(b as Record<string, string>)));
    return JSON.stringify(normalize(a)) === JSON.stringify(normalize(b));
}

/** The body of POST/PUT /system/functions. */
export function deploymentBody(inputs: FunctionInputs): Record<string, unknown> {
    const body: Record<string, unknown> = { service: inputs.service };
    for (const field of DEPLOYMENT_FIELDS) {
        const value = field === "labels" ? { ...(inputs.labels ?? {}), [OWNER_LABEL]: inputs.settings.owner } : inputs[field];
        if (normalize(value) !== undefined) body[field] = value;
    }
    if (inputs.namespace) body.namespace = inputs.namespace;
    return body;
}

function functionLabel(inputs: FunctionInputs): string {
    return `function "${inputs.service}"${inputs.namespace ? ` in namespace "${inputs.namespace}"` : ""}`;
}

async function backendWarning(inputs: FunctionInputs): Promise<string | undefined> {
    if (!inputs.registryAuth) return undefined;
    const orchestrator = await getOrchestrator(connection(inputs), inputs.settings.retry);
    if (orchestrator === undefined || orchestrator.toLowerCase() === "swarm") return undefined;
    return (
        `The FaaS gateway ${inputs.gateway.url} runs on "${orchestrator}", which ignores registryAuth (only faas-swarm honours it): ` +
        `${functionLabel(inputs)} can pull from the private registry only if the platform's own credential store holds the registry's credentials ` +
        "(a Kubernetes imagePullSecret, or faasd's docker config)."
    );
}

/** Polls the gateway until the function has an available replica, or fails with the likely causes. */
export async function waitUntilReady(inputs: FunctionInputs): Promise<FunctionStatus | undefined> {
    const readiness = inputs.settings.readiness ?? {};
    if (readiness.enabled === false) return undefined;
    const timeoutSeconds = readiness.timeoutSeconds ?? 120;
    const timeoutMs = timeoutSeconds * 1000;
    const retry = inputs.settings.retry ?? DEFAULT_RETRY;
    const started = Date.now();
    let delay = 250;
    let last: FunctionStatus | undefined;
    for (;;) {
        const remaining = timeoutMs - (Date.now() - started);
        const policy = { ...retry, budgetMs: Math.max(0, Math.min(remaining, retry.budgetMs)) };
        last = await getFunction(connection(inputs), inputs.service, inputs.namespace, policy);
        if (last !== undefined && last.availableReplicas >= 1) return last;
        if (Date.now() - started + delay > timeoutMs) break;
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 2000);
    }
    const state = last === undefined ? "the gateway no longer knows it" : `replicas ${last.replicas}, available ${last.availableReplicas}`;
    throw gatewayError(
        `${functionLabel(inputs)} has no available replica after ${timeoutSeconds} s (${state}). ` +
            "The gateway accepted the deployment, but the function did not start. Likely causes: " +
            `(1) the image pull was refused: check the registry credentials (registryAuth) and that ${inputs.image} was pushed; ` +
            'Swarm shows only "No such image" (docker service ps), the real error ("no basic auth credentials", "unauthorized") is in the Docker daemon\'s log; ' +
            '(2) the image reference is not registry/namespace/name[:tag] (a "host/name" reference is pulled from docker.io); ' +
            "(3) the function exits on start (docker service logs). " +
            "The function stays deployed: fix the cause and run pulumi up again (or allow more time: readinessTimeoutSeconds).",
    );
}

async function deploy(method: "POST" | "PUT", inputs: FunctionInputs) {
    const conn = connection(inputs);
    return gatewayCall(conn, method, "/system/functions", deploymentBody(inputs), registrySecrets(inputs), inputs.settings.retry);
}

async function put(inputs: FunctionInputs, context: string): Promise<void> {
    const reply = await deploy("PUT", inputs);
    if (reply.status === 404) {
        throw gatewayError(
            `${functionLabel(inputs)} was deleted on the gateway ${inputs.gateway.url} behind Pulumi's back (PUT answered 404)${context}. ` +
                "Run `pulumi refresh` to record that, then `pulumi up` to create it again.",
            404,
        );
    }
    if (reply.status !== 200 && reply.status !== 202) throw unexpected(connection(inputs), "PUT", "/system/functions", reply, registrySecrets(inputs));
}

async function outputsAfterDeploy(inputs: FunctionInputs, warning: string | undefined): Promise<FunctionOutputs> {
    const status = (await waitUntilReady(inputs)) ?? (await getFunction(connection(inputs), inputs.service, inputs.namespace, inputs.settings.retry));
    return {
        ...inputs,
        status: {
            replicas: status?.replicas ?? 0,
            availableReplicas: status?.availableReplicas ?? 0,
            image: status?.image ?? inputs.image,
            ...(warning === undefined ? {} : { warning }),
        },
    };
}

export function functionId(inputs: Pick<FunctionInputs, "service" | "namespace">): string {
    return inputs.namespace ? `${inputs.namespace}/${inputs.service}` : inputs.service;
}

/** Why the (resolved) inputs are invalid, as engine check failures. Never quotes a secret. */
export function checkInputs(news: FunctionInputs): pulumi.dynamic.CheckFailure[] {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    if (typeof news.service !== "string" || !SERVICE_NAME.test(news.service))
        failures.push({
            property: "service",
            reason: `${JSON.stringify(news.service)} is not a valid function name: use 1 to 63 letters, digits, '-', '_' or '.'`,
        });
    if (typeof news.image !== "string") failures.push({ property: "image", reason: "is required" });
    else if (news.settings?.registryServer) {
        const problem = checkPrivateImage(news.image, news.settings.registryServer);
        if (problem !== undefined) failures.push({ property: "image", reason: problem });
    } else if (parseImageRef(news.image) === undefined) failures.push({ property: "image", reason: `"${news.image}" is not a valid image reference` });
    else if (news.registryAuth && parseImageRef(news.image)?.domain === undefined) {
        failures.push({
            property: "image",
            reason: `"${news.image}" names no registry, so registryAuth would be sent to Docker Hub: write registry/namespace/name[:tag]`,
        });
    }
    if (news.registryAuth !== undefined) {
        const decoded = Buffer.from(news.registryAuth, "base64").toString("utf8");
        if (Buffer.from(decoded, "utf8").toString("base64") !== news.registryAuth || !decoded.includes(":")) {
            failures.push({ property: "registryAuth", reason: "must be base64 of user:password (the value itself is not shown: it is a secret)" });
        }
    }
    for (const field of ["limits", "requests"] as const) {
        const problem = checkResources(news[field]);
        if (problem !== undefined) failures.push({ property: field, reason: problem });
    }
    return failures;
}

/**
 * The dynamic provider. It is serialized into the state and loaded by the engine in another process:
 * it captures no secret and no credentials, only these functions and constants. Credentials arrive as
 * (secret) inputs.
 */
export const functionProvider: pulumi.dynamic.ResourceProvider = {
    async check(_olds: FunctionInputs, news: FunctionInputs) {
        return { inputs: news, failures: checkInputs(news) };
    },

    async diff(_id: string, olds: FunctionOutputs, news: FunctionInputs) {
        const replaces = REPLACE_FIELDS.filter((f) => !sameValue(f, olds[f], news[f]));
        const changed = [...DEPLOYMENT_FIELDS, ...OTHER_FIELDS].filter((f) => !sameValue(f, olds[f], news[f]));
        const diffs = [...replaces, ...changed];
        return {
            changes: diffs.length > 0,
            replaces,
            diffs,
            // Two functions cannot share a name in one namespace: the old one goes first then.
            deleteBeforeReplace: replaces.length > 0 && olds.service === news.service,
        };
    },

    async create(inputs: FunctionInputs) {
        const conn = connection(inputs);
        const warning = await backendWarning(inputs);
        const reply = await deploy("POST", inputs);
        if (reply.status === 400 && /already ?exists/i.test(reply.body)) {
            const existing = await getFunction(conn, inputs.service, inputs.namespace, inputs.settings.retry);
            const ours = existing?.labels?.[OWNER_LABEL] === inputs.settings.owner;
            if (!ours && !inputs.settings.adopt) {
                throw gatewayError(
                    `${functionLabel(inputs)} already exists on the gateway ${inputs.gateway.url}, outside this stack. ` +
                        "To manage it from this stack, set adopt: true on it (it will be overwritten with the declared deployment); " +
                        "or remove it (faas-cli remove) or choose another service name.",
                    400,
                );
            }
            // Ours (an earlier try whose reply was lost, or an up that failed after deploying) or adopted.
            await put(inputs, " while taking it over");
        } else if (reply.status !== 200 && reply.status !== 202) {
            throw unexpected(conn, "POST", "/system/functions", reply, registrySecrets(inputs));
        }
        return { id: functionId(inputs), outs: await outputsAfterDeploy(inputs, warning) };
    },

    async update(_id: string, olds: FunctionOutputs, news: FunctionInputs) {
        const redeploy = DEPLOYMENT_FIELDS.some((f) => !sameValue(f, olds[f], news[f]));
        if (!redeploy) {
            // Only how we reach the gateway or wait for it changed: nothing to send.
            return { outs: { ...olds, ...news, status: olds.status } };
        }
        const warning = await backendWarning(news);
        await put(news, "");
        return { outs: await outputsAfterDeploy(news, warning) };
    },

    async delete(_id: string, olds: FunctionOutputs) {
        const conn = connection(olds);
        const body = { functionName: olds.service, ...(olds.namespace ? { namespace: olds.namespace } : {}) };
        const reply = await gatewayCall(conn, "DELETE", "/system/functions", body, registrySecrets(olds), olds.settings.retry);
        // 404: already gone, which is what delete wants.
        if (reply.status !== 200 && reply.status !== 202 && reply.status !== 404) {
            throw unexpected(conn, "DELETE", "/system/functions", reply, registrySecrets(olds));
        }
    },

    async read(id: string, props: FunctionOutputs) {
        const status = await getFunction(connection(props), props.service, props.namespace, props.settings.retry);
        if (status === undefined) return { id: "", props: {} };
        const reported: Partial<FunctionOutputs> = {
            // Report drift in what the gateway returns; keep our spelling when only Swarm's digest pin differs.
            image: sameImage(props.image, status.image) ? props.image : status.image,
            envProcess: status.envProcess || undefined,
            labels: normalize(userLabels(status.labels)) as Record<string, string> | undefined,
            annotations: normalize(status.annotations) as Record<string, string> | undefined,
            status: { ...props.status, replicas: status.replicas, availableReplicas: status.availableReplicas, image: status.image },
        };
        return { id, props: { ...props, ...reported } };
    },
};
