import { createHmac } from "node:crypto";
import * as path from "node:path";
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import {
    DEFAULT_FRONT_IMAGE,
    DEFAULT_REDIS_IMAGE,
    DEFAULT_REGISTRY_IMAGE,
    DEFAULT_REPLICAS,
    DRAIN_TIMEOUT_SECONDS,
    type PrivateRegistryArgs,
    type SwarmArgs,
} from "./args";
import { FRONT_PATHS, type FrontTls, renderFrontConfig } from "./front-config";
import { CONTAINER_PATHS } from "./registry-config";

/** The Swarm gate, relative to the project root like the readiness probe. */
export const SWARM_CHECK_SCRIPT = path.relative(process.cwd(), path.join(__dirname, "swarm-check.mjs")).split(path.sep).join("/");

/** Where the registry task reads the values it gets from Swarm secrets (files under /run/secrets). */
export const SWARM_SECRET_FILES = {
    httpSecret: "/run/secrets/faasreg-http-secret",
    s3SecretKey: "/run/secrets/faasreg-s3-secret-key",
} as const;

/**
 * The registry task's command. Distribution reads `http.secret` and the S3 secret key only from its config
 * file or from REGISTRY_* variables; a Swarm config is not for secrets and a variable in the service spec
 * is readable by anyone who can inspect the service. So the task's shell reads both from Swarm secrets
 * into its own environment just before it becomes the registry: they are in no spec and no state.
 */
export const REGISTRY_TASK_COMMAND = [
    "/bin/sh",
    "-c",
    [
        "set -e",
        `REGISTRY_HTTP_SECRET="$(cat ${SWARM_SECRET_FILES.httpSecret})"`,
        "export REGISTRY_HTTP_SECRET",
        `if [ -f ${SWARM_SECRET_FILES.s3SecretKey} ]; then REGISTRY_STORAGE_S3_SECRETKEY="$(cat ${SWARM_SECRET_FILES.s3SecretKey})"; export REGISTRY_STORAGE_S3_SECRETKEY; fi`,
        `exec registry serve ${CONTAINER_PATHS.config}`,
    ].join("\n"),
];

export interface SwarmRegistryInputs {
    /** `${project}-${stack}-${name}`: the prefix of every Swarm object's name. */
    prefix: string;
    args: PrivateRegistryArgs;
    registryConfig: pulumi.Output<string>;
    htpasswd: pulumi.Output<string>;
    httpSecret: pulumi.Output<string>;
    s3SecretKey?: pulumi.Output<string>;
    host: string;
    port: number;
    publishedPort: number;
    retainData: boolean;
}

export interface SwarmRegistry {
    network: docker.Network;
    registry: docker.Service;
    front: docker.Service;
    redis?: docker.Service;
    /** The node id of the manager `docker:host` points at (from the Swarm gate). */
    nodeId: pulumi.Output<string>;
    /** Changes whenever what the registry or the front serves changes: the readiness gate runs again. */
    revision: pulumi.Output<string>;
}

/** The effective Swarm settings (defaults applied). */
export function swarmSettings(args: PrivateRegistryArgs): Required<Pick<SwarmArgs, "replicas" | "spread" | "frontImage">> & SwarmArgs {
    const swarm = args.swarm ?? {};
    const shared = args.storage?.driver === "s3" || swarm.sharedPath !== undefined;
    return { ...swarm, replicas: swarm.replicas ?? DEFAULT_REPLICAS, spread: swarm.spread ?? shared, frontImage: swarm.frontImage ?? DEFAULT_FRONT_IMAGE };
}

/**
 * The registry as a replicated Swarm service behind one Caddy front, declared with the docker provider on
 * the manager `docker:host` points at: an overlay network, the registry's config as a Swarm config, the
 * htpasswd file, HTTP secret, S3 secret key and TLS key as Swarm secrets, `replicas` registry tasks in
 * dnsrr mode with a health check and start-first rolling updates, an optional Redis, and the front.
 */
export function declareSwarmRegistry(parent: pulumi.Resource, name: string, o: SwarmRegistryInputs): SwarmRegistry {
    const settings = swarmSettings(o.args);
    const tls = o.args.tls;
    const child = { parent };

    // Nothing is created on a host that is not a Swarm manager: every object below waits for this gate.
    const check = new command.local.Command(
        `${name}-swarm-check`,
        {
            create: `node ${JSON.stringify(SWARM_CHECK_SCRIPT)}`,
            stdin: JSON.stringify(o.args.dockerHost === undefined ? {} : { dockerHost: o.args.dockerHost }),
            logging: "stderr",
            triggers: [o.args.dockerHost ?? "local"],
        },
        child,
    );
    const nodeId = check.stdout;
    const gated = { parent, dependsOn: [check] };
    const onManager = nodeId.apply((id) => [`node.id==${id}`]);

    // Swarm configs and secrets cannot change: a new content gets a new name (and the service moves to it in
    // a rolling update before the old one is deleted). The name carries an HMAC of the content keyed by the
    // HTTP secret, so it reveals nothing about a secret's value.
    const named = (role: string, content: pulumi.Output<string>) =>
        pulumi.unsecret(
            pulumi
                .all([o.httpSecret, content])
                .apply(([key, data]) => `${o.prefix}-${role}-${createHmac("sha256", key).update(data).digest("hex").slice(0, 12)}`),
        );
    const base64 = (content: pulumi.Output<string>) => content.apply((data) => Buffer.from(data, "utf8").toString("base64"));
    // Every file's name, so the readiness gate runs again whenever any of them changes.
    const fileNames: pulumi.Output<string>[] = [];
    const swarmConfig = (role: string, content: pulumi.Output<string>) => {
        const config = new docker.ServiceConfig(`${name}-${role}`, { name: named(role, content), data: base64(content) }, gated);
        fileNames.push(config.name);
        return config;
    };
    const swarmSecret = (role: string, content: pulumi.Output<string>) => {
        const secret = new docker.Secret(`${name}-${role}`, { name: named(role, content), data: pulumi.secret(base64(content)) }, gated);
        fileNames.push(secret.name);
        return secret;
    };

    const network = new docker.Network(
        `${name}-net`,
        {
            name: `${o.prefix}-net`,
            driver: "overlay",
            // Only our services join it: Redis has no password and the registry speaks plain HTTP behind the front.
            attachable: false,
            // Requests carry Basic credentials from the front to replicas on other nodes: IPsec between nodes
            // (as `docker network create --opt encrypted`; nodes must let ESP, IP protocol 50, through).
            options: { encrypted: "" },
            labels: [{ label: "faasreg.stack", value: `${pulumi.getProject()}/${pulumi.getStack()}` }],
        },
        gated,
    );

    const registryConfig = swarmConfig("config", o.registryConfig);
    const htpasswd = swarmSecret("htpasswd", o.htpasswd);
    const httpSecret = swarmSecret("http-secret", o.httpSecret);
    const s3SecretKey = o.s3SecretKey === undefined ? undefined : swarmSecret("s3-secret-key", o.s3SecretKey);
    const secretMount = (secret: docker.Secret, fileName: string) => ({ secretId: secret.id, secretName: secret.name, fileName, fileMode: 0o400 });

    let redis: docker.Service | undefined;
    if (settings.redis === "service") {
        redis = new docker.Service(
            `${name}-redis`,
            {
                name: `${o.prefix}-redis`,
                taskSpec: {
                    containerSpec: {
                        image: settings.redisImage ?? DEFAULT_REDIS_IMAGE,
                        // A cache: bounded memory, least recently used out first, nothing on disk. No password:
                        // it is reachable on our non-attachable network only.
                        args: [
                            "redis-server",
                            "--maxmemory",
                            "256mb",
                            "--maxmemory-policy",
                            "allkeys-lru",
                            "--save",
                            "",
                            "--appendonly",
                            "no",
                            "--protected-mode",
                            "no",
                        ],
                    },
                    networksAdvanceds: [{ name: network.id }],
                    placement: settings.spread ? undefined : { constraints: onManager },
                },
                mode: { replicated: { replicas: 1 } },
                endpointSpec: { mode: "dnsrr" },
            },
            gated,
        );
    }

    const mounts: docker.types.input.ServiceTaskSpecContainerSpecMount[] = [];
    if (o.args.storage?.driver !== "s3") {
        if (settings.sharedPath !== undefined) {
            mounts.push({ type: "bind", source: settings.sharedPath, target: CONTAINER_PATHS.data });
        } else {
            const data = new docker.Volume(`${name}-data`, { name: `${o.prefix}-data` }, { ...gated, retainOnDelete: o.retainData });
            mounts.push({ type: "volume", source: data.name, target: CONTAINER_PATHS.data });
        }
    }

    const registry = new docker.Service(
        `${name}-service`,
        {
            name: o.prefix,
            taskSpec: {
                containerSpec: {
                    image: o.args.image ?? DEFAULT_REGISTRY_IMAGE,
                    commands: REGISTRY_TASK_COMMAND,
                    configs: [{ configId: registryConfig.id, configName: registryConfig.name, fileName: CONTAINER_PATHS.config, fileMode: 0o444 }],
                    secrets: [
                        secretMount(htpasswd, CONTAINER_PATHS.htpasswd),
                        secretMount(httpSecret, SWARM_SECRET_FILES.httpSecret),
                        ...(s3SecretKey === undefined ? [] : [secretMount(s3SecretKey, SWARM_SECRET_FILES.s3SecretKey)]),
                    ],
                    mounts,
                    // A task joins the front's DNS answers only once healthy; a stopping one drains first.
                    healthcheck: {
                        tests: ["CMD", "wget", "-q", "-O", "/dev/null", `http://127.0.0.1:${o.port}/`],
                        interval: "2s",
                        timeout: "2s",
                        retries: 3,
                        startPeriod: "5s",
                    },
                    stopGracePeriod: `${DRAIN_TIMEOUT_SECONDS + 5}s`,
                    labels: [{ label: "org.opencontainers.image.title", value: "faasreg private registry" }],
                },
                networksAdvanceds: [{ name: network.id }],
                placement: settings.spread ? undefined : { constraints: onManager },
                restartPolicy: { condition: "any", delay: "2s" },
            },
            mode: { replicated: { replicas: settings.replicas } },
            // dnsrr: the front balances over tasks.NAME itself; a VIP would need IPVS in the node's kernel.
            endpointSpec: { mode: "dnsrr" },
            // One task at a time, the new one healthy before the old one stops; roll back if it is not.
            updateConfig: { parallelism: 1, delay: "2s", order: "start-first", failureAction: "rollback", monitor: "10s" },
            rollbackConfig: { parallelism: 1, order: "start-first", monitor: "10s" },
            // `pulumi up` waits until every task runs the new spec.
            convergeConfig: { delay: "2s", timeout: "5m" },
            labels: [{ label: "faasreg.stack", value: `${pulumi.getProject()}/${pulumi.getStack()}` }],
        },
        { ...gated, dependsOn: [check, ...(redis === undefined ? [] : [redis])] },
    );

    const frontTls: FrontTls = tls.mode === "letsencrypt" ? { mode: "letsencrypt", email: tls.email, directory: tls.directory } : { mode: "certificate" };
    const frontConfig = swarmConfig("front-config", pulumi.output(renderFrontConfig({ host: o.host, tls: frontTls, service: o.prefix, port: o.port })));
    const frontConfigs: docker.types.input.ServiceTaskSpecContainerSpecConfig[] = [
        { configId: frontConfig.id, configName: frontConfig.name, fileName: FRONT_PATHS.config, fileMode: 0o444 },
    ];
    const frontSecrets: docker.types.input.ServiceTaskSpecContainerSpecSecret[] = [];
    if (tls.mode === "certificate") {
        const certificate = swarmConfig("front-certificate", pulumi.output(tls.certificate));
        frontConfigs.push({ configId: certificate.id, configName: certificate.name, fileName: FRONT_PATHS.certificate, fileMode: 0o444 });
        frontSecrets.push(secretMount(swarmSecret("front-key", pulumi.output(tls.privateKey)), FRONT_PATHS.privateKey));
    }
    const frontMounts: docker.types.input.ServiceTaskSpecContainerSpecMount[] = [];
    if (tls.mode === "letsencrypt") {
        const frontData = new docker.Volume(`${name}-front-data`, { name: `${o.prefix}-front-data` }, { ...gated, retainOnDelete: o.retainData });
        frontMounts.push({ type: "volume", source: frontData.name, target: FRONT_PATHS.data });
    }
    const front = new docker.Service(
        `${name}-front`,
        {
            name: `${o.prefix}-front`,
            taskSpec: {
                containerSpec: {
                    image: settings.frontImage,
                    commands: ["caddy", "run", "--config", FRONT_PATHS.config],
                    configs: frontConfigs,
                    secrets: frontSecrets,
                    mounts: frontMounts,
                    labels: [{ label: "org.opencontainers.image.title", value: "faasreg registry front" }],
                },
                networksAdvanceds: [{ name: network.id }],
                // The published port is the node's (host mode), where the registry's DNS name points; the
                // certificate volume is there too.
                placement: { constraints: onManager },
                restartPolicy: { condition: "any", delay: "2s" },
            },
            mode: { replicated: { replicas: 1 } },
            // Host mode: plain DNAT on the node, no routing mesh (which needs IPVS). One task holds the port,
            // so an update stops the old front first: a front update is a short outage (registry updates are not).
            endpointSpec: { mode: "dnsrr", ports: [{ targetPort: 443, publishedPort: o.publishedPort, publishMode: "host", protocol: "tcp" }] },
            updateConfig: { parallelism: 1, order: "stop-first", failureAction: "rollback" },
            convergeConfig: { delay: "2s", timeout: "5m" },
            labels: [{ label: "faasreg.stack", value: `${pulumi.getProject()}/${pulumi.getStack()}` }],
        },
        { ...gated, dependsOn: [check, registry] },
    );

    const revision = pulumi
        .all([...fileNames, o.args.image ?? DEFAULT_REGISTRY_IMAGE, settings.frontImage, String(settings.replicas)])
        .apply((parts) => parts.join(" "));
    return { network, registry, front, redis, nodeId, revision };
}

/** The Redis address the registry's config names: the stack's own service, or the user's. */
export function redisAddress(prefix: string, redis: string | undefined): string | undefined {
    if (redis === undefined) return undefined;
    return redis === "service" ? `${prefix}-redis:6379` : redis;
}
