// The package's schema: what `pulumi package add`, `gen-sdk` and Pulumi YAML read to type and document the
// resources in every language. The table of the function's inputs below is the schema's, and the provider's check
// refuses any property not in it (./function.ts, which translates them to the stack's gateway logic).
import { DEFAULT_GATEWAY_USERNAME, DEFAULT_NETWORK, DEFAULT_READINESS_TIMEOUT_SECONDS } from "../components/faas/args";
import {
    DEFAULT_BCRYPT_COST,
    DEFAULT_FRONT_IMAGE,
    DEFAULT_NAT_IMAGE,
    DEFAULT_HTTPS_PORT,
    DEFAULT_PORT,
    DEFAULT_REDIS_IMAGE,
    DEFAULT_REGISTRY_IMAGE,
    DEFAULT_REPLICAS,
    GENERATED_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
} from "../components/registry/args";

/** The package's name: short, one word in every language (`faasreg` in TypeScript and YAML, `pulumi_faasreg` in Python). */
export const PACKAGE = "faasreg";
export const FUNCTION_TOKEN = `${PACKAGE}:index:Function`;
/** The registry component: the stack's own type token, so a stack that moves to the package keeps its URNs. */
export const REGISTRY_TOKEN = `${PACKAGE}:registry:PrivateRegistry`;
/** Kept in step with package.json by a test (the engine records it in state beside every resource). */
export const PACKAGE_VERSION = "0.1.0";

type PropertySpec = {
    type?: "string" | "boolean" | "integer" | "object" | "array";
    items?: { type: "string" } | { $ref: string };
    additionalProperties?: { type: "string" };
    $ref?: string;
    description: string;
    secret?: boolean;
    default?: unknown;
    replaceOnChanges?: boolean;
};

const resources = {
    type: "object",
    properties: {
        memory: { type: "string", description: 'Memory, in the gateway\'s own notation (e.g. "128m", "1Gi").' },
        cpu: { type: "string", description: 'CPU, in the gateway\'s own notation (e.g. "0.5", "500m").' },
    },
    description: "Resource limits or requests of a function.",
};

/** The function's inputs, by their names in every language. */
export const FUNCTION_INPUTS: Record<string, PropertySpec> = {
    gatewayUrl: {
        type: "string",
        description:
            "The FaaS gateway's base URL, e.g. `https://gateway.example.com`. `http://` is refused to a host other than this machine " +
            "unless `allowHttp` is true (the gateway password and `registryAuth` would cross the network in clear). Absent: the " +
            "provider's `gatewayUrl`.",
    },
    gatewayUsername: { type: "string", description: "The gateway's basic-auth user.", default: DEFAULT_GATEWAY_USERNAME },
    gatewayPassword: {
        type: "string",
        secret: true,
        description:
            "The gateway's basic-auth password. A secret in state and in every SDK. Without it, the provider's credentials are used when " +
            "the function's gateway is the provider's `gatewayUrl`; otherwise no Authorization header is sent.",
    },
    allowHttp: {
        type: "boolean",
        description: "Allow an `http://` gateway on a host other than this machine: only on a network you trust.",
        default: false,
    },
    service: {
        type: "string",
        replaceOnChanges: true,
        description: "The function's name on the gateway: 1 to 63 letters, digits, '-', '_' or '.'. A change replaces the function.",
    },
    image: {
        type: "string",
        description:
            "The image to run: `registry/namespace/name[:tag|@sha256:digest]`. With `registryServer`, it must live in that registry " +
            "(a short name such as `team/fn:1` is refused: the engines would pull it from Docker Hub with these credentials).",
    },
    registryAuth: {
        type: "string",
        secret: true,
        description:
            "base64 of `user:password` for the image's registry, sent to faas-swarm with the deployment. A secret in state and in every SDK. " +
            "faasd and faas-netes ignore it (faasd reads its host's credentials file; on Kubernetes name an image pull secret in `secrets`).",
    },
    registryServer: {
        type: "string",
        description: "The private registry the image must live in (e.g. `registry.example.com`): an image elsewhere is refused before anything is sent.",
    },
    backend: {
        type: "string",
        description:
            'The gateway\'s backend: "swarm" (faas-swarm), "faasd" or "kubernetes" (faas-netes). Checked against the gateway\'s `/system/info` before deploying.',
        default: "swarm",
    },
    envProcess: { type: "string", description: "The process the watchdog runs (`fprocess`)." },
    network: { type: "string", description: "The Swarm network of the function.", default: DEFAULT_NETWORK },
    envVars: { type: "object", additionalProperties: { type: "string" }, description: "Environment variables of the function." },
    labels: { type: "object", additionalProperties: { type: "string" }, description: "Labels of the function." },
    annotations: { type: "object", additionalProperties: { type: "string" }, description: "Annotations of the function." },
    constraints: { type: "array", items: { type: "string" }, description: "Placement constraints (e.g. `node.role==worker` on Swarm)." },
    secrets: {
        type: "array",
        items: { type: "string" },
        description: "Names of the platform's secrets the function reads (on Kubernetes: also the image pull secrets it names).",
    },
    limits: { $ref: "#/types/faasreg:index:FunctionResources", description: "Resource limits." },
    requests: { $ref: "#/types/faasreg:index:FunctionResources", description: "Resource requests." },
    readOnlyRootFilesystem: { type: "boolean", description: "Run the function with a read-only root file system." },
    namespace: { type: "string", replaceOnChanges: true, description: "The namespace (faas-netes, faasd). A change replaces the function." },
    adopt: {
        type: "boolean",
        description:
            "Take over a function of the same name that already exists on the gateway and was not deployed by this stack (it is overwritten with this declaration).",
        default: false,
    },
    waitForReady: {
        type: "boolean",
        description: "Wait after a create or an update until the gateway reports an available replica of the declared image.",
        default: true,
    },
    readinessTimeoutSeconds: {
        type: "integer",
        description: "How long to wait for an available replica, in seconds (1 to 3600).",
        default: DEFAULT_READINESS_TIMEOUT_SECONDS,
    },
};

/** gatewayUrl may come from the provider's configuration instead (PROVIDER_CONFIG): check fills it in. */
export const REQUIRED_INPUTS = ["service", "image"];

/**
 * The provider's configuration (`faasreg:gatewayUrl`... in a program's config, or an explicit provider's inputs): the
 * gateway of every function that names none, and the credentials the provider uses for it. With them here, a password
 * rotation or a refresh reaches the gateway with the credentials the program holds NOW, not those in each
 * function's state, and no function's state holds the gateway password.
 */
export const PROVIDER_CONFIG: Record<string, PropertySpec> = {
    gatewayUrl: {
        type: "string",
        description:
            "The FaaS gateway of the functions that name no `gatewayUrl`, e.g. `https://gateway.example.com`. A function whose `gatewayUrl` " +
            "is this one (or absent) and that sets no `gatewayPassword` is reached with this configuration's credentials.",
    },
    gatewayUsername: { type: "string", description: "The gateway's basic-auth user.", default: DEFAULT_GATEWAY_USERNAME },
    gatewayPassword: {
        type: "string",
        secret: true,
        description: "The gateway's basic-auth password (a secret). Used for every call to `gatewayUrl` by a function that sets no password of its own.",
    },
};

/** What the provider reports beyond its inputs. */
export const FUNCTION_OUTPUTS: Record<string, PropertySpec> = {
    url: { type: "string", description: "The function's URL on the gateway: `GATEWAY/function/SERVICE`." },
    replicas: { type: "integer", description: "Replicas the gateway reports." },
    availableReplicas: { type: "integer", description: "Available replicas the gateway reports." },
    reportedImage: { type: "string", description: "The image the gateway reports (faas-swarm may pin it by digest)." },
};

const ref = (type: string) => `#/types/${PACKAGE}:registry:${type}`;

/** The registry's object types: PrivateRegistryArgs' (components/registry/args.ts), property by property. */
const REGISTRY_TYPES: Record<string, { description: string; properties: Record<string, PropertySpec>; required: string[] }> = {
    Tls: {
        description: "How the registry gets its TLS certificate.",
        properties: {
            mode: {
                type: "string",
                description:
                    '"letsencrypt" (ACMEv2, TLS-ALPN-01 on the public port 443), "certificate" (one you give) or "none" (plain HTTP, only on a loopback `bindAddress`).',
            },
            email: { type: "string", description: "`letsencrypt`: the ACME account e-mail Let's Encrypt sends expiry notices to." },
            directory: {
                type: "string",
                description: '`letsencrypt`: "production" (the default), "staging", or the https URL of a private ACME CA.',
            },
            certificate: { type: "string", description: "`certificate`: the PEM certificate chain, leaf first." },
            privateKey: { type: "string", secret: true, description: "`certificate`: the PEM private key. A secret in state and in every SDK." },
            root: {
                type: "string",
                description: "PEM root of a private CA (of the given certificate, or of a private ACME CA) for the readiness gate to trust.",
            },
        },
        required: ["mode"],
    },
    User: {
        description: "A registry user: an htpasswd entry, bcrypt-hashed by the provider (deterministically: no diff when nothing changed).",
        properties: {
            username: { type: "string", description: "The login name: non-empty, without `:`, whitespace or control characters." },
            password: {
                type: "string",
                secret: true,
                description: `The password, ${MIN_PASSWORD_LENGTH} to 72 bytes. Unset: a generated ${GENERATED_PASSWORD_LENGTH}-character one, kept in state as a secret.`,
            },
        },
        required: ["username"],
    },
    Storage: {
        description: "Where the registry keeps images.",
        properties: {
            driver: { type: "string", description: '"filesystem" (a named Docker volume on the registry\'s host, the default) or "s3".' },
            bucket: { type: "string", description: "`s3`: the bucket." },
            region: { type: "string", description: "`s3`: the region." },
            regionEndpoint: { type: "string", description: "`s3`: an S3-compatible endpoint, e.g. `https://minio.example.com:9000`. Unset: AWS." },
            forcePathStyle: { type: "boolean", description: "`s3`: path-style addressing (most S3-compatible stores)." },
            accessKey: { type: "string", description: "`s3`: the access key. Unset (with `secretKey`): the host's IAM role." },
            secretKey: { type: "string", secret: true, description: "`s3`: the secret key. A secret in state and in every SDK." },
            rootDirectory: { type: "string", description: "`s3`: a prefix inside the bucket." },
            redirect: { type: "boolean", description: "`s3`: answer blob downloads with a redirect to a pre-signed URL of the store." },
        },
        required: ["driver"],
    },
    Swarm: {
        description:
            'Settings of `mode` "swarm": the registry as a replicated Swarm service on the Swarm whose manager the Docker connection ' +
            "reaches, behind one front: Caddy, which terminates TLS (and answers Let's Encrypt for every replica), or with `front` " +
            '"nat" the kernel\'s NAT before replicas that terminate TLS themselves.',
        properties: {
            replicas: { type: "integer", description: "Registry tasks, 1 to 100.", default: DEFAULT_REPLICAS },
            sharedPath: {
                type: "string",
                description:
                    "A host path that holds the same files on every node (NFS, a cluster file system): with filesystem storage, replicas " +
                    "bind-mount it and may run on any node. Unset: a named volume, so every replica runs on the manager's node.",
            },
            spread: {
                type: "boolean",
                description:
                    "Let replicas run on any node. Unset: true with s3 storage or `sharedPath`, false otherwise (every replica on the " +
                    "manager's node). Refused with filesystem storage on a volume that is not shared.",
            },
            redis: {
                type: "string",
                description:
                    'The blob-descriptor cache: "service" (a Redis service declared beside the registry) or the `HOST:PORT` of yours. Unset: in memory, per replica.',
            },
            front: {
                type: "string",
                description:
                    'What stands on the published port: "caddy" (Caddy terminates TLS, Let\'s Encrypt or the given certificate, and proxies ' +
                    'each request) or "nat" (the kernel forwards each connection to a replica, which terminates TLS with the given ' +
                    "certificate: no process copies the bytes). Unset: caddy.",
            },
            frontImage: { type: "string", description: 'The front\'s image (Caddy 2) with `front` "caddy".', default: DEFAULT_FRONT_IMAGE },
            // No schema default: the SDKs would send it, and a NAT image without `front` "nat" is refused.
            natImage: {
                type: "string",
                description: `The front's image with \`front\` "nat": a shell, busybox's nslookup, awk and sort, and iptables-restore. Unset: \`${DEFAULT_NAT_IMAGE}\`.`,
            },
            // No schema default: the SDKs would send it, and a Redis image without `redis` "service" is refused.
            redisImage: { type: "string", description: `The Redis image for \`redis\` "service". Unset: \`${DEFAULT_REDIS_IMAGE}\`.` },
            encryptOverlay: {
                type: "boolean",
                description:
                    "Encrypt the overlay network between nodes (IPsec ESP): the front's requests to replicas carry Basic credentials. " +
                    "Every node's kernel must do IPsec and the nodes must let ESP (IP protocol 50) through. false: clear, on a network you trust only.",
                default: true,
            },
        },
        required: [],
    },
    DockerConnection: {
        description:
            "How to reach the Docker engine that runs the registry, as the docker provider's config says. Unset: the program's own `docker:*` config (the local engine without it).",
        properties: {
            host: { type: "string", description: "The engine: `unix:///var/run/docker.sock`, `ssh://user@host`, `tcp://host:2376`." },
            context: { type: "string", description: "A Docker context whose engine is used instead of `host`." },
            sshOpts: { type: "array", items: { type: "string" }, description: "Extra ssh options for an `ssh://` host." },
            certPath: { type: "string", description: "A folder with ca.pem, cert.pem and key.pem, for `tcp://` with TLS." },
            caMaterial: { type: "string", description: "The CA certificate as PEM text, for `tcp://` with TLS." },
            certMaterial: { type: "string", description: "The client certificate as PEM text." },
            keyMaterial: { type: "string", secret: true, description: "The client key as PEM text. A secret." },
        },
        required: [],
    },
};

/** The registry's inputs, by their names in every language. */
export const REGISTRY_INPUTS: Record<string, PropertySpec> = {
    host: { type: "string", description: 'The DNS name the registry serves, e.g. `registry.example.com`. Required unless `tls.mode` is "none".' },
    tls: { $ref: ref("Tls"), description: "How the registry gets its TLS certificate." },
    users: {
        type: "array",
        items: { $ref: ref("User") },
        description: "Who may push and pull: at least one. The first one's credentials are the outputs `username`, `password` and `registryAuth`.",
    },
    storage: { $ref: ref("Storage"), description: "Where images are stored. Unset: a named volume on the registry's host." },
    image: { type: "string", description: "The registry image (distribution v3; a 2.x image cannot do Let's Encrypt).", default: DEFAULT_REGISTRY_IMAGE },
    port: {
        type: "integer",
        description: 'The port the registry listens on in the container, and the published one for `tls.mode` "none".',
        default: DEFAULT_PORT,
    },
    httpsPort: { type: "integer", description: "The published HTTPS port (Let's Encrypt's TLS-ALPN-01 needs 443).", default: DEFAULT_HTTPS_PORT },
    bindAddress: { type: "string", description: 'The host address the port is published on. Unset: `0.0.0.0`, or `127.0.0.1` for `tls.mode` "none".' },
    bcryptCost: { type: "integer", description: "bcrypt cost of the htpasswd entries, 4 to 31.", default: DEFAULT_BCRYPT_COST },
    retainData: { type: "boolean", description: "Keep the data and certificate volumes on `pulumi destroy`.", default: true },
    readinessTimeoutSeconds: {
        type: "integer",
        description: "How long `pulumi up` waits for `/v2/` to answer 401 without and 200 with credentials, in seconds.",
        default: 180,
    },
    docker: { $ref: ref("DockerConnection"), description: "How to reach the Docker engine. Unset: the program's `docker:*` config." },
    mode: {
        type: "string",
        description:
            '"container": one registry container on the Docker host. "swarm": `swarm.replicas` registry tasks on the Swarm whose ' +
            "manager the Docker connection reaches, behind one TLS front; nothing is created unless that engine is a Swarm manager.",
        default: "container",
    },
    swarm: { $ref: ref("Swarm"), description: 'Settings of `mode` "swarm".' },
};

/** What the registry reports. */
export const REGISTRY_OUTPUTS: Record<string, PropertySpec> = {
    server: { type: "string", description: "What image references start with: `registry.example.com` (or `host:port`)." },
    url: { type: "string", description: "`https://registry.example.com` (`http://127.0.0.1:5000` without TLS)." },
    username: { type: "string", description: "The first user's name." },
    password: { type: "string", secret: true, description: "The first user's password (given or generated). A secret." },
    registryAuth: {
        type: "string",
        secret: true,
        description: "base64 of `username:password` of the first user: a function's `registryAuth` on faas-swarm. A secret.",
    },
    dockerConfigJson: {
        type: "string",
        secret: true,
        description: '`{"auths":{SERVER:{"auth":...}}}`: a `~/.docker/config.json`, or a Kubernetes image pull secret\'s `.dockerconfigjson`. A secret.',
    },
    passwords: { type: "object", additionalProperties: { type: "string" }, secret: true, description: "Every user's password, by name. A secret." },
};

/** The image pull secret for faas-netes: the stack's own component type (components/faas/kubernetes.ts). */
export const PULL_SECRET_TOKEN = `${PACKAGE}:faas:KubernetesPullSecret`;
/**
 * The platform of the Docker engine the stack builds function images on (a custom resource of the provider the stack
 * declares; not in the schema: the package builds no images).
 */
export const DOCKER_PLATFORM_TOKEN = `${PACKAGE}:faas:DockerPlatform`;
/** Its gate, a custom resource of the provider (not in the schema: only the component declares it). */
export const KUBERNETES_GATE_TOKEN = `${PACKAGE}:faas:KubernetesGate`;
/** The registry's htpasswd file in its running container (a custom resource of the provider, the component's child). */
export const CONTAINER_FILE_TOKEN = `${PACKAGE}:registry:ContainerFile`;
/** `mode: "swarm"`: the gate that asks the engine whether it is a Swarm manager, and on which node (the component's child). */
export const SWARM_GATE_TOKEN = `${PACKAGE}:registry:SwarmGate`;
/** `mode: "swarm"`: an image pinned by digest as the engine stores it (the component's child). */
export const PINNED_IMAGE_TOKEN = `${PACKAGE}:registry:PinnedImage`;

const REGISTRY_LOGIN = {
    type: "object",
    description: "A registry login: what the image pull secret holds. Pass a registry's outputs (`server`, `username`, `password`).",
    properties: {
        server: { type: "string", description: "The registry's server, as image references start with (`registry.example.com`)." },
        username: { type: "string", description: "The user's name." },
        password: { type: "string", secret: true, description: "The user's password. A secret in state and in every SDK." },
    },
    required: ["server", "username", "password"],
};

/** The pull secret's inputs, by their names in every language. */
export const PULL_SECRET_INPUTS: Record<string, PropertySpec> = {
    registry: { $ref: `#/types/${PACKAGE}:faas:RegistryLogin`, description: "The registry login the kubelet pulls the functions' images with." },
    namespace: {
        type: "string",
        description: "The functions' namespace (faas-netes' `function_namespace`, e.g. `openfaas-fn`). It must exist; the Secret is written there.",
    },
    kubeconfig: {
        type: "string",
        secret: true,
        description:
            "The cluster's kubeconfig: the gate asks the API server with it, and the Secret is written with it. Unset: the program's " +
            "`kubernetes:kubeconfig` config. A secret.",
    },
};

/** The schema: `pulumi package get-schema provider` prints it. Descriptions are Markdown, as every SDK's docs show them. */
export function packageSchema(): Record<string, unknown> {
    const cleanOne = (spec: PropertySpec) => {
        const { replaceOnChanges, ...rest } = spec;
        return replaceOnChanges ? { ...rest, replaceOnChanges } : rest;
    };
    const cleanAll = (specs: Record<string, PropertySpec>) => Object.fromEntries(Object.entries(specs).map(([k, v]) => [k, cleanOne(v)]));
    const inputs = cleanAll(FUNCTION_INPUTS);
    const outputs = cleanAll(FUNCTION_OUTPUTS);
    return {
        name: PACKAGE,
        displayName: "FaaS registry",
        version: PACKAGE_VERSION,
        description: "OpenFaaS functions whose images live in a private Docker registry, the registry credentials a secret from end to end.",
        keywords: ["openfaas", "faas", "docker", "registry", "category/cloud"],
        license: "Apache-2.0",
        meta: { moduleFormat: "(.*)" },
        language: {
            nodejs: { packageName: "@faasreg/pulumi", respectSchemaVersion: true },
            python: { packageName: "pulumi_faasreg", respectSchemaVersion: true, pyproject: { enabled: true } },
        },
        config: { variables: cleanAll(PROVIDER_CONFIG) },
        provider: {
            description:
                "The faasreg provider: optionally, the gateway of the functions that name none, and its credentials (kept out of every function's state).",
            inputProperties: cleanAll(PROVIDER_CONFIG),
        },
        types: {
            "faasreg:index:FunctionResources": resources,
            [`${PACKAGE}:faas:RegistryLogin`]: REGISTRY_LOGIN,
            ...Object.fromEntries(
                Object.entries(REGISTRY_TYPES).map(([name, t]) => [
                    `${PACKAGE}:registry:${name}`,
                    { type: "object", description: t.description, properties: t.properties, required: t.required },
                ]),
            ),
        },
        resources: {
            [FUNCTION_TOKEN]: {
                description:
                    "A function deployed through the FaaS gateway API (`POST/PUT/DELETE /system/functions`), its image pulled from a private " +
                    "registry. `pulumi up` creates or updates it and waits for an available replica; `pulumi refresh` reads it back " +
                    "(`GET /system/function/{name}`: drift in image, envProcess, labels and annotations); `pulumi destroy` deletes it, " +
                    "unless the function on the gateway is not this stack's (its `com.faasreg.owner` label).",
                inputProperties: inputs,
                requiredInputs: REQUIRED_INPUTS,
                properties: { ...inputs, ...outputs },
                required: [...REQUIRED_INPUTS, "gatewayUrl", "gatewayUsername", "network", "backend", "url", "replicas", "availableReplicas"],
            },
            [REGISTRY_TOKEN]: {
                isComponent: true,
                description:
                    "A private Docker registry (CNCF distribution) in a container on a Docker host, or replicated on a Docker Swarm behind " +
                    "one TLS front (`mode`): htpasswd auth whose bcrypt entries are made " +
                    "from the users' passwords (secrets), TLS from Let's Encrypt or a given certificate, images and the certificate cache on " +
                    "volumes, and a readiness gate `pulumi up` waits on (`/v2/` answers 401 without and 200 with credentials). A password " +
                    "rotation rewrites the htpasswd in the running container (the registry re-reads it and refuses no request), or on " +
                    "Swarm rolls the replicas one by one, each new one started before an old one stops.",
                inputProperties: cleanAll(REGISTRY_INPUTS),
                requiredInputs: ["tls", "users"],
                properties: cleanAll(REGISTRY_OUTPUTS),
                required: Object.keys(REGISTRY_OUTPUTS),
            },
            [PULL_SECRET_TOKEN]: {
                isComponent: true,
                description:
                    "The image pull secret of functions on faas-netes: a `kubernetes.io/dockerconfigjson` Secret in the functions' namespace, " +
                    "its data a secret end to end. A function names it in `secrets` (faas-netes adds it to the Deployment's " +
                    "`imagePullSecrets`). Before writing it, a gate asks the API server whether the namespace exists and the kubeconfig may " +
                    "manage Secrets there; a preview that cannot reach the API server shows no change, with a warning. A password rotation " +
                    "updates it under its name.",
                inputProperties: cleanAll(PULL_SECRET_INPUTS),
                requiredInputs: ["registry", "namespace"],
                properties: {
                    secretName: { type: "string", description: "The Secret's name (`PROJECT-STACK-NAME`): name it in a function's `secrets`." },
                },
                required: ["secretName"],
            },
        },
    };
}
