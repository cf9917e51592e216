// The stack: read config -> private registry -> functions -> exports.
import * as pulumi from "@pulumi/pulumi";
import { PrivateRegistry } from "./components/registry";
import { loadStackConfig } from "./config";

const config = loadStackConfig();

const registry = new PrivateRegistry("registry", config.registry);

export const registryServer = registry.server;
export const registryUrl = registry.url;
export const registryUsername = pulumi.output(config.registry.users[0].username);
/** Secret: `pulumi stack output registryPassword --show-secrets | docker login --password-stdin`. */
export const registryPassword = pulumi.secret(registry.credentials.apply((c) => c.password));
export const registryCredentials = registry.credentials;
export const registryAuth = registry.registryAuth;
export const dockerConfigJson = registry.dockerConfigJson;
export const registryPasswords = registry.passwords;
