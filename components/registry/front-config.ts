import { ACME_DIRECTORIES } from "./args";

/** Seconds the front lets open requests finish when it stops (Caddy's grace_period); the service's stop grace period is longer. */
export const FRONT_GRACE_SECONDS = 10;

/** Where things live inside the front's container (Caddy). */
export const FRONT_PATHS = {
    config: "/etc/caddy/faasreg.json",
    certificate: "/etc/caddy/tls/cert.pem",
    privateKey: "/run/secrets/faasreg-front-key.pem",
    /** The root of a private ACME CA (`registry:acmeRoot`), which Caddy's ACME client trusts besides the system's. */
    acmeRoot: "/etc/caddy/tls/acme-root.pem",
    /** Caddy keeps its ACME account and certificates here (the official image's XDG_DATA_HOME is /data). */
    data: "/data",
} as const;

/** `trustRoot`: the ACME CA's root (`registry:acmeRoot`) is mounted at FRONT_PATHS.acmeRoot. */
export type FrontTls = { mode: "letsencrypt"; email: string; directory?: string; trustRoot?: boolean } | { mode: "certificate" };

export interface FrontOptions {
    /** The DNS name clients use. */
    host: string;
    tls: FrontTls;
    /** The registry service's name: its tasks are `tasks.NAME` in Docker's embedded DNS. */
    service: string;
    /** The port the registry tasks listen on. */
    port: number;
}

/**
 * Caddy's JSON config for the front. JSON (not a Caddyfile) so what we render is what Caddy runs, with no
 * adapter in between, and the same options give the same bytes on every run.
 *
 * - TLS for every replica at one place: a given certificate, or ACME (TLS-ALPN-01 on 443 only, like the
 *   container mode: the HTTP challenge is off, port 80 is never needed) with one certificate in Caddy's
 *   storage on a volume, whatever the number of replicas.
 * - Balancing: the registry runs in dnsrr mode (no virtual IP: service VIPs need IPVS, which not every
 *   kernel has), so the upstreams are the A records of `tasks.SERVICE`, looked up again every second in
 *   Docker's embedded DNS, which lists only running, healthy tasks. Round robin per request.
 * - Health is Docker's, not Caddy's: Caddy (2.6 to 2.10) runs no active health checks for dynamic upstreams
 *   and keeps no passive state for them between requests. A replica enters `tasks.SERVICE` only once its
 *   health check (GET / every 2 s) passes, and a replica failing it 3 times is stopped and replaced by Swarm,
 *   which takes it out of DNS: a replica answering 5xx to everything serves its share of requests for about
 *   8 s (3 checks of 2 s, plus Caddy's 1 s DNS refresh), then none. A request whose replica refuses the
 *   connection (it stopped mid-update) is retried on another one for up to 10 s, so an update costs no pull.
 * - Stopping: open requests get FRONT_GRACE_SECONDS to finish (the service's stop grace period is longer).
 */
export function renderFrontConfig(o: FrontOptions): string {
    const proxy = {
        handler: "reverse_proxy",
        // The container's resolver is Docker's embedded DNS (127.0.0.11, from /etc/resolv.conf).
        dynamic_upstreams: { source: "a", name: `tasks.${o.service}`, port: String(o.port), refresh: "1s" },
        load_balancing: { selection_policy: { policy: "round_robin" }, try_duration: "10s", try_interval: "250ms" },
        // Stream layers both ways as they come: no buffering of multi-GB blobs in the front.
        flush_interval: -1,
        transport: { protocol: "http", dial_timeout: "2s" },
    };
    const tls =
        o.tls.mode === "certificate"
            ? { certificates: { load_files: [{ certificate: FRONT_PATHS.certificate, key: FRONT_PATHS.privateKey, tags: ["faasreg"] }] } }
            : {
                  automation: {
                      policies: [
                          {
                              subjects: [o.host],
                              issuers: [
                                  {
                                      module: "acme",
                                      ca: ACME_DIRECTORIES[(o.tls.directory ?? "production") as keyof typeof ACME_DIRECTORIES] ?? o.tls.directory,
                                      email: o.tls.email,
                                      challenges: { http: { disabled: true } },
                                      // A private ACME CA (or staging): its root, besides the system's.
                                      ...(o.tls.trustRoot !== true ? {} : { trusted_roots_pem_files: [FRONT_PATHS.acmeRoot] }),
                                  },
                              ],
                          },
                      ],
                  },
              };
    const config = {
        admin: { disabled: true },
        storage: { module: "file_system", root: `${FRONT_PATHS.data}/caddy` },
        apps: {
            http: {
                grace_period: `${FRONT_GRACE_SECONDS}s`,
                servers: {
                    registry: {
                        listen: [":443"],
                        // HTTP/1.1 only, on TCP (the published port is TCP: no HTTP/3). Through the front, Go's
                        // HTTP/2 moved a 100 MB layer 1.5 to 2 x slower than 1.1 (`npm run bench`), and registry
                        // clients open a connection per layer, so multiplexing buys nothing.
                        protocols: ["h1"],
                        routes: [{ match: [{ host: [o.host] }], handle: [proxy], terminal: true }],
                        // A given certificate is loaded, never ordered; with ACME the name is managed. No
                        // redirect listener on :80 either way.
                        automatic_https: o.tls.mode === "certificate" ? { disable: true } : { disable_redirects: true },
                        ...(o.tls.mode === "certificate" ? { tls_connection_policies: [{ certificate_selection: { any_tag: ["faasreg"] } }] } : {}),
                    },
                },
            },
            tls,
        },
    };
    return `${JSON.stringify(config, null, 2)}\n`;
}
