// faasreg:index:Function, the custom resource of the package's provider: its public, flat inputs (the schema's
// names, the same in every language) translated to the gateway logic the stack's function has always used
// (components/faas/provider.ts: deploy, wait, drift, ownership, moves), so there is one implementation of it.
import type * as provider from "@pulumi/pulumi/provider";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import {
    DEFAULT_GATEWAY_USERNAME,
    DEFAULT_NETWORK,
    DEFAULT_READINESS_TIMEOUT_SECONDS,
    FAAS_BACKEND_NAMES,
    type DeploymentFields,
    type FaasBackendName,
} from "../components/faas/args";
import { checkInputs, type FunctionInputs, type FunctionOutputs, FunctionProvider, gatewayTag } from "../components/faas/provider";
import { containsUnknown, isUnknown } from "../components/faas/unknown";
import { checkGatewayUrl } from "../components/faas/validate";
import { checkStringList, checkStringMap, describe } from "../components/problems";
import { isKubernetesNamespace } from "../components/names";
import { providerConfig } from "./configure";
import { FUNCTION_INPUTS, FUNCTION_OUTPUTS } from "./schema";

/** The function's inputs as the schema names them (plain values, after the secrets are unwrapped): the gateway's deployment fields, and ours. */
export interface PublicFunction extends DeploymentFields {
    /** Always there once checked: check writes the provider's when the program names none. */
    gatewayUrl: string;
    gatewayUsername?: string;
    gatewayPassword?: string;
    allowHttp?: boolean;
    service: string;
    image: string;
    registryAuth?: string;
    registryServer?: string;
    backend?: FaasBackendName;
    adopt?: boolean;
    waitForReady?: boolean;
    readinessTimeoutSeconds?: number;
}

/** Always secret in state, whatever the program said: the schema marks them, and the provider does too. */
const ALWAYS_SECRET = Object.keys(FUNCTION_INPUTS).filter((k) => FUNCTION_INPUTS[k].secret === true);

const DEFAULTS: Partial<PublicFunction> = {
    gatewayUsername: DEFAULT_GATEWAY_USERNAME,
    network: DEFAULT_NETWORK,
    backend: "swarm",
    allowHttp: false,
    adopt: false,
    waitForReady: true,
    readinessTimeoutSeconds: DEFAULT_READINESS_TIMEOUT_SECONDS,
};

type Wire = Record<string, unknown>;

export function isSecret(value: unknown): value is { value: unknown } {
    return typeof value === "object" && value !== null && (value as Wire)[specialSigKey] === specialSecretSig;
}

/**
 * The plain values of the engine's properties, and which top-level properties held a secret anywhere inside
 * (an envVars map set with `--secret` stays secret in the outputs).
 */
export function unwrap(props: Wire): { plain: Wire; secret: Set<string> } {
    const secret = new Set<string>();
    const strip = (v: unknown, key: string): unknown => {
        if (isSecret(v)) {
            secret.add(key);
            return strip(v.value, key);
        }
        if (Array.isArray(v)) return v.map((x) => strip(x, key));
        if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, strip(x, key)]));
        return v;
    };
    const plain = Object.fromEntries(Object.entries(props ?? {}).map(([k, v]) => [k, strip(v, k)]));
    return { plain, secret };
}

/** Marks the top-level properties `keys` secret on the way back to the engine. */
export function wrapKeys(props: Wire, keys: ReadonlySet<string>): Wire {
    return Object.fromEntries(Object.entries(props).map(([k, v]) => [k, keys.has(k) ? { [specialSigKey]: specialSecretSig, value: v } : v]));
}

/** Marks `keys` (and the function's always-secret ones) secret again on the way back to the engine. */
export function wrap(props: Wire, keys: Set<string>): Wire {
    return wrapKeys(props, new Set([...keys, ...ALWAYS_SECRET]));
}

/** `project/stack` from a URN (`urn:pulumi:STACK::PROJECT::TYPE::NAME`): the owner label the stack's own functions carry. */
export function ownerOf(urn: string): string {
    const [head, project] = urn.split("::");
    return `${project}/${head.slice("urn:pulumi:".length)}`;
}

/**
 * Whether the provider's credentials reach this function's gateway: it sets no password of its own, and its gateway is
 * the provider's. The gateway logic then uses the provider's CURRENT configuration (its `gatewayFromStackConfig`, as
 * the stack's dynamic resource does with `faas:*`), so a rotated password reaches refresh and destroy too.
 */
function providerCredentials(p: PublicFunction): boolean {
    const url = providerConfig().gatewayUrl;
    return p.gatewayPassword === undefined && url !== undefined && typeof p.gatewayUrl === "string" && gatewayTag(url) === gatewayTag(p.gatewayUrl);
}

/** The gateway logic's inputs for the public ones (defaults applied by check). */
function internal(p: PublicFunction, urn: string): FunctionInputs {
    const backend = p.backend ?? "swarm";
    return {
        gateway: { url: p.gatewayUrl, username: p.gatewayUsername ?? DEFAULT_GATEWAY_USERNAME },
        ...(p.gatewayPassword === undefined ? {} : { gatewayPassword: p.gatewayPassword }),
        service: p.service,
        image: p.image,
        envProcess: p.envProcess,
        network: p.network ?? DEFAULT_NETWORK,
        envVars: p.envVars,
        labels: p.labels,
        annotations: p.annotations,
        constraints: p.constraints,
        secrets: p.secrets,
        limits: p.limits,
        requests: p.requests,
        readOnlyRootFilesystem: p.readOnlyRootFilesystem,
        namespace: p.namespace,
        // faasd and faas-netes ignore registryAuth: it is not sent (check refuses it there).
        ...(backend === "swarm" && p.registryAuth !== undefined ? { registryAuth: p.registryAuth } : {}),
        settings: {
            owner: ownerOf(urn),
            registryServer: p.registryServer,
            adopt: p.adopt ?? false,
            ...(backend === "swarm" ? {} : { backend }),
            ...(providerCredentials(p) ? { gatewayFromStackConfig: true } : {}),
            readiness: { enabled: p.waitForReady ?? true, timeoutSeconds: p.readinessTimeoutSeconds ?? DEFAULT_READINESS_TIMEOUT_SECONDS },
        },
    };
}

/**
 * State written by the stack's dynamic resource (`pulumi-nodejs:dynamic:Resource`, the stack before the package),
 * in the package's public form: an existing function moves to the package with an alias, in place (see
 * isDynamicState). Everything the gateway logic keeps is carried over; `__provider` (the serialized closure) is not.
 */
export function fromDynamicState(state: Wire): Wire {
    const { gateway, settings, status, ...rest } = state as {
        gateway?: { url?: unknown; username?: unknown };
        settings?: { registryServer?: unknown; adopt?: unknown; backend?: unknown; readiness?: { enabled?: unknown; timeoutSeconds?: unknown } };
        status?: { replicas?: unknown; availableReplicas?: unknown; image?: unknown };
    } & Wire;
    const fields = Object.fromEntries(Object.entries(rest).filter(([k]) => k !== "__provider"));
    const publicState: Wire = {
        ...fields,
        gatewayUrl: gateway?.url,
        gatewayUsername: gateway?.username,
        registryServer: settings?.registryServer,
        backend: settings?.backend ?? "swarm",
        adopt: settings?.adopt ?? false,
        waitForReady: settings?.readiness?.enabled ?? true,
        readinessTimeoutSeconds: settings?.readiness?.timeoutSeconds ?? DEFAULT_READINESS_TIMEOUT_SECONDS,
        url: typeof gateway?.url === "string" ? `${gatewayTag(gateway.url)}/function/${String(fields.service)}` : undefined,
        replicas: status?.replicas,
        availableReplicas: status?.availableReplicas,
        reportedImage: status?.image,
    };
    return Object.fromEntries(Object.entries(publicState).filter(([, v]) => v !== undefined));
}

/** Whether a state is the stack's dynamic resource's (its grouped `gateway` and `settings`, which the package's flat schema has not). */
export function isDynamicState(state: Wire): boolean {
    const plain = unwrap(state).plain;
    return typeof plain.gateway === "object" && plain.gateway !== null && typeof plain.settings === "object" && plain.settings !== null;
}

/** A state in the package's form, whichever wrote it. Secrets stay wrapped: fromDynamicState moves values, it does not open them. */
function publicForm(state: Wire): Wire {
    if (!isDynamicState(state)) return state;
    // The grouped objects are never secret as a whole (their secret parts are top-level properties): open them to move their fields.
    const opened = Object.fromEntries(
        Object.entries(state).map(([k, v]) => [k, (k === "gateway" || k === "settings" || k === "status") && isSecret(v) ? v.value : v]),
    );
    return fromDynamicState(opened);
}

type PublicState = PublicFunction & { url?: string; replicas?: number; availableReplicas?: number; reportedImage?: string };

function internalState(s: PublicState, urn: string): FunctionOutputs {
    return { ...internal(s, urn), status: { replicas: s.replicas ?? 0, availableReplicas: s.availableReplicas ?? 0, image: s.reportedImage ?? s.image } };
}

/** The public state for what the gateway logic returned: the inputs as declared, and what the gateway reports. */
function publicState(inputs: PublicFunction, outs: FunctionOutputs): PublicState {
    const base = `${inputs.gatewayUrl.replace(/\/+$/, "")}/function/${inputs.service}`;
    const state: Wire = {
        ...inputs,
        image: outs.image,
        envProcess: outs.envProcess,
        labels: outs.labels,
        annotations: outs.annotations,
        url: base,
        replicas: outs.status.replicas,
        availableReplicas: outs.status.availableReplicas,
        reportedImage: outs.status.image,
    };
    // Absent, not undefined: the engine's struct encoding has no undefined.
    return Object.fromEntries(Object.entries(state).filter(([, v]) => v !== undefined)) as unknown as PublicState;
}

/** The inputs part of a state (for read, which reports drift in them). */
function inputsOf(state: Wire): Wire {
    return Object.fromEntries(Object.entries(state).filter(([k]) => !(k in FUNCTION_OUTPUTS)));
}

/** Every problem with the inputs, by the schema's property names. Values not known yet (a preview) are not checked. */
export function checkFunction(p: Wire): provider.CheckFailure[] {
    const failures: provider.CheckFailure[] = [];
    const add = (property: string, reason: string | undefined) => reason !== undefined && failures.push({ property, reason });
    const known = (k: string) => p[k] !== undefined && !containsUnknown(p[k]);
    for (const key of Object.keys(p)) {
        if (!(key in FUNCTION_INPUTS) && !key.startsWith("__"))
            add(key, `is not an input of faasreg:index:Function: the inputs are ${Object.keys(FUNCTION_INPUTS).join(", ")}`);
    }
    if (p.gatewayUrl === undefined) {
        add(
            "gatewayUrl",
            "is required: the FaaS gateway's URL (e.g. https://gateway.example.com), here or in the provider's configuration (faasreg:gatewayUrl)",
        );
    } else if (!isUnknown(p.gatewayUrl)) add("gatewayUrl", checkGatewayUrl(p.gatewayUrl, p.allowHttp === true, "allowHttp"));
    if (p.service === undefined) add("service", 'is required: the function\'s name, e.g. "hello"');
    if (p.image === undefined) add("image", "is required: the image to run, e.g. registry.example.com/team/hello:1");
    for (const key of ["gatewayUsername", "gatewayPassword", "registryAuth", "registryServer", "envProcess", "network", "namespace"]) {
        if (known(key) && typeof p[key] !== "string") add(key, `must be a string, got ${describe(p[key])}`);
    }
    for (const key of ["envVars", "labels", "annotations"]) if (known(key)) add(key, checkStringMap(p[key]));
    for (const key of ["constraints", "secrets"]) if (known(key)) add(key, checkStringList(p[key]));
    for (const key of ["allowHttp", "readOnlyRootFilesystem", "adopt", "waitForReady"]) {
        if (known(key) && typeof p[key] !== "boolean") add(key, `must be true or false, got ${describe(p[key])}`);
    }
    const timeout = p.readinessTimeoutSeconds;
    if (known("readinessTimeoutSeconds") && (typeof timeout !== "number" || !Number.isInteger(timeout) || timeout < 1 || timeout > 3600)) {
        add("readinessTimeoutSeconds", `must be a whole number of seconds between 1 and 3600, got ${describe(timeout)}`);
    }
    const backend = p.backend ?? "swarm";
    if (known("backend") && !FAAS_BACKEND_NAMES.includes(backend as FaasBackendName)) {
        add("backend", `must be "swarm", "faasd" or "kubernetes", got ${describe(backend)}`);
    }
    if (p.registryAuth !== undefined && (backend === "faasd" || backend === "kubernetes")) {
        add(
            "registryAuth",
            backend === "faasd"
                ? "is ignored by faasd: put the registry's credentials in /var/lib/faasd/.docker/config.json on the faasd host instead"
                : "is ignored by faas-netes: name an image pull secret (kubernetes.io/dockerconfigjson) in secrets instead",
        );
    }
    if (known("namespace") && typeof p.namespace === "string" && !isKubernetesNamespace(p.namespace)) {
        add("namespace", `${describe(p.namespace)} is not a valid namespace (lowercase letters, digits and '-')`);
    }
    if (failures.length > 0) return failures;
    // The gateway logic's own checks: the service's name, the image against registryServer, registryAuth's form, limits.
    return checkInputs(internal(p as unknown as PublicFunction, "urn:pulumi:check::check::t::n")).map((f) => ({ property: f.property, reason: f.reason }));
}

/** The resource's provider methods, for @pulumi/pulumi/provider's server. */
export class FunctionResource {
    private readonly gateway = new FunctionProvider();

    /** The gateway logic, handed the provider's current configuration (the engine configures the provider before any call). */
    private logic(): FunctionProvider {
        const c = providerConfig();
        this.gateway.stackGateway = { url: c.gatewayUrl, username: c.gatewayUsername, password: c.gatewayPassword };
        return this.gateway;
    }

    async check(_urn: string, _olds: Wire, news: Wire): Promise<provider.CheckResult> {
        // No gatewayUrl: the provider's, written into the inputs so state records the gateway the function is on (a later
        // change of the provider's gatewayUrl is then a move, which the gateway logic handles).
        const gatewayUrl = providerConfig().gatewayUrl;
        const given = news.gatewayUrl === undefined && gatewayUrl !== undefined ? { ...news, gatewayUrl } : news;
        const { plain } = unwrap(given);
        const failures = checkFunction(plain);
        // Defaults written into the inputs, so state and every SDK read the value in effect.
        const defaults = Object.fromEntries(Object.entries(DEFAULTS).filter(([k]) => given[k] === undefined));
        return { inputs: { ...defaults, ...given }, failures };
    }

    async diff(id: string, urn: string, olds: Wire, news: Wire): Promise<provider.DiffResult> {
        const o = internalState(unwrap(publicForm(olds)).plain as unknown as PublicState, urn);
        const n = internal(unwrap(news).plain as unknown as PublicFunction, urn);
        const d = await this.logic().diff(id, o, n);
        // State the stack's dynamic resource wrote is rewritten in the package's form by an update, which sends nothing to the
        // gateway unless a deployment field changed (the gateway logic's update): the function is not redeployed.
        const migrate = isDynamicState(olds);
        return { changes: d.changes || migrate, replaces: d.replaces, deleteBeforeReplace: d.deleteBeforeReplace };
    }

    async create(urn: string, inputs: Wire): Promise<provider.CreateResult> {
        const { plain, secret } = unwrap(inputs);
        const p = plain as unknown as PublicFunction;
        const r = await this.logic().create(internal(p, urn));
        return { id: r.id, outs: wrap(publicState(p, r.outs) as unknown as Wire, secret) };
    }

    async update(id: string, urn: string, olds: Wire, news: Wire): Promise<provider.UpdateResult> {
        const { plain, secret } = unwrap(news);
        const p = plain as unknown as PublicFunction;
        const r = await this.logic().update(id, internalState(unwrap(publicForm(olds)).plain as unknown as PublicState, urn), internal(p, urn));
        return { outs: wrap(publicState(p, r.outs as FunctionOutputs) as unknown as Wire, secret) };
    }

    async read(id: string, urn: string, props: Wire): Promise<provider.ReadResult> {
        const { plain, secret } = unwrap(publicForm(props));
        const state = plain as unknown as PublicState;
        const r = await this.logic().read(id, internalState(state, urn));
        if (r.id === "") return { id: "", props: {} };
        const now = publicState(inputsOf(plain) as unknown as PublicFunction, r.props as FunctionOutputs);
        return { id, props: wrap(now as unknown as Wire, secret), inputs: wrap(inputsOf(now as unknown as Wire), secret) };
    }

    async delete(id: string, urn: string, props: Wire): Promise<void> {
        await this.logic().delete(id, internalState(unwrap(publicForm(props)).plain as unknown as PublicState, urn));
    }
}
