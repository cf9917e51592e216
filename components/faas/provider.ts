import type * as pulumi from "@pulumi/pulumi";
import { DEPLOYMENT_FIELD_NAMES, type DeploymentFields, type FaasBackendName } from "./args";
import {
    DEFAULT_RETRY,
    type FunctionStatus,
    type GatewayError,
    type GatewayConnection,
    gatewayError,
    gatewayCall,
    getFunction,
    getOrchestrator,
    type RetryPolicy,
    trimBody,
    unexpected,
} from "./gateway";
import { checkPrivateImage, parseImageRef } from "./image";
import { checkPull } from "./pull-check";
import { checkResources, SERVICE_NAME } from "./rules";
import { containsUnknown, isUnknown } from "./unknown";
import { warn } from "../check-process";

/**
 * What the dynamic resource receives: plain values (the engine unwraps secrets before calling us), and,
 * during a preview, the engine's unknown marker (`./unknown`) wherever a value is not known yet.
 * Few top-level properties on purpose: the SDK spends four promises and stack traces on each one, per
 * function (see docs/performance.md), so what is not a deployment field is grouped.
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
    /**
     * The gateway and its credentials are the stack's `faas:gateway`, `faas:username` and `faas:password`:
     * the provider then uses their CURRENT values from the stack config (configure()), so refresh and
     * destroy work after a password rotation or a move, not the copy saved in state.
     */
    gatewayFromStackConfig?: boolean;
    /** The gateway's backend (default "swarm"): checked against /system/info; registryAuth is sent to faas-swarm only. */
    backend?: FaasBackendName;
    /** Test hook: the retry policy of gateway calls. */
    retry?: RetryPolicy;
}

/** What the gateway reports about the deployed function. One output property, not four: each property costs the SDK per function. */
export interface FunctionState {
    replicas: number;
    availableReplicas: number;
    /** The image the gateway reports (Swarm may pin it by digest). */
    image: string;
    /** A warning to show the user (state written by earlier versions may carry one). */
    warning?: string;
}

export interface FunctionOutputs extends FunctionInputs {
    status: FunctionState;
}

/** The stack's gateway config as configure() found it. */
export interface StackGatewayConfig {
    url?: string;
    username?: string;
    password?: string;
}

export const OWNER_LABEL = "com.faasreg.owner";
/**
 * Which gateway URL the function was last deployed through. When `faas:gateway` changes, this tells the old
 * URL apart: if the function seen there carries the NEW URL, both URLs reach the same gateway (a renamed
 * address); otherwise the old gateway still runs the old copy, which is then deleted. (A URL holds no
 * credentials: checkGatewayUrl refuses them.)
 */
export const GATEWAY_LABEL = "com.faasreg.gateway";

export function gatewayTag(url: string): string {
    return url.replace(/\/+$/, "");
}
/** Fields sent in the deployment body, with the gateway's own names (namespace goes too, but replaces). */
const DEPLOYMENT_FIELDS = ["image", ...DEPLOYMENT_FIELD_NAMES.filter((f) => f !== "namespace"), "registryAuth"] as const;
/** Fields whose change is an in-place update (besides the deployment fields). */
const OTHER_FIELDS = ["gateway", "gatewayPassword", "settings"] as const;
const REPLACE_FIELDS = ["service", "namespace"] as const;
/**
 * How often one function's readiness is polled, for the whole wait: what a user's own loop would do (the
 * gateway answers in a few ms). Measured: stretching it to 1 s after 10 s, as before, made slow deploys cost
 * up to a second more than the platform's own time.
 */
const POLL_MS = 50;
/**
 * At most this many readiness polls per second go to one gateway from this process, however many functions
 * wait: 20 functions are each polled every 400 ms, 50 every second. Each poll costs faas-swarm a list of
 * every service and then the function's tasks (handlers/replica_reader.go), which compete with the deploys
 * being waited for: polling 20 functions every 50 ms made Swarm itself 21 % (fast deploys) to 45 % (slow)
 * slower here, and cost the gateway, faas-swarm and the engine 60 to 70 % more CPU (`npm run bench`).
 */
const MAX_POLLS_PER_SECOND = 50;
/**
 * Functions waiting for readiness, per gateway URL, in this process (the engine runs every function in one
 * provider process).
 */
const waiting: Record<string, number> = {};

/** The delay before a function's next poll: POLL_MS, stretched so the gateway's load stays bounded. */
function pollDelayMs(waitingOnGateway: number): number {
    return Math.max(POLL_MS, Math.ceil((waitingOnGateway * 1000) / MAX_POLLS_PER_SECOND));
}
/** How long a deployment may stay unready before the registry is asked why. */
const DIAGNOSE_AFTER_MS = 3_000;

/** What must never appear in an error: registryAuth, and the password inside it. */
function registrySecrets(inputs: FunctionInputs): (string | undefined)[] {
    if (typeof inputs.registryAuth !== "string") return [];
    const decoded = Buffer.from(inputs.registryAuth, "base64").toString("utf8");
    return [inputs.registryAuth, decoded, decoded.slice(decoded.indexOf(":") + 1)];
}

/** Labels the platform adds to every function (and ours): never a drift. */
export function isPlatformLabel(key: string): boolean {
    return key.startsWith("com.openfaas.") || key === "function" || key === "faas_function" || key === OWNER_LABEL || key === GATEWAY_LABEL;
}

/**
 * Where the owner and gateway markers go: labels, except on Kubernetes, where faas-netes copies labels onto the
 * Deployment and its pods, and a label's value may hold no '/' or ':' (the owner is project/stack, the gateway a
 * URL): annotations there.
 */
function markerField(settings: FunctionSettings | undefined): "labels" | "annotations" {
    return settings?.backend === "kubernetes" ? "annotations" : "labels";
}

/** A marker (OWNER_LABEL, GATEWAY_LABEL) of a function as the gateway reports it, wherever it was written. */
function marker(status: FunctionStatus, key: string): string | undefined {
    return status.labels?.[key] ?? status.annotations?.[key];
}

/**
 * The annotations a function reports, without ours (the markers) and without the one faas-netes adds unless told
 * (`prometheus.io.scrape: "false"`, handlers/deploy.go buildAnnotations), unless it was declared.
 */
function userAnnotations(reported: Record<string, string> | undefined, declared: Record<string, string> | undefined): Record<string, string> {
    return Object.fromEntries(
        Object.entries(reported ?? {}).filter(
            ([k]) => k !== OWNER_LABEL && k !== GATEWAY_LABEL && (k !== "prometheus.io.scrape" || declared?.[k] !== undefined),
        ),
    );
}

export function userLabels(labels: Record<string, string> | undefined): Record<string, string> {
    return Object.fromEntries(Object.entries(labels ?? {}).filter(([k]) => !isPlatformLabel(k)));
}

/**
 * A reference as the engines normalise it: Docker Hub's `docker.io/` and `library/` dropped, `:latest` added when
 * it names neither a tag nor a digest (faasd reports `team/hello` as `team/hello:latest`, and Hub images in full).
 */
export function familiarImage(ref: string): string {
    const short = ref.replace(/^(?:index\.)?docker\.io\/(?:library\/(?=[^/]+$))?/, "");
    const name = short.split("@")[0];
    const tagged = /:[^/]+$/.test(name);
    return tagged || short.includes("@") ? short : `${short}:latest`;
}

/** Swarm may pin `host/team/fn:1` as `host/team/fn:1@sha256:...`, and faasd says `:latest` where none was written: the same image. */
export function sameImage(declared: string | undefined, reported: string | undefined): boolean {
    if (declared === reported) return true;
    if (declared === undefined || reported === undefined) return false;
    const [d, r] = [familiarImage(declared), familiarImage(reported)];
    return d === r || r.startsWith(`${d}@sha256:`) || d.startsWith(`${r}@sha256:`);
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

/** Whether a field differs; a value not known yet (preview) always may. */
function changed(field: string, olds: Record<string, unknown>, news: Record<string, unknown>): boolean {
    return containsUnknown(news[field]) || !sameValue(field, olds[field], news[field]);
}

/**
 * Whether the function's environment would stay as it was although the declaration has none any more.
 * faas-swarm's PUT sets the service's env only when the deployment has some (`if len(env) > 0`): with no
 * envVars and no envProcess it keeps the old ones (measured on the real faas-swarm). Only a new service
 * clears them, so that change replaces the function.
 */
function clearsEnvironment(olds: FunctionInputs, news: FunctionInputs): boolean {
    // faasd's PUT replaces the whole container: nothing survives there.
    // faasd's and faas-netes' PUT replace the whole container spec: nothing survives there.
    if ((news.settings?.backend ?? "swarm") !== "swarm") return false;
    const hasEnv = (x: FunctionInputs) => normalize(x.envVars) !== undefined || normalize(x.envProcess) !== undefined;
    return !containsUnknown(news.envVars) && !containsUnknown(news.envProcess) && hasEnv(olds) && !hasEnv(news);
}

/** The body of POST/PUT /system/functions. */
export function deploymentBody(inputs: FunctionInputs, gatewayUrl: string): Record<string, unknown> {
    const body: Record<string, unknown> = { service: inputs.service };
    for (const field of DEPLOYMENT_FIELDS) {
        const value =
            field === markerField(inputs.settings)
                ? {
                      ...((inputs[field] as Record<string, string> | undefined) ?? {}),
                      [OWNER_LABEL]: inputs.settings.owner,
                      [GATEWAY_LABEL]: gatewayTag(gatewayUrl),
                  }
                : inputs[field];
        if (normalize(value) !== undefined) body[field] = value;
    }
    if (inputs.namespace) body.namespace = inputs.namespace;
    return body;
}

function functionLabel(inputs: FunctionInputs): string {
    return `function "${inputs.service}"${inputs.namespace ? ` in namespace "${inputs.namespace}"` : ""}`;
}

export function functionId(inputs: Pick<FunctionInputs, "service" | "namespace">): string {
    return inputs.namespace ? `${inputs.namespace}/${inputs.service}` : inputs.service;
}

/** Why the inputs are invalid, as engine check failures. Values not known yet are not checked. Never quotes a secret. */
export function checkInputs(news: FunctionInputs): pulumi.dynamic.CheckFailure[] {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    const known = (v: unknown) => !isUnknown(v);
    if (known(news.service) && (typeof news.service !== "string" || !SERVICE_NAME.test(news.service)))
        failures.push({
            property: "service",
            reason: `${JSON.stringify(news.service)} is not a valid function name: use 1 to 63 letters, digits, '-', '_' or '.'`,
        });
    const server = news.settings?.registryServer;
    if (typeof news.image !== "string") failures.push({ property: "image", reason: "is required" });
    else if (known(news.image)) {
        if (typeof server === "string" && known(server)) {
            const problem = checkPrivateImage(news.image, server);
            if (problem !== undefined) failures.push({ property: "image", reason: problem });
        } else if (parseImageRef(news.image) === undefined) failures.push({ property: "image", reason: `"${news.image}" is not a valid image reference` });
        else if (news.registryAuth !== undefined && parseImageRef(news.image)?.domain === undefined) {
            failures.push({
                property: "image",
                reason: `"${news.image}" names no registry, so registryAuth would be sent to Docker Hub: write registry/namespace/name[:tag]`,
            });
        }
    }
    if (news.registryAuth !== undefined && known(news.registryAuth)) {
        const decoded = Buffer.from(news.registryAuth, "base64").toString("utf8");
        if (Buffer.from(decoded, "utf8").toString("base64") !== news.registryAuth || !decoded.includes(":")) {
            failures.push({ property: "registryAuth", reason: "must be base64 of user:password (the value itself is not shown: it is a secret)" });
        }
    }
    for (const field of ["limits", "requests"] as const) {
        if (!known(news[field])) continue;
        const problem = checkResources(news[field]);
        if (problem !== undefined) failures.push({ property: field, reason: problem });
    }
    return failures;
}

/** A config value as the engine hands it to configure(): a string, or nothing. */
function configString(config: pulumi.dynamic.Config, key: string): string | undefined {
    const value = config.get(key) as unknown;
    return typeof value === "string" && value !== "" ? value : undefined;
}

/**
 * The function's logic, in the dynamic provider's interface: the faasreg provider (provider/function.ts) serves it
 * as faasreg:index:Function. It holds no secret and no credentials: they arrive as (secret) inputs, and the
 * provider's gateway configuration through configure().
 */
export class FunctionProvider implements pulumi.dynamic.ResourceProvider {
    /** The stack's current faas:* config (configure() runs once, before the first call). */
    stackGateway: StackGatewayConfig = {};

    async configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
        this.stackGateway = {
            url: configString(req.config, "faas:gateway"),
            username: configString(req.config, "faas:username"),
            password: configString(req.config, "faas:password"),
        };
    }

    /** How to reach the gateway to deploy to: the stack's current config when the function comes from it, else what the inputs say. */
    connection(inputs: FunctionInputs): GatewayConnection {
        const stack = this.stackGateway;
        if (inputs.settings?.gatewayFromStackConfig && stack.url !== undefined) {
            return { url: stack.url, username: stack.username ?? "admin", password: stack.password };
        }
        return { url: inputs.gateway.url, username: inputs.gateway.username, password: inputs.gatewayPassword };
    }

    /**
     * How to reach the gateway a deployed function IS on (read, delete): the URL it was last deployed through, as
     * state says, never today's `faas:gateway` (after a move the function still runs on the old gateway until an
     * update moves it). With the stack's current credentials when the stack still points there (a rotated
     * password), else those it was deployed with.
     */
    deployedConnection(props: FunctionOutputs): GatewayConnection {
        const stack = this.stackGateway;
        const url = props.gateway.url;
        if (props.settings?.gatewayFromStackConfig && stack.url !== undefined && gatewayTag(stack.url) === gatewayTag(url)) {
            return { url, username: stack.username ?? "admin", password: stack.password };
        }
        return { url, username: props.gateway.username, password: props.gatewayPassword };
    }

    async check(_olds: FunctionInputs, news: FunctionInputs) {
        return { inputs: news, failures: checkInputs(news) };
    }

    async diff(_id: string, olds: FunctionOutputs, news: FunctionInputs) {
        const o = olds as unknown as Record<string, unknown>;
        const n = news as unknown as Record<string, unknown>;
        const replaces: string[] = REPLACE_FIELDS.filter((f) => changed(f, o, n));
        if (clearsEnvironment(olds, news)) replaces.push(news.envVars === undefined && olds.envVars === undefined ? "envProcess" : "envVars");
        const diffs = [...new Set([...replaces, ...[...DEPLOYMENT_FIELDS, ...OTHER_FIELDS].filter((f) => changed(f, o, n))])];
        return {
            changes: diffs.length > 0,
            replaces,
            diffs,
            // Two functions cannot share a name in one namespace: the old one goes first then.
            deleteBeforeReplace: replaces.length > 0 && olds.service === news.service,
        };
    }

    async create(inputs: FunctionInputs) {
        const conn = this.connection(inputs);
        await checkBackend(conn, inputs);
        await post(conn, inputs);
        return { id: functionId(inputs), outs: await outputsAfterDeploy(conn, inputs, "create") };
    }

    async update(_id: string, olds: FunctionOutputs, news: FunctionInputs) {
        const conn = this.connection(news);
        const moved = olds.gateway?.url !== news.gateway.url;
        const redeploy = moved || DEPLOYMENT_FIELDS.some((f) => !sameValue(f, olds[f], news[f]));
        if (!redeploy) {
            // Only how we reach the gateway or wait for it changed: nothing to send. The new inputs replace the
            // old ones whole (a removed gatewayPassword must not linger in state).
            return { outs: { ...news, status: olds.status } };
        }
        await checkBackend(conn, news);
        const reply = await deploy(conn, "PUT", news);
        if (reply.status === 404) {
            // Not on this gateway (deleted behind our back, or the stack moved to another gateway): create it.
            await post(conn, news);
        } else if (isPullFailure(reply.body)) {
            // faasd answers 500 but carries on: it removes the function, then starts the new image from its
            // cache if it has one; without one the function is gone. Say which.
            const now = await getFunction(conn, news.service, news.namespace, news.settings.retry);
            const after =
                now === undefined
                    ? "faasd removed the function (no cached copy of the image to start it from; the next pulumi up creates it again)"
                    : `faasd started ${now.image} from its cache`;
            throw gatewayError(
                `${functionLabel(news)} on ${conn.url}: the update could not pull ${news.image}, and ${after}. Why: ${pullFailureCause(reply.body, news)}. ${nextStep("update")}`,
            );
        } else if (reply.status !== 200 && reply.status !== 202) {
            throw unexpected(conn, "PUT", "/system/functions", reply, registrySecrets(news));
        }
        const outs = await outputsAfterDeploy(conn, news, "update", olds.image);
        if (moved) await removeFromOldGateway(olds, conn, news);
        return { outs };
    }

    async delete(_id: string, olds: FunctionOutputs) {
        const conn = this.deployedConnection(olds);
        try {
            await deleteOwn(conn, olds, olds.settings?.retry);
        } catch (error) {
            const e = error as GatewayError;
            throw gatewayError(
                `${e.message} ${functionLabel(olds)} was deployed through ${conn.url} and is deleted there. If that gateway is gone for good, ` +
                    "remove the function from the stack's state instead: pulumi state delete URN (pulumi stack --show-urns lists them).",
                e.status,
            );
        }
    }

    async read(id: string, props: FunctionOutputs) {
        const status = await getFunction(this.deployedConnection(props), props.service, props.namespace, props.settings?.retry);
        if (status === undefined) return { id: "", props: {} };
        const reported: Partial<FunctionOutputs> = {
            // Report drift in what the gateway returns; keep our spelling when only Swarm's digest pin differs.
            image: sameImage(props.image, status.image) ? props.image : status.image,
            // faasd reports the process of the running container, which is the image's own `ENV fprocess` when none
            // is declared (every template sets one): drift only where a process was declared.
            envProcess: props.settings?.backend === "faasd" && props.envProcess === undefined ? undefined : status.envProcess || undefined,
            labels: normalize(userLabels(status.labels)) as Record<string, string> | undefined,
            annotations: normalize(userAnnotations(status.annotations, props.annotations)) as Record<string, string> | undefined,
            status: { ...props.status, replicas: status.replicas, availableReplicas: status.availableReplicas, image: status.image },
        };
        // Absent, not undefined: the engine's host cannot encode an undefined property (measured over gRPC).
        const merged = Object.entries({ ...props, ...reported }).filter(([, v]) => v !== undefined);
        return { id, props: Object.fromEntries(merged) as unknown as FunctionOutputs };
    }
}

/**
 * After a move to another gateway URL: the old URL may reach another gateway that still runs the old copy.
 * It is deleted there when it is ours (owner label) and was not just deployed through the new URL (then both
 * URLs reach one gateway). An old gateway that cannot be reached or refuses us is left alone: the function
 * is deployed where the stack says, and nothing can be done there.
 */
async function removeFromOldGateway(olds: FunctionOutputs, now: GatewayConnection, news: FunctionInputs): Promise<void> {
    const old: GatewayConnection = { url: olds.gateway.url, username: olds.gateway.username, password: olds.gatewayPassword };
    if (old.url === now.url) return;
    // Two quick tries: an old gateway that is gone must not hold the up for the whole retry budget.
    const retry: RetryPolicy = { ...DEFAULT_RETRY, ...olds.settings?.retry, tries: 2, budgetMs: 10_000 };
    let status: FunctionStatus | undefined;
    try {
        status = await getFunction(old, olds.service, olds.namespace, retry);
    } catch {
        return;
    }
    if (status === undefined || marker(status, GATEWAY_LABEL) === gatewayTag(now.url) || marker(status, OWNER_LABEL) !== news.settings.owner) return;
    await deleteFrom(old, olds, retry);
}

/**
 * Deletes the function on `conn` if it is this stack's (its owner label): a same-named function another stack or
 * faas-cli deployed there is left alone, with a warning (Pulumi forgets the function all the same). 404: gone already.
 */
async function deleteOwn(conn: GatewayConnection, olds: FunctionOutputs, retry: RetryPolicy | undefined): Promise<void> {
    const status = await getFunction(conn, olds.service, olds.namespace, retry);
    if (status === undefined) return;
    const owner = marker(status, OWNER_LABEL);
    if (owner !== olds.settings?.owner) {
        await warn(
            `${functionLabel(olds)} on ${conn.url} is not this stack's (its ${OWNER_LABEL} label is ${owner === undefined ? "absent" : JSON.stringify(owner)}, ` +
                `not ${JSON.stringify(olds.settings?.owner)}): it was left running, and the stack no longer manages it`,
        );
        return;
    }
    await deleteFrom(conn, olds, retry);
}

/** DELETE /system/functions on `conn`; 404 (already gone) is what a delete wants. */
async function deleteFrom(conn: GatewayConnection, olds: FunctionOutputs, retry: RetryPolicy | undefined): Promise<void> {
    const body = { functionName: olds.service, ...(olds.namespace ? { namespace: olds.namespace } : {}) };
    const reply = await gatewayCall(conn, "DELETE", "/system/functions", body, registrySecrets(olds), retry);
    if (reply.status !== 200 && reply.status !== 202 && reply.status !== 404) {
        throw unexpected(conn, "DELETE", "/system/functions", reply, registrySecrets(olds));
    }
}

async function deploy(conn: GatewayConnection, method: "POST" | "PUT", inputs: FunctionInputs) {
    return gatewayCall(conn, method, "/system/functions", deploymentBody(inputs, conn.url), registrySecrets(inputs), inputs.settings.retry);
}

/** POST; a name that is taken is ours to overwrite only if it carries our owner label, or with adopt. */
async function post(conn: GatewayConnection, inputs: FunctionInputs): Promise<void> {
    const reply = await deploy(conn, "POST", inputs);
    if (reply.status === 200 || reply.status === 202) return;
    if (isPullFailure(reply.body)) {
        throw gatewayError(
            `${functionLabel(inputs)} on ${conn.url} cannot start: the image pull is refused. Why: ${pullFailureCause(reply.body, inputs)}. ${nextStep("create")}`,
            reply.status,
        );
    }
    // A name taken: faas-swarm answers 400 AlreadyExists, faas-netes 500 `deployments.apps "NAME" already exists`.
    if (!((reply.status === 400 || reply.status === 500) && /already ?exists/i.test(reply.body)))
        throw unexpected(conn, "POST", "/system/functions", reply, registrySecrets(inputs));
    const existing = await getFunction(conn, inputs.service, inputs.namespace, inputs.settings.retry);
    const ours = existing !== undefined && marker(existing, OWNER_LABEL) === inputs.settings.owner;
    if (!ours && !inputs.settings.adopt) {
        throw gatewayError(
            `${functionLabel(inputs)} already exists on the gateway ${conn.url}, outside this stack. ` +
                "To manage it from this stack, set adopt: true on it (it will be overwritten with the declared deployment); " +
                "or remove it (faas-cli remove) or choose another service name.",
            400,
        );
    }
    // Ours (an earlier try whose reply was lost, or an up that failed after deploying) or adopted.
    const put = await deploy(conn, "PUT", inputs);
    if (put.status !== 200 && put.status !== 202) throw unexpected(conn, "PUT", "/system/functions", put, registrySecrets(inputs));
}

/** What /system/info's `orchestration` says for each backend. */
const ORCHESTRATION: Record<FaasBackendName, string> = { swarm: "swarm", faasd: "containerd", kubernetes: "kubernetes" };

/** Fails when the gateway's backend is not the declared one: the credentials would not reach it. */
async function checkBackend(conn: GatewayConnection, inputs: FunctionInputs): Promise<void> {
    const declared = inputs.settings.backend ?? "swarm";
    const orchestration = (await getOrchestrator(conn, inputs.settings.retry))?.toLowerCase();
    if (orchestration === undefined || orchestration === ORCHESTRATION[declared]) return;
    const actual = Object.entries(ORCHESTRATION).find(([, o]) => o === orchestration)?.[0];
    // With the provider's (or the stack's) gateway credentials, the function most likely comes from this repository's stack.
    const stack = inputs.settings.gatewayFromStackConfig ? ` (in this repository's stack: pulumi config set faas:backend ${actual})` : "";
    throw gatewayError(
        actual === undefined
            ? `The FaaS gateway ${conn.url} runs on "${orchestration}", which this stack does not deploy to: only faas-swarm (swarm), faasd and faas-netes (kubernetes) are supported.`
            : `backend is "${declared}", but the FaaS gateway ${conn.url} runs on "${orchestration}" (${actual}): set backend to ${actual}${stack}, so the registry credentials reach it the way it reads them.`,
    );
}

/** faasd's answer when it could not pull the image (400 on create, 500 on update). */
function isPullFailure(body: string): boolean {
    return /unable to pull image/i.test(body);
}

/** Which pull failure faasd reports, in a user's words; never a credential. */
function pullFailureCause(body: string, inputs: FunctionInputs): string {
    const server = inputs.settings.registryServer ?? parseImageRef(inputs.image)?.domain ?? "the registry";
    if (/401|unauthori[sz]ed|authentication required|denied/i.test(body)) {
        return `the registry ${server} refused faasd's credentials: the entry for ${server} in /var/lib/faasd/.docker/config.json on the faasd host is missing or wrong`;
    }
    if (/not found|manifest unknown|404/i.test(body))
        return `the registry ${server} has no ${inputs.image} (tag or digest not found): push it first, or correct the reference`;
    return `faasd says: ${trimBody(body, registrySecrets(inputs))}`;
}

/**
 * Waits until the function runs the DECLARED image with an available replica. A replica count alone is
 * not enough: faas-swarm updates with start-first and rollback, and after a rollback the counts describe
 * the old task again while the spec's image is the old one. So a reported image other than the declared
 * one means the update was rolled back (or replaced behind our back): that fails at once. A deployment
 * still not ready after a few seconds is diagnosed with the registry (`checkPull`): credentials refused
 * or image not found fail at once too, with that cause; anything else waits up to the timeout.
 */
export async function waitForDeployment(
    conn: GatewayConnection,
    inputs: FunctionInputs,
    phase: "create" | "update",
    previousImage?: string,
): Promise<FunctionStatus | undefined> {
    const readiness = inputs.settings.readiness ?? {};
    if (readiness.enabled === false) return undefined;
    const timeoutSeconds = readiness.timeoutSeconds ?? 120;
    const timeoutMs = timeoutSeconds * 1000;
    const retry = inputs.settings.retry ?? DEFAULT_RETRY;
    const started = Date.now();
    let diagnosed = false;
    let readyBefore = false;
    let last: FunctionStatus | undefined;
    const backend = inputs.settings.backend ?? "swarm";
    // One ready answer suffices, except right after an update on Swarm (see below). faas-netes counts the
    // Deployment's available replicas, which an old pod keeps at 1 during a rollout: the gateway cannot tell the
    // new pod's readiness there, so an update on Kubernetes is not waited for beyond one ready answer.
    const confirmations = phase === "update" && backend === "swarm" ? 2 : 1;
    // faasd and the kubelet pull with credentials the provider does not send (the faasd host's file, the image pull
    // secret): it cannot ask the registry as they would. faasd reports a refused pull in its answer.
    const canAskRegistry = backend === "swarm";
    const fail = async (what: string): Promise<never> => {
        const cause = canAskRegistry
            ? (await checkPull(inputs.image, inputs.registryAuth)).cause
            : backend === "kubernetes"
              ? `kubectl -n ${inputs.namespace ?? "openfaas-fn"} describe pods -l faas_function=${inputs.service} says (ImagePullBackOff: the image is not in the registry, the registry refused the image pull secret's credentials, or the node's containerd does not trust the registry's certificate)`
              : "the faasd host's journal says (journalctl -u faasd-provider): the container probably exits on start";
        throw gatewayError(`${functionLabel(inputs)} on ${conn.url}: ${what}. Why: ${cause}. ${nextStep(phase)}`);
    };
    waiting[conn.url] = (waiting[conn.url] ?? 0) + 1;
    try {
        for (;;) {
            const elapsed = Date.now() - started;
            const policy = { ...retry, budgetMs: Math.max(0, Math.min(timeoutMs - elapsed, retry.budgetMs)) };
            last = await getFunction(conn, inputs.service, inputs.namespace, policy);
            if (last === undefined) await fail(`the gateway no longer knows the function right after the ${phase} (the backend removed it)`);
            const status = last as FunctionStatus;
            if (!sameImage(inputs.image, status.image)) {
                const back = previousImage !== undefined && sameImage(previousImage, status.image);
                await fail(
                    back
                        ? `the ${phase} to ${inputs.image} was rolled back: it runs ${status.image} again (Swarm rolls an update back when the new task cannot start)`
                        : `it runs ${status.image}, not the declared ${inputs.image} (changed behind Pulumi's back, or rolled back)`,
                );
            }
            // Twice in a row after an update on Swarm: a ready answer for the old task right after an update was
            // seen once in a loaded test run. Its cause is not established (faas-swarm counts only the tasks that
            // are up to date with the service's spec), so the second answer, 50 ms later, stays as a guard. A
            // create has no old task, and faasd reads the task's state from containerd directly.
            if (status.availableReplicas >= 1 && (readyBefore || confirmations === 1)) return status;
            readyBefore = status.availableReplicas >= 1;
            if (canAskRegistry && !diagnosed && elapsed >= DIAGNOSE_AFTER_MS) {
                diagnosed = true;
                const check = await checkPull(inputs.image, inputs.registryAuth);
                if (check.verdict === "credentials-refused" || check.verdict === "not-found") {
                    throw gatewayError(
                        `${functionLabel(inputs)} on ${conn.url} cannot start: the image pull is refused. Why: ${check.cause}. ${nextStep(phase)}`,
                    );
                }
            }
            // The confirmation comes after POLL_MS; otherwise the gateway's bound decides.
            const delay = readyBefore ? POLL_MS : pollDelayMs(waiting[conn.url] ?? 1);
            if (Date.now() - started + delay > timeoutMs) break;
            await new Promise((r) => setTimeout(r, delay));
        }
    } finally {
        const left = (waiting[conn.url] ?? 1) - 1;
        if (left > 0) waiting[conn.url] = left;
        else delete waiting[conn.url];
    }
    const state = `replicas ${last?.replicas ?? 0}, available ${last?.availableReplicas ?? 0}`;
    return fail(
        `no available replica after ${timeoutSeconds} s (${state}); the gateway accepted the deployment, but the function did not start ` +
            "(allow more time with readinessTimeoutSeconds if it is only slow)",
    );
}

function nextStep(phase: "create" | "update"): string {
    return phase === "update"
        ? "Pulumi keeps the previous deployment in its state; fix the cause and run pulumi up again."
        : "The function stays deployed but is not recorded as ready; fix the cause and run pulumi up again.";
}

async function outputsAfterDeploy(
    conn: GatewayConnection,
    inputs: FunctionInputs,
    phase: "create" | "update",
    previousImage?: string,
): Promise<FunctionOutputs> {
    const status =
        (await waitForDeployment(conn, inputs, phase, previousImage)) ?? (await getFunction(conn, inputs.service, inputs.namespace, inputs.settings.retry));
    return {
        ...inputs,
        status: {
            replicas: status?.replicas ?? 0,
            availableReplicas: status?.availableReplicas ?? 0,
            image: status?.image ?? inputs.image,
        },
    };
}

export const functionProvider = new FunctionProvider();
