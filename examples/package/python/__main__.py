"""A function from a private registry, with the faasreg package."""
import base64

import pulumi
import pulumi_faasreg as faasreg

config = pulumi.Config()
username = config.require("registryUsername")
# faas-swarm pulls with registryAuth: base64 of user:password, a secret because the password is one.
registry_auth = config.require_secret("registryPassword").apply(
    lambda password: base64.b64encode(f"{username}:{password}".encode()).decode()
)

hello = faasreg.Function(
    "hello",
    gateway_url=config.require("gatewayUrl"),
    gateway_password=config.require_secret("gatewayPassword"),
    service="hello-python",
    image=config.require("image"),
    registry_server=config.require("registryServer"),
    registry_auth=registry_auth,
    env_vars={"GREETING": "hello from Python"},
)

pulumi.export("url", hello.url)
pulumi.export("availableReplicas", hello.available_replicas)
