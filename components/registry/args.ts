import type * as pulumi from "@pulumi/pulumi";

/** The registry image used when `image` is not given: distribution v3 (ACMEv2 Let's Encrypt support). */
export const DEFAULT_REGISTRY_IMAGE = "registry:3.1.2";
/**
 * bcrypt cost of the htpasswd entries. The registry checks bcrypt on every request of every
 * `docker push` (nothing is cached), so the cost is paid dozens of times per push. Cost 4 (bcrypt's
 * minimum) is chosen from `npm run bench` (see README, "bcrypt cost"): about 0.9 ms of auth overhead per
 * request, where cost 5 measured 1.9 ms (at the 2 ms goal's edge) and cost 10 about 60 ms. It is safe
 * because generated passwords carry about 238 bits of entropy and user-chosen ones must be at least 16
 * characters: the cost factor buys a few bits, the password length buys the rest.
 */
export const DEFAULT_BCRYPT_COST = 4;
export const DEFAULT_PORT = 5000;
export const DEFAULT_HTTPS_PORT = 443;
/** Let's Encrypt's directories; the 3.x registry uses production when `directoryurl` is not set. */
export const ACME_DIRECTORIES = {
    production: "https://acme-v02.api.letsencrypt.org/directory",
    staging: "https://acme-staging-v02.api.letsencrypt.org/directory",
} as const;
/** Length of generated passwords (letters and digits: about 5.95 bits each, about 238 bits in all). */
export const GENERATED_PASSWORD_LENGTH = 40;
/** User-chosen passwords must be at least this long: the low bcrypt cost relies on it. */
export const MIN_PASSWORD_LENGTH = 16;
/** bcrypt only reads the first 72 bytes of a password. */
export const MAX_PASSWORD_BYTES = 72;

export type TlsArgs =
    | {
          /** Certificates from Let's Encrypt (ACMEv2, TLS-ALPN-01 on public port `httpsPort`, 443). */
          mode: "letsencrypt";
          /** The ACME account e-mail Let's Encrypt sends expiry notices to. */
          email: string;
          /**
           * The ACME directory: "production" (Let's Encrypt, the default), "staging" (Let's Encrypt's staging
           * environment: untrusted certificates, generous rate limits) or the https URL of a private ACME CA.
           */
          directory?: string;
          /** PEM root of the ACME CA's certificates, for the readiness gate to trust (staging and private CAs). */
          root?: pulumi.Input<string>;
      }
    | {
          /** A certificate you provide. */
          mode: "certificate";
          /** PEM certificate (chain), leaf first. */
          certificate: pulumi.Input<string>;
          /** PEM private key. Pass it as a secret. */
          privateKey: pulumi.Input<string>;
          /**
           * PEM root of a private CA that signed the certificate, when the chain does not end in a root this
           * machine trusts (chains are usually given without their root). The readiness gate trusts it.
           */
          root?: pulumi.Input<string>;
      }
    | {
          /** Plain HTTP. Allowed only when the registry is bound to a loopback address. */
          mode: "none";
      };

export interface RegistryUserArgs {
    /** The login name. Non-empty, without `:`, whitespace or control characters. */
    username: string;
    /**
     * The password (a secret). Defaults to a generated 40-character password kept in state as a secret.
     * A given password must be 16 to 72 bytes long.
     */
    password?: pulumi.Input<string>;
}

/** Where the registry keeps images. */
export type StorageArgs =
    | {
          /** A named Docker volume on the registry's host. */
          driver: "filesystem";
      }
    | {
          /** An S3 bucket (AWS, or an S3-compatible store with `regionEndpoint`): distribution's s3 driver. */
          driver: "s3";
          bucket: string;
          region: string;
          /** An S3-compatible endpoint, e.g. https://minio.example.com:9000. Defaults to AWS. */
          regionEndpoint?: string;
          /** Path-style addressing (most S3-compatible stores). Defaults to false. */
          forcePathStyle?: boolean;
          /** Access key; without one (and without secretKey) the driver uses the host's IAM role. */
          accessKey?: string;
          /** Secret key (a secret). */
          secretKey?: pulumi.Input<string>;
          /** A prefix inside the bucket. Defaults to the bucket's root. */
          rootDirectory?: string;
          /**
           * Answer blob downloads with a redirect to a pre-signed S3 URL, so clients fetch layers from the
           * store itself (every client and node must then reach `regionEndpoint`). Defaults to false: the
           * registry serves the bytes, and clients need to reach the registry only.
           */
          redirect?: boolean;
      };

/** The front proxy of `mode: "swarm"`: Caddy, which terminates TLS (and does ACME itself) for every replica. */
export const DEFAULT_FRONT_IMAGE = "caddy:2.10.2";
/**
 * The image of `swarm.front: "nat"`: any image with a POSIX shell, busybox's `nslookup`, `awk` and `sort`, and
 * `iptables-restore`. No official image is made for that alone; the Docker image's dind variant is official,
 * maintained, and carries all of them (it is large, about 130 MB compressed, and pulled once per node).
 */
export const DEFAULT_NAT_IMAGE = "docker:27.5.1-dind";
/** The blob-descriptor cache of `mode: "swarm"` with `redis: "service"`. */
export const DEFAULT_REDIS_IMAGE = "redis:7.4.2";
export const DEFAULT_REPLICAS = 2;
/** Seconds a stopping replica keeps answering the requests it has (distribution's `http.draintimeout`). */
export const DRAIN_TIMEOUT_SECONDS = 10;

/** The registry as a replicated Docker Swarm service behind one TLS front (`mode: "swarm"`). */
export interface SwarmArgs {
    /** Registry tasks, at least 1. Defaults to 2. */
    replicas?: number;
    /**
     * A host path that holds the same files on every node (NFS, a cluster file system): with filesystem
     * storage, replicas bind-mount it and may run on any node. Unset: a named volume, so every replica runs
     * on the manager node `docker:host` points at.
     */
    sharedPath?: string;
    /**
     * Let replicas run on any node. Defaults to true with s3 storage or `sharedPath`, false otherwise (then
     * every replica runs on the manager node). Refused with filesystem storage on a volume that is not shared.
     */
    spread?: boolean;
    /** The blob-descriptor cache: "service" (a Redis service the stack declares) or "HOST:PORT" of your own. Unset: in memory, per replica. */
    redis?: string;
    /**
     * What stands in front of the replicas on the published port:
     * - "caddy" (the default): Caddy terminates TLS (a given certificate, or Let's Encrypt for every replica) and
     *   proxies each request to a replica over HTTP; a request to a replica that stopped is retried on another.
     * - "nat": the kernel forwards each TCP connection to a replica (iptables DNAT, round robin) and the replicas
     *   terminate TLS themselves with the given certificate: no process copies the bytes, so a pull costs the
     *   machine about the CPU it costs from a registry container (Caddy's front: a quarter more,
     *   docs/performance.md). `tls.mode` "certificate"
     *   only (Let's Encrypt needs one ACME client: the Caddy front); the front task gets NET_ADMIN in its own
     *   network namespace, and the replicas see the front's address as every client's.
     */
    front?: "caddy" | "nat";
    /** The front's image (Caddy 2) with `front` "caddy". Defaults to `caddy:2.10.2`. */
    frontImage?: string;
    /** The front's image with `front` "nat": a shell, busybox's nslookup, awk and sort, and iptables. Defaults to `docker:27.5.1-dind`. */
    natImage?: string;
    /** The Redis image for `redis: "service"`. Defaults to `redis:7.4.2`. */
    redisImage?: string;
    /**
     * Encrypt the overlay network between nodes (IPsec ESP): the front's requests to replicas on other nodes
     * carry Basic credentials. Defaults to true. Every node's kernel must do IPsec (xfrm with
     * rfc4106(gcm(aes))) and the nodes must let ESP (IP protocol 50) through; where they cannot, requests to
     * replicas on other nodes are lost (pushes answer 502). false sends them in clear: a network you trust only.
     * Changing it replaces the network and the services (their names stay).
     */
    encryptOverlay?: boolean;
}

/** SwarmArgs' fields, by name: anything else in `swarm` is refused (a typo would otherwise be ignored). */
export const SWARM_SETTINGS = [
    "replicas",
    "sharedPath",
    "spread",
    "redis",
    "front",
    "frontImage",
    "natImage",
    "redisImage",
    "encryptOverlay",
] as const satisfies readonly (keyof SwarmArgs)[];

/**
 * How the docker provider reaches its engine: its own config keys (`docker:host`, `docker:sshOpts`,
 * `docker:certPath`, `docker:caMaterial`, `docker:certMaterial`, `docker:keyMaterial`), plain values.
 */
export interface DockerConnection {
    /** `docker:host` (undefined: the local engine). */
    host?: string;
    /** `docker:context`: a Docker context whose engine is used instead of `host` (as the docker provider does). */
    context?: string;
    /** Extra ssh options for an ssh:// host. */
    sshOpts?: string[];
    /** A folder with ca.pem, cert.pem and key.pem for tcp:// with TLS. */
    certPath?: string;
    /** The same as PEM text; the key is a secret. */
    caMaterial?: string;
    certMaterial?: string;
    keyMaterial?: string;
}

/** The same, with the client key as a (secret) Output. */
export type DockerConnectionArgs = Omit<DockerConnection, "keyMaterial"> & { keyMaterial?: pulumi.Input<string> };

export interface PrivateRegistryArgs {
    /**
     * "container" (default): one registry container on the Docker host. "swarm": `swarm.replicas` registry
     * tasks on the Swarm whose manager `docker:host` points at, behind one front (`swarm.front`): Caddy, which
     * terminates TLS, or the kernel's NAT before replicas that terminate it.
     */
    mode?: "container" | "swarm";
    /** Settings of `mode: "swarm"`. */
    swarm?: SwarmArgs;
    /**
     * How to reach the Docker engine, as the docker provider's config says (`docker:host`, `docker:sshOpts`, the
     * TLS keys; undefined host: the local engine). The Swarm mode's gate asks it whether it is a manager.
     */
    docker?: DockerConnectionArgs;
    /** Where images are stored. Defaults to a named volume on the registry's host (`filesystem`). */
    storage?: StorageArgs;
    /** The DNS name the registry serves. Required unless `tls.mode` is `"none"` (defaults to `bindAddress`). */
    host?: string;
    /** How the registry gets its TLS certificate. */
    tls: TlsArgs;
    /** Who may push and pull. At least one; the first one's credentials are the component's `credentials`. */
    users: RegistryUserArgs[];
    /** The registry image. Defaults to `registry:3.1.2`. A 2.x image cannot be used with Let's Encrypt. */
    image?: string;
    /** The port the registry listens on in the container, and the published port for `tls: none`. Defaults to 5000. */
    port?: number;
    /** The published HTTPS port for `letsencrypt` and `certificate`. Defaults to 443 (TLS-ALPN-01 needs 443). */
    httpsPort?: number;
    /** The host address the port is published on. Defaults to `0.0.0.0`, or `127.0.0.1` for `tls: none`. */
    bindAddress?: string;
    /** bcrypt cost of the htpasswd entries, 4..31. Defaults to 4 (see README, "bcrypt cost"). */
    bcryptCost?: number;
    /** Keep the data and certificate volumes on `pulumi destroy`. Defaults to true. */
    retainData?: boolean;
    /** Seconds the readiness gate waits for `/v2/` to answer 401 and 200. Defaults to 180 (Let's Encrypt may take a minute). */
    readinessTimeoutSeconds?: number;
}
