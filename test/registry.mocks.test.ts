import * as pulumi from "@pulumi/pulumi";
import bcrypt from "bcryptjs";
import { describe, expect, it } from "vitest";
import { CONTAINER_PATHS } from "../components/registry/registry-config";
import { DRAIN_TIMEOUT_SECONDS } from "../components/registry/args";
import { EMPTY_HTPASSWD } from "../components/registry";
import { fakeRandom, findResource, isSecretWrapped, outputValue, SECRET_SIG, unwrap } from "./helpers/mocks";
import { evaluateStack, LOCAL_CONFIG } from "./helpers/stack";
import { makeCertificate } from "./helpers/tls";

const CONTAINER = "docker:index/container:Container";
const COMMAND = "command:local:Command";
const VOLUME = "docker:index/volume:Volume";

const LE_CONFIG = {
    "registry:host": "registry.example.com",
    "registry:email": "ops@example.com",
    "registry:users": JSON.stringify([{ username: "ci" }, { username: "alice", password: "alice-chose-this-long-one" }]),
};

function upload(container: { inputs: Record<string, unknown> }, file: string): unknown {
    const uploads = unwrap(container.inputs.uploads) as { file: string; content: unknown }[];
    const found = uploads.find((u) => u.file === file);
    if (found === undefined) throw new Error(`no upload ${file}`);
    return found.content;
}

describe("PrivateRegistry under mocks", () => {
    it("declares image, data volume, container on 127.0.0.1:5000 and a readiness gate for tls none", async () => {
        const { recorded } = await evaluateStack(LOCAL_CONFIG);
        const types = recorded.map((r) => `${r.type}::${r.name}`).sort();
        expect(types).toEqual(
            [
                "command:local:Command::registry-ready",
                "docker:index/container:Container::registry-container",
                "docker:index/remoteImage:RemoteImage::registry-image",
                "docker:index/volume:Volume::registry-data",
                "faasreg:registry:PrivateRegistry::registry",
                "faasreg:registry:ContainerFile::registry-htpasswd",
                "random:index/randomPassword:RandomPassword::registry-http-secret",
                "random:index/randomPassword:RandomPassword::registry-password-admin",
            ].sort(),
        );
        const container = findResource(recorded, CONTAINER, "registry-container");
        expect(unwrap(container.inputs.ports)).toEqual([{ internal: 5000, external: 5000, ip: "127.0.0.1", protocol: "tcp" }]);
        expect(container.inputs.restart).toBe("always");
        expect(container.inputs.command).toEqual([CONTAINER_PATHS.config]);
        expect(container.inputs.envs).toBeUndefined();
        expect(unwrap(container.inputs.volumes)).toEqual([{ volumeName: "faas-registry-test-registry-data", containerPath: "/var/lib/registry" }]);
        const config = JSON.parse(unwrap(upload(container, CONTAINER_PATHS.config)) as string);
        expect(config.http.addr).toBe(":5000");
        expect(config.http.tls).toBeUndefined();
        expect(config.http.debug).toBeUndefined();
        expect(config.http.secret).toBe(fakeRandom("registry-http-secret", 64));
        expect(config.auth.htpasswd.path).toBe(CONTAINER_PATHS.htpasswd);
        const gate = findResource(recorded, COMMAND, "registry-ready");
        expect(gate.inputs.create).toBe('node "components/registry/probe.mjs"');
        expect(gate.inputs.logging).toBe("stderr");
        expect(JSON.parse(unwrap(gate.inputs.stdin) as string)).toMatchObject({ url: "http://127.0.0.1:5000/v2/", username: "admin", tlsMode: "none" });
    });

    it("carries htpasswd, registry config (HTTP secret) and the probe's credentials secret-wrapped", async () => {
        const { recorded } = await evaluateStack(LOCAL_CONFIG);
        const container = findResource(recorded, CONTAINER, "registry-container");
        // The SDK marks the whole `uploads` property secret when any file in it is: the config.
        expect(isSecretWrapped(container.inputs.uploads)).toBe(true);
        expect(JSON.stringify(container.inputs).split(SECRET_SIG).length).toBe(2);
        expect(isSecretWrapped(findResource(recorded, COMMAND, "registry-ready").inputs.stdin)).toBe(true);
        // The container starts with no user; the users are written into it once it runs, in place on a rotation.
        expect(unwrap(upload(container, CONTAINER_PATHS.htpasswd))).toBe(EMPTY_HTPASSWD);
        const users = findResource(recorded, "faasreg:registry:ContainerFile", "registry-htpasswd");
        expect(isSecretWrapped(users.inputs.content)).toBe(true);
        expect(users.options.additionalSecretOutputs).toEqual(expect.arrayContaining(["content"]));
        expect(users.dependencies).toContain(
            "urn:pulumi:test::faas-registry::faasreg:registry:PrivateRegistry$docker:index/container:Container::registry-container",
        );
        expect(unwrap(users.inputs.path)).toBe(CONTAINER_PATHS.htpasswd);
        const htpasswd = unwrap(users.inputs.content) as string;
        const [user, hash] = htpasswd.trim().split(":");
        expect(user).toBe("admin");
        expect(bcrypt.compareSync(fakeRandom("registry-password-admin", 40), hash)).toBe(true);
        expect(bcrypt.getRounds(hash)).toBe(4);
    });

    it("configures Let's Encrypt with hosts, the cache on its own volume, and publishes 443 -> 5000", async () => {
        const { recorded } = await evaluateStack(LE_CONFIG);
        const container = findResource(recorded, CONTAINER, "registry-container");
        const config = JSON.parse(unwrap(upload(container, CONTAINER_PATHS.config)) as string);
        expect(config.http.tls).toEqual({ letsencrypt: { cachefile: CONTAINER_PATHS.acmeCache, email: "ops@example.com", hosts: ["registry.example.com"] } });
        expect(unwrap(container.inputs.ports)).toEqual([{ internal: 5000, external: 443, ip: "0.0.0.0", protocol: "tcp" }]);
        expect(unwrap(container.inputs.volumes)).toContainEqual({
            volumeName: "faas-registry-test-registry-acme-cache",
            containerPath: CONTAINER_PATHS.acmeCache,
        });
        expect(
            recorded
                .filter((r) => r.type === VOLUME)
                .map((r) => r.name)
                .sort(),
        ).toEqual(["registry-acme-cache", "registry-data"]);
        const htpasswd = unwrap(findResource(recorded, "faasreg:registry:ContainerFile", "registry-htpasswd").inputs.content) as string;
        const lines = htpasswd.trim().split("\n");
        expect(lines.map((l) => l.split(":")[0])).toEqual(["ci", "alice"]);
        expect(bcrypt.compareSync("alice-chose-this-long-one", lines[1].slice("alice:".length))).toBe(true);
        const gate = findResource(recorded, COMMAND, "registry-ready");
        expect(JSON.parse(unwrap(gate.inputs.stdin) as string).url).toBe("https://registry.example.com/v2/");
    });

    it("uploads a given certificate and its private key, the key secret-wrapped", async () => {
        const { cert, key } = makeCertificate("registry.internal.test");
        const { recorded } = await evaluateStack({
            "registry:tls": "certificate",
            "registry:host": "registry.internal.test",
            "registry:httpsPort": "5443",
            "registry:certificate": cert,
            "registry:privateKey": key,
        });
        const container = findResource(recorded, CONTAINER, "registry-container");
        expect(isSecretWrapped(container.inputs.uploads)).toBe(true);
        expect(upload(container, CONTAINER_PATHS.privateKey)).toBe(key);
        expect(unwrap(upload(container, CONTAINER_PATHS.certificate))).toBe(cert);
        const config = JSON.parse(unwrap(upload(container, CONTAINER_PATHS.config)) as string);
        expect(config.http.tls).toEqual({ certificate: CONTAINER_PATHS.certificate, key: CONTAINER_PATHS.privateKey });
        expect(unwrap(container.inputs.ports)).toEqual([{ internal: 5000, external: 5443, ip: "0.0.0.0", protocol: "tcp" }]);
    });

    it("exports every credential as a secret and the server and URL in the clear", async () => {
        const { exports } = await evaluateStack(LE_CONFIG);
        const out = (name: string) => exports[name] as pulumi.Output<unknown>;
        for (const name of ["registryPassword", "registryCredentials", "registryAuth", "dockerConfigJson", "registryPasswords"]) {
            expect(await pulumi.isSecret(out(name)), name).toBe(true);
        }
        for (const name of ["registryServer", "registryUrl", "registryUsername"]) {
            expect(await pulumi.isSecret(out(name)), name).toBe(false);
        }
        const value = outputValue;
        const password = fakeRandom("registry-password-ci", 40);
        expect(await value(out("registryServer"))).toBe("registry.example.com");
        expect(await value(out("registryAuth"))).toBe(Buffer.from(`ci:${password}`).toString("base64"));
        expect(JSON.parse((await value(out("dockerConfigJson"))) as string)).toEqual({
            auths: { "registry.example.com": { auth: Buffer.from(`ci:${password}`).toString("base64") } },
        });
        expect(await value(out("registryPasswords"))).toEqual({ ci: password, alice: "alice-chose-this-long-one" });
    });

    it("declares byte-identical resource inputs on two evaluations of the same config", async () => {
        const first = await evaluateStack(LE_CONFIG);
        const second = await evaluateStack(LE_CONFIG);
        expect(first.recorded.length).toBeGreaterThan(5);
        expect(JSON.stringify(second.recorded)).toBe(JSON.stringify(first.recorded));
    });

    it("keeps the volumes on destroy unless retainData is false, and replaces the container delete-first", async () => {
        const kept = await evaluateStack(LE_CONFIG);
        for (const name of ["registry-data", "registry-acme-cache"]) expect(findResource(kept.recorded, VOLUME, name).options.retainOnDelete, name).toBe(true);
        // Two containers cannot hold the same name and host port: the old one goes first.
        const container = findResource(kept.recorded, CONTAINER, "registry-container");
        expect(container.options.deleteBeforeReplace).toBe(true);
        // ... and is stopped with a grace period the registry drains in (resourceDockerContainerDelete stops it
        // with a 0 s timeout when destroyGraceSeconds is unset: SIGKILL right after SIGTERM).
        expect(unwrap(container.inputs.destroyGraceSeconds)).toBe(DRAIN_TIMEOUT_SECONDS + 5);
        const config = JSON.parse(
            String(unwrap((unwrap(container.inputs.uploads) as { file: string; content: string }[]).find((u) => u.file === CONTAINER_PATHS.config)?.content)),
        );
        expect(config.http.draintimeout).toBe(`${DRAIN_TIMEOUT_SECONDS}s`);
        const dropped = await evaluateStack({ ...LE_CONFIG, "registry:retainData": "false" });
        for (const name of ["registry-data", "registry-acme-cache"])
            expect(findResource(dropped.recorded, VOLUME, name).options.retainOnDelete, name).toBe(false);
    });

    it("renders the ACME directory: production by the registry's default, staging and a private CA by URL, each with its own cache folder", async () => {
        const root = makeCertificate("acme-root.test").cert;
        const rendered = async (extra: Record<string, string>) => {
            const { recorded } = await evaluateStack({ "registry:host": "registry.example.com", "registry:email": "ops@example.com", ...extra });
            const container = findResource(recorded, CONTAINER, "registry-container");
            const gate = findResource(recorded, "command:local:Command", "registry-ready");
            return {
                letsencrypt: JSON.parse(unwrap(upload(container, CONTAINER_PATHS.config)) as string).http.tls.letsencrypt,
                trusted: JSON.parse(unwrap(gate.inputs.stdin) as string).certificate,
                envs: container.inputs.envs,
                files: (unwrap(container.inputs.uploads) as { file: string }[]).map((u) => u.file),
            };
        };
        const production = await rendered({});
        expect(production.letsencrypt.directoryurl).toBeUndefined();
        expect(production.letsencrypt.cachefile).toBe(CONTAINER_PATHS.acmeCache);
        expect(production.trusted).toBeNull();
        const staging = await rendered({ "registry:acmeDirectory": "staging", "registry:acmeRoot": root });
        expect(staging.letsencrypt).toMatchObject({
            directoryurl: "https://acme-staging-v02.api.letsencrypt.org/directory",
            cachefile: `${CONTAINER_PATHS.acmeCache}/staging`,
        });
        expect(staging.trusted).toBe(root);
        const own = await rendered({ "registry:acmeDirectory": "https://acme.internal.test/directory", "registry:acmeRoot": root });
        expect(own.letsencrypt.directoryurl).toBe("https://acme.internal.test/directory");
        expect(own.letsencrypt.cachefile).toMatch(new RegExp(`^${CONTAINER_PATHS.acmeCache}/[0-9a-f]{12}$`));
        // Only a private CA's endpoint needs its root in the registry's trust; the other containers keep their inputs.
        expect(own.envs).toEqual([`SSL_CERT_DIR=/etc/ssl/certs:${CONTAINER_PATHS.acmeRoots}`]);
        expect(own.files).toContain(`${CONTAINER_PATHS.acmeRoots}/root.pem`);
        for (const other of [production, staging]) {
            expect(other.envs).toBeUndefined();
            expect(other.files).toEqual([CONTAINER_PATHS.config, CONTAINER_PATHS.htpasswd]);
        }
    });

    it("renders s3 storage with distribution's documented s3 keys only, the secret key inside the secret config, and no data volume", async () => {
        // The s3 driver's parameters, as distribution documents them (distribution.github.io/distribution/storage-drivers/s3/).
        const DOCUMENTED = [
            "accesskey",
            "secretkey",
            "region",
            "regionendpoint",
            "forcepathstyle",
            "bucket",
            "encrypt",
            "keyid",
            "secure",
            "skipverify",
            "v4auth",
            "chunksize",
            "multipartcopychunksize",
            "multipartcopymaxconcurrency",
            "multipartcopythresholdsize",
            "rootdirectory",
            "storageclass",
            "objectacl",
            "usedualstack",
            "accelerate",
            "loglevel",
        ];
        const { recorded } = await evaluateStack(
            {
                "registry:host": "registry.example.com",
                "registry:email": "ops@example.com",
                "registry:storage": "s3",
                "registry:s3Bucket": "images",
                "registry:s3Region": "eu-west-1",
                "registry:s3RegionEndpoint": "https://minio.example.com:9000",
                "registry:s3ForcePathStyle": "true",
                "registry:s3AccessKey": "AKIAEXAMPLE",
                "registry:s3SecretKey": "S3-Secret-Key-0123456789",
                "registry:s3RootDirectory": "/registry",
            },
            { secretKeys: ["registry:s3SecretKey"] },
        );
        const container = findResource(recorded, CONTAINER, "registry-container");
        expect(isSecretWrapped(container.inputs.uploads)).toBe(true);
        const storage = JSON.parse(unwrap(upload(container, CONTAINER_PATHS.config)) as string).storage;
        expect(storage.s3).toEqual({
            bucket: "images",
            region: "eu-west-1",
            regionendpoint: "https://minio.example.com:9000",
            forcepathstyle: true,
            accesskey: "AKIAEXAMPLE",
            secretkey: "S3-Secret-Key-0123456789",
            rootdirectory: "/registry",
        });
        expect(Object.keys(storage.s3).filter((k) => !DOCUMENTED.includes(k))).toEqual([]);
        expect(storage.filesystem).toBeUndefined();
        expect(recorded.filter((r) => r.type === "docker:index/volume:Volume").map((r) => r.name)).toEqual(["registry-acme-cache"]);
        expect(JSON.stringify(recorded.filter((r) => r !== container))).not.toContain("S3-Secret-Key-0123456789");
    });
});
