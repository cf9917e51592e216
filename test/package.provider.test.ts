// The faasreg package's provider (provider/) as the engine calls it: its schema, its checks of bad input (by the
// schema's property names, before anything is sent), defaults, and the secrets it keeps secret on the way back.
// test/e2e/package-languages.test.ts runs it for real from TypeScript, YAML and Python.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { join } from "node:path";
import { specialSecretSig, specialSigKey, unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { describe, expect, it } from "vitest";
import { faasregProvider } from "../provider/index";
import { ownerOf, unwrap, wrap } from "../provider/function";
import { CONTAINER_FILE_TOKEN, registryArgs } from "../provider/registry";
import { FUNCTION_INPUTS, FUNCTION_OUTPUTS, FUNCTION_TOKEN, PACKAGE_VERSION, REGISTRY_TOKEN, packageSchema } from "../provider/schema";
import { REGISTRY_TYPE } from "../components/registry";

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

    it("takes secrets anywhere inside as secret Outputs, and values not known yet (a preview) as unknown ones", async () => {
        const args = registryArgs("registry", {
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

    it("refuses, naming the input, what the registry must know as a plain value, an unknown input, and the Swarm mode", () => {
        expect(() => registryArgs("registry", { host: secret("registry.example.com"), tls: { mode: "none" }, users: [{ username: "ci" }] })).toThrow(
            `${where}: host must be a plain value when the program runs, not a secret`,
        );
        expect(() => registryArgs("registry", { tls: { mode: "none" }, users: [{ username: unknownValue }] })).toThrow(
            `${where}: users[0].username must be a plain value when the program runs, not an output not known yet`,
        );
        expect(() => registryArgs("registry", { tls: { mode: "none" }, users: [{ username: "ci" }], replicas: 2 })).toThrow(
            /replicas is not an input of the registry: the inputs are host, tls, users, /,
        );
        expect(() => registryArgs("registry", { tls: { mode: "none" }, users: [{ username: "ci" }], mode: "swarm" })).toThrow(
            /mode: the package declares the registry in a container only/,
        );
        expect(() => registryArgs("registry", { users: [{ username: "ci" }] })).toThrow(`${where}: tls is required`);
        expect(() => registryArgs("registry", { tls: { mode: "none" } })).toThrow(`${where}: users is required`);
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
