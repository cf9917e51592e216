// registry:mode swarm under mocks: what the stack declares on the Swarm manager, which values are secret,
// and that nothing Swarm-side is declared before the gate that checks docker:host is a manager.
import { describe, expect, it } from "vitest";
import { FRONT_PATHS } from "../components/registry/front-config";
import { CONTAINER_PATHS } from "../components/registry/registry-config";
import { DEFAULT_NAT_IMAGE } from "../components/registry/args";
import { natFrontCommand, REPLICA_STOP_PAUSE_SECONDS } from "../components/registry/nat-front";
import { NAT_REGISTRY_TASK_COMMAND, REGISTRY_TASK_COMMAND, SWARM_SECRET_FILES, swarmNames } from "../components/registry/swarm";
import {
    fakeRandom,
    findResource,
    isSecretWrapped,
    MOCK_DIGEST,
    MOCK_NODE_ID,
    MOCK_PLATFORM,
    type RecordedResource,
    SECRET_SIG,
    unwrap,
} from "./helpers/mocks";
import { evaluateStack } from "./helpers/stack";
import type { Json } from "./helpers/swarm-engine";
import { makeCaSignedCertificate, makeCertificate } from "./helpers/tls";

const SERVICE = "docker:index/service:Service";
const CONFIG = "docker:index/serviceConfig:ServiceConfig";
const SECRET = "docker:index/secret:Secret";
const { cert, key } = makeCertificate("registry.example.com");

const SWARM_CERT = {
    "registry:mode": "swarm",
    "registry:tls": "certificate",
    "registry:host": "registry.example.com",
    "registry:certificate": cert,
    "registry:privateKey": key,
    "docker:host": "ssh://ops@manager.example.com",
};
const SWARM_LE = {
    "registry:mode": "swarm",
    "registry:host": "registry.example.com",
    "registry:email": "ops@example.com",
    "registry:replicas": "3",
    "registry:redis": "service",
};
const S3_KEY = "S3-Secret-Key-0a1b2c3d4e5f6a7b";
const SWARM_S3 = {
    ...SWARM_LE,
    "registry:storage": "s3",
    "registry:s3Bucket": "images",
    "registry:s3Region": "eu-west-1",
    "registry:s3AccessKey": "AKIAEXAMPLE",
    "registry:s3SecretKey": S3_KEY,
};
const secretKeys = ["registry:certificate", "registry:privateKey", "registry:users", "registry:s3SecretKey"];

const decode = (data: unknown) => Buffer.from(String(unwrap(data)), "base64").toString("utf8");
const byName = (recorded: RecordedResource[], type: string, name: string) => findResource(recorded, type, name);

describe("registry:mode swarm under mocks", () => {
    it("declares network, Swarm config and secrets, the registry service, the front and the gate; no container", async () => {
        const { recorded } = await evaluateStack(SWARM_CERT, { secretKeys });
        const names = recorded.map((r) => `${r.type}::${r.name}`).sort();
        expect(names).toEqual(
            [
                "command:local:Command::registry-ready",
                "faasreg:registry:SwarmGate::registry-swarm-gate",
                "faasreg:registry:PinnedImage::registry-registry-image",
                "faasreg:registry:PinnedImage::registry-front-image",
                `${CONFIG}::registry-config`,
                `${CONFIG}::registry-front-certificate`,
                `${CONFIG}::registry-front-config`,
                `${SECRET}::registry-front-key`,
                `${SECRET}::registry-htpasswd`,
                `${SECRET}::registry-http-secret`,
                `${SERVICE}::registry-front`,
                `${SERVICE}::registry-service`,
                "docker:index/network:Network::registry-net",
                "docker:index/volume:Volume::registry-data",
                "faasreg:registry:PrivateRegistry::registry",
                "random:index/randomPassword:RandomPassword::registry-http-secret",
                "random:index/randomPassword:RandomPassword::registry-password-admin",
            ].sort(),
        );
        const gate = byName(recorded, "faasreg:registry:SwarmGate", "registry-swarm-gate");
        expect(unwrap(gate.inputs.connection)).toEqual({ host: "ssh://ops@manager.example.com" });
        expect(unwrap(byName(recorded, "faasreg:registry:PinnedImage", "registry-front-image").inputs.image)).toBe("caddy:2.10.2");
        // Nothing reaches the Swarm before the gate: every docker resource depends on it.
        for (const r of recorded.filter((x) => x.type.startsWith("docker:"))) {
            expect(
                r.dependencies.some((d) => d.endsWith("::registry-swarm-gate")),
                `${r.type} ${r.name}`,
            ).toBe(true);
        }
        // Replacements: services delete-first (fixed names, the front's host port); Swarm files create-first, said
        // explicitly (the bridge asks for delete-first when a name is given, and the service still uses the old file).
        for (const r of recorded.filter((x) => x.type === SERVICE)) expect(r.options.deleteBeforeReplace, r.name).toBe(true);
        for (const r of recorded.filter((x) => x.type === CONFIG || x.type === SECRET)) {
            expect([r.options.deleteBeforeReplace, r.options.deleteBeforeReplaceDefined], r.name).toEqual([false, true]);
        }
        const net = byName(recorded, "docker:index/network:Network", "registry-net");
        expect(net.inputs).toMatchObject({ driver: "overlay", attachable: false, options: { encrypted: "" } });
    });

    it("with registry:encryptOverlay false, declares a clear overlay under another name (its options are set once)", async () => {
        const { recorded } = await evaluateStack({ ...SWARM_CERT, "registry:encryptOverlay": "false" }, { secretKeys });
        const net = byName(recorded, "docker:index/network:Network", "registry-net");
        expect(net.inputs.options).toBeUndefined();
        expect(net.inputs.name).toBe("faas-registry-test-registry-net-clear");
    });

    it("runs the registry in dnsrr mode, start-first with a health check, draining, on the manager node", async () => {
        const { recorded } = await evaluateStack(SWARM_CERT, { secretKeys });
        const service = unwrap(byName(recorded, SERVICE, "registry-service").inputs) as Json;
        expect(service.name).toBe("faas-registry-test-registry");
        expect(service.mode).toEqual({ replicated: { replicas: 2 } });
        expect(service.endpointSpec).toEqual({ mode: "dnsrr" });
        expect(service.updateConfig).toMatchObject({ order: "start-first", parallelism: 1, failureAction: "rollback" });
        const spec = service.taskSpec;
        expect(spec.placement).toEqual({ constraints: [`node.id==${MOCK_NODE_ID}`], platforms: [MOCK_PLATFORM] });
        expect(spec.containerSpec.image).toBe(`registry:3.1.2@${MOCK_DIGEST}`);
        expect(spec.containerSpec.healthcheck.tests).toEqual(["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:5000/"]);
        expect(spec.containerSpec.stopGracePeriod).toBe("15s");
        expect(spec.containerSpec.env).toBeUndefined();
        expect(spec.containerSpec.commands).toEqual(REGISTRY_TASK_COMMAND);
        expect(spec.containerSpec.mounts).toEqual([{ type: "volume", source: "faas-registry-test-registry-data", target: CONTAINER_PATHS.data }]);
        expect(spec.containerSpec.secrets.map((s: { fileName: string }) => s.fileName)).toEqual([CONTAINER_PATHS.htpasswd, SWARM_SECRET_FILES.httpSecret]);
        // The config is a Swarm config, so it holds no secret: the HTTP secret comes from a Swarm secret.
        const configResource = byName(recorded, CONFIG, "registry-config");
        expect(isSecretWrapped(configResource.inputs.data)).toBe(false);
        const config = JSON.parse(decode(configResource.inputs.data));
        expect(config.http).toMatchObject({ addr: ":5000", draintimeout: "10s" });
        expect(config.http.secret).toBeUndefined();
        expect(config.http.tls).toBeUndefined();
        expect(config.auth.htpasswd.path).toBe(CONTAINER_PATHS.htpasswd);
        expect(spec.containerSpec.configs[0]).toMatchObject({ fileName: CONTAINER_PATHS.config, configName: configResource.inputs.name });
    });

    it("keeps every secret's data secret-wrapped, names them without revealing them, and the secret text in no other input", async () => {
        const { recorded } = await evaluateStack(SWARM_CERT, { secretKeys });
        const httpSecret = fakeRandom("registry-http-secret", 64);
        for (const role of ["htpasswd", "http-secret", "front-key"]) {
            const secret = byName(recorded, SECRET, `registry-${role}`);
            expect(isSecretWrapped(secret.inputs.data), role).toBe(true);
            expect(String(secret.inputs.name)).toMatch(new RegExp(`^faas-registry-test-registry-${role}-[0-9a-f]{12}$`));
        }
        expect(decode(byName(recorded, SECRET, "registry-http-secret").inputs.data)).toBe(httpSecret);
        expect(decode(byName(recorded, SECRET, "registry-front-key").inputs.data)).toBe(key);
        const services = recorded.filter((r) => r.type === SERVICE);
        for (const s of services) expect(JSON.stringify(s.inputs).includes(SECRET_SIG), s.name).toBe(false);
        const text = JSON.stringify(recorded.filter((r) => r.type !== SECRET && r.type !== "command:local:Command").map((r) => r.inputs));
        expect(text.includes(httpSecret)).toBe(false);
        expect(text.includes(Buffer.from(httpSecret).toString("base64"))).toBe(false);
    });

    it("publishes ONE front on 443 in host mode on the manager, balancing tasks.SERVICE with the given certificate", async () => {
        const { recorded } = await evaluateStack(SWARM_CERT, { secretKeys });
        const front = unwrap(byName(recorded, SERVICE, "registry-front").inputs) as Json;
        expect(front.mode).toEqual({ replicated: { replicas: 1 } });
        expect(front.endpointSpec.ports).toEqual([{ targetPort: 443, publishedPort: 443, publishMode: "host", protocol: "tcp" }]);
        expect(front.taskSpec.placement).toEqual({ constraints: [`node.id==${MOCK_NODE_ID}`], platforms: [MOCK_PLATFORM] });
        expect(front.taskSpec.containerSpec.commands).toEqual(["caddy", "run", "--config", FRONT_PATHS.config]);
        expect(front.taskSpec.containerSpec.image).toBe(`caddy:2.10.2@${MOCK_DIGEST}`);
        const caddy = JSON.parse(decode(byName(recorded, CONFIG, "registry-front-config").inputs.data));
        const server = caddy.apps.http.servers.registry;
        expect(server.routes[0].match).toEqual([{ host: ["registry.example.com"] }]);
        expect(server.routes[0].handle[0].dynamic_upstreams).toMatchObject({ source: "a", name: "tasks.faas-registry-test-registry", port: "5000" });
        expect(caddy.apps.tls.certificates.load_files).toEqual([{ certificate: FRONT_PATHS.certificate, key: FRONT_PATHS.privateKey, tags: ["faasreg"] }]);
        expect(caddy.apps.tls.automation).toBeUndefined();
        expect(decode(byName(recorded, CONFIG, "registry-front-certificate").inputs.data)).toBe(cert);
    });

    it("with registry:front nat, the replicas terminate TLS and the front is the kernel's NAT in its own namespace", async () => {
        const { recorded } = await evaluateStack({ ...SWARM_CERT, "registry:front": "nat" }, { secretKeys });
        const service = unwrap(byName(recorded, SERVICE, "registry-service").inputs) as Json;
        const c = service.taskSpec.containerSpec;
        expect(c.commands).toEqual(NAT_REGISTRY_TASK_COMMAND);
        expect(c.healthcheck.tests).toEqual(["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:5001/debug/health"]);
        // The pause before the registry drains comes on top of the drain and its margin.
        expect(c.stopGracePeriod).toBe(`${15 + REPLICA_STOP_PAUSE_SECONDS}s`);
        const config = JSON.parse(decode(byName(recorded, CONFIG, "registry-config").inputs.data));
        expect(config.http.tls).toEqual({ certificate: CONTAINER_PATHS.certificate, key: CONTAINER_PATHS.privateKey });
        // The health check's endpoint: the debug server, on loopback only.
        expect(config.http.debug).toEqual({ addr: "127.0.0.1:5001" });
        // The certificate is a Swarm config, the key a Swarm secret (secret in state), both on every replica.
        expect(decode(byName(recorded, CONFIG, "registry-certificate").inputs.data)).toBe(cert);
        const keySecret = byName(recorded, SECRET, "registry-key");
        expect(isSecretWrapped(keySecret.inputs.data)).toBe(true);
        expect(decode(keySecret.inputs.data)).toBe(key);
        expect(c.secrets.map((x: { fileName: string }) => x.fileName)).toContain(CONTAINER_PATHS.privateKey);
        expect(c.configs.map((x: { fileName: string }) => x.fileName)).toEqual([CONTAINER_PATHS.config, CONTAINER_PATHS.certificate]);

        const front = unwrap(byName(recorded, SERVICE, "registry-front").inputs) as Json;
        const f = front.taskSpec.containerSpec;
        expect(f.image).toBe(`${DEFAULT_NAT_IMAGE}@${MOCK_DIGEST}`);
        expect(f.capAdds).toEqual(["CAP_NET_ADMIN"]);
        expect(f.sysctl).toEqual({ "net.ipv4.ip_forward": "1" });
        expect(f.commands).toEqual(natFrontCommand({ service: "faas-registry-test-registry", port: 5000 }));
        expect(f.commands[2]).toContain("nslookup -type=a tasks.faas-registry-test-registry");
        expect(f.configs).toBeUndefined();
        expect(f.secrets).toBeUndefined();
        expect(front.endpointSpec.ports).toEqual([{ targetPort: 443, publishedPort: 443, publishMode: "host", protocol: "tcp" }]);
        expect(front.taskSpec.placement).toEqual({ constraints: [`node.id==${MOCK_NODE_ID}`], platforms: [MOCK_PLATFORM] });
        // No Caddy: no front config, no front key.
        expect(recorded.some((r) => r.name === "registry-front-config" || r.name === "registry-front-key")).toBe(false);
        // The key is in no other input.
        const text = JSON.stringify(recorded.filter((r) => r.type !== SECRET).map((r) => r.inputs));
        expect(text.includes(key.trim().split("\n")[1])).toBe(false);
    });

    it("with letsencrypt, the front orders the certificate (TLS-ALPN only) into its own volume; Redis as an allkeys-lru service", async () => {
        const { recorded } = await evaluateStack(SWARM_LE, { secretKeys });
        const caddy = JSON.parse(decode(byName(recorded, CONFIG, "registry-front-config").inputs.data));
        expect(caddy.apps.tls.automation.policies).toEqual([
            {
                subjects: ["registry.example.com"],
                issuers: [
                    {
                        module: "acme",
                        ca: "https://acme-v02.api.letsencrypt.org/directory",
                        email: "ops@example.com",
                        challenges: { http: { disabled: true } },
                    },
                ],
            },
        ]);
        const front = unwrap(byName(recorded, SERVICE, "registry-front").inputs) as Json;
        expect(front.taskSpec.containerSpec.mounts).toEqual([{ type: "volume", source: "faas-registry-test-registry-front-data", target: FRONT_PATHS.data }]);
        const redis = unwrap(byName(recorded, SERVICE, "registry-redis").inputs) as Json;
        expect(redis.endpointSpec).toEqual({ mode: "dnsrr" });
        expect(redis.taskSpec.containerSpec.args).toEqual(expect.arrayContaining(["--maxmemory-policy", "allkeys-lru"]));
        const config = JSON.parse(decode(byName(recorded, CONFIG, "registry-config").inputs.data));
        expect(config.storage.cache).toEqual({ blobdescriptor: "redis" });
        expect(config.redis).toMatchObject({ addr: "faas-registry-test-registry-redis:6379", addrs: ["faas-registry-test-registry-redis:6379"] });
        const registry = unwrap(byName(recorded, SERVICE, "registry-service").inputs) as Json;
        expect(registry.mode).toEqual({ replicated: { replicas: 3 } });
        expect(byName(recorded, SERVICE, "registry-service").dependencies.some((d) => d.endsWith("::registry-redis"))).toBe(true);
    });

    it("with s3, replicas spread over the nodes, no data volume, and the S3 key only in a Swarm secret", async () => {
        const { recorded } = await evaluateStack(SWARM_S3, { secretKeys });
        const registry = unwrap(byName(recorded, SERVICE, "registry-service").inputs) as Json;
        // Spread: no node constraint, only the image's platforms (as the engine records them).
        expect(registry.taskSpec.placement).toEqual({ platforms: [MOCK_PLATFORM] });
        expect(registry.taskSpec.containerSpec.mounts).toEqual([]);
        expect(recorded.some((r) => r.name === "registry-data")).toBe(false);
        const config = JSON.parse(decode(byName(recorded, CONFIG, "registry-config").inputs.data));
        expect(config.storage.s3).toEqual({ bucket: "images", region: "eu-west-1", accesskey: "AKIAEXAMPLE" });
        const secret = byName(recorded, SECRET, "registry-s3-secret-key");
        expect(isSecretWrapped(secret.inputs.data)).toBe(true);
        expect(decode(secret.inputs.data)).toBe(S3_KEY);
        expect(registry.taskSpec.containerSpec.secrets.map((s: { fileName: string }) => s.fileName)).toContain(SWARM_SECRET_FILES.s3SecretKey);
        const outside = JSON.stringify(recorded.filter((r) => r.type !== SECRET).map((r) => unwrap(r.inputs)));
        expect(outside.includes(S3_KEY)).toBe(false);
    });

    it("runs the readiness gate again when any Swarm file changes: a new certificate renames the front's files", async () => {
        const gateTriggers = async (certificate: string, privateKey: string) => {
            const { recorded } = await evaluateStack({ ...SWARM_CERT, "registry:certificate": certificate, "registry:privateKey": privateKey }, { secretKeys });
            return JSON.stringify(unwrap(byName(recorded, "command:local:Command", "registry-ready").inputs.triggers));
        };
        const other = makeCertificate("registry.example.com");
        expect(await gateTriggers(cert, key)).toBe(await gateTriggers(cert, key));
        expect(await gateTriggers(other.cert, other.key)).not.toBe(await gateTriggers(cert, key));
    });

    it("leaves the functions half as it is: the same registry server and registryAuth, after the gate that checks the front", async () => {
        const config = {
            ...SWARM_CERT,
            "faas:gateway": "https://gateway.example.com",
            "faas:password": "gateway-password-1",
            "faas:functions": JSON.stringify([{ service: "hello", image: "team/hello:1" }]),
        };
        const { recorded } = await evaluateStack(config, { secretKeys: [...secretKeys, "faas:password"] });
        const fn = byName(recorded, "faasreg:index:Function", "hello-deployment");
        expect(fn.dependencies).toContain("urn:pulumi:test::faas-registry::faasreg:registry:PrivateRegistry$command:local:Command::registry-ready");
        expect(unwrap(fn.inputs)).toMatchObject({ image: "registry.example.com/team/hello:1", registryServer: "registry.example.com" });
        const gate = byName(recorded, "command:local:Command", "registry-ready");
        expect(gate.dependencies).toEqual(
            expect.arrayContaining([
                "urn:pulumi:test::faas-registry::faasreg:registry:PrivateRegistry$docker:index/service:Service::registry-service",
                "urn:pulumi:test::faas-registry::faasreg:registry:PrivateRegistry$docker:index/service:Service::registry-front",
            ]),
        );
        expect(JSON.parse(String(unwrap(gate.inputs.stdin)))).toMatchObject({ url: "https://registry.example.com/v2/", tlsMode: "certificate" });
    });

    it.each([
        ["S3 storage", SWARM_S3],
        ["the NAT front (the replicas' key and certificate, the front's script)", { ...SWARM_CERT, "registry:front": "nat" }],
    ])("declares byte-identical inputs on two evaluations (no diff on the next preview): %s", async (_, config) => {
        const a = await evaluateStack(config, { secretKeys });
        const b = await evaluateStack(config, { secretKeys });
        expect(a.recorded.length).toBeGreaterThan(5);
        expect(JSON.stringify(b.recorded.map((r) => [r.name, r.inputs]))).toBe(JSON.stringify(a.recorded.map((r) => [r.name, r.inputs])));
    });

    it("renames a secret when its content changes, so Swarm gets a new one (Swarm secrets cannot change)", async () => {
        const one = await evaluateStack(
            { ...SWARM_CERT, "registry:users": JSON.stringify([{ username: "admin", password: "first-password-0123456789" }]) },
            { secretKeys },
        );
        const two = await evaluateStack(
            { ...SWARM_CERT, "registry:users": JSON.stringify([{ username: "admin", password: "second-password-0123456789" }]) },
            { secretKeys },
        );
        const name = (r: RecordedResource[]) => byName(r, SECRET, "registry-htpasswd").inputs.name;
        expect(name(one.recorded)).not.toBe(name(two.recorded));
        expect(byName(one.recorded, SECRET, "registry-http-secret").inputs.name).toBe(byName(two.recorded, SECRET, "registry-http-secret").inputs.name);
    });

    it.each(["development", "Prod.EU-west_1", "a-stack-name-that-is-far-too-long-for-any-swarm-object-name-at-all"])(
        "names every Swarm object within Swarm's limits, as DNS labels where they must be, for stack %s",
        async (stack) => {
            const { recorded } = await evaluateStack(SWARM_CERT, { secretKeys, stack });
            const swarmObjects = recorded.filter((r) => [SERVICE, CONFIG, SECRET, "docker:index/network:Network"].includes(r.type));
            expect(swarmObjects.length).toBeGreaterThan(5);
            for (const r of swarmObjects) {
                const name = String(unwrap(r.inputs.name));
                expect(name.length, name).toBeLessThanOrEqual(r.type === SERVICE ? 63 : 64);
                expect(name, r.name).toMatch(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
                // How a name maps back to its stack: the label on every service and the network.
                if (r.type === SERVICE) expect(unwrap(r.inputs.labels)).toContainEqual({ label: "faasreg.stack", value: `faas-registry/${stack}` });
            }
            // The front balances over the registry service's tasks by its (possibly shortened) name.
            const service = String(unwrap(byName(recorded, SERVICE, "registry-service").inputs.name));
            const caddy = JSON.parse(decode(byName(recorded, CONFIG, "registry-front-config").inputs.data));
            expect(caddy.apps.http.servers.registry.routes[0].handle[0].dynamic_upstreams.name).toBe(`tasks.${service}`);
        },
    );

    // The longest stack name Pulumi accepts (100 characters), and every option that adds or renames a Swarm object.
    const LONGEST_STACK = `Prod.EU-west_1-${"x".repeat(85)}`;
    const { cert: caCert, ca } = makeCaSignedCertificate(["registry.example.com"]);
    const OPTIONS: Record<string, Record<string, string>> = {
        "a given certificate (front certificate and key)": SWARM_CERT,
        "Let's Encrypt from a private CA, Redis, 3 replicas (front data volume, acme root)": {
            ...SWARM_LE,
            "registry:acmeDirectory": "https://acme.internal.example.com/directory",
            "registry:acmeRoot": ca,
        },
        "registry:encryptOverlay false (the clear network)": { ...SWARM_CERT, "registry:encryptOverlay": "false" },
        "S3 storage (the S3 key as a secret)": {
            ...SWARM_CERT,
            "registry:storage": "s3",
            "registry:s3Bucket": "images",
            "registry:s3Region": "eu-west-1",
            "registry:s3AccessKey": "AKIAEXAMPLE",
            "registry:s3SecretKey": "s3-secret-key-0123456789",
        },
        "registry:sharedPath": { ...SWARM_CERT, "registry:sharedPath": "/mnt/registry", "registry:certificate": `${caCert}${ca}` },
    };
    it.each(Object.keys(OPTIONS))("names every Swarm object within Swarm's limits at the longest stack name Pulumi accepts, with %s", async (option) => {
        expect(LONGEST_STACK).toHaveLength(100);
        const { recorded } = await evaluateStack(OPTIONS[option], { secretKeys: [...secretKeys, "registry:s3SecretKey"], stack: LONGEST_STACK });
        const limits: Record<string, number> = { [SERVICE]: 63, "docker:index/network:Network": 63, [CONFIG]: 64, [SECRET]: 64 };
        const named = recorded.filter((r) => r.type in limits);
        expect(named.length).toBeGreaterThan(5);
        for (const r of named) {
            const name = String(unwrap(r.inputs.name));
            expect(name.length, `${r.type} ${name}`).toBeLessThanOrEqual(limits[r.type]);
            expect(name, r.name).toMatch(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
        }
        // Volumes are local to a node (no Swarm limit): Docker's name rule, and a file name's 255 bytes.
        for (const r of recorded.filter((x) => x.type === "docker:index/volume:Volume")) {
            const name = String(unwrap(r.inputs.name));
            expect(name, r.name).toMatch(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{1,254}$/);
        }
    });

    it("keeps the names of stacks whose prefix already fits (nothing deployed before is renamed)", () => {
        expect(swarmNames("faas-registry-prod-registry")).toEqual({
            service: "faas-registry-prod-registry",
            network: "faas-registry-prod-registry-net",
            clearNetwork: "faas-registry-prod-registry-net-clear",
            objects: "faas-registry-prod-registry",
        });
        const long = swarmNames("faas-registry-development-registry");
        expect(long.service).toBe("faas-registry-development-registry");
        expect(long.objects).toMatch(/^faas-registry-develo[a-z-]*-[0-9a-f]{6}$/);
        expect(swarmNames("faas-registry-Dev.1-registry").service).not.toBe(swarmNames("faas-registry-dev-1-registry").service);
    });
});
