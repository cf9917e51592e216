import { createHash } from "node:crypto";
import { ACME_DIRECTORIES, type StorageArgs } from "./args";
/** Where things live inside the registry container. The real-registry tests map these into a temp dir. */
export const CONTAINER_PATHS = {
    config: "/etc/distribution/config.yml",
    htpasswd: "/etc/distribution/htpasswd",
    certificate: "/etc/distribution/tls/cert.pem",
    privateKey: "/etc/distribution/tls/key.pem",
    data: "/var/lib/registry",
    acmeCache: "/var/lib/registry-acme",
    /** A private ACME CA's root, trusted by the registry (beside the system's) when it talks to that CA. */
    acmeRoots: "/etc/distribution/acme-roots",
} as const;

export type RenderTls = { mode: "letsencrypt"; email: string; host: string; directory?: string } | { mode: "certificate" } | { mode: "none" };

/**
 * Where the certificate cache lives for an ACME directory. Production keeps the volume's top (where
 * certificates have always been); another directory gets a folder of its own, because the cache keys
 * certificates by host name only: without it, switching from staging to production would keep serving
 * the cached staging certificate. Switching back finds its certificates again.
 */
export function acmeCacheDir(directory: string | undefined): string {
    if (directory === undefined || directory === "production") return CONTAINER_PATHS.acmeCache;
    if (directory === "staging") return `${CONTAINER_PATHS.acmeCache}/staging`;
    return `${CONTAINER_PATHS.acmeCache}/${createHash("sha256").update(directory).digest("hex").slice(0, 12)}`;
}

/** The storage as rendered: StorageArgs with the S3 secret key plain (the config file is a secret upload). */
export type RenderStorage = Exclude<StorageArgs, { driver: "s3" }> | (Omit<Extract<StorageArgs, { driver: "s3" }>, "secretKey"> & { secretKey?: string });

export interface RenderOptions {
    tls: RenderTls;
    /** Defaults to filesystem. */
    storage?: RenderStorage;
    /** Port the registry listens on inside the container. */
    port: number;
    /**
     * Signs upload state: stable, so uploads survive a restart (and replicas agree). Undefined: not in the
     * file (Swarm mode passes it from a Swarm secret as REGISTRY_HTTP_SECRET, so the file can be a Swarm config).
     */
    httpSecret?: string;
    /** Seconds a stopping registry keeps serving the requests it has (Swarm mode's rolling updates). */
    drainTimeoutSeconds?: number;
    /** HOST:PORT of a Redis for the blob-descriptor cache. Undefined: the cache is in memory. */
    redis?: string;
    /** The basic-auth realm shown to clients; required by the registry (it panics without one). */
    realm: string;
    /**
     * `127.0.0.1:PORT` for distribution's debug server, whose `/debug/health` answers plain HTTP inside the task
     * (Swarm's health check when the replica itself speaks TLS). Undefined: no debug server.
     */
    debugAddress?: string;
}

/**
 * The loopback port of a replica's health endpoint (`debugAddress`) when the replica terminates TLS: 5001, or
 * 5002 when the registry itself listens on 5001.
 */
export function healthPort(port: number): number {
    return port === 5001 ? 5002 : 5001;
}

/**
 * The registry's whole configuration file. We render it instead of relying on the image's default
 * (which turns on a debug/metrics listener on :5001 on all interfaces) and on `REGISTRY_*` env vars
 * (which would put the HTTP secret in the container's environment). JSON is valid YAML and
 * `JSON.stringify` keeps key order, so the same options give the same bytes on every run.
 */
export function renderRegistryConfig(o: RenderOptions): string {
    const tls =
        o.tls.mode === "letsencrypt"
            ? {
                  letsencrypt: {
                      // distribution v3 uses this as a directory (autocert.DirCache), on its own volume.
                      cachefile: acmeCacheDir(o.tls.directory),
                      email: o.tls.email,
                      // Without hosts every handshake fails with "not configured in HostWhitelist".
                      hosts: [o.tls.host],
                      // Unset: Let's Encrypt production, the registry's own default.
                      ...(o.tls.directory === undefined || o.tls.directory === "production"
                          ? {}
                          : { directoryurl: ACME_DIRECTORIES[o.tls.directory as keyof typeof ACME_DIRECTORIES] ?? o.tls.directory }),
                  },
              }
            : o.tls.mode === "certificate"
              ? { certificate: CONTAINER_PATHS.certificate, key: CONTAINER_PATHS.privateKey }
              : undefined;
    const config = {
        version: 0.1,
        log: { level: "info", fields: { service: "registry" } },
        storage: {
            ...renderStorageDriver(o.storage ?? { driver: "filesystem" }),
            // s3: the registry serves layers itself unless told to redirect clients to the store (measured on
            // MinIO: by default distribution answers a layer GET with 307 to a pre-signed URL of regionendpoint,
            // which clients outside the store's network cannot reach).
            ...(o.storage?.driver === "s3" && o.storage.redirect !== true ? { redirect: { disable: true } } : {}),
            cache: { blobdescriptor: o.redis === undefined ? "inmemory" : "redis" },
            delete: { enabled: true },
        },
        http: {
            addr: `:${o.port}`,
            ...(o.httpSecret === undefined ? {} : { secret: o.httpSecret }),
            ...(o.drainTimeoutSeconds === undefined ? {} : { draintimeout: `${o.drainTimeoutSeconds}s` }),
            ...(o.debugAddress === undefined ? {} : { debug: { addr: o.debugAddress } }),
            headers: { "X-Content-Type-Options": ["nosniff"] },
            // HTTP/1.1 only: Go's HTTP/2 moves a layer through TLS 1.3 to 1.6 x slower (100 MB on loopback,
            // `npm run bench`: 660 vs 1090 MB/s pulled, 350 vs 460 MB/s pushed), and a registry client gains
            // nothing from multiplexing (it opens a connection per layer). The Docker engine speaks 1.1 anyway;
            // containerd (faasd) offers h2 and now gets 1.1.
            ...(tls === undefined ? {} : { tls, http2: { disabled: true } }),
        },
        auth: { htpasswd: { realm: o.realm, path: CONTAINER_PATHS.htpasswd } },
        health: { storagedriver: { enabled: true, interval: "10s", threshold: 3 } },
        ...(o.redis === undefined ? {} : { redis: renderRedis(o.redis) }),
    };
    return `${JSON.stringify(config, null, 2)}\n`;
}

/** The storage driver's section, with the keys distribution documents (storage-drivers/s3). */
function renderStorageDriver(storage: RenderStorage): Record<string, unknown> {
    if (storage.driver === "filesystem") return { filesystem: { rootdirectory: CONTAINER_PATHS.data } };
    const s3: Record<string, unknown> = { bucket: storage.bucket, region: storage.region };
    if (storage.regionEndpoint !== undefined) s3.regionendpoint = storage.regionEndpoint;
    if (storage.forcePathStyle) s3.forcepathstyle = true;
    if (storage.accessKey !== undefined) s3.accesskey = storage.accessKey;
    if (storage.secretKey !== undefined) s3.secretkey = storage.secretKey;
    if (storage.rootDirectory !== undefined) s3.rootdirectory = storage.rootDirectory;
    return { s3 };
}

/**
 * The `redis` section. Distribution 3.x reads go-redis' options (`addrs`, a list: distribution PR #4306),
 * 2.x reads `addr`; both parse YAML leniently and ignore the other's key, so both are written and the same
 * file serves either image. The cache is optional (a miss falls back to storage), so Redis gets little time:
 * with Redis gone, 1 s timeouts made every pull take about 11 s (measured with v3 in swarm mode: each lookup
 * waits for the dial, the name lookup included, and go-redis retries); Redis answers in well under a
 * millisecond on the stack's own network.
 */
export const REDIS_TIMEOUT = "250ms";
function renderRedis(address: string): Record<string, unknown> {
    return { addr: address, addrs: [address], dialtimeout: REDIS_TIMEOUT, readtimeout: REDIS_TIMEOUT, writetimeout: REDIS_TIMEOUT };
}
