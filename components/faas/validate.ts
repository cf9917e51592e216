import { isLoopback } from "../registry/validate";
import type * as pulumi from "@pulumi/pulumi";
import { checkStringList, checkStringMap, collector, describe, type Problem } from "../problems";
import { isKubernetesNamespace } from "../names";
import { checkResources, SERVICE_NAME } from "./rules";

export { checkResources, SERVICE_NAME } from "./rules";
import { FAAS_BACKEND_NAMES, type FaasFunctionArgs } from "./args";
import { checkPrivateImage, parseImageRef } from "./image";

export function checkService(service: unknown): string | undefined {
    if (typeof service !== "string" || service.length === 0)
        return `is required: the function's name, e.g. "hello"${service === undefined ? "" : ` (got ${describe(service)})`}`;
    if (!SERVICE_NAME.test(service)) return `"${service}" is not a valid function name: use 1 to 63 letters, digits, '-', '_' or '.'`;
    return undefined;
}

export function checkGatewayUrl(url: unknown, allowHttp = false, allowHttpSwitch = "gateway.allowHttp"): string | undefined {
    if (typeof url !== "string" || url.length === 0)
        return `is required: the gateway's URL, e.g. https://gateway.example.com${url === undefined ? "" : ` (got ${describe(url)})`}`;
    let parsed: URL;
    try {
        parsed = new URL(url);
    } catch {
        return `"${url}" is not a URL: write e.g. https://gateway.example.com`;
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return `"${url}" is not an http(s) URL: write e.g. https://gateway.example.com`;
    if (parsed.username !== "" || parsed.password !== "")
        return "must not contain credentials: set the username and password separately (the password as a secret)";
    const host = parsed.hostname.replace(/^\[|\]$/g, "");
    if (parsed.protocol === "http:" && !allowHttp && host !== "localhost" && !isLoopback(host)) {
        return (
            `"${url}" is plain HTTP to a host other than this machine: the gateway password and the registry credentials (registryAuth) ` +
            `would cross the network in clear. Use https://, or, on a network you trust (a VPN, a private link), set ${allowHttpSwitch} true`
        );
    }
    return undefined;
}

/**
 * Checks the plain (non-Output) arguments of a FaasFunction and returns every problem. `registryServer`
 * is the registry the credentials are for, when known without waiting for an Output.
 */
export function validateFunctionArgs(args: FaasFunctionArgs, registryServer?: string): Problem[] {
    const { problems, add } = collector();
    add("service", checkService(args.service));
    if (typeof args.gateway?.url === "string") add("gateway.url", checkGatewayUrl(args.gateway.url, args.gateway.allowHttp === true));
    else if (args.gateway?.url === undefined) add("gateway.url", checkGatewayUrl(undefined));
    if (typeof args.image === "string") {
        if (registryServer !== undefined) add("image", checkPrivateImage(args.image, registryServer));
        else if (parseImageRef(args.image) === undefined) add("image", `"${args.image}" is not a valid image reference, e.g. registry.example.com/team/fn:1`);
    } else if (args.image === undefined || args.image === null) {
        add("image", "is required: e.g. registry.example.com/team/fn:1 (or give build, to build and push it)");
    }
    for (const field of ["envVars", "labels", "annotations"] as const) {
        if (!isOutputLike(args[field])) add(field, checkStringMap(args[field]));
    }
    for (const field of ["constraints", "secrets"] as const) {
        if (!isOutputLike(args[field])) add(field, checkStringList(args[field]));
    }
    for (const field of ["limits", "requests"] as const) {
        if (!isOutputLike(args[field])) add(field, checkResources(args[field]));
    }
    for (const field of ["envProcess", "network"] as const) {
        const v = args[field];
        if (v !== undefined && !isOutputLike(v) && typeof v !== "string") add(field, `must be a string, got ${describe(v)}`);
    }
    const ro = args.readOnlyRootFilesystem;
    if (ro !== undefined && !isOutputLike(ro) && typeof ro !== "boolean") add("readOnlyRootFilesystem", `must be true or false, got ${describe(ro)}`);
    if (args.namespace !== undefined && !isKubernetesNamespace(args.namespace)) {
        add("namespace", `${describe(args.namespace)} is not a valid namespace (lowercase letters, digits and '-')`);
    }
    if (args.adopt !== undefined && typeof args.adopt !== "boolean") add("adopt", `must be true or false, got ${describe(args.adopt)}`);
    const timeout = args.readiness?.timeoutSeconds;
    if (timeout !== undefined && (typeof timeout !== "number" || !(timeout > 0) || timeout > 3600)) {
        add("readiness.timeoutSeconds", `must be a number of seconds between 1 and 3600, got ${describe(timeout)}`);
    }
    if (args.backend !== undefined && !FAAS_BACKEND_NAMES.includes(args.backend)) {
        add("backend", `must be "swarm", "faasd" or "kubernetes", got ${describe(args.backend)}`);
    }
    if (args.backend === "faasd" && args.registryAuth !== undefined) {
        add("registryAuth", "is ignored by faasd: give registry instead, and put the credentials on the faasd host (FaasdRegistryCredentials)");
    }
    if (args.backend === "kubernetes" && args.registryAuth !== undefined) {
        add("registryAuth", "is ignored by faas-netes: give registry instead, and name an image pull secret in secrets (KubernetesPullSecret)");
    }
    if (args.registryAuth !== undefined && args.registry !== undefined) {
        add("registryAuth", "give either registryAuth or registry, not both");
    }
    return problems;
}

/**
 * Outputs and promises are checked when they resolve, inside the provider. The SDK is required here, not at the
 * top: the faasreg provider uses this module's URL check without loading all of @pulumi/pulumi (about 1 s of its start).
 */
export function isOutputLike(value: unknown): boolean {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Output } = require("@pulumi/pulumi") as typeof pulumi;
    return Output.isInstance(value) || value instanceof Promise;
}
