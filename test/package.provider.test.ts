// The faasreg package's provider (provider/) as the engine calls it: its schema, its checks of bad input (by the
// schema's property names, before anything is sent), defaults, and the secrets it keeps secret on the way back.
// test/e2e/package-languages.test.ts runs it for real from TypeScript, YAML and Python.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { join } from "node:path";
import { specialSecretSig, specialSigKey, unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { afterEach, describe, expect, it } from "vitest";
import { DynamicAdapter } from "../provider/adapter";
import { faasregProvider } from "../provider/index";
import { fromDynamicState, isDynamicState, ownerOf, unwrap, wrap } from "../provider/function";
import { providerConfig, setProviderConfig } from "../provider/configure";
import { constructRegistry, registryArgs } from "../provider/registry";
import { pullSecretArgs, PULL_SECRET_TYPE } from "../provider/kubernetes";
import {
    CONTAINER_FILE_TOKEN,
    FUNCTION_INPUTS,
    FUNCTION_OUTPUTS,
    FUNCTION_TOKEN,
    PACKAGE_VERSION,
    PINNED_IMAGE_TOKEN,
    PULL_SECRET_TOKEN,
    REGISTRY_TOKEN,
    SWARM_GATE_TOKEN,
    packageSchema,
} from "../provider/schema";
import { type PrivateRegistryArgs, REGISTRY_TYPE, SWARM_SETTINGS, validateRegistryArgs } from "../components/registry";
import { makeCertificate } from "./helpers/tls";

const URN = `urn:pulumi:dev::faas-registry::${FUNCTION_TOKEN}::hello`;
const PASSWORD = "reg-Secret-Pass-0123456789";
const AUTH = Buffer.from(`ci:${PASSWORD}`).toString("base64");
const secret = (value: unknown) => ({ [specialSigKey]: specialSecretSig, value });
const valid = {
    gatewayUrl: "https://gateway.example.com",
    gatewayPassword: secret("gw-Secret-Pass-0123456789"),
    service: "hello",
    image: "registry.example.com/team/hello:1",
    registryServer: "registry.example.com",
    registryAuth: secret(AUTH),
};
const check = async (inputs: Record<string, unknown>) => {
    const r = await faasregProvider.check!(URN, {}, inputs);
    return { inputs: r.inputs as Record<string, unknown>, failures: r.failures ?? [] };
};

describe("the faasreg package's schema", () => {
    const schema = packageSchema() as {
        name: string;
        version: string;
        resources: Record<string, { inputProperties: Record<string, { description?: string; secret?: boolean }>; properties: Record<string, unknown> }>;
    };
    const fn = schema.resources[FUNCTION_TOKEN];

    it("documents every property, marks the credentials secret, and says the version provider/package.json says", () => {
        for (const [name, spec] of Object.entries({ ...FUNCTION_INPUTS, ...FUNCTION_OUTPUTS })) expect(spec.description, name).toMatch(/\w{3,}/);
        expect(Object.keys(fn.inputProperties).filter((k) => fn.inputProperties[k].secret === true)).toEqual(["gatewayPassword", "registryAuth"]);
        expect(Object.keys(fn.properties)).toEqual([...Object.keys(FUNCTION_INPUTS), ...Object.keys(FUNCTION_OUTPUTS)]);
        const pkg = JSON.parse(readFileSync(join(__dirname, "..", "provider", "package.json"), "utf8")) as { name: string; version: string };
        expect([schema.name, schema.version, faasregProvider.version]).toEqual([pkg.name, pkg.version, PACKAGE_VERSION]);
        expect(JSON.parse(faasregProvider.schema!)).toEqual(schema);
    });
});

describe("the README's package examples", () => {
    it("are the tested example programs, verbatim", () => {
        const readme = readFileSync(join(__dirname, "..", "README.md"), "utf8");
        const example = (file: string) => readFileSync(join(__dirname, "..", "examples", "package", file), "utf8");
        expect(readme).toContain(example("typescript/index.ts"));
        expect(readme).toContain(example("python/__main__.py"));
        const yaml = example("yaml/Pulumi.yaml");
        expect(readme).toContain(yaml.slice(yaml.indexOf("name: faasreg-yaml-example")));
        expect(readme).toContain(example("kubernetes/index.ts"));
    });
});

describe("the faasreg provider's check: bad input named by its property, before anything is sent", () => {
    it("accepts a valid function and writes the defaults in effect, the secrets still secret", async () => {
        const r = await check(valid);
        expect(r.failures).toEqual([]);
        expect(r.inputs).toMatchObject({
            gatewayUsername: "admin",
            network: "func_functions",
            backend: "swarm",
            waitForReady: true,
            readinessTimeoutSeconds: 120,
        });
        expect(r.inputs.registryAuth).toEqual(secret(AUTH));
        expect(r.inputs.gatewayPassword).toEqual(valid.gatewayPassword);
    });

    it.each([
        ["gatewayUrl", { gatewayUrl: "http://gateway.example.com:8080" }, /plain HTTP.*allowHttp true/],
        ["gatewayUrl", { gatewayUrl: "https://admin:pw@gateway.example.com" }, /must not contain credentials/],
        ["service", { service: "hello world" }, /not a valid function name/],
        ["image", { image: "team/hello:1" }, /registry\.example\.com/],
        ["image", { image: "ghcr.io/team/hello:1" }, /registry\.example\.com/],
        ["registryAuth", { registryAuth: secret("ci:not-base64") }, /base64 of user:password/],
        ["registryAuth", { backend: "faasd" }, /ignored by faasd/],
        ["registryAuth", { backend: "kubernetes" }, /image pull secret/],
        ["backend", { backend: "nomad" }, /"swarm", "faasd" or "kubernetes"/],
        ["readinessTimeoutSeconds", { readinessTimeoutSeconds: 0 }, /between 1 and 3600/],
        ["envVars", { envVars: { PORT: 8080 } }, /"PORT" is number 8080: quote the value/],
        ["limits", { limits: { gpu: "1" } }, /only "memory".*and "cpu"/],
        ["namespace", { namespace: "Team_A" }, /not a valid namespace/],
        ["gatewayPasword", { gatewayPasword: "x" }, /not an input of faasreg:index:Function.*gatewayPassword/],
    ])("%s: %j", async (property, change, reason) => {
        const r = await check({ ...valid, ...change });
        expect(r.failures.map((f) => f.property)).toContain(property);
        expect(r.failures.find((f) => f.property === property)?.reason).toMatch(reason);
        // No failure quotes a secret.
        expect(JSON.stringify(r.failures)).not.toContain(PASSWORD);
        expect(JSON.stringify(r.failures)).not.toContain(AUTH);
    });

    it("does not judge values not known yet (a preview before the registry exists)", async () => {
        const r = await check({ ...valid, gatewayUrl: unknownValue, image: unknownValue, registryServer: unknownValue, registryAuth: unknownValue });
        expect(r.failures).toEqual([]);
    });

    it("names every missing required input", async () => {
        const r = await check({ gatewayPassword: secret("x") });
        expect(r.failures.map((f) => f.property).sort()).toEqual(["gatewayUrl", "image", "service"]);
    });
});

describe("the faasreg provider's configuration: the gateway of the functions that name none, and its credentials", () => {
    const GATEWAY_PASSWORD = "gw-Provider-Pass-0123456789";
    afterEach(() => setProviderConfig({}));

    it("reads Configure's arguments, secrets unwrapped, an unknown or empty value as unset", () => {
        setProviderConfig({ gatewayUrl: "https://gateway.example.com", gatewayPassword: secret(GATEWAY_PASSWORD), gatewayUsername: "" });
        expect(providerConfig()).toEqual({ gatewayUrl: "https://gateway.example.com", gatewayPassword: GATEWAY_PASSWORD });
        setProviderConfig({ gatewayUrl: unknownValue });
        expect(providerConfig()).toEqual({});
    });

    it("writes the provider's gatewayUrl into a function that names none, so state says where it is deployed", async () => {
        const noGateway = Object.fromEntries(Object.entries(valid).filter(([k]) => k !== "gatewayUrl" && k !== "gatewayPassword"));
        expect((await check(noGateway)).failures.map((f) => f.property)).toEqual(["gatewayUrl"]);
        expect((await check(noGateway)).failures[0].reason).toMatch(/faasreg:gatewayUrl/);
        setProviderConfig({ gatewayUrl: "https://gateway.example.com", gatewayPassword: secret(GATEWAY_PASSWORD) });
        const r = await check(noGateway);
        expect(r.failures).toEqual([]);
        expect(r.inputs.gatewayUrl).toBe("https://gateway.example.com");
        // The provider's password is not copied into the function: it stays out of the function's state.
        expect(JSON.stringify(r.inputs)).not.toContain(GATEWAY_PASSWORD);
        // The provider's URL is checked as a function's is.
        setProviderConfig({ gatewayUrl: "http://gateway.example.com" });
        expect((await check(noGateway)).failures.map((f) => f.property)).toEqual(["gatewayUrl"]);
    });
});

describe("a function the stack's dynamic resource deployed, moved to the package in place (an alias, then one update)", () => {
    // The state `pulumi-nodejs:dynamic:Resource` wrote for the stack's FaasFunction (components/faas/index.ts), as the
    // engine hands it back: its secrets wrapped, the serialized provider beside it.
    const dynamicState = {
        __provider: "exports.handler = __f0; /* the serialized closure, about 62 KB */",
        gateway: { url: "http://127.0.0.1:9", username: "admin" },
        gatewayPassword: secret("gw-Old-Pass-0123456789"),
        service: "hello",
        image: "registry.example.com/team/hello:1",
        network: "func_functions",
        envVars: { GREETING: "hi" },
        registryAuth: secret(AUTH),
        settings: {
            owner: "faas-registry/dev",
            registryServer: "registry.example.com",
            adopt: false,
            gatewayFromStackConfig: true,
            readiness: { enabled: true, timeoutSeconds: 120 },
        },
        status: { replicas: 1, availableReplicas: 1, image: "registry.example.com/team/hello:1@sha256:" + "a".repeat(64) },
    };
    const MOVED_URN = `urn:pulumi:dev::faas-registry::faasreg:faas:Function$${FUNCTION_TOKEN}::hello-deployment`;
    const newInputs = async (change: Record<string, unknown> = {}) => {
        setProviderConfig({ gatewayUrl: "http://127.0.0.1:9", gatewayPassword: secret("gw-New-Pass-0123456789") });
        const r = await faasregProvider.check!(MOVED_URN, dynamicState, {
            service: "hello",
            image: "registry.example.com/team/hello:1",
            envVars: { GREETING: "hi" },
            registryServer: "registry.example.com",
            registryAuth: secret(AUTH),
            ...change,
        });
        expect(r.failures ?? []).toEqual([]);
        return r.inputs as Record<string, unknown>;
    };
    afterEach(() => setProviderConfig({}));

    it("reads the dynamic state in the package's form, without the serialized provider", () => {
        expect(isDynamicState(dynamicState)).toBe(true);
        const moved = fromDynamicState(unwrap(dynamicState).plain);
        expect(moved).toMatchObject({
            gatewayUrl: "http://127.0.0.1:9",
            gatewayUsername: "admin",
            registryServer: "registry.example.com",
            backend: "swarm",
            url: "http://127.0.0.1:9/function/hello",
            replicas: 1,
            reportedImage: dynamicState.status.image,
        });
        expect(Object.keys(moved)).not.toContain("__provider");
        expect(Object.keys(moved)).not.toContain("settings");
        expect(isDynamicState(moved)).toBe(false);
    });

    it("plans an update, not a replacement, and the update rewrites state without a call to the gateway", async () => {
        const news = await newInputs();
        const d = await faasregProvider.diff!("hello", MOVED_URN, dynamicState, news);
        expect(d.changes).toBe(true);
        expect(d.replaces ?? []).toEqual([]);
        // The gateway is a closed port: the update succeeds only because nothing is sent (no redeploy).
        const u = await faasregProvider.update!("hello", MOVED_URN, dynamicState, news);
        const outs = u.outs as Record<string, unknown>;
        expect(isDynamicState(outs)).toBe(false);
        expect(outs).toMatchObject({ gatewayUrl: "http://127.0.0.1:9", service: "hello", replicas: 1, availableReplicas: 1 });
        expect(outs.reportedImage).toBe(dynamicState.status.image);
        expect(outs.registryAuth).toEqual(secret(AUTH));
        // The gateway password moved to the provider's configuration: no longer in the function's state.
        expect(outs.gatewayPassword).toBeUndefined();
        expect(JSON.stringify(outs)).not.toContain("gw-");
        // Then the next diff is empty.
        expect((await faasregProvider.diff!("hello", MOVED_URN, outs, news)).changes).toBe(false);
    });

    it("still replaces what the stack's function replaced (another namespace)", async () => {
        const d = await faasregProvider.diff!("hello", MOVED_URN, dynamicState, await newInputs({ namespace: "team-b" }));
        expect(d.replaces).toEqual(["namespace"]);
    });
});

describe("the faasreg provider's secrets on the way back to the engine", () => {
    it("marks gatewayPassword and registryAuth secret always, and any property that arrived secret", () => {
        const { plain, secret: secretKeys } = unwrap({ ...valid, gatewayPassword: "gw-plain-in-0123456789", envVars: { TOKEN: secret("t-0123456789") } });
        expect(plain.registryAuth).toBe(AUTH);
        expect((plain.envVars as Record<string, string>).TOKEN).toBe("t-0123456789");
        const out = wrap({ ...plain, url: "https://gateway.example.com/function/hello" }, secretKeys);
        expect(out.gatewayPassword).toEqual(secret("gw-plain-in-0123456789"));
        expect(out.registryAuth).toEqual(secret(AUTH));
        expect(out.envVars).toEqual(secret({ TOKEN: "t-0123456789" }));
        expect(out.url).toBe("https://gateway.example.com/function/hello");
    });

    it("labels a function with the stack that owns it, project/stack as the stack's own functions always were", () => {
        expect(ownerOf(URN)).toBe("faas-registry/dev");
        expect(ownerOf(`urn:pulumi:prod::shop::faasreg:faas:Function$${FUNCTION_TOKEN}::hello-deployment`)).toBe("shop/prod");
    });
});

describe("the faasreg package's registry component (faasreg:registry:PrivateRegistry)", () => {
    const schema = packageSchema() as {
        resources: Record<string, { isComponent?: boolean; inputProperties: Record<string, Spec>; properties: Record<string, Spec>; requiredInputs: string[] }>;
        types: Record<string, { properties: Record<string, Spec> }>;
    };
    type Spec = { description?: string; secret?: boolean; $ref?: string; items?: { $ref?: string } };
    const registry = schema.resources[REGISTRY_TOKEN];
    const where = `faasreg:registry:PrivateRegistry "registry"`;
    const isSecretOutput = async (o: unknown) => pulumi.Output.isInstance(o) && (await (o as unknown as { isSecret: Promise<boolean> }).isSecret);
    /** What the server hands construct() for an input with dependencies: an Output (known or not, secret or not). */
    const outputValue = (value: unknown, known: boolean, isSecret: boolean) => {
        const Output = pulumi.Output as unknown as new (...args: unknown[]) => pulumi.Output<unknown>;
        return new Output([], Promise.resolve(value), Promise.resolve(known), Promise.resolve(isSecret), Promise.resolve([]));
    };
    const valueOf = (o: unknown) => new Promise((resolve) => (o as pulumi.Output<unknown>).apply(resolve));

    it("is the stack's own component type, documented property by property, its credentials secret in the schema", () => {
        // One type: a stack that moves to the package keeps its registry's URNs.
        expect(REGISTRY_TOKEN).toBe(REGISTRY_TYPE);
        expect(registry.isComponent).toBe(true);
        expect(registry.requiredInputs).toEqual(["tls", "users"]);
        const secretPaths: string[] = [];
        for (const [name, spec] of Object.entries({ ...registry.inputProperties, ...registry.properties })) expect(spec.description, name).toMatch(/\w{3,}/);
        for (const [name, t] of Object.entries(schema.types).filter(([n]) => n.startsWith("faasreg:registry:"))) {
            for (const [p, spec] of Object.entries(t.properties)) {
                expect(spec.description, `${name}.${p}`).toMatch(/\w{3,}/);
                if (spec.secret === true) secretPaths.push(`${name.slice("faasreg:registry:".length)}.${p}`);
            }
        }
        expect(secretPaths.sort()).toEqual(["DockerConnection.keyMaterial", "Storage.secretKey", "Tls.privateKey", "User.password"]);
        // The Swarm mode's settings are the component's, one by one.
        expect(Object.keys(schema.types["faasreg:registry:Swarm"].properties)).toEqual([...SWARM_SETTINGS]);
        expect(registry.inputProperties.mode.description).toMatch(/"swarm"/);
        expect(Object.keys(registry.properties).filter((k) => registry.properties[k].secret === true)).toEqual([
            "password",
            "registryAuth",
            "dockerConfigJson",
            "passwords",
        ]);
        // Every $ref names a type the schema has.
        const refs = Object.values(registry.inputProperties)
            .map((s) => s.$ref ?? s.items?.$ref)
            .filter((r): r is string => r !== undefined);
        for (const r of refs) expect(Object.keys(schema.types)).toContain(r.slice("#/types/".length));
    });

    it("accepts its own schema's defaults, which the SDKs fill in (a Python or TypeScript program sends them), in either mode", () => {
        type Defaults = Record<string, { default?: unknown }>;
        const defaults = (props: Defaults) => Object.fromEntries(Object.entries(props).flatMap(([k, v]) => (v.default === undefined ? [] : [[k, v.default]])));
        const { cert, key } = makeCertificate("registry.example.com");
        const base = {
            ...defaults(registry.inputProperties as Defaults),
            host: "registry.example.com",
            tls: { mode: "certificate", certificate: cert, privateKey: key },
            users: [{ username: "ci" }],
        } as unknown as PrivateRegistryArgs;
        expect(base.mode).toBe("container");
        expect(validateRegistryArgs(base)).toEqual([]);
        const swarm = defaults(schema.types["faasreg:registry:Swarm"].properties as Defaults);
        expect(Object.keys(swarm).length).toBeGreaterThan(0);
        expect(validateRegistryArgs({ ...base, mode: "swarm", swarm })).toEqual([]);
    });

    it("takes secrets anywhere inside as secret Outputs, and values not known yet (a preview) as unknown ones", async () => {
        const args = await registryArgs("registry", {
            host: "registry.example.com",
            tls: { mode: "certificate", certificate: "CERT", privateKey: secret("KEY") },
            users: [
                { username: "ci", password: secret(PASSWORD) },
                { username: "ops", password: unknownValue },
            ],
        });
        const tls = args.tls as { privateKey: unknown; certificate: unknown };
        expect(tls.certificate).toBe("CERT");
        expect(await isSecretOutput(tls.privateKey)).toBe(true);
        expect(await valueOf(tls.privateKey)).toBe("KEY");
        expect(await isSecretOutput(args.users[0].password)).toBe(true);
        expect(await valueOf(args.users[0].password)).toBe(PASSWORD);
        expect(args.users[0].username).toBe("ci");
        expect(await (args.users[1].password as unknown as { isKnown: Promise<boolean> }).isKnown).toBe(false);
    });

    it("takes another resource's output (sent as an Output, with its dependencies) where it is known and not secret", async () => {
        // users from another resource (its dependencies make the engine send an Output), a secret password inside.
        const args = await registryArgs("registry", {
            host: outputValue("registry.example.com", true, false),
            tls: { mode: "none" },
            users: outputValue([{ username: "ci", password: secret(PASSWORD) }], true, false),
        });
        expect(args.host).toBe("registry.example.com");
        expect(args.users[0].username).toBe("ci");
        expect(await isSecretOutput(args.users[0].password)).toBe(true);
        expect(await valueOf(args.users[0].password)).toBe(PASSWORD);
    });

    it("refuses, naming the input, what the registry must know as a plain value, an unknown input, and a Swarm setting it does not know", async () => {
        const refused = (inputs: Record<string, unknown>) => registryArgs("registry", inputs);
        await expect(refused({ host: secret("registry.example.com"), tls: { mode: "none" }, users: [{ username: "ci" }] })).rejects.toThrow(
            `${where}: host must be a plain value when the program runs, not a secret`,
        );
        await expect(refused({ host: outputValue("x", false, false), tls: { mode: "none" }, users: [{ username: "ci" }] })).rejects.toThrow(
            `${where}: host must be a plain value when the program runs, not an output not known yet`,
        );
        await expect(refused({ tls: outputValue({ mode: "none" }, true, true), users: [{ username: "ci" }] })).rejects.toThrow(
            `${where}: tls must be a plain value when the program runs, not a secret`,
        );
        await expect(refused({ tls: { mode: "none" }, users: [{ username: unknownValue }] })).rejects.toThrow(
            `${where}: users[0].username must be a plain value when the program runs, not an output not known yet`,
        );
        await expect(refused({ tls: { mode: "none" }, users: [{ username: "ci" }], replicas: 2 })).rejects.toThrow(
            /replicas is not an input of the registry: the inputs are host, tls, users, /,
        );
        // The Swarm mode's settings are checked as the stack checks them, by their paths, before anything is declared.
        const swarmArgs = {
            host: "registry.example.com",
            tls: { mode: "certificate", certificate: "CERT", privateKey: secret("KEY") },
            users: [{ username: "ci" }],
        };
        await expect(constructRegistry("registry", { ...swarmArgs, mode: "swarm", swarm: { replica: 3, encryptOverlay: "no" } }, {})).rejects.toThrow(
            /- swarm: has unknown key\(s\) replica \(did you mean replicas\?\): allowed are replicas, sharedPath, spread, redis, front, frontImage, natImage, redisImage, encryptOverlay\n {2}- swarm\.encryptOverlay: must be true or false, got "no"/,
        );
        await expect(refused({ users: [{ username: "ci" }] })).rejects.toThrow(`${where}: tls is required`);
        // The program's docker:sshOpts, read when the registry has no docker input, is checked as the stack checks it.
        pulumi.runtime.setAllConfig({ "docker:sshOpts": JSON.stringify("-o StrictHostKeyChecking=yes") });
        try {
            await expect(constructRegistry("registry", { tls: { mode: "none" }, users: [{ username: "ci" }] }, {})).rejects.toThrow(
                `${where}: docker:sshOpts must be a list of strings, got the string "-o StrictHostKeyChecking=yes", e.g. ["-o", "StrictHostKeyChecking=yes"]`,
            );
        } finally {
            pulumi.runtime.setAllConfig({});
        }
        await expect(refused({ tls: { mode: "none" } })).rejects.toThrow(`${where}: users is required`);
    });

    it("serves the Swarm mode's pin (faasreg:registry:PinnedImage): only the image's name changes it, and that replaces it; the gate is served too", async () => {
        const urn = (type: string, name: string) => `urn:pulumi:dev::p::${REGISTRY_TOKEN}$${type}::${name}`;
        const pin = { connection: secret({ host: "ssh://ops@manager" }), image: "registry:3.1.2" };
        const olds = { ...pin, reference: `registry:3.1.2@sha256:${"0".repeat(64)}`, platforms: [{ os: "linux", architecture: "amd64" }] };
        const pinUrn = urn(PINNED_IMAGE_TOKEN, "registry-registry-image");
        // Another connection to the same engine: the same image, no change (and the engine is not asked).
        expect(await faasregProvider.diff!("registry:3.1.2", pinUrn, olds, { ...pin, connection: secret({ host: "ssh://ops@other" }) })).toEqual({
            changes: false,
            replaces: [],
            deleteBeforeReplace: false,
        });
        expect(await faasregProvider.diff!("registry:3.1.2", pinUrn, olds, { ...pin, image: "registry:3.2.0" })).toEqual({
            changes: true,
            replaces: ["image"],
            deleteBeforeReplace: false,
        });
        // A refresh keeps the pin, its connection a secret.
        const read = await faasregProvider.read!("registry:3.1.2", pinUrn, olds);
        expect(read.props).toEqual(olds);
        expect(read.inputs).toEqual(pin);
        // The gate's type is served (its diff asks the engine: test/e2e/package-swarm.test.ts).
        await expect(faasregProvider.check!(urn(SWARM_GATE_TOKEN, "registry-swarm-gate"), {}, { connection: secret({}) })).resolves.toEqual({
            inputs: { connection: secret({}) },
            failures: [],
        });
    });

    it("diffs the htpasswd file (faasreg:registry:ContainerFile) by the content's sha256 without asking the engine, the content secret", async () => {
        const urn = `urn:pulumi:dev::p::${REGISTRY_TOKEN}$${CONTAINER_FILE_TOKEN}::registry-htpasswd`;
        const file = { connection: secret({}), container: "abc", path: "/auth/htpasswd", mode: 0o400 };
        const olds = { ...file, content: secret("ci:$2b$04$hash\n"), sha256: createHash("sha256").update("ci:$2b$04$hash\n").digest("hex") };
        expect((await faasregProvider.diff!("abc:/auth/htpasswd", urn, olds, { ...file, content: secret("ci:$2b$04$hash\n") })).changes).toBe(false);
        expect((await faasregProvider.diff!("abc:/auth/htpasswd", urn, olds, { ...file, content: secret("ci:$2b$04$other\n") })).changes).toBe(true);
        expect((await faasregProvider.diff!("abc:/auth/htpasswd", urn, olds, { ...file, container: "def", content: secret("ci:$2b$04$hash\n") })).changes).toBe(
            true,
        );
    });
});

describe("the faasreg package's image pull secret for faas-netes (faasreg:faas:KubernetesPullSecret)", () => {
    const schema = packageSchema() as {
        resources: Record<
            string,
            { isComponent?: boolean; inputProperties: Record<string, { description?: string; secret?: boolean }>; properties: Record<string, unknown> }
        >;
        types: Record<string, { properties: Record<string, { secret?: boolean }> }>;
    };
    const where = `faasreg:faas:KubernetesPullSecret "pull-secret"`;
    const login = { server: "registry.example.com", username: "ci", password: secret(PASSWORD) };

    it("is the stack's own component type; the kubeconfig and the registry's password are secret in the schema", () => {
        expect(PULL_SECRET_TOKEN).toBe(PULL_SECRET_TYPE);
        const r = schema.resources[PULL_SECRET_TOKEN];
        expect(r.isComponent).toBe(true);
        for (const [name, spec] of Object.entries(r.inputProperties)) expect(spec.description, name).toMatch(/\w{3,}/);
        expect(Object.keys(r.inputProperties).filter((k) => r.inputProperties[k].secret === true)).toEqual(["kubeconfig"]);
        expect(schema.types["faasreg:faas:RegistryLogin"].properties.password.secret).toBe(true);
        expect(Object.keys(r.properties)).toEqual(["secretName"]);
    });

    it("takes the registry's login with its password a secret Output, and refuses a missing field or a bad namespace by name", async () => {
        const args = await pullSecretArgs("pull-secret", { registry: login, namespace: "openfaas-fn" });
        expect(args.registry.server).toBe("registry.example.com");
        expect(pulumi.Output.isInstance(args.registry.password)).toBe(true);
        expect(await (args.registry.password as unknown as { isSecret: Promise<boolean> }).isSecret).toBe(true);
        await expect(pullSecretArgs("pull-secret", { registry: { server: "registry.example.com" }, namespace: "openfaas-fn" })).rejects.toThrow(
            `${where}: registry needs server, username and password (username, password missing)`,
        );
        await expect(pullSecretArgs("pull-secret", { registry: login, namespace: "OpenFaaS_fn" })).rejects.toThrow(
            `${where}: namespace must be the functions' namespace`,
        );
        await expect(pullSecretArgs("pull-secret", { registry: login, namespace: "openfaas-fn", secretName: "x" })).rejects.toThrow(
            `${where}: secretName is not an input of the pull secret: the inputs are registry, namespace, kubeconfig`,
        );
    });
});

describe("a stack's dynamic provider served as the package's custom resource (provider/adapter.ts)", () => {
    // A dynamic provider that records what it was handed: the adapter's translation is what is tested.
    const seen: unknown[] = [];
    const dynamic: pulumi.dynamic.ResourceProvider = {
        create: async (inputs) => (seen.push(inputs), { id: "f1", outs: { ...inputs, sha256: "abc" } }),
        read: async (id, props) => (seen.push(props), id === "gone" ? { id: "", props: {} } : { id, props: { ...props, sha256: "def" } }),
        // Like the htpasswd file: a change when the content is another one.
        diff: async (_id, olds, news) => ({ changes: olds.content !== news.content, replaces: [] }),
        update: async (_id, olds, news) => (seen.push({ updated: olds, to: news }), { outs: { ...news, sha256: "new" } }),
    };
    const adapter = new DynamicAdapter(dynamic, new Set(["content"]), new Set(["sha256"]));

    it("hands the dynamic provider plain values, and marks the secret properties secret on the way back", async () => {
        const created = await adapter.create("urn", { content: secret("users"), path: "/auth/htpasswd" });
        expect(seen.pop()).toEqual({ content: "users", path: "/auth/htpasswd" });
        expect(created).toEqual({ id: "f1", outs: { content: secret("users"), path: "/auth/htpasswd", sha256: "abc" } });
    });

    it("reads back the state and the inputs (without what the provider reports), or nothing when it is gone", async () => {
        const read = await adapter.read("f1", "urn", { content: secret("users"), path: "/auth/htpasswd", sha256: "abc" });
        expect(read).toEqual({
            id: "f1",
            props: { content: secret("users"), path: "/auth/htpasswd", sha256: "def" },
            inputs: { content: secret("users"), path: "/auth/htpasswd" },
        });
        expect(await adapter.read("gone", "urn", { content: secret("users") })).toEqual({ id: "", props: {} });
    });

    it("moves a dynamic resource's state (its alias brings it): one update that drops the serialized provider and asks nothing, unless the declaration changed", async () => {
        const dynamicState = { __provider: "exports.handler = ...(62 KB of serialized code)", content: secret("users"), path: "/auth/htpasswd", sha256: "abc" };
        const news = { content: secret("users"), path: "/auth/htpasswd" };
        // The same declaration: a change (to rewrite the state), never a replacement.
        expect(await adapter.diff("f1", "urn", dynamicState, news)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: undefined });
        // In a preview the update reports every value as it is (what depends on them shows no change), without the serialized provider.
        expect(await adapter.previewUpdate("f1", "urn", dynamicState, news)).toEqual({ content: secret("users"), path: "/auth/htpasswd", sha256: "abc" });
        // A changed declaration: the new inputs, as the engine assumes (sha256 not known until the file is written).
        const changed = { ...news, content: secret("rotated") };
        expect((await adapter.diff("f1", "urn", dynamicState, changed)).changes).toBe(true);
        expect(await adapter.previewUpdate("f1", "urn", dynamicState, changed)).toEqual(changed);
        seen.length = 0;
        const updated = await adapter.update("f1", "urn", dynamicState, news);
        expect(updated).toEqual({ outs: { content: secret("users"), path: "/auth/htpasswd", sha256: "abc" } });
        expect(seen, "the dynamic provider's update (a write into the container) was not called").toEqual([]);
        // Moved: no change the next time.
        expect((await adapter.diff("f1", "urn", updated.outs as Record<string, unknown>, news)).changes).toBe(false);
        // A changed declaration at the same time: the update does it, handed the state without the serialized provider.
        const rotated = await adapter.update("f1", "urn", dynamicState, { ...news, content: secret("rotated") });
        expect(seen.pop()).toEqual({
            updated: { content: "users", path: "/auth/htpasswd", sha256: "abc" },
            to: { content: "rotated", path: "/auth/htpasswd" },
        });
        expect(rotated).toEqual({ outs: { content: secret("rotated"), path: "/auth/htpasswd", sha256: "new" } });
        // A refresh before the first up of the new version reads it and keeps no serialized provider.
        const read = await adapter.read("f1", "urn", dynamicState);
        expect(seen.pop()).toEqual({ content: "users", path: "/auth/htpasswd", sha256: "abc" });
        expect(read.props).toEqual({ content: secret("users"), path: "/auth/htpasswd", sha256: "def" });
    });
});
