// A private registry on a Docker Swarm, with the faasreg package: registry replicas behind one TLS front.
import * as faasreg from "@faasreg/pulumi";
import * as pulumi from "@pulumi/pulumi";

const config = new pulumi.Config();

// On the Swarm whose manager docker:host reaches (nothing is created unless it is one): the replicas share the
// manager's named volume, and the front (Caddy) terminates TLS for all of them. A change rolls them one by one.
const registry = new faasreg.registry.PrivateRegistry("registry", {
    mode: "swarm",
    swarm: { replicas: config.getNumber("replicas") ?? 2, frontImage: config.get("frontImage") },
    host: config.require("registryHost"),
    tls: { mode: "certificate", certificate: config.require("certificate"), privateKey: config.requireSecret("privateKey") },
    users: [{ username: "ci", password: config.requireSecret("registryPassword") }],
    image: config.get("registryImage"),
});

export const registryServer = registry.server;
// A function's registryAuth on faas-swarm (a secret).
export const registryAuth = registry.registryAuth;
