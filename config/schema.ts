/**
 * Every stack config key this project reads, with its type, default and whether it is a secret. This
 * table is the source of truth: `config/` parses and validates by it, the README's configuration table
 * and Pulumi.yaml's `template.config` are checked against it by `test/config-declarations.test.ts`.
 */
import {
    DEFAULT_BCRYPT_COST,
    DEFAULT_FRONT_IMAGE,
    DEFAULT_HTTPS_PORT,
    DEFAULT_NAT_IMAGE,
    DEFAULT_PORT,
    DEFAULT_REDIS_IMAGE,
    DEFAULT_REGISTRY_IMAGE,
    DEFAULT_REPLICAS,
} from "../components/registry/args";

export type KeyType = "string" | "integer" | "boolean" | "list";

export interface KeySpec {
    key: string;
    type: KeyType;
    /** The default as the user would write it (undefined: no default). */
    default?: string | number | boolean | unknown[];
    /** "yes": set it with --secret; "partly": some fields inside are secrets (set them with --secret --path). */
    secret: "no" | "yes" | "partly";
    description: string;
}

export const DEFAULT_USERS = [{ username: "admin" }];
export const DEFAULT_FAAS_NETWORK = "func_functions";
/** faas-netes' own default function_namespace. */
export const DEFAULT_FUNCTION_NAMESPACE = "openfaas-fn";

export const CONFIG_KEYS: readonly KeySpec[] = [
    {
        key: "registry:host",
        type: "string",
        secret: "no",
        description: "DNS name the registry serves (e.g. registry.example.com). Required unless registry:tls is none.",
    },
    {
        key: "registry:tls",
        type: "string",
        default: "letsencrypt",
        secret: "no",
        description: "letsencrypt (ACMEv2, needs public port 443), certificate (your PEM certificate and key) or none (plain HTTP, loopback only).",
    },
    { key: "registry:email", type: "string", secret: "no", description: "ACME account e-mail; required with tls letsencrypt." },
    {
        key: "registry:acmeDirectory",
        type: "string",
        default: "production",
        secret: "no",
        description:
            "With tls letsencrypt: production (Let's Encrypt), staging (its staging environment: untrusted certificates, for first tries without burning the production rate limits) or the https URL of a private ACME CA. Each keeps its certificates in its own folder of the cache volume.",
    },
    {
        key: "registry:acmeRoot",
        type: "string",
        secret: "no",
        description:
            "PEM root certificate(s) of the ACME CA, for the readiness check to trust; required with staging or a private ACME directory. With a private directory URL in swarm mode, the front's ACME client trusts them for the directory's own HTTPS too: include its root if it differs.",
    },
    { key: "registry:certificate", type: "string", secret: "yes", description: "PEM certificate chain, leaf first; required with tls certificate." },
    { key: "registry:privateKey", type: "string", secret: "yes", description: "PEM private key of the certificate; required with tls certificate." },
    {
        key: "registry:certificateRoot",
        type: "string",
        secret: "no",
        description:
            "With tls certificate: the PEM root of the private CA that signed registry:certificate, when the chain does not end in a root this machine trusts. The readiness gate trusts it; clients need it too.",
    },
    {
        key: "registry:users",
        type: "list",
        default: DEFAULT_USERS,
        secret: "partly",
        description:
            "Registry users: a list of {username, password?}. A user without a password gets a generated 40-character one. Passwords are secrets (16 to 72 bytes).",
    },
    {
        key: "registry:image",
        type: "string",
        default: DEFAULT_REGISTRY_IMAGE,
        secret: "no",
        description: "The registry image. 2.x images cannot use Let's Encrypt (ACMEv1 is switched off).",
    },
    {
        key: "registry:port",
        type: "integer",
        default: DEFAULT_PORT,
        secret: "no",
        description: "Port the registry listens on in its container; the published port for tls none.",
    },
    {
        key: "registry:httpsPort",
        type: "integer",
        default: DEFAULT_HTTPS_PORT,
        secret: "no",
        description: "Published HTTPS port for letsencrypt and certificate (Let's Encrypt's TLS-ALPN-01 needs 443).",
    },
    {
        key: "registry:bindAddress",
        type: "string",
        secret: "no",
        description: "Host address the port is published on. Defaults to 0.0.0.0, or 127.0.0.1 for tls none (which allows loopback only).",
    },
    {
        key: "registry:bcryptCost",
        type: "integer",
        default: DEFAULT_BCRYPT_COST,
        secret: "no",
        description: "bcrypt cost of the htpasswd entries (4..31). Paid on every registry request; see README.",
    },
    {
        key: "registry:storage",
        type: "string",
        default: "filesystem",
        secret: "no",
        description: "Where images are stored: filesystem (a named volume on the Docker host) or s3 (a bucket: registry:s3Bucket, s3Region, ...).",
    },
    { key: "registry:s3Bucket", type: "string", secret: "no", description: "With storage s3: the bucket's name (it must exist)." },
    { key: "registry:s3Region", type: "string", secret: "no", description: "With storage s3: the bucket's region, e.g. eu-west-1." },
    {
        key: "registry:s3RegionEndpoint",
        type: "string",
        secret: "no",
        description: "With storage s3: the URL of an S3-compatible store (e.g. https://minio.example.com:9000). Unset: AWS.",
    },
    {
        key: "registry:s3ForcePathStyle",
        type: "boolean",
        default: false,
        secret: "no",
        description: "With storage s3: path-style addressing (most S3-compatible stores).",
    },
    {
        key: "registry:s3Redirect",
        type: "boolean",
        default: false,
        secret: "no",
        description:
            "With storage s3: answer layer downloads with a redirect to a pre-signed URL of the store (every client and node must then reach it). Unset: the registry serves the bytes itself.",
    },
    {
        key: "registry:s3AccessKey",
        type: "string",
        secret: "no",
        description: "With storage s3: the access key id. Unset (with s3SecretKey unset): the host's IAM role.",
    },
    { key: "registry:s3SecretKey", type: "string", secret: "yes", description: "With storage s3: the secret access key." },
    { key: "registry:s3RootDirectory", type: "string", secret: "no", description: "With storage s3: a prefix inside the bucket. Unset: the bucket's root." },
    {
        key: "registry:mode",
        type: "string",
        default: "container",
        secret: "no",
        description:
            'container (one registry container on the Docker host) or swarm (registry:replicas tasks on the Swarm whose manager docker:host points at, behind one front, Caddy or with registry:front nat the kernel; see README, "Outgrowing one VM").',
    },
    {
        key: "registry:replicas",
        type: "integer",
        default: DEFAULT_REPLICAS,
        secret: "no",
        description: "With mode swarm: registry tasks (1 to 100), rolled one at a time, start-first, on updates.",
    },
    {
        key: "registry:sharedPath",
        type: "string",
        secret: "no",
        description:
            "With mode swarm and storage filesystem: a host path holding the same files on every node (NFS, ...), bind-mounted by the replicas so they may run on any node. Unset: a named volume, every replica on the manager node.",
    },
    {
        key: "registry:spread",
        type: "boolean",
        secret: "no",
        description:
            "With mode swarm: let replicas (and Redis) run on any node. Unset: true with storage s3 or registry:sharedPath, else false (all on the manager node docker:host points at). Refused with a named volume.",
    },
    {
        key: "registry:encryptOverlay",
        type: "boolean",
        default: true,
        secret: "no",
        description:
            "With mode swarm: encrypt the overlay between nodes (IPsec). Every node's kernel must do IPsec and let ESP through; false sends the front's requests (with Basic credentials) to replicas on other nodes in clear.",
    },
    {
        key: "registry:redis",
        type: "string",
        secret: "no",
        description:
            "With mode swarm: the blob-descriptor cache shared by the replicas. service (a Redis service declared by the stack, allkeys-lru, 256 MB) or HOST:PORT of your own Redis. Unset: each replica caches in memory.",
    },
    {
        key: "registry:front",
        type: "string",
        default: "caddy",
        secret: "no",
        description:
            'With mode swarm: caddy (Caddy terminates TLS, Let\'s Encrypt or registry:certificate, and proxies each request) or nat (the kernel forwards each connection to a replica, which terminates TLS with registry:certificate: no process copies the bytes; see README, "Outgrowing one VM").',
    },
    {
        key: "registry:natImage",
        type: "string",
        default: DEFAULT_NAT_IMAGE,
        secret: "no",
        description: "With mode swarm and front nat: the front's image (a shell, busybox's nslookup, awk and sort, and iptables-restore).",
    },
    {
        key: "registry:frontImage",
        type: "string",
        default: DEFAULT_FRONT_IMAGE,
        secret: "no",
        description: "With mode swarm: the front's image (Caddy 2, which does ACME itself).",
    },
    {
        key: "registry:redisImage",
        type: "string",
        default: DEFAULT_REDIS_IMAGE,
        secret: "no",
        description: "With mode swarm and redis service: the Redis image.",
    },
    { key: "registry:retainData", type: "boolean", default: true, secret: "no", description: "Keep the data and certificate-cache volumes on pulumi destroy." },
    {
        key: "registry:readinessTimeoutSeconds",
        type: "integer",
        default: 180,
        secret: "no",
        description: "How long pulumi up waits for the registry to answer 401 without and 200 with credentials.",
    },
    {
        key: "faas:gateway",
        type: "string",
        secret: "no",
        description: "URL of the FaaS gateway: https, or http on this machine (see faas:allowHttp). Unset: no functions are deployed.",
    },
    {
        key: "faas:allowHttp",
        type: "boolean",
        default: false,
        secret: "no",
        description:
            "Allow an http:// faas:gateway on a host other than this machine: the gateway password and the registry credentials then cross the network in clear. Only on a network you trust.",
    },
    { key: "faas:username", type: "string", default: "admin", secret: "no", description: "Gateway basic-auth user." },
    { key: "faas:password", type: "string", secret: "yes", description: "Gateway basic-auth password." },
    { key: "faas:network", type: "string", default: DEFAULT_FAAS_NETWORK, secret: "no", description: "Default Swarm network of the functions." },
    {
        key: "faas:backend",
        type: "string",
        default: "swarm",
        secret: "no",
        description:
            "The gateway's backend: swarm (faas-swarm; the registry credentials travel as registryAuth), faasd (the credentials go into /var/lib/faasd/.docker/config.json on the faasd host, over SSH) or kubernetes (faas-netes; the credentials become an image pull secret in faas:namespace, which every function names). Checked against the gateway's /system/info at deploy time.",
    },
    {
        key: "faas:namespace",
        type: "string",
        default: DEFAULT_FUNCTION_NAMESPACE,
        secret: "no",
        description:
            "With faas:backend kubernetes: the namespace faas-netes deploys functions to (its function_namespace), where the registry's image pull secret is kept. It must exist.",
    },
    {
        key: "faas:sshHost",
        type: "string",
        secret: "no",
        description: "The faasd host to write the registry credentials on, over SSH. Required with faas:backend faasd.",
    },
    { key: "faas:sshUser", type: "string", default: "root", secret: "no", description: "SSH user on the faasd host: root, or a user with passwordless sudo." },
    { key: "faas:sshPort", type: "integer", default: 22, secret: "no", description: "SSH port of the faasd host." },
    {
        key: "faas:sshPrivateKey",
        type: "string",
        secret: "yes",
        description: "PEM private key for the faasd host. Unset: the SSH agent (SSH_AUTH_SOCK) is used.",
    },
    {
        key: "faas:sshHostKey",
        type: "string",
        secret: "no",
        description:
            "The faasd host's public host key (ssh-ed25519 AAAA...): the connection is refused if the host presents another. Required with faasd, unless faas:sshSkipHostKeyCheck is true.",
    },
    {
        key: "faas:sshSkipHostKeyCheck",
        type: "boolean",
        default: false,
        secret: "no",
        description:
            "Connect to the faasd host without checking its host key (anyone on the path could then read the registry password). Only when said explicitly: an empty faas:sshHostKey is refused.",
    },
    {
        key: "faas:functions",
        type: "list",
        default: [],
        secret: "partly",
        description:
            "Functions to deploy: a list of {service, image, build?, envProcess?, envVars?, labels?, annotations?, constraints?, secrets?, limits?, requests?, readOnlyRootFilesystem?, network?, namespace?, adopt?, readinessTimeoutSeconds?}. With build {context, dockerfile?, args?, target?, platform?} the image is built, pushed into the registry and deployed by digest. Values set with --secret --path make envVars, envProcess, labels, annotations and build.args secret.",
    },
    {
        key: "kubernetes:kubeconfig",
        type: "string",
        secret: "yes",
        description:
            "The Kubernetes provider's own key: the kubeconfig (its text) of the cluster faas-netes runs on. Required with faas:backend kubernetes: pulumi config set --secret kubernetes:kubeconfig < ~/.kube/config (kubectl config view --flatten --minify, for one context with its certificates inline).",
    },
    {
        key: "docker:host",
        type: "string",
        secret: "no",
        description: "The docker provider's own key: where the registry runs (unix socket, tcp:// or ssh://user@vm). Unset: the local engine.",
    },
    {
        key: "docker:context",
        type: "string",
        secret: "no",
        description:
            "The docker provider's own key: a Docker context (docker context ls) whose engine is used instead of docker:host; DOCKER_CONTEXT does the same. The Swarm gate and the build platform check follow it as the provider does.",
    },
    {
        key: "docker:sshOpts",
        type: "list",
        secret: "no",
        description:
            'The docker provider\'s own key: extra ssh options for an ssh:// docker:host (e.g. ["-o", "StrictHostKeyChecking=yes"]); the Swarm gate uses them too.',
    },
    {
        key: "docker:certPath",
        type: "string",
        secret: "no",
        description: "The docker provider's own key: a folder with ca.pem, cert.pem and key.pem for a tcp:// docker:host with TLS; the Swarm gate uses it too.",
    },
    { key: "docker:caMaterial", type: "string", secret: "no", description: "The docker provider's own key: the CA (PEM) of a tcp:// docker:host with TLS." },
    {
        key: "docker:certMaterial",
        type: "string",
        secret: "no",
        description: "The docker provider's own key: the client certificate (PEM) for a tcp:// docker:host with TLS.",
    },
    {
        key: "docker:keyMaterial",
        type: "string",
        secret: "yes",
        description: "The docker provider's own key: the client key (PEM) for a tcp:// docker:host with TLS.",
    },
];

export function keySpec(key: string): KeySpec {
    const spec = CONFIG_KEYS.find((k) => k.key === key);
    if (spec === undefined) throw new Error(`internal: config key ${key} is not declared in config/schema.ts`);
    return spec;
}
