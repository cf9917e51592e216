import * as pulumi from "@pulumi/pulumi";
import { ArgumentError } from "../problems";
import { DEFAULT_GATEWAY_USERNAME, DEFAULT_NETWORK, DEFAULT_READINESS_TIMEOUT_SECONDS, type FaasFunctionArgs } from "./args";
import { FUNCTION_INPUTS } from "../../provider/schema";
import { PackageFunction } from "./package";
import { isOutputLike, validateFunctionArgs } from "./validate";

export * from "./args";
export { OWNER_LABEL } from "./provider";
export { FaasregProvider } from "./package";
export { validateFunctionArgs } from "./validate";

export const FUNCTION_TYPE = "faasreg:faas:Function";

/**
 * A function deployed through the FaaS gateway API, its image pulled from a private registry with
 * `registryAuth` (a secret from end to end). `pulumi up` creates or updates it and waits until it has
 * an available replica; `pulumi refresh` reads it back (drift in image, envProcess, labels and
 * annotations); `pulumi destroy` deletes it.
 */
export class FaasFunction extends pulumi.ComponentResource {
    readonly image: pulumi.Output<string>;
    private readonly deployment: PackageFunction;
    // service and url are made when first read: each Output costs the SDK promises per function (BENCH_ONLY=eval),
    // and the stack's exports read neither (they are plain there).
    private readonly identity: { service: pulumi.Input<string>; url: string | pulumi.Output<string> };
    private outputs?: { service: pulumi.Output<string>; url: pulumi.Output<string> };

    get service(): pulumi.Output<string> {
        return this.identityOutputs().service;
    }
    /** The function's URL on the gateway: `GATEWAY/function/SERVICE`. */
    get url(): pulumi.Output<string> {
        return this.identityOutputs().url;
    }
    private identityOutputs(): { service: pulumi.Output<string>; url: pulumi.Output<string> } {
        this.outputs ??= { service: pulumi.output(this.identity.service), url: pulumi.output(this.identity.url) };
        return this.outputs;
    }

    /** The image the gateway reports (Swarm may pin it by digest). */
    get reportedImage(): pulumi.Output<string | undefined> {
        return this.deployment.reportedImage;
    }
    get replicas(): pulumi.Output<number> {
        return this.deployment.replicas.apply((n) => n ?? 0);
    }
    get availableReplicas(): pulumi.Output<number> {
        return this.deployment.availableReplicas.apply((n) => n ?? 0);
    }
    /** Secret base64 of `user:password`, as sent to the gateway. Undefined without registry credentials. */
    get registryAuth(): pulumi.Output<string | undefined> {
        return pulumi.secret(this.deployment.registryAuth);
    }

    constructor(name: string, args: FaasFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
        const server = plainServer(args.registry);
        const problems = validateFunctionArgs(args, server);
        if (problems.length > 0) throw new ArgumentError(`FaasFunction "${name}"`, problems);
        super(FUNCTION_TYPE, name, {}, opts);

        const registry = args.registry === undefined ? undefined : fromRegistry(args.registry);
        const backend = args.backend ?? "swarm";
        // faasd and faas-netes ignore registryAuth: it is not sent, one place fewer for the secret to travel.
        const registryAuth = backend !== "swarm" ? undefined : args.registryAuth !== undefined ? pulumi.secret(args.registryAuth) : registry?.auth;
        // The package's inputs (provider/schema.ts FUNCTION_INPUTS). With a provider, the credentials are its own.
        const viaProvider = args.gateway.provider !== undefined;
        const props: Record<string, pulumi.Input<unknown> | undefined> = {
            gatewayUrl: args.gateway.url,
            gatewayUsername: viaProvider ? undefined : (args.gateway.username ?? DEFAULT_GATEWAY_USERNAME),
            gatewayPassword: viaProvider || args.gateway.password === undefined ? undefined : pulumi.secret(args.gateway.password),
            allowHttp: args.gateway.allowHttp ? true : undefined,
            service: args.service,
            image: args.image,
            envProcess: args.envProcess,
            network: args.network ?? DEFAULT_NETWORK,
            envVars: args.envVars,
            labels: args.labels,
            annotations: args.annotations,
            constraints: args.constraints,
            secrets: args.secrets,
            limits: args.limits,
            requests: args.requests,
            readOnlyRootFilesystem: args.readOnlyRootFilesystem,
            namespace: args.namespace,
            registryAuth,
            registryServer: registry?.server,
            backend,
            adopt: args.adopt ?? false,
            waitForReady: args.readiness?.enabled ?? true,
            readinessTimeoutSeconds: args.readiness?.timeoutSeconds ?? DEFAULT_READINESS_TIMEOUT_SECONDS,
        };
        const deployment = new PackageFunction(
            `${name}-deployment`,
            // Absent fields, and those at the provider's default (its check writes the default into the inputs,
            // so state is the same), are left out: each property costs the SDK four promises, which dominates
            // evaluating a stack with hundreds of functions.
            Object.fromEntries(Object.entries(props).filter(([k, v]) => v !== undefined && v !== FUNCTION_INPUTS[k]?.default)) as Record<
                string,
                pulumi.Input<unknown>
            >,
            // Explicitly: a component's dependsOn is not inherited by the children it declares.
            { parent: this, dependsOn: opts?.dependsOn, ...(viaProvider ? { provider: args.gateway.provider } : {}) },
        );

        this.deployment = deployment;
        this.image = deployment.image;
        this.identity = {
            service: args.service,
            url:
                typeof args.gateway.url === "string" && typeof args.service === "string"
                    ? functionUrl(args.gateway.url, args.service)
                    : pulumi.output(args.gateway.url).apply((u) => functionUrl(u, args.service)),
        };
        // Only the identity is registered on the component: the deployment's own state already holds
        // image, replicas and registryAuth (secret), and each registered output costs the SDK a promise
        // and a stack trace per function (measured: 7.5 -> 4.4 ms per function at 200 functions).
        this.registerOutputs(this.identity);
    }
}

/**
 * What a function sends of its registry's login: `registryAuth` (base64 of `user:password`, a secret) and the server (no
 * secret; it only travels inside the secret login object). Made once per login: the stack's functions all share one,
 * and every Output costs the SDK promises per function (BENCH_ONLY=eval).
 */
const fromLogin = new WeakMap<object, { auth: pulumi.Output<string>; server: pulumi.Output<string> }>();
function fromRegistry(login: NonNullable<FaasFunctionArgs["registry"]>): { auth: pulumi.Output<string>; server: pulumi.Output<string> } {
    const known = fromLogin.get(login);
    if (known !== undefined) return known;
    const registry = pulumi.output(login);
    const derived = {
        auth: pulumi.secret(registry.apply((r) => Buffer.from(`${r.username}:${r.password}`, "utf8").toString("base64"))),
        server: pulumi.unsecret(registry.apply((r) => r.server)),
    };
    fromLogin.set(login, derived);
    return derived;
}

/** A function's URL on its gateway: `GATEWAY/function/SERVICE`. */
export function functionUrl(gatewayUrl: string, service: string): string {
    return `${gatewayUrl.replace(/\/+$/, "")}/function/${service}`;
}

/** The registry server, when `registry` is a plain object (not an Output): checked before anything is declared. */
function plainServer(registry: FaasFunctionArgs["registry"]): string | undefined {
    if (registry === undefined || isOutputLike(registry)) return undefined;
    const server = (registry as { server?: unknown }).server;
    return typeof server === "string" ? server : undefined;
}
