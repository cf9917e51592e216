import * as path from "node:path";
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { computed } from "../computed";
import { ContainerFile, type ContainerFileArgs } from "./package";
import * as random from "@pulumi/random";
import {
    DEFAULT_BCRYPT_COST,
    DEFAULT_HTTPS_PORT,
    DEFAULT_PORT,
    DEFAULT_REGISTRY_IMAGE,
    DRAIN_TIMEOUT_SECONDS,
    GENERATED_PASSWORD_LENGTH,
    type PrivateRegistryArgs,
    type StorageArgs,
} from "./args";
import { registryEndpoint } from "./endpoint";
import { renderHtpasswd } from "./htpasswd";
import { CONTAINER_PATHS, healthPort, renderRegistryConfig } from "./registry-config";
import { ArgumentError, checkPassword, validateRegistryArgs } from "./validate";
import { type SwarmRegistry, declareSwarmRegistry, redisAddress, swarmSettings } from "./swarm";

export * from "./args";
export { ArgumentError, type Problem } from "../problems";
export { registryEndpoint } from "./endpoint";
export { validateRegistryArgs } from "./validate";

export const REGISTRY_TYPE = "faasreg:registry:PrivateRegistry";

/** Credentials of one registry user; the whole object is a secret output. */
export interface RegistryCredentials {
    server: string;
    username: string;
    password: string;
}

/** The readiness probe, relative to the project root (the working directory of `pulumi up`), so the command text is the same on every machine. */
/** The htpasswd a new registry container starts with: no user (a comment line: the registry skips it). */
export const EMPTY_HTPASSWD = "# faasreg: the users are written once the registry runs (ContainerFile)\n";

export const PROBE_SCRIPT = path.relative(process.cwd(), path.join(__dirname, "probe.mjs")).split(path.sep).join("/");

/**
 * Where the component runs. The package's provider (provider/registry.ts) constructs it in its own process for
 * programs in any language, where the command provider's working directory is the consumer's program, not this
 * project.
 */
export interface RegistryRuntime {
    /** The readiness probe's path as the command provider runs it. Default: `PROBE_SCRIPT`, relative to the project root. */
    probeScript?: string;
}

export type PrivateRegistryOptions = pulumi.ComponentResourceOptions & { runtime?: RegistryRuntime };

/**
 * A private Docker registry (CNCF distribution) in a container on the Docker host of the docker provider
 * passed in `opts` (the local engine, or a VM over `ssh://`): htpasswd auth with deterministic bcrypt
 * entries, TLS from Let's Encrypt or a given certificate, data and certificate cache on volumes, and a
 * readiness gate that `pulumi up` waits on.
 */
export class PrivateRegistry extends pulumi.ComponentResource {
    /** What image references start with: `registry.example.com` (or `host:port`). */
    readonly server: pulumi.Output<string>;
    /** `https://registry.example.com` (or `http://127.0.0.1:5000` for `tls: none`). */
    readonly url: pulumi.Output<string>;
    /** Secret `{ server, username, password }` of the first user. */
    readonly credentials: pulumi.Output<RegistryCredentials>;
    /** Secret base64 of `username:password` of the first user: the FaaS gateway's `registryAuth`. */
    readonly registryAuth: pulumi.Output<string>;
    /** Secret `{"auths":{server:{auth}}}`, for `~/.docker/config.json` or a Kubernetes pull secret. */
    readonly dockerConfigJson: pulumi.Output<string>;
    /** Secret map username -> password (given or generated). */
    readonly passwords: pulumi.Output<Record<string, string>>;
    /** Completes once `/v2/` answers 401 without and 200 with credentials. Depend on it. */
    readonly ready: command.local.Command;
    /** The registry container (`mode: "container"`). */
    readonly container?: docker.Container;
    /** The Swarm services, network and node (`mode: "swarm"`). */
    readonly swarm?: SwarmRegistry;

    constructor(name: string, args: PrivateRegistryArgs, opts?: PrivateRegistryOptions) {
        const problems = validateRegistryArgs(args);
        if (problems.length > 0) throw new ArgumentError(`PrivateRegistry "${name}"`, problems);
        const { runtime = {}, ...componentOpts } = opts ?? {};
        super(REGISTRY_TYPE, name, {}, componentOpts);

        const tls = args.tls;
        const port = args.port ?? DEFAULT_PORT;
        const cost = args.bcryptCost ?? DEFAULT_BCRYPT_COST;
        const retainData = args.retainData ?? true;
        const bindAddress = args.bindAddress ?? (tls.mode === "none" ? "127.0.0.1" : "0.0.0.0");
        const publishedPort = tls.mode === "none" ? port : (args.httpsPort ?? DEFAULT_HTTPS_PORT);
        const endpoint = registryEndpoint(args);
        const prefix = `${pulumi.getProject()}-${pulumi.getStack()}-${name}`;

        const secretOf = (input: pulumi.Input<string>, what: string): pulumi.Output<string> =>
            pulumi.secret(
                pulumi.output(input).apply((value) => {
                    const problem = checkPassword(value);
                    if (problem !== undefined) throw new Error(`PrivateRegistry "${name}": ${what} ${problem}`);
                    return value;
                }),
            );
        const random40 = (role: string) =>
            pulumi.secret(
                computed(new random.RandomPassword(`${name}-${role}`, { length: GENERATED_PASSWORD_LENGTH, special: false }, { parent: this }).result),
            );

        const users = args.users.map((u, i) => ({
            username: u.username,
            password: u.password === undefined ? random40(`password-${u.username}`) : secretOf(u.password, `users[${i}].password`),
        }));
        const httpSecret = pulumi.secret(computed(new random.RandomPassword(`${name}-http-secret`, { length: 64, special: false }, { parent: this }).result));

        const htpasswd = pulumi.secret(
            pulumi.all([httpSecret, ...users.map((u) => u.password)]).apply(([key, ...passwords]) =>
                renderHtpasswd(
                    key,
                    users.map((u, i) => ({ username: u.username, password: passwords[i] })),
                    cost,
                ),
            ),
        );
        const storage = args.storage ?? { driver: "filesystem" as const };
        const s3SecretKey = storage.driver === "s3" && storage.secretKey !== undefined ? pulumi.secret(storage.secretKey) : undefined;
        let readyAfter: pulumi.Resource[];
        let readyTriggers: pulumi.Input<string>[];
        if (args.mode === "swarm") {
            // Caddy's front terminates TLS and the replicas speak HTTP on the overlay network; behind the NAT
            // front the replicas terminate TLS. They read the HTTP secret (and S3 key) from Swarm secrets, and
            // drain before they stop.
            const settings = swarmSettings(args);
            const registryConfig = pulumi.output(
                renderRegistryConfig({
                    tls: { mode: settings.front === "nat" ? "certificate" : "none" },
                    // Behind the NAT front the replica speaks TLS only: its health check reads the debug server on loopback.
                    ...(settings.front === "nat" ? { debugAddress: `127.0.0.1:${healthPort(port)}` } : {}),
                    storage: storage.driver === "s3" ? { ...storage, secretKey: undefined } : storage,
                    port,
                    realm: endpoint.server,
                    drainTimeoutSeconds: DRAIN_TIMEOUT_SECONDS,
                    redis: redisAddress(prefix, settings.redis),
                }),
            );
            this.swarm = declareSwarmRegistry(this, name, {
                prefix,
                args,
                registryConfig,
                htpasswd,
                httpSecret,
                s3SecretKey,
                host: args.host as string,
                port,
                publishedPort,
                retainData,
                connection: args.docker ?? {},
            });
            readyAfter = [this.swarm.registry, this.swarm.front];
            readyTriggers = [this.swarm.registry.id, this.swarm.front.id, this.swarm.revision];
        } else {
            this.container = this.declareContainer(name, args, {
                prefix,
                port,
                publishedPort,
                bindAddress,
                retainData,
                endpoint,
                httpSecret,
                storage,
                s3SecretKey,
            });
            // The users, written into the running container: a rotation rewrites the file in place, and the registry
            // re-reads it when its mtime changes, so no request is refused (a replaced container refuses them for
            // about a second). The container's own upload holds none, so it is not replaced.
            const fileArgs: ContainerFileArgs = {
                connection: args.docker ?? {},
                container: this.container.id,
                path: CONTAINER_PATHS.htpasswd,
                content: htpasswd,
                mode: 0o400,
            };
            const users = new ContainerFile(`${name}-htpasswd`, fileArgs, { parent: this });
            readyAfter = [this.container, users];
            readyTriggers = [this.container.id, users.sha256];
        }

        const firstUser = users[0];
        // What the readiness gate trusts beyond the public CAs: a given certificate (and its private CA's
        // root), or a private ACME CA's root.
        const certificate =
            tls.mode === "certificate"
                ? pulumi.all([tls.certificate, tls.root]).apply(([chain, root]) => (root === undefined ? chain : `${chain.trimEnd()}\n${root}`))
                : tls.mode === "letsencrypt" && tls.root !== undefined
                  ? pulumi.output(tls.root)
                  : pulumi.output(undefined);
        const probeInput = pulumi.secret(
            pulumi.all([firstUser.password, certificate]).apply(([password, cert]) =>
                JSON.stringify({
                    url: endpoint.probeUrl,
                    username: firstUser.username,
                    password,
                    timeoutSeconds: args.readinessTimeoutSeconds ?? 180,
                    tlsMode: tls.mode,
                    host: args.host ?? null,
                    httpsPort: publishedPort,
                    // A self-signed or private-CA certificate is trusted by the probe, as it is by
                    // clients that install it (`/etc/docker/certs.d/HOST/ca.crt`).
                    certificate: cert ?? null,
                }),
            ),
        );
        this.ready = new command.local.Command(
            `${name}-ready`,
            {
                create: `node ${JSON.stringify(runtime.probeScript ?? PROBE_SCRIPT)}`,
                // Credentials travel on stdin, never on the command line or in the environment.
                stdin: probeInput,
                // The probe prints diagnostics only (never a credential) to stderr; stdout stays silent.
                logging: "stderr",
                triggers: readyTriggers,
            },
            { parent: this, dependsOn: readyAfter, additionalSecretOutputs: ["stdin"] },
        );

        this.server = pulumi.output(endpoint.server);
        this.url = pulumi.output(endpoint.url);
        this.passwords = pulumi.secret(pulumi.all(users.map((u) => u.password)).apply((pws) => Object.fromEntries(users.map((u, i) => [u.username, pws[i]]))));
        this.credentials = pulumi.secret(firstUser.password.apply((password) => ({ server: endpoint.server, username: firstUser.username, password })));
        this.registryAuth = pulumi.secret(firstUser.password.apply((password) => Buffer.from(`${firstUser.username}:${password}`, "utf8").toString("base64")));
        this.dockerConfigJson = pulumi.secret(this.registryAuth.apply((auth) => JSON.stringify({ auths: { [endpoint.server]: { auth } } })));

        this.registerOutputs({
            server: this.server,
            url: this.url,
            credentials: this.credentials,
            registryAuth: this.registryAuth,
            dockerConfigJson: this.dockerConfigJson,
            passwords: this.passwords,
        });
    }
    /** `mode: "container"`: one registry container with TLS of its own, files uploaded before it starts. */
    private declareContainer(
        name: string,
        args: PrivateRegistryArgs,
        o: {
            prefix: string;
            port: number;
            publishedPort: number;
            bindAddress: string;
            retainData: boolean;
            endpoint: ReturnType<typeof registryEndpoint>;
            httpSecret: pulumi.Output<string>;
            storage: StorageArgs;
            s3SecretKey: pulumi.Output<string> | undefined;
        },
    ): docker.Container {
        const { prefix, port, storage, tls } = { ...o, tls: args.tls };
        const renderTls =
            tls.mode === "letsencrypt" ? { mode: tls.mode, email: tls.email, host: args.host as string, directory: tls.directory } : { mode: tls.mode };
        const registryConfig = pulumi.secret(
            pulumi.all([o.httpSecret, o.s3SecretKey ?? pulumi.output(undefined)]).apply(([secret, secretKey]) =>
                renderRegistryConfig({
                    tls: renderTls,
                    storage: storage.driver === "s3" ? { ...storage, secretKey } : storage,
                    port,
                    httpSecret: secret,
                    realm: o.endpoint.server,
                    // On SIGTERM (a replacement, `docker stop`) it finishes the requests it has.
                    drainTimeoutSeconds: DRAIN_TIMEOUT_SECONDS,
                }),
            ),
        );

        const image = new docker.RemoteImage(`${name}-image`, { name: args.image ?? DEFAULT_REGISTRY_IMAGE, keepLocally: true }, { parent: this });
        const volumeOpts = { parent: this, retainOnDelete: o.retainData };
        const volumes: docker.types.input.ContainerVolume[] = [];
        // With s3 storage the images live in the bucket: no data volume.
        if (storage.driver === "filesystem") {
            const dataVolume = new docker.Volume(`${name}-data`, { name: `${prefix}-data` }, volumeOpts);
            volumes.push({ volumeName: dataVolume.name, containerPath: CONTAINER_PATHS.data });
        }
        if (tls.mode === "letsencrypt") {
            const acmeVolume = new docker.Volume(`${name}-acme-cache`, { name: `${prefix}-acme-cache` }, volumeOpts);
            volumes.push({ volumeName: acmeVolume.name, containerPath: CONTAINER_PATHS.acmeCache });
        }

        // Every file exists before the registry starts: the provider copies uploads into the created
        // container before starting it (a missing htpasswd makes the registry invent a user and log its password).
        // The htpasswd starts empty (no user: every request is refused) and the users are written right after the
        // start by ContainerFile, in place, so a new password does not replace the container.
        const uploads: docker.types.input.ContainerUpload[] = [
            { file: CONTAINER_PATHS.config, content: registryConfig, permissions: "0400" },
            { file: CONTAINER_PATHS.htpasswd, content: EMPTY_HTPASSWD, permissions: "0400" },
        ];
        if (tls.mode === "certificate") {
            uploads.push(
                { file: CONTAINER_PATHS.certificate, content: pulumi.output(tls.certificate), permissions: "0444" },
                { file: CONTAINER_PATHS.privateKey, content: pulumi.secret(tls.privateKey), permissions: "0400" },
            );
        }

        // A private ACME CA (registry:acmeDirectory an https URL): the registry must trust its HTTPS endpoint,
        // whose certificate such CAs issue from the same root. Go reads every file of SSL_CERT_DIR in
        // addition to the system bundle (SSL_CERT_FILE would replace it). Only then: other stacks' containers
        // keep their inputs (envs and uploads are ForceNew).
        const privateAcme = tls.mode === "letsencrypt" && tls.root !== undefined && tls.directory !== undefined && /^https:\/\//.test(tls.directory);
        if (privateAcme)
            uploads.push({ file: `${CONTAINER_PATHS.acmeRoots}/root.pem`, content: pulumi.output(tls.root as pulumi.Input<string>), permissions: "0444" });

        return new docker.Container(
            `${name}-container`,
            {
                name: prefix,
                image: image.imageId,
                // The image's entrypoint runs `registry serve FILE` for a *.yml argument (v2 and v3 images alike).
                command: [CONTAINER_PATHS.config],
                ...(privateAcme ? { envs: [`SSL_CERT_DIR=/etc/ssl/certs:${CONTAINER_PATHS.acmeRoots}`] } : {}),
                restart: "always",
                mustRun: true,
                // Unset, the provider stops the container with a 0 s timeout before deleting it (SIGKILL right
                // after SIGTERM: a push or pull in flight is cut). The registry drains for DRAIN_TIMEOUT_SECONDS.
                destroyGraceSeconds: DRAIN_TIMEOUT_SECONDS + 5,
                // Only the registry's port is published; our config declares no debug listener at all.
                ports: [{ internal: port, external: o.publishedPort, ip: o.bindAddress, protocol: "tcp" }],
                volumes,
                uploads,
                labels: [
                    { label: "org.opencontainers.image.title", value: "faasreg private registry" },
                    { label: "faasreg.stack", value: `${pulumi.getProject()}/${pulumi.getStack()}` },
                ],
            },
            // The published host port and the container name can only be held by one container at a time.
            { parent: this, deleteBeforeReplace: true },
        );
    }
}
