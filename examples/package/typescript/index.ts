// A private registry and a function whose image lives in it, with the faasreg package.
import * as faasreg from "@faasreg/pulumi";
import * as pulumi from "@pulumi/pulumi";

const config = new pulumi.Config();

// The registry, in a container on the Docker host of docker:host (the local engine without it).
const registry = new faasreg.registry.PrivateRegistry("registry", {
    host: config.require("registryHost"),
    httpsPort: config.getNumber("registryHttpsPort"),
    tls: { mode: "certificate", certificate: config.require("certificate"), privateKey: config.requireSecret("privateKey") },
    users: [{ username: "ci", password: config.requireSecret("registryPassword") }],
    image: config.get("registryImage"),
});

// The function, its image in that registry; faas-swarm pulls it with registryAuth (a secret output).
const hello = new faasreg.Function("hello", {
    gatewayUrl: config.require("gatewayUrl"),
    gatewayPassword: config.requireSecret("gatewayPassword"),
    service: "hello-typescript",
    image: pulumi.interpolate`${registry.server}/${config.require("image")}`,
    registryServer: registry.server,
    registryAuth: registry.registryAuth,
    envVars: { GREETING: "hello from TypeScript" },
});

export const registryServer = registry.server;
export const url = hello.url;
export const availableReplicas = hello.availableReplicas;
