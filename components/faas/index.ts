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
    readonly service: pulumi.Output<string>;
    readonly image: pulumi.Output<string>;
    /** The function's URL on the gateway: `GATEWAY/function/SERVICE`. */
    readonly url: pulumi.Output<string>;
    private readonly deployment: PackageFunction;

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

        const registry = args.registry === undefined ? undefined : pulumi.output(args.registry);
        const backend = args.backend ?? "swarm";
        // faasd and faas-netes ignore registryAuth: it is not sent, one place fewer for the secret to travel.
        const registryAuth =
            backend !== "swarm"
                ? undefined
                : args.registryAuth !== undefined
                  ? pulumi.secret(args.registryAuth)
                  : registry?.apply((r) => Buffer.from(`${r.username}:${r.password}`, "utf8").toString("base64"));
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
            registryAuth: registryAuth === undefined ? undefined : pulumi.secret(registryAuth),
            // The server is no secret; it only travels inside the secret login object.
            registryServer: registry === undefined ? undefined : pulumi.unsecret(registry.apply((r) => r.server)),
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
        this.service = pulumi.output(args.service);
        this.image = deployment.image;
        const base = (u: string) => `${u.replace(/\/+$/, "")}/function/`;
        this.url =
            typeof args.gateway.url === "string" && typeof args.service === "string"
                ? pulumi.output(`${base(args.gateway.url)}${args.service}`)
                : pulumi.interpolate`${pulumi.output(args.gateway.url).apply(base)}${args.service}`;
        // Only the identity is registered on the component: the deployment's own state already holds
        // image, replicas and registryAuth (secret), and each registered output costs the SDK a promise
        // and a stack trace per function (measured: 7.5 -> 4.4 ms per function at 200 functions).
        this.registerOutputs({ service: this.service, url: this.url });
    }
}

/** The registry server, when `registry` is a plain object (not an Output): checked before anything is declared. */
function plainServer(registry: FaasFunctionArgs["registry"]): string | undefined {
    if (registry === undefined || isOutputLike(registry)) return undefined;
    const server = (registry as { server?: unknown }).server;
    return typeof server === "string" ? server : undefined;
}
