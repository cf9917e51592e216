import { createHmac } from "node:crypto";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { computed } from "../computed";
import { dnsLabel } from "../names";
import {
    ACME_DIRECTORIES,
    DEFAULT_FRONT_IMAGE,
    DEFAULT_NAT_IMAGE,
    DEFAULT_REDIS_IMAGE,
    DEFAULT_REGISTRY_IMAGE,
    DEFAULT_REPLICAS,
    DRAIN_TIMEOUT_SECONDS,
    type DockerConnectionArgs,
    type PrivateRegistryArgs,
    type SwarmArgs,
} from "./args";
import { FRONT_GRACE_SECONDS, FRONT_PATHS, type FrontTls, renderFrontConfig } from "./front-config";
import { natFrontCommand, pausedStopCommand, REPLICA_STOP_PAUSE_SECONDS } from "./nat-front";
import { CONTAINER_PATHS, healthPort } from "./registry-config";
import { PinnedImage, SwarmGate } from "./package";

export { SWARM_CHECK_SCRIPT } from "./swarm-gate";

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
const READ_SECRETS = [
    "set -e",
    `REGISTRY_HTTP_SECRET="$(cat ${SWARM_SECRET_FILES.httpSecret})"`,
    "export REGISTRY_HTTP_SECRET",
    `if [ -f ${SWARM_SECRET_FILES.s3SecretKey} ]; then REGISTRY_STORAGE_S3_SECRETKEY="$(cat ${SWARM_SECRET_FILES.s3SecretKey})"; export REGISTRY_STORAGE_S3_SECRETKEY; fi`,
];
export const REGISTRY_TASK_COMMAND = ["/bin/sh", "-c", [...READ_SECRETS, `exec registry serve ${CONTAINER_PATHS.config}`].join("\n")];
/** With `front: "nat"`: the same, and a pause between SIGTERM and the registry's drain (nat-front.ts). */
export const NAT_REGISTRY_TASK_COMMAND = pausedStopCommand(READ_SECRETS, `registry serve ${CONTAINER_PATHS.config}`);

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
    /** How the gate reaches the engine (the docker provider's config). */
    connection: DockerConnectionArgs;
}

export interface SwarmRegistry {
    network: docker.Network;
    registry: docker.Service;
    front: docker.Service;
    redis?: docker.Service;
    /** The Swarm gate: the manager's node id. */
    gate: SwarmGate;
    /** The node id of the manager `docker:host` points at (from the Swarm gate). */
    nodeId: pulumi.Output<string>;
    /** Changes whenever what the registry or the front serves changes: the readiness gate runs again. */
    revision: pulumi.Output<string>;
}

/** The effective Swarm settings (defaults applied). */
export function swarmSettings(args: PrivateRegistryArgs): Required<Pick<SwarmArgs, "replicas" | "spread" | "frontImage" | "front" | "natImage">> & SwarmArgs {
    const swarm = args.swarm ?? {};
    const shared = args.storage?.driver === "s3" || swarm.sharedPath !== undefined;
    return {
        ...swarm,
        replicas: swarm.replicas ?? DEFAULT_REPLICAS,
        spread: swarm.spread ?? shared,
        front: swarm.front ?? "caddy",
        frontImage: swarm.frontImage ?? DEFAULT_FRONT_IMAGE,
        natImage: swarm.natImage ?? DEFAULT_NAT_IMAGE,
    };
}

/** Swarm's limits on object names: configs and secrets at most 64 characters; services are DNS labels (63). */
export const SWARM_NAME_LIMITS = { object: 64, service: 63 } as const;
/** The longest role a config or secret name carries, and the length of the content hash after it. */
const LONGEST_ROLE = "front-certificate";
const CONTENT_HASH_LENGTH = 12;

/** The names of a stack's Swarm objects, always valid and within Swarm's limits. */
export interface SwarmNames {
    /** The registry service; `tasks.<service>` in Docker's DNS lists its tasks. Other services add `-front`, `-redis`. */
    service: string;
    /** The overlay network, encrypted (IPsec between nodes). */
    network: string;
    /** The overlay network without encryption (`registry:encryptOverlay false`): another name, as options are set once. */
    clearNetwork: string;
    /** The prefix of config and secret names: `<objects>-<role>-<content hash>`. */
    objects: string;
}

/**
 * Service, network, config and secret names from `${project}-${stack}-${name}`. That prefix is used as it is
 * whenever it is a valid DNS label short enough for every name (so stacks deployed before keep their names);
 * otherwise (a `.` or upper case in the stack name, or a long one) it is lower-cased, other characters become
 * `-`, and it is cut and suffixed with 6 hex digits of a SHA-256 of the whole prefix, so two stacks never share
 * a name. Every object also carries the label `faasreg.stack` = `project/stack`: that is how a name maps back.
 */
export function swarmNames(prefix: string): SwarmNames {
    const fit = (max: number) => dnsLabel(prefix, max);
    // The longest service name is `<service>-front` / `-redis` (6 more).
    const service = fit(SWARM_NAME_LIMITS.service - "-front".length);
    // The longest config name is `<objects>-front-certificate-<12 hex>`.
    const objects = fit(SWARM_NAME_LIMITS.object - LONGEST_ROLE.length - CONTENT_HASH_LENGTH - 2);
    // Networks are DNS labels too (swarmkit's validateAnnotations): `<service>-net-clear` may not fit where the service does.
    const network = (suffix: string) =>
        `${service}${suffix}`.length <= SWARM_NAME_LIMITS.service ? `${service}${suffix}` : `${fit(SWARM_NAME_LIMITS.service - suffix.length)}${suffix}`;
    return { service, network: network("-net"), clearNetwork: network("-net-clear"), objects };
}

/** The registry's data volume (a named volume on the manager's node, unless registry:sharedPath or S3). */
export function dataVolumeName(prefix: string): string {
    return `${prefix}-data`;
}

/** Seconds Redis gets between SIGTERM and SIGKILL. */
const REDIS_STOP_GRACE = "10s";

/**
 * The registry as a replicated Swarm service behind one front (Caddy, or the kernel's NAT: nat-front.ts), declared with the docker provider on
 * the manager `docker:host` points at: an overlay network, the registry's config as a Swarm config, the
 * htpasswd file, HTTP secret, S3 secret key and TLS key as Swarm secrets, `replicas` registry tasks in
 * dnsrr mode with a health check and start-first rolling updates, an optional Redis, and the front.
 *
 * Read back as the docker provider reads it (terraform-provider-docker v4.5.0), so a second `pulumi up`
 * changes nothing: networks are joined by `id` (the only field `flattenTaskNetworksAdvanced` reads), images
 * are pinned by digest, every duration the engine reports is declared, and services are replaced delete-first
 * (their names are fixed and the front holds the host port).
 */
export function declareSwarmRegistry(parent: pulumi.Resource, name: string, o: SwarmRegistryInputs): SwarmRegistry {
    const settings = swarmSettings(o.args);
    const names = swarmNames(o.prefix);
    const images = {
        registry: o.args.image ?? DEFAULT_REGISTRY_IMAGE,
        front: settings.front === "nat" ? settings.natImage : settings.frontImage,
        ...(settings.redis === "service" ? { redis: settings.redisImage ?? DEFAULT_REDIS_IMAGE } : {}),
    };
    // With a named volume the images live on the gate's node: the gate refuses to move them onto an empty volume.
    const dataVolume = o.args.storage?.driver !== "s3" && settings.sharedPath === undefined ? dataVolumeName(o.prefix) : undefined;
    const gate = new SwarmGate(`${name}-swarm-gate`, { connection: o.connection, ...(dataVolume === undefined ? {} : { dataVolume }) }, { parent });
    const gated = { parent, dependsOn: [gate] };
    const pins = new Map<string, PinnedImage>();
    const pin = (image: string) => {
        const existing = pins.get(image);
        if (existing !== undefined) return existing;
        const role = Object.entries(images).find(([, i]) => i === image)?.[0];
        const pinned = new PinnedImage(`${name}-${role}-image`, { connection: o.connection, image }, gated);
        pinned.warning.apply((warning) => {
            if (warning !== undefined) {
                void pulumi.log.warn(
                    `${warning}: the service declares ${image} unpinned, and the engine may pin it when it creates the service (the next pulumi up then updates it once)`,
                    pinned,
                );
            }
        });
        pins.set(image, pinned);
        return pinned;
    };
    // Where tasks may run: the image's platforms (as the engine records them) and, unless spread, the manager.
    const placement = (image: string, spread: boolean): docker.types.input.ServiceTaskSpecPlacement => ({
        ...(spread ? {} : { constraints: computed(gate.nodeId).apply((id) => [`node.id==${id}`]) }),
        platforms: computed(pin(image).platforms),
    });
    const files = swarmFiles(gated, name, names.objects, o.httpSecret);
    const encrypt = settings.encryptOverlay !== false;
    // Another name when clear: `options` are set once (see declareNetwork), so the switch must make a new network.
    const network = declareNetwork(gated, name, encrypt ? names.network : names.clearNetwork, encrypt);

    const redis =
        images.redis === undefined
            ? undefined
            : declareRedis(gated, name, {
                  name: `${names.service}-redis`,
                  image: computed(pin(images.redis).reference),
                  network,
                  placement: placement(images.redis, settings.spread),
              });
    const registry = declareRegistryService({ parent, dependsOn: [gate, ...(redis === undefined ? [] : [redis])] }, name, {
        ...o,
        service: names.service,
        image: computed(pin(images.registry).reference),
        network,
        files,
        placement: placement(images.registry, settings.spread),
        replicas: settings.replicas,
        sharedPath: settings.sharedPath,
        nat: settings.front === "nat",
    });
    const frontInputs = {
        ...o,
        service: names.service,
        image: computed(pin(images.front).reference),
        network,
        files,
        placement: placement(images.front, false),
    };
    const frontOpts = { parent, dependsOn: [gate, registry] };
    const front = settings.front === "nat" ? declareNatFront(frontOpts, name, frontInputs) : declareFront(frontOpts, name, frontInputs);

    const revision = pulumi
        .all([...files.names, pin(images.registry).reference, pin(images.front).reference, String(settings.replicas)])
        .apply((parts) => parts.join(" "));
    return { network, registry, front, redis, gate, nodeId: gate.nodeId, revision };
}

interface SwarmFiles {
    config(role: string, content: pulumi.Output<string>): docker.ServiceConfig;
    secret(role: string, content: pulumi.Output<string>): docker.Secret;
    /** Every file's name, so the readiness gate runs again whenever any of them changes. */
    names: pulumi.Output<string>[];
}

/**
 * Swarm configs and secrets cannot change: a new content gets a new name (and the service moves to it in a
 * rolling update before the old one is deleted). The name carries an HMAC of the content keyed by the HTTP
 * secret, so it reveals nothing about a secret's value.
 */
function swarmFiles(gated: pulumi.CustomResourceOptions, name: string, prefix: string, key: pulumi.Output<string>): SwarmFiles {
    // Create-before-delete, said explicitly: the bridge asks for delete-before-replace whenever a resource's
    // `name` is given, and the service still uses the old file while its replacement is created (Swarm then
    // refuses: "config ... is in use by the following service"). The new file has a new name, so both coexist
    // until the service has rolled onto it.
    const opts = { ...gated, deleteBeforeReplace: false };
    const names: pulumi.Output<string>[] = [];
    const named = (role: string, content: pulumi.Output<string>) =>
        pulumi.unsecret(
            pulumi
                .all([key, content])
                .apply(([k, data]) => `${prefix}-${role}-${createHmac("sha256", k).update(data).digest("hex").slice(0, CONTENT_HASH_LENGTH)}`),
        );
    const base64 = (content: pulumi.Output<string>) => content.apply((data) => Buffer.from(data, "utf8").toString("base64"));
    return {
        names,
        config(role, content) {
            const config = new docker.ServiceConfig(`${name}-${role}`, { name: named(role, content), data: base64(content) }, opts);
            names.push(config.name);
            return config;
        },
        secret(role, content) {
            const secret = new docker.Secret(`${name}-${role}`, { name: named(role, content), data: pulumi.secret(base64(content)) }, opts);
            names.push(secret.name);
            return secret;
        },
    };
}

const secretMount = (secret: docker.Secret, fileName: string): docker.types.input.ServiceTaskSpecContainerSpecSecret => ({
    secretId: secret.id,
    secretName: secret.name,
    fileName,
    fileMode: 0o400,
});
const stackLabel = () => ({ label: "faasreg.stack", value: `${pulumi.getProject()}/${pulumi.getStack()}` });

/** Only our services join it: Redis has no password and the registry speaks plain HTTP behind the front. */
function declareNetwork(opts: pulumi.CustomResourceOptions, name: string, networkName: string, encrypt: boolean): docker.Network {
    return new docker.Network(
        `${name}-net`,
        {
            name: networkName,
            driver: "overlay",
            attachable: false,
            // Requests carry Basic credentials from the front to replicas on other nodes: IPsec between nodes
            // (as `docker network create --opt encrypted`; nodes must let ESP, IP protocol 50, through).
            // Unless registry:encryptOverlay is false (kernels without IPsec: docs/upstream.md).
            ...(encrypt ? { options: { encrypted: "" } } : {}),
            labels: [stackLabel()],
        },
        // The engine adds options of its own (the VXLAN id list) and the provider reads every option back
        // (`resourceDockerNetworkRead`: its overlay branch tests Scope == "overlay", never true for a Swarm
        // network); `options` forces a new network, which cannot be while services use it. We set them once.
        { ...opts, ignoreChanges: ["options"] },
    );
}

interface ServiceInputs {
    name: string;
    image: pulumi.Output<string>;
    network: docker.Network;
    placement?: docker.types.input.ServiceTaskSpecPlacement;
}

/**
 * Every service: replaced delete-first (its name is fixed, and a create-first replacement fails with "name
 * conflicts with an existing object"), `init` as the provider sends it anyway (false: each image's PID 1
 * handles SIGTERM), and the restart window the engine reports (0s) declared, so nothing differs on read.
 */
const serviceOptions = (opts: pulumi.CustomResourceOptions): pulumi.CustomResourceOptions => ({ ...opts, deleteBeforeReplace: true });
const RESTART_POLICY = { condition: "any", delay: "2s", window: "0s" };

/** A cache: bounded memory, least recently used out first, nothing on disk; reachable on our network only. */
function declareRedis(opts: pulumi.CustomResourceOptions, name: string, s: ServiceInputs): docker.Service {
    return new docker.Service(
        `${name}-redis`,
        {
            name: s.name,
            taskSpec: {
                containerSpec: {
                    image: s.image,
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
                    init: false,
                    // Unset, the provider sends 0: Redis would be SIGKILLed right after SIGTERM.
                    stopGracePeriod: REDIS_STOP_GRACE,
                },
                networksAdvanceds: [{ id: s.network.id }],
                placement: s.placement,
                restartPolicy: RESTART_POLICY,
            },
            mode: { replicated: { replicas: 1 } },
            endpointSpec: { mode: "dnsrr" },
            labels: [stackLabel()],
        },
        serviceOptions(opts),
    );
}

function declareRegistryService(
    opts: pulumi.CustomResourceOptions,
    name: string,
    s: Omit<ServiceInputs, "name"> & SwarmRegistryInputs & { service: string; files: SwarmFiles; replicas: number; sharedPath?: string; nat: boolean },
): docker.Service {
    const config = s.files.config("config", s.registryConfig);
    const configs: docker.types.input.ServiceTaskSpecContainerSpecConfig[] = [
        { configId: config.id, configName: config.name, fileName: CONTAINER_PATHS.config, fileMode: 0o444 },
    ];
    const secrets = [
        secretMount(s.files.secret("htpasswd", s.htpasswd), CONTAINER_PATHS.htpasswd),
        secretMount(s.files.secret("http-secret", s.httpSecret), SWARM_SECRET_FILES.httpSecret),
        ...(s.s3SecretKey === undefined ? [] : [secretMount(s.files.secret("s3-secret-key", s.s3SecretKey), SWARM_SECRET_FILES.s3SecretKey)]),
    ];
    const tls = s.args.tls;
    // With the NAT front every replica terminates TLS: the given certificate and its key, where the config names them.
    if (s.nat && tls.mode === "certificate") {
        const certificate = s.files.config("certificate", pulumi.output(tls.certificate));
        configs.push({ configId: certificate.id, configName: certificate.name, fileName: CONTAINER_PATHS.certificate, fileMode: 0o444 });
        secrets.push(secretMount(s.files.secret("key", pulumi.output(tls.privateKey)), CONTAINER_PATHS.privateKey));
    }
    const mounts: docker.types.input.ServiceTaskSpecContainerSpecMount[] = [];
    if (s.args.storage?.driver !== "s3") {
        if (s.sharedPath !== undefined) {
            mounts.push({ type: "bind", source: s.sharedPath, target: CONTAINER_PATHS.data });
        } else {
            const data = new docker.Volume(`${name}-data`, { name: dataVolumeName(s.prefix) }, { ...opts, retainOnDelete: s.retainData });
            mounts.push({ type: "volume", source: data.name, target: CONTAINER_PATHS.data });
        }
    }
    return new docker.Service(
        `${name}-service`,
        {
            name: s.service,
            taskSpec: {
                containerSpec: {
                    image: s.image,
                    commands: s.nat ? NAT_REGISTRY_TASK_COMMAND : REGISTRY_TASK_COMMAND,
                    configs,
                    secrets,
                    mounts,
                    // A task joins the front's DNS answers only once healthy; a stopping one drains first. Behind the
                    // NAT front the replica's port speaks TLS only, and busybox's own TLS client (wget in a busybox
                    // image) cannot talk to Go's (no signature_algorithms: measured): the check reads the same health
                    // (the storage driver's) from the registry's debug server, on loopback inside the task.
                    healthcheck: {
                        tests: s.nat
                            ? ["CMD", "wget", "-q", "-O", "/dev/null", `http://127.0.0.1:${healthPort(s.port)}/debug/health`]
                            : ["CMD", "wget", "-q", "-O", "/dev/null", `http://127.0.0.1:${s.port}/`],
                        interval: "2s",
                        timeout: "2s",
                        retries: 3,
                        startPeriod: "5s",
                    },
                    init: false,
                    stopGracePeriod: `${DRAIN_TIMEOUT_SECONDS + 5 + (s.nat ? REPLICA_STOP_PAUSE_SECONDS : 0)}s`,
                    labels: [{ label: "org.opencontainers.image.title", value: "faasreg private registry" }],
                },
                networksAdvanceds: [{ id: s.network.id }],
                placement: s.placement,
                restartPolicy: RESTART_POLICY,
            },
            mode: { replicated: { replicas: s.replicas } },
            // dnsrr: the front balances over tasks.NAME itself; a VIP would need IPVS in the node's kernel.
            endpointSpec: { mode: "dnsrr" },
            // One task at a time, the new one healthy before the old one stops; roll back if it is not.
            updateConfig: { parallelism: 1, delay: "2s", order: "start-first", failureAction: "rollback", monitor: "10s" },
            rollbackConfig: { parallelism: 1, order: "start-first", monitor: "10s" },
            // `pulumi up` waits until every task runs the new spec. The provider polls every 5 s at the
            // earliest, waits a fixed 7 s after an update, and DELETES a service whose creation does not
            // converge within the timeout (resourceDockerServiceCreate): 5 minutes covers a first pull.
            convergeConfig: { delay: "2s", timeout: "5m" },
            labels: [stackLabel()],
        },
        serviceOptions(opts),
    );
}

function declareFront(
    opts: pulumi.CustomResourceOptions,
    name: string,
    s: Omit<ServiceInputs, "name"> & SwarmRegistryInputs & { service: string; files: SwarmFiles },
): docker.Service {
    const tls = s.args.tls;
    // A private ACME CA (a directory URL): Caddy's ACME client trusts registry:acmeRoot for the CA's own HTTPS
    // endpoint, as the official image has the public roots only. Not for staging: its endpoint has a public
    // certificate, and trusted roots REPLACE the system's in Caddy's ACME client.
    const privateCa = tls.mode === "letsencrypt" && tls.root !== undefined && tls.directory !== undefined && !(tls.directory in ACME_DIRECTORIES);
    const frontTls: FrontTls =
        tls.mode === "letsencrypt" ? { mode: "letsencrypt", email: tls.email, directory: tls.directory, trustRoot: privateCa } : { mode: "certificate" };
    const config = s.files.config("front-config", pulumi.output(renderFrontConfig({ host: s.host, tls: frontTls, service: s.service, port: s.port })));
    const configs: docker.types.input.ServiceTaskSpecContainerSpecConfig[] = [
        { configId: config.id, configName: config.name, fileName: FRONT_PATHS.config, fileMode: 0o444 },
    ];
    if (tls.mode === "letsencrypt" && tls.root !== undefined && privateCa) {
        const root = s.files.config("acme-root", pulumi.output(tls.root));
        configs.push({ configId: root.id, configName: root.name, fileName: FRONT_PATHS.acmeRoot, fileMode: 0o444 });
    }
    const secrets: docker.types.input.ServiceTaskSpecContainerSpecSecret[] = [];
    if (tls.mode === "certificate") {
        const certificate = s.files.config("front-certificate", pulumi.output(tls.certificate));
        configs.push({ configId: certificate.id, configName: certificate.name, fileName: FRONT_PATHS.certificate, fileMode: 0o444 });
        secrets.push(secretMount(s.files.secret("front-key", pulumi.output(tls.privateKey)), FRONT_PATHS.privateKey));
    }
    const mounts: docker.types.input.ServiceTaskSpecContainerSpecMount[] = [];
    if (tls.mode === "letsencrypt") {
        const data = new docker.Volume(`${name}-front-data`, { name: `${s.prefix}-front-data` }, { ...opts, retainOnDelete: s.retainData });
        mounts.push({ type: "volume", source: data.name, target: FRONT_PATHS.data });
    }
    return frontService(opts, name, s, {
        image: s.image,
        commands: ["caddy", "run", "--config", FRONT_PATHS.config],
        configs,
        secrets,
        mounts,
        init: false,
        // Caddy finishes open requests for up to FRONT_GRACE_SECONDS (its grace_period) on SIGTERM.
        stopGracePeriod: `${FRONT_GRACE_SECONDS + 5}s`,
        labels: [{ label: "org.opencontainers.image.title", value: "faasreg registry front" }],
    });
}

/** The front's service, Caddy's or the NAT's: one task on the manager, holding the published port. */
function frontService(
    opts: pulumi.CustomResourceOptions,
    name: string,
    s: Omit<ServiceInputs, "name"> & SwarmRegistryInputs & { service: string },
    containerSpec: docker.types.input.ServiceTaskSpecContainerSpec,
): docker.Service {
    return new docker.Service(
        `${name}-front`,
        {
            name: `${s.service}-front`,
            taskSpec: {
                containerSpec,
                networksAdvanceds: [{ id: s.network.id }],
                // The published port is the node's (host mode), where the registry's DNS name points; Caddy's
                // certificate volume is there too.
                placement: s.placement,
                restartPolicy: RESTART_POLICY,
            },
            mode: { replicated: { replicas: 1 } },
            // Host mode: plain DNAT on the node, no routing mesh (which needs IPVS). One task holds the port,
            // so an update stops the old front first: a front update is a short outage (registry updates are not).
            endpointSpec: { mode: "dnsrr", ports: [{ targetPort: 443, publishedPort: s.publishedPort, publishMode: "host", protocol: "tcp" }] },
            updateConfig: { parallelism: 1, order: "stop-first", failureAction: "rollback" },
            convergeConfig: { delay: "2s", timeout: "5m" },
            labels: [stackLabel()],
        },
        serviceOptions(opts),
    );
}

/**
 * `front: "nat"`: a task whose network namespace forwards the published port's connections to the replicas
 * (nat-front.ts). NET_ADMIN and ip_forward are its own namespace's: they change nothing on the node. Like
 * Caddy's front it holds the node's port 443 in host mode, so an update stops it first (a short outage).
 */
function declareNatFront(
    opts: pulumi.CustomResourceOptions,
    name: string,
    s: Omit<ServiceInputs, "name"> & SwarmRegistryInputs & { service: string },
): docker.Service {
    return frontService(opts, name, s, {
        image: s.image,
        commands: natFrontCommand({ service: s.service, port: s.port }),
        // As the docker CLI writes them (`--cap-add NET_ADMIN` is sent as CAP_NET_ADMIN), and read back so.
        capAdds: ["CAP_NET_ADMIN"],
        sysctl: { "net.ipv4.ip_forward": "1" },
        init: false,
        // The shell exits on SIGTERM at once (forwarded connections die with the namespace either way), but the
        // provider's delete waits only this long for the container to be REMOVED, and the engine first waits 2 s
        // for gossip, then tears the task's networks down: 5 s failed `pulumi destroy` (measured), Caddy's 15 s do not.
        stopGracePeriod: `${FRONT_GRACE_SECONDS + 5}s`,
        labels: [{ label: "org.opencontainers.image.title", value: "faasreg registry front (kernel NAT)" }],
    });
}

/** The Redis address the registry's config names: the stack's own service, or the user's. */
export function redisAddress(prefix: string, redis: string | undefined): string | undefined {
    if (redis === undefined) return undefined;
    return redis === "service" ? `${swarmNames(prefix).service}-redis:6379` : redis;
}
