// A function from a private registry, with the faasreg package.
import * as faasreg from "@faasreg/pulumi";
import * as pulumi from "@pulumi/pulumi";

const config = new pulumi.Config();
const username = config.require("registryUsername");
// faas-swarm pulls with registryAuth: base64 of user:password, a secret because the password is one.
const registryAuth = config.requireSecret("registryPassword").apply((password) => Buffer.from(`${username}:${password}`).toString("base64"));

const hello = new faasreg.Function("hello", {
    gatewayUrl: config.require("gatewayUrl"),
    gatewayPassword: config.requireSecret("gatewayPassword"),
    service: "hello-typescript",
    image: config.require("image"),
    registryServer: config.require("registryServer"),
    registryAuth,
    envVars: { GREETING: "hello from TypeScript" },
});

export const url = hello.url;
export const availableReplicas = hello.availableReplicas;
