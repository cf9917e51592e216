// OpenFaaS on Kubernetes: a private registry, its image pull secret, and a function pulled through it, with the faasreg package.
import * as faasreg from "@faasreg/pulumi";
import * as pulumi from "@pulumi/pulumi";

const config = new pulumi.Config();
const namespace = config.get("namespace") ?? "openfaas-fn";

// The registry, in a container on the Docker host of docker:host (the local engine without it).
const registry = new faasreg.registry.PrivateRegistry("registry", {
    host: config.require("registryHost"),
    bindAddress: config.get("registryBindAddress"),
    tls: { mode: "certificate", certificate: config.require("certificate"), privateKey: config.requireSecret("privateKey") },
    users: [{ username: "ci", password: config.requireSecret("registryPassword") }],
    image: config.get("registryImage"),
});

// Its login as a kubernetes.io/dockerconfigjson Secret in the functions' namespace (written with kubernetes:kubeconfig).
const pullSecret = new faasreg.faas.KubernetesPullSecret("pull-secret", {
    registry: { server: registry.server, username: registry.username, password: registry.password },
    namespace,
});

// The function names the Secret: faas-netes adds it to the Deployment's imagePullSecrets.
const hello = new faasreg.Function("hello", {
    gatewayUrl: config.require("gatewayUrl"),
    gatewayPassword: config.requireSecret("gatewayPassword"),
    backend: "kubernetes",
    namespace,
    service: "hello-kubernetes",
    image: pulumi.interpolate`${registry.server}/${config.require("image")}`,
    registryServer: registry.server,
    secrets: [pullSecret.secretName],
    envVars: { GREETING: "hello from Kubernetes" },
});

export const registryServer = registry.server;
export const pullSecretName = pullSecret.secretName;
export const url = hello.url;
export const availableReplicas = hello.availableReplicas;
