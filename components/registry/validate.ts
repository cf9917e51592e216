import { X509Certificate } from "node:crypto";
import { isIP } from "node:net";
import { rootCertificates } from "node:tls";
import {
    DEFAULT_BCRYPT_COST,
    DEFAULT_FRONT_IMAGE,
    DEFAULT_HTTPS_PORT,
    DEFAULT_NAT_IMAGE,
    DEFAULT_PORT,
    DEFAULT_REDIS_IMAGE,
    DEFAULT_REGISTRY_IMAGE,
    MAX_PASSWORD_BYTES,
    MIN_PASSWORD_LENGTH,
    type PrivateRegistryArgs,
    SWARM_SETTINGS,
} from "./args";
import { type Problem, collector, unknownKeysNamed } from "../problems";

export { ArgumentError, type Problem } from "../problems";

const DNS_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;
// Control characters are exactly what these two look for (they would break or forge htpasswd lines).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/g;
// eslint-disable-next-line no-control-regex
const COLON_SPACE_OR_CONTROL = /[:\s\u0000-\u001f\u007f]/;

/** Why `host` is not a DNS name we can serve (undefined when it is fine). */
export function checkHost(host: string, needsPublicName: boolean): string | undefined {
    const example = "e.g. registry.example.com (no scheme, port or path)";
    if (host.length === 0) return `must not be empty: give the DNS name the registry serves, ${example}`;
    if (/[/:@\s]/.test(host)) return `"${host}" is not a bare host name: give only the DNS name, ${example}`;
    if (isIP(host) !== 0) {
        return needsPublicName
            ? `"${host}" is an IP address: Let's Encrypt issues certificates for DNS names only; point a DNS name at the server and use it`
            : undefined;
    }
    const labels = host.replace(/\.$/, "").split(".");
    if (host.length > 253 || !labels.every((l) => DNS_LABEL.test(l))) {
        return `"${host}" is not a valid DNS name (labels of letters, digits and '-', at most 63 characters): ${example}`;
    }
    if (needsPublicName && labels.length < 2) {
        return `"${host}" is a single-label name: Let's Encrypt (and the registry's autocert) need a fully qualified name, ${example}`;
    }
    return undefined;
}

export function isLoopback(address: string): boolean {
    if (isIP(address) === 4) return address.startsWith("127.");
    if (isIP(address) === 6) return address === "::1" || address === "0:0:0:0:0:0:0:1";
    return false;
}

/** Why `username` cannot go into an htpasswd file (undefined when it can). */
export function checkUsername(username: unknown): string | undefined {
    if (typeof username !== "string") return "must be a string";
    if (username.length === 0) return "must not be empty";
    if (COLON_SPACE_OR_CONTROL.test(username)) {
        return `"${username.replace(CONTROL, "?")}" contains ':', whitespace or a control character, which would break the htpasswd file: use letters, digits, '.', '_' or '-'`;
    }
    return undefined;
}

/** Why `password` cannot be used (undefined when it can). Never quotes the password. */
export function checkPassword(password: unknown): string | undefined {
    if (typeof password !== "string") return "must be a string";
    if (password.length === 0) return "must not be empty: set one, or leave it out to have one generated";
    if (password.replace(CONTROL, "") !== password) return "contains a control character (newline, tab, ...): remove it";
    if (password.length < MIN_PASSWORD_LENGTH) {
        return `is ${password.length} characters long; at least ${MIN_PASSWORD_LENGTH} are required (the low bcrypt cost relies on long passwords): choose a longer one, or leave it out to have one generated`;
    }
    const bytes = Buffer.byteLength(password, "utf8");
    if (bytes > MAX_PASSWORD_BYTES) {
        return `is ${bytes} bytes long; bcrypt reads at most ${MAX_PASSWORD_BYTES} bytes, so the rest would be silently ignored: use a shorter one`;
    }
    return undefined;
}

export function checkPort(port: unknown): string | undefined {
    if (typeof port !== "number" || !Number.isInteger(port)) return `must be an integer, got ${JSON.stringify(port)}`;
    if (port < 1 || port > 65535) return `must be between 1 and 65535, got ${port}`;
    return undefined;
}

export function checkBcryptCost(cost: unknown): string | undefined {
    if (typeof cost !== "number" || !Number.isInteger(cost)) return `must be an integer, got ${JSON.stringify(cost)}`;
    if (cost < 4 || cost > 31) return `must be between 4 and 31 (bcrypt's range), got ${cost}; ${DEFAULT_BCRYPT_COST} is the default`;
    return undefined;
}

/** True for `registry:2`, `registry:2.8.3`, `docker.io/library/registry:v2.7` and the like. */
export function isRegistryV2Image(image: string): boolean {
    return /(^|\/)registry:v?2(\.[\w.-]*)?(@sha256:[a-f0-9]+)?$/.test(image);
}

const IMAGE_REF = /^[a-z0-9]+([._-]+[a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-]+[a-z0-9]+)*)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;

/**
 * Checks every argument and returns every problem (empty when all is well). Secret inputs that are
 * still Outputs are checked later, inside `apply`, by the same rules.
 */
export function validateRegistryArgs(args: PrivateRegistryArgs): Problem[] {
    const { problems, add } = collector();
    const mode = args.tls?.mode;
    if (mode !== "letsencrypt" && mode !== "certificate" && mode !== "none") {
        add("tls.mode", `must be "letsencrypt", "certificate" or "none", got ${JSON.stringify(mode)}`);
    }

    if (args.host === undefined || args.host === null) {
        if (mode === "letsencrypt" || mode === "certificate") {
            add("host", `is required with tls "${mode}": give the DNS name the registry serves, e.g. registry.example.com`);
        }
    } else if (typeof args.host !== "string") {
        add("host", `must be a string, got ${typeof args.host}`);
    } else {
        add("host", checkHost(args.host, mode === "letsencrypt"));
    }

    if (mode === "letsencrypt") {
        const { directory, root } = args.tls as { directory?: unknown; root?: unknown };
        const named = directory === undefined || directory === "production" || directory === "staging";
        const valid = named || (typeof directory === "string" && /^https:\/\/[^\s/]+/.test(directory));
        if (!valid) add("tls.directory", `must be "production", "staging" or the https URL of an ACME directory, got ${JSON.stringify(directory)}`);
        if (valid && directory !== undefined && directory !== "production" && (root === undefined || root === null || root === "")) {
            add(
                "tls.root",
                `is required with the ACME directory ${JSON.stringify(directory)}: its certificates are not publicly trusted, so the readiness gate needs the CA's root (PEM)${directory === "staging" ? ": Let's Encrypt's staging root, from letsencrypt.org/docs/staging-environment" : ""}`,
            );
        } else if (typeof root === "string" && !/-----BEGIN CERTIFICATE-----/.test(root)) {
            add("tls.root", 'is not PEM (no "-----BEGIN CERTIFICATE-----" line)');
        }
        const email = (args.tls as { email?: unknown }).email;
        if (typeof email !== "string" || email.length === 0) {
            add("tls.email", 'is required with tls "letsencrypt": the ACME account e-mail Let\'s Encrypt sends expiry notices to');
        } else if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
            add("tls.email", `"${email}" is not an e-mail address`);
        }
    }
    if (mode === "certificate") {
        const tls = args.tls as { certificate?: unknown; privateKey?: unknown };
        for (const field of ["certificate", "privateKey"] as const) {
            const value = tls[field];
            if (value === undefined || value === null || value === "") {
                add(
                    `tls.${field}`,
                    `is required with tls "certificate": give the PEM ${field === "certificate" ? "certificate (chain)" : "private key (as a secret)"}`,
                );
            } else if (typeof value === "string") {
                const marker = field === "certificate" ? /-----BEGIN CERTIFICATE-----/ : /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
                if (!marker.test(value))
                    add(`tls.${field}`, `is not PEM (no "-----BEGIN ${field === "certificate" ? "CERTIFICATE" : "... PRIVATE KEY"}-----" line)`);
            }
        }
        const root = (args.tls as { root?: unknown }).root;
        if (typeof root === "string" && !/-----BEGIN CERTIFICATE-----/.test(root)) add("tls.root", 'is not PEM (no "-----BEGIN CERTIFICATE-----" line)');
        else if (typeof tls.certificate === "string" && /-----BEGIN CERTIFICATE-----/.test(tls.certificate)) {
            add("tls.certificate", checkCertificateChain(tls.certificate, typeof root === "string" ? root : undefined, args.host));
        }
    }

    const bindAddress = args.bindAddress;
    if (bindAddress !== undefined) {
        if (typeof bindAddress !== "string" || isIP(bindAddress) === 0) {
            add("bindAddress", `must be an IP address such as 0.0.0.0 or 127.0.0.1, got ${JSON.stringify(bindAddress)}`);
        } else if (canonicalIp(bindAddress) !== bindAddress) {
            add(
                "bindAddress",
                `is ${bindAddress}: write it as ${canonicalIp(bindAddress)}, the form the Docker engine reports back. The docker provider compares the published address literally and a change replaces the container, so any other form would replace the registry on every pulumi up`,
            );
        } else if (mode === "none" && !isLoopback(bindAddress)) {
            add(
                "bindAddress",
                `is ${bindAddress}, but tls "none" serves plain HTTP and is allowed only on a loopback address (127.0.0.1 or ::1): bind to loopback, or use tls "letsencrypt" or "certificate"`,
            );
        }
    }

    if (!Array.isArray(args.users) || args.users.length === 0) {
        add("users", 'needs at least one user: e.g. [{ username: "ci" }] (its password is generated)');
    } else {
        const seen = new Set<string>();
        args.users.forEach((user, i) => {
            if (typeof user !== "object" || user === null) {
                add(`users[${i}]`, "must be an object { username, password? }");
                return;
            }
            const usernameProblem = checkUsername(user.username);
            add(`users[${i}].username`, usernameProblem);
            if (usernameProblem === undefined) {
                if (seen.has(user.username)) add(`users[${i}].username`, `"${user.username}" appears more than once: usernames must be unique`);
                seen.add(user.username);
            }
            // A password that is still an Output (a secret) is checked by the same rule inside apply.
            const password: unknown = user.password;
            if (password !== undefined && (typeof password !== "object" || password === null)) {
                add(`users[${i}].password`, checkPassword(password));
            }
        });
    }

    const image = args.image ?? DEFAULT_REGISTRY_IMAGE;
    if (typeof image !== "string" || !IMAGE_REF.test(image)) {
        add("image", `${JSON.stringify(image)} is not an image reference such as ${DEFAULT_REGISTRY_IMAGE}`);
    } else if (mode === "letsencrypt" && args.mode !== "swarm" && isRegistryV2Image(image)) {
        add(
            "image",
            `${image} is a 2.x registry, whose Let's Encrypt support speaks ACMEv1, which Let's Encrypt switched off in 2019: it can never get a certificate. Use ${DEFAULT_REGISTRY_IMAGE} (leave image unset), or tls "certificate" with your own certificate`,
        );
    }

    const storage = args.storage as Record<string, unknown> | undefined;
    if (storage !== undefined) {
        if (storage.driver !== "filesystem" && storage.driver !== "s3") {
            add("storage.driver", `must be "filesystem" or "s3", got ${JSON.stringify(storage.driver)}`);
        } else if (storage.driver === "s3") {
            for (const field of ["bucket", "region"]) {
                if (typeof storage[field] !== "string" || storage[field] === "")
                    add(`storage.${field}`, `is required with s3 storage: the ${field === "bucket" ? "bucket's name" : "bucket's region, e.g. eu-west-1"}`);
            }
            const endpoint = storage.regionEndpoint;
            if (endpoint !== undefined && (typeof endpoint !== "string" || !/^https?:\/\/[^\s/]+/.test(endpoint))) {
                add("storage.regionEndpoint", `must be the store's URL, e.g. https://minio.example.com:9000, got ${JSON.stringify(endpoint)}`);
            }
            if ((storage.accessKey === undefined) !== (storage.secretKey === undefined)) {
                const [missing, given] = storage.accessKey === undefined ? ["accessKey", "secret key"] : ["secretKey", "access key"];
                add(`storage.${missing}`, `is required when the ${given} is set: set both, or neither to use the host's IAM role`);
            }
        }
    }
    add("port", checkPort(args.port ?? DEFAULT_PORT));
    const httpsPortProblem = checkPort(args.httpsPort ?? DEFAULT_HTTPS_PORT);
    add("httpsPort", httpsPortProblem);
    if (httpsPortProblem === undefined && mode === "letsencrypt" && (args.httpsPort ?? DEFAULT_HTTPS_PORT) !== 443) {
        add(
            "httpsPort",
            `is ${args.httpsPort}, but with tls "letsencrypt" the ${args.mode === "swarm" ? "front" : "registry"} must be published on 443: Let's Encrypt's TLS-ALPN-01 challenge (the only one ${args.mode === "swarm" ? "the front answers" : "the registry supports"}) always connects to port 443. Leave httpsPort unset, or use tls "certificate" to serve on another port`,
        );
    }
    add("bcryptCost", checkBcryptCost(args.bcryptCost ?? DEFAULT_BCRYPT_COST));
    for (const p of validateSwarmArgs(args)) add(p.path, p.message);
    if (args.retainData !== undefined && typeof args.retainData !== "boolean") {
        add("retainData", `must be true or false, got ${JSON.stringify(args.retainData)}`);
    }
    const timeout = args.readinessTimeoutSeconds;
    if (timeout !== undefined && (typeof timeout !== "number" || !(timeout > 0) || timeout > 3600)) {
        add("readinessTimeoutSeconds", `must be a number of seconds between 1 and 3600, got ${JSON.stringify(timeout)}`);
    }
    return problems;
}

const HOST_PORT = /^(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9.-]*[a-z0-9])?):(\d{1,5})$/i;

/** The rules of `mode` and `swarm`; the Swarm itself (is `docker:host` a manager?) is checked at deploy. */
export function validateSwarmArgs(args: PrivateRegistryArgs): Problem[] {
    const { problems, add } = collector();
    const mode = args.mode ?? "container";
    if (mode !== "container" && mode !== "swarm") {
        add("mode", `must be "container" or "swarm", got ${JSON.stringify(mode)}`);
        return problems;
    }
    const swarm = (args.swarm ?? {}) as Record<string, unknown>;
    const known: readonly string[] = SWARM_SETTINGS;
    const unknown = Object.keys(swarm).filter((k) => !known.includes(k));
    if (unknown.length > 0) add("swarm", `has unknown key(s) ${unknownKeysNamed(unknown, SWARM_SETTINGS)}: allowed are ${SWARM_SETTINGS.join(", ")}`);
    if (mode === "container") {
        for (const field of Object.keys(swarm).filter((k) => swarm[k] !== undefined)) {
            add(`swarm.${field}`, `is set but mode is "container": it applies to mode "swarm" only (registry:mode swarm); set that, or remove it`);
        }
        return problems;
    }
    if (args.tls?.mode === "none") {
        add(
            "tls.mode",
            'is "none", but mode "swarm" publishes the front on every address of the node (Swarm has no host address for a published port), so plain HTTP would be open to the network: use tls "letsencrypt" or "certificate"',
        );
    }
    if (args.bindAddress !== undefined) {
        add(
            "bindAddress",
            'cannot be used with mode "swarm": Swarm publishes the front\'s port on every address of its node; firewall the node instead, or remove it',
        );
    }
    const replicas = swarm.replicas;
    if (replicas !== undefined && (typeof replicas !== "number" || !Number.isInteger(replicas) || replicas < 1 || replicas > 100)) {
        add("swarm.replicas", `must be a whole number from 1 to 100, got ${JSON.stringify(replicas)}`);
    }
    const sharedPath = swarm.sharedPath;
    const s3 = args.storage?.driver === "s3";
    if (sharedPath !== undefined) {
        if (typeof sharedPath !== "string" || !/^\/[^\0]*$/.test(sharedPath) || sharedPath === "/") {
            add("swarm.sharedPath", `must be an absolute host path below / (mounted on every node), got ${JSON.stringify(sharedPath)}`);
        } else if (s3) {
            add("swarm.sharedPath", "is set but storage is s3: images live in the bucket; remove it");
        }
    }
    if (swarm.spread !== undefined && typeof swarm.spread !== "boolean") {
        add("swarm.spread", `must be true or false, got ${JSON.stringify(swarm.spread)}`);
    } else if (swarm.spread === true && !s3 && sharedPath === undefined) {
        add(
            "swarm.spread",
            "is true with filesystem storage on a named volume: replicas on several nodes would each write their own volume, and an image pushed through one would be missing on the others. Use storage s3 (registry:storage), or a path every node shares (NFS, ...) as sharedPath (registry:sharedPath), or leave spread unset (every replica on the manager node)",
        );
    }
    const redis = swarm.redis;
    if (redis !== undefined && (typeof redis !== "string" || (redis !== "service" && !HOST_PORT.test(redis)))) {
        add("swarm.redis", `must be "service" (a Redis service declared by the stack) or the HOST:PORT of your Redis, got ${JSON.stringify(redis)}`);
    } else if (typeof redis === "string" && redis !== "service" && checkPort(Number(HOST_PORT.exec(redis)?.[3])) !== undefined) {
        add("swarm.redis", `has port ${HOST_PORT.exec(redis)?.[3]}, which is not between 1 and 65535`);
    }
    const examples: Record<string, string> = { frontImage: DEFAULT_FRONT_IMAGE, redisImage: DEFAULT_REDIS_IMAGE, natImage: DEFAULT_NAT_IMAGE };
    for (const field of ["frontImage", "redisImage", "natImage"]) {
        const image = swarm[field];
        if (image !== undefined && (typeof image !== "string" || !IMAGE_REF.test(image))) {
            add(`swarm.${field}`, `${JSON.stringify(image)} is not an image reference such as ${examples[field]}`);
        }
    }
    const front = swarm.front;
    if (front !== undefined && front !== "caddy" && front !== "nat") {
        add(
            "swarm.front",
            `must be "caddy" (Caddy terminates TLS and proxies) or "nat" (the kernel forwards connections to replicas that terminate TLS), got ${JSON.stringify(front)}`,
        );
    } else if (front === "nat") {
        if (args.tls?.mode !== "certificate") {
            add(
                "swarm.front",
                `is "nat", but tls is ${JSON.stringify(args.tls?.mode)}: with "nat" every replica terminates TLS itself with a given certificate, and Let's Encrypt needs one ACME client (Caddy's). Set tls "certificate" (registry:certificate, registry:privateKey), or leave front unset (Caddy)`,
            );
        }
        // The SDKs send frontImage's default; anything else is a Caddy image that would not run.
        if (swarm.frontImage !== undefined && swarm.frontImage !== DEFAULT_FRONT_IMAGE) {
            add("swarm.frontImage", 'is set but front is "nat": the NAT front runs natImage (registry:natImage), not Caddy; set that instead, or remove it');
        }
    } else if (swarm.natImage !== undefined) {
        add("swarm.natImage", 'is set but front is not "nat": the front is Caddy (frontImage); set registry:front nat, or remove it');
    }
    if (swarm.encryptOverlay !== undefined && typeof swarm.encryptOverlay !== "boolean") {
        add("swarm.encryptOverlay", `must be true or false, got ${JSON.stringify(swarm.encryptOverlay)}`);
    }
    if (swarm.redisImage !== undefined && redis !== "service") {
        add("swarm.redisImage", 'is set but redis is not "service": the stack declares no Redis; set registry:redis service, or remove it');
    }
    return problems;
}

/**
 * An IP address as Go's net.IP.String() writes it, which is how the Docker engine reports a published port's
 * address (and the docker provider reads it back): IPv4 as it is, an IPv4-mapped IPv6 address as IPv4, other
 * IPv6 addresses lower-case with the longest run of zero groups compressed.
 */
export function canonicalIp(address: string): string {
    if (isIP(address) === 4) return address;
    const v6 = new URL(`http://[${address}]/`).hostname.slice(1, -1);
    const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(v6);
    if (mapped === null) return v6;
    const [hi, lo] = [Number.parseInt(mapped[1], 16), Number.parseInt(mapped[2], 16)];
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

function pemBlocks(pem: string): string[] {
    return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

let systemRoots: X509Certificate[] | undefined;

function signedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
}

/**
 * Whether a given certificate chain will be trusted, checked offline before anything is created: each
 * certificate signed by the next, the last one a root (self-signed), or signed by `root` or a CA this
 * machine trusts; valid now; and for `host`. The readiness gate would otherwise wait its whole timeout.
 */
export function checkCertificateChain(chainPem: string, rootPem: string | undefined, host: unknown): string | undefined {
    let chain: X509Certificate[];
    let roots: X509Certificate[];
    try {
        chain = pemBlocks(chainPem).map((b) => new X509Certificate(b));
        roots = rootPem === undefined ? [] : pemBlocks(rootPem).map((b) => new X509Certificate(b));
    } catch (error) {
        return `cannot be read as PEM certificates: ${(error as Error).message}`;
    }
    const [leaf] = chain;
    const now = Date.now();
    if (Date.parse(leaf.validTo) < now) return `expired on ${leaf.validTo} (${leaf.subject.replace(/\n/g, ", ")}): renew it`;
    if (Date.parse(leaf.validFrom) > now) return `is not valid before ${leaf.validFrom}`;
    if (typeof host === "string" && host !== "" && (isIP(host) === 0 ? leaf.checkHost(host) : leaf.checkIP(host)) === undefined) {
        return `is not valid for ${host} (its names: ${leaf.subjectAltName ?? leaf.subject}): give a certificate for registry:host`;
    }
    for (let i = 0; i + 1 < chain.length; i++) {
        if (!signedBy(chain[i], chain[i + 1])) {
            return `is not a chain: certificate ${i + 1} (${chain[i].subject.replace(/\n/g, ", ")}) is not signed by certificate ${i + 2}: give the leaf first, then each issuer`;
        }
    }
    const last = chain[chain.length - 1];
    if (signedBy(last, last)) return undefined;
    if (roots.some((r) => signedBy(last, r))) return undefined;
    systemRoots ??= rootCertificates.map((pem) => new X509Certificate(pem));
    if (systemRoots.some((r) => signedBy(last, r))) return undefined;
    const issuer = last.issuer.replace(/\n/g, ", ");
    return rootPem === undefined
        ? `is issued by "${issuer}", which is neither in the chain nor a CA this machine trusts, so the readiness gate (and every client) would refuse it. ` +
              "Give that CA's root certificate (tls.root; in stack config: pulumi config set registry:certificateRoot < ca.pem). Clients need it too: /etc/docker/certs.d/HOST/ca.crt"
        : `is issued by "${issuer}", and the root given (tls.root, registry:certificateRoot) is not that CA's certificate: give the root that signed the chain`;
}
