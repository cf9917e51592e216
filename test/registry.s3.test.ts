// s3 storage on a real S3 server: the real registry (distribution v3, the version deployed) on exactly the
// config the stack renders for `registry:storage s3`, against MinIO (an S3 server used in production; its
// bucket and keys made here). Images pushed land in the bucket under the root directory, are pulled back,
// survive a restart, and the registry's garbage collector, run on the same config file as `npm run
// registry:gc` runs it, frees the objects of a deleted image in the bucket. The secret key stays out of
// every log.
import type * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONTAINER_PATHS } from "../components/registry/registry-config";
import { findResource, outputValue, unwrap } from "./helpers/mocks";
import { type Minio, minioSkipReason, startMinio } from "./helpers/minio";
import { containerSpec, type RunningRegistry, startRealRegistry } from "./helpers/real-registry";
import { registrySkipReason } from "./helpers/registry-binary";
import { RegistryClient } from "./helpers/registry-client";
import { evaluateStack } from "./helpers/stack";
import { skipping } from "./helpers/skip";

const skip = skipping("test/registry.s3.test.ts", registrySkipReason(), minioSkipReason());

const BUCKET = "faasreg-images";
const ROOT = "/registry";

describe.skipIf(skip !== undefined)("s3 storage on a real S3 server (MinIO)", () => {
    let minio: Minio;
    let registry: RunningRegistry;
    let client: RegistryClient;
    let config: string;

    const declare = (extra: Record<string, string> = {}) =>
        evaluateStack(
            {
                "registry:tls": "none",
                "registry:users": JSON.stringify([{ username: "ci" }]),
                "registry:storage": "s3",
                "registry:s3Bucket": BUCKET,
                "registry:s3Region": minio.region,
                "registry:s3RegionEndpoint": minio.endpoint,
                "registry:s3ForcePathStyle": "true",
                "registry:s3AccessKey": minio.accessKey,
                "registry:s3SecretKey": minio.secretKey,
                "registry:s3RootDirectory": ROOT,
                ...extra,
            },
            { secretKeys: ["registry:users", "registry:s3SecretKey"] },
        );

    beforeAll(async () => {
        minio = await startMinio();
        await minio.createBucket(BUCKET);
        const stack = await declare();
        const password = (await outputValue(stack.exports.registryPasswords as pulumi.Output<Record<string, string>>)).ci;
        const container = findResource(stack.recorded, "docker:index/container:Container", "registry-container");
        const spec = containerSpec(stack.recorded);
        config = spec.uploads.find((u) => u.file === CONTAINER_PATHS.config)?.content ?? "";
        // With s3 storage the images live in the bucket: no data volume is declared.
        expect((unwrap(container.inputs.volumes) as unknown[] | undefined) ?? []).toEqual([]);
        registry = await startRealRegistry(spec);
        client = new RegistryClient(`http://127.0.0.1:${registry.port}`, ["ci", password]);
    }, 60_000);
    afterAll(async () => {
        await registry?.stop();
        registry?.remove();
        await minio?.stop();
    });

    it("stores a pushed image in the bucket under the root directory, and serves it back, also after a restart", async () => {
        const pushed = await client.pushImage("team/hello", "1", { layer: Buffer.alloc(256 * 1024, 7) });
        const stored = await minio.objects(BUCKET, ROOT.slice(1));
        expect(stored.keys).toContain(`registry/docker/registry/v2/blobs/sha256/${pushed.layerDigest.slice(7, 9)}/${pushed.layerDigest.slice(7)}/data`);
        expect(stored.keys).toContain("registry/docker/registry/v2/repositories/team/hello/_manifests/tags/1/current/link");
        await registry.restart();
        expect((await client.getManifest("team/hello", "1")).body.toString()).toBe(pushed.manifest);
        const blob = await client.getBlob("team/hello", pushed.layerDigest);
        expect(blob.status).toBe(200);
        expect(blob.body.equals(pushed.layer)).toBe(true);
    });

    it("serves layers itself by default (a client need not reach the store); with registry:s3Redirect, redirects to the store", async () => {
        const pushed = await client.pushImage("team/redirect", "1", { layer: Buffer.alloc(64 * 1024, 3) });
        const direct = await client.getBlob("team/redirect", pushed.layerDigest);
        expect(direct.status).toBe(200);
        // The control, and the opt-in: the same registry rendered with registry:s3Redirect true.
        const stack = await declare({ "registry:s3Redirect": "true" });
        const redirecting = await startRealRegistry(containerSpec(stack.recorded));
        try {
            const other = new RegistryClient(`http://127.0.0.1:${redirecting.port}`, client.auth);
            const answer = await other.getBlob("team/redirect", pushed.layerDigest);
            expect(answer.status).toBe(307);
            const location = String(answer.headers.location);
            expect(location.startsWith(`${minio.endpoint}/${BUCKET}/registry/docker/registry/v2/blobs/`)).toBe(true);
            expect(location).not.toContain(minio.secretKey);
            const fetched = Buffer.from(await (await fetch(location)).arrayBuffer());
            expect(fetched.equals(pushed.layer)).toBe(true);
        } finally {
            await redirecting.stop();
            redirecting.remove();
        }
    });

    it("frees a deleted image's objects in the bucket with the collector on the registry's own config", async () => {
        const gone = await client.pushImage("team/old", "1", { layer: Buffer.alloc(512 * 1024, 9) });
        const before = await minio.objects(BUCKET, ROOT.slice(1));
        const res = await fetch(`http://127.0.0.1:${registry.port}/v2/team/old/manifests/${gone.digest}`, {
            method: "DELETE",
            headers: { authorization: `Basic ${Buffer.from(client.auth.join(":")).toString("base64")}` },
        });
        expect(res.status).toBe(202);
        const output = await registry.garbageCollect({ deleteUntagged: true });
        expect(output).toMatch(/blob eligible for deletion/);
        const after = await minio.objects(BUCKET, ROOT.slice(1));
        process.stderr.write(
            `registry.s3: bucket ${before.bytes} bytes in ${before.keys.length} objects before, ${after.bytes} in ${after.keys.length} after\n`,
        );
        expect(before.bytes - after.bytes).toBeGreaterThanOrEqual(512 * 1024);
        // The layer's data is gone (the repository's 71-byte link to it stays on S3).
        expect(after.keys.filter((k) => k.endsWith(`${gone.layerDigest.slice(7)}/data`))).toEqual([]);
        // The other image is untouched.
        expect((await client.getManifest("team/hello", "1")).status).toBe(200);
    });

    it("keeps the secret key out of the registry's log, and the bucket refuses a wrong key (the key is really used)", async () => {
        expect(registry.logs()).not.toContain(minio.secretKey);
        expect(config).toContain(minio.secretKey); // it travels only inside the config file, a secret upload
        const wrong = await fetch(`${minio.endpoint}/${BUCKET}?list-type=2`);
        expect(wrong.status).toBe(403);
    });
});
