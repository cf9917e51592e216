// The stack: read config -> private registry -> functions -> exports.
import * as pulumi from "@pulumi/pulumi";
import { computed } from "./components/computed";
import { FaasFunction } from "./components/faas";
import { DockerPlatform } from "./components/docker-platform";
import { buildFunctionImage } from "./components/faas/build";
import { FaasdRegistryCredentials } from "./components/faas/faasd-credentials";
import { PrivateRegistry } from "./components/registry";
import { loadStackConfig } from "./config";

const config = loadStackConfig();

const registry = new PrivateRegistry("registry", config.registry);

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
const faas = config.faas;
// faasd pulls with the credentials file on its host: write the registry's entry there first.
const faasdCredentials =
    faas?.backend === "faasd" && faas.ssh !== undefined
        ? new FaasdRegistryCredentials("faasd-credentials", { connection: faas.ssh, registry: registry.credentials }, { dependsOn: [registry.ready] })
        : undefined;
// Images built here are built for the platform of the Docker host that builds them (asked from its engine),
// unless a function names one.
const hostPlatform = faas?.functions.some((fn) => fn.build !== undefined && fn.build.platform === undefined)
    ? computed(new DockerPlatform("docker-host-platform", { connection: config.docker ?? {} }).platform)
    : undefined;
const functions = faas === undefined ? [] : faas.functions.map((fn) => deployFunction(faas, fn));

function deployFunction(gateway: NonNullable<typeof faas>, fn: (typeof gateway.functions)[number]): FaasFunction {
    // Everything waits for the registry to answer with credentials (and for faasd to hold them).
    const afterRegistry = { dependsOn: faasdCredentials === undefined ? [registry.ready] : [registry.ready, faasdCredentials] };
    const { service, image: imageName, build, adopt, readinessTimeoutSeconds, ...deployment } = fn;
    // With build: build and push into our registry, then deploy the pushed digest.
    const image =
        build === undefined
            ? imageName
            : computed(buildFunctionImage(`${service}-image`, build, imageName, registry.credentials, afterRegistry, hostPlatform).repoDigest);
    return new FaasFunction(
        service,
        {
            gateway: { url: gateway.gateway, username: gateway.username, password: gateway.password, allowHttp: gateway.allowHttp, fromStackConfig: true },
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

/** Each function's name and its URL on the gateway. */
export const faasFunctions = pulumi.all(functions.map((f) => pulumi.all({ name: f.service, url: f.url })));
/** The image each function runs (by digest when built here): what `npm run registry:prune` keeps. */
export const functionImages = pulumi.all(functions.map((f) => f.image));
