"""A private registry and a function whose image lives in it, with the faasreg package."""
import pulumi
import pulumi_faasreg as faasreg

config = pulumi.Config()

# The registry, in a container on the Docker host dockerHost names (ssh://user@host, tcp://...; unset: this machine's).
registry = faasreg.registry.PrivateRegistry(
    "registry",
    docker=faasreg.registry.DockerConnectionArgs(host=config.get("dockerHost")),
    host=config.require("registryHost"),
    https_port=config.get_int("registryHttpsPort"),
    tls=faasreg.registry.TlsArgs(
        mode="certificate",
        certificate=config.require("certificate"),
        private_key=config.require_secret("privateKey"),
    ),
    users=[faasreg.registry.UserArgs(username="ci", password=config.require_secret("registryPassword"))],
    image=config.get("registryImage"),
)

# The function, its image in that registry; faas-swarm pulls it with registry_auth (a secret output).
hello = faasreg.Function(
    "hello",
    gateway_url=config.require("gatewayUrl"),
    gateway_password=config.require_secret("gatewayPassword"),
    service="hello-python",
    image=pulumi.Output.concat(registry.server, "/", config.require("image")),
    registry_server=registry.server,
    registry_auth=registry.registry_auth,
    env_vars={"GREETING": "hello from Python"},
)

pulumi.export("registryServer", registry.server)
pulumi.export("url", hello.url)
pulumi.export("availableReplicas", hello.available_replicas)
