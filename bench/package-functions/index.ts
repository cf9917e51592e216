// `count` functions through the faasreg package, each as the stack declares one from faas:functions.
import * as faasreg from "@faasreg/pulumi";
import * as pulumi from "@pulumi/pulumi";

const config = new pulumi.Config();
const username = config.require("registryUsername");
const registryAuth = config.requireSecret("registryPassword").apply((password) => Buffer.from(`${username}:${password}`).toString("base64"));
for (let i = 0; i < config.requireNumber("count"); i++) {
    new faasreg.Function(`pkg-fn-${i}`, {
        gatewayUrl: config.require("gatewayUrl"),
        gatewayPassword: config.requireSecret("gatewayPassword"),
        service: `pkg-fn-${i}`,
        image: config.require("image"),
        registryServer: config.require("registryServer"),
        registryAuth,
        envVars: { INDEX: String(i) },
    });
}
