// The stack: read config -> private registry -> functions -> exports.
import * as pulumi from "@pulumi/pulumi";
import { computed } from "./components/computed";
import { FaasFunction, FaasregProvider, functionUrl } from "./components/faas";
import { DockerPlatform } from "./components/faas/package";
import { buildFunctionImage } from "./components/faas/build";
import { FaasdRegistryCredentials } from "./components/faas/faasd-credentials";
import { KubernetesGate, KubernetesPullSecret } from "./components/faas/kubernetes";
import { PrivateRegistry } from "./components/registry";
import { withoutPromiseStackTraces } from "./components/stack-traces";
import { loadStackConfig } from "./config";

const config = loadStackConfig();
const faas = config.faas;

// Kubernetes: asked first, so nothing is created while the cluster cannot be reached, the namespace is missing, or
// the kubeconfig may not keep Secrets there (every resource of the registry waits for it).
const kubernetes = faas?.backend === "kubernetes" ? faas.kubernetes : undefined;
const kubernetesGate =
    kubernetes === undefined
        ? undefined
        : new KubernetesGate("functions-pull-secret-gate", { kubeconfig: kubernetes.kubeconfig, namespace: kubernetes.namespace });

const registry = new PrivateRegistry("registry", config.registry, kubernetesGate === undefined ? undefined : { transformations: [after(kubernetesGate)] });

export const registryServer = registry.server;
export const registryUrl = registry.url;
export const registryUsername = pulumi.output(config.registry.users[0].username);
/** Secret: `pulumi stack output registryPassword --show-secrets | docker login SERVER -u USER --password-stdin`. */
export const registryPassword = pulumi.secret(registry.credentials.apply((c) => c.password));
export const registryCredentials = registry.credentials;
export const registryAuth = registry.registryAuth;
export const dockerConfigJson = registry.dockerConfigJson;
export const registryPasswords = registry.passwords;

// No faas:gateway: a registry-only stack.
// faasd pulls with the credentials file on its host: write the registry's entry there first.
const faasdCredentials =
    faas?.backend === "faasd" && faas.ssh !== undefined
        ? new FaasdRegistryCredentials("faasd-credentials", { connection: faas.ssh, registry: registry.credentials }, { dependsOn: [registry.ready] })
        : undefined;
// Kubernetes pulls with an image pull secret in the functions' namespace, which every function names.
const pullSecret =
    kubernetes === undefined
        ? undefined
        : new KubernetesPullSecret(
              "functions-pull-secret",
              { registry: registry.credentials, namespace: kubernetes.namespace, kubeconfig: kubernetes.kubeconfig, gate: kubernetesGate },
              { dependsOn: [registry.ready] },
          );
const credentialsWritten = faasdCredentials ?? pullSecret?.secret;
// Images built here are built for the platform of the Docker host that builds them (asked from its engine),
// unless a function names one.
const hostPlatform = faas?.functions.some((fn) => fn.build !== undefined && fn.build.platform === undefined)
    ? computed(new DockerPlatform("docker-host-platform", { connection: config.docker ?? {} }).platform)
    : undefined;
// The functions' provider (the faasreg package's, provider/), configured with faas:gateway, faas:username and
// faas:password: no function keeps the gateway's credentials in its state, and a rotated password reaches every call.
const gatewayProvider =
    faas === undefined || faas.functions.length === 0
        ? undefined
        : new FaasregProvider("faas-gateway", { gatewayUrl: faas.gateway, gatewayUsername: faas.username, gatewayPassword: faas.password });
// Without the SDK's stack trace per promise: with hundreds of functions it was most of the program's time.
const functions = faas === undefined ? [] : faas.functions.map((fn) => withoutPromiseStackTraces(() => deployFunction(faas, fn)));

function deployFunction(gateway: NonNullable<typeof faas>, fn: (typeof gateway.functions)[number]): FaasFunction {
    // Everything waits for the registry to answer with credentials (and for faasd or the cluster to hold them).
    const afterRegistry = { dependsOn: credentialsWritten === undefined ? [registry.ready] : [registry.ready, credentialsWritten] };
    const { service, image: imageName, build, adopt, readinessTimeoutSeconds, ...deployment } = fn;
    // On Kubernetes every function names the pull secret; its own secrets are kept beside it.
    if (pullSecret !== undefined) deployment.secrets = [...(deployment.secrets ?? []), pullSecret.secretName];
    // With build: build and push into our registry, then deploy the pushed digest.
    const image =
        build === undefined
            ? imageName
            : computed(buildFunctionImage(`${service}-image`, build, imageName, registry.credentials, afterRegistry, hostPlatform).repoDigest);
    return new FaasFunction(
        service,
        {
            gateway: { url: gateway.gateway, allowHttp: gateway.allowHttp, provider: gatewayProvider },
            service,
            image,
            ...deployment,
            adopt,
            readiness: { timeoutSeconds: readinessTimeoutSeconds },
            // The stack registry's first user: with swarm, registryAuth is made from it, a secret end to end.
            registry: registry.credentials,
            backend: gateway.backend,
        },
        afterRegistry,
    );
}

/** A transformation that makes a resource, and every child of a component, wait for `gate`. */
function after(gate: pulumi.Resource): pulumi.ResourceTransformation {
    return ({ props, opts }) => ({ props, opts: pulumi.mergeOptions(opts, { dependsOn: [gate] }) });
}

/** Each function's name and its URL on the gateway: known from config (no Output per function, each costs the SDK promises). */
export const faasFunctions = pulumi.output(
    faas === undefined ? [] : faas.functions.map((fn) => ({ name: fn.service, url: functionUrl(faas.gateway, fn.service) })),
);
/** The image each function runs (by digest when built here): what `npm run registry:prune` keeps. */
export const functionImages = pulumi.all(functions.map((f) => f.image));
