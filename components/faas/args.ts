import type * as pulumi from "@pulumi/pulumi";

export const DEFAULT_NETWORK = "func_functions";
export const DEFAULT_GATEWAY_USERNAME = "admin";
export const DEFAULT_READINESS_TIMEOUT_SECONDS = 120;

export interface FaasGatewayArgs {
    /** The gateway's base URL, e.g. `https://gateway.example.com` (http or https). */
    url: pulumi.Input<string>;
    /** Basic-auth user. Defaults to "admin". */
    username?: pulumi.Input<string>;
    /** Basic-auth password (a secret). Without it no Authorization header is sent. */
    password?: pulumi.Input<string>;
    /**
     * Allow `http://` to a host other than this machine (the password and registryAuth then cross the network
     * in clear): only on a network you trust. Defaults to false; loopback needs no switch.
     */
    allowHttp?: boolean;
    /**
     * A faasreg provider configured with this gateway and its credentials (FaasregProvider, as the stack makes from
     * `faas:gateway`, `faas:username` and `faas:password`). The function then keeps no credentials in its state: every
     * call, refresh and destroy included, uses the provider's CURRENT configuration (a rotated password). Without it
     * the function carries `username` and `password` as its own inputs (the password a secret).
     */
    provider?: pulumi.ProviderResource;
}

/** Resource limits or requests, in the gateway's own strings (`"128m"`, `"0.5"`). */
export interface FunctionResources {
    memory?: string;
    cpu?: string;
}

/** The names of the gateway's own deployment fields (besides service, image and registryAuth). */
export const DEPLOYMENT_FIELD_NAMES = [
    "envProcess",
    "network",
    "envVars",
    "labels",
    "annotations",
    "constraints",
    "secrets",
    "limits",
    "requests",
    "readOnlyRootFilesystem",
    "namespace",
] as const;

/** The gateway's own deployment fields, as plain values (config and the provider use this shape). */
export interface DeploymentFields {
    envProcess?: string;
    network?: string;
    envVars?: Record<string, string>;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    constraints?: string[];
    secrets?: string[];
    limits?: FunctionResources;
    requests?: FunctionResources;
    readOnlyRootFilesystem?: boolean;
    namespace?: string;
}

export interface RegistryLogin {
    server: string;
    username: string;
    password: string;
}

/** The OpenFaaS providers the stack deploys to. */
export type FaasBackendName = "swarm" | "faasd" | "kubernetes";
export const FAAS_BACKEND_NAMES: readonly FaasBackendName[] = ["swarm", "faasd", "kubernetes"];

export interface FaasFunctionArgs {
    /** The gateway to deploy through. */
    gateway: FaasGatewayArgs;
    /** The function's name (`[-a-zA-Z_0-9.]+`, at most 63 characters). A change replaces the function. */
    service: string;
    /** The image: `registry/namespace/name[:tag|@sha256:digest]` when registry credentials are given. */
    image: pulumi.Input<string>;
    /** The process the watchdog runs. */
    envProcess?: pulumi.Input<string>;
    /** The Swarm network. Defaults to "func_functions". */
    network?: pulumi.Input<string>;
    envVars?: pulumi.Input<Record<string, string>>;
    labels?: pulumi.Input<Record<string, string>>;
    annotations?: pulumi.Input<Record<string, string>>;
    constraints?: pulumi.Input<string[]>;
    secrets?: pulumi.Input<string[]>;
    limits?: pulumi.Input<FunctionResources>;
    requests?: pulumi.Input<FunctionResources>;
    readOnlyRootFilesystem?: pulumi.Input<boolean>;
    /** The namespace (Kubernetes backends). A change replaces the function. */
    namespace?: string;
    /** base64 of `user:password` for the image's registry (a secret). Or give `registry`. */
    registryAuth?: pulumi.Input<string>;
    /**
     * The registry the image lives in: with `swarm`, `registryAuth` is made from it; with `faasd` and
     * `kubernetes` only its server is used (the credentials reach faasd through its host's config file,
     * FaasdRegistryCredentials, and the kubelet through an image pull secret the function names in `secrets`).
     */
    registry?: pulumi.Input<RegistryLogin>;
    /**
     * The gateway's backend: "swarm" (faas-swarm, which pulls with registryAuth), "faasd" (which pulls with its
     * host's /var/lib/faasd/.docker/config.json) or "kubernetes" (faas-netes: the kubelet pulls with the image pull
     * secrets named in `secrets`); registryAuth is sent to faas-swarm only. Checked against the gateway's
     * /system/info before deploying. Defaults to "swarm".
     */
    backend?: FaasBackendName;
    /** Take over a function of the same name that already exists on the gateway. Defaults to false. */
    adopt?: boolean;
    /** Wait after create and update until the gateway reports an available replica. */
    readiness?: { timeoutSeconds?: number /* default 120 */; enabled?: boolean /* default true */ };
}
