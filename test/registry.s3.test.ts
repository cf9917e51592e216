// s3 storage, run by the real registry (Debian's binary, with distribution's s3-aws driver) on the config the
// stack renders. No S3-compatible server can be installed here (Debian packages none), so the endpoint is an
// HTTP server of the test's that only records what the registry sends and answers as S3 does to a write:
// it proves the rendered config is accepted and drives the driver (bucket, region, endpoint, path style,
// access key), not that a real store would keep the images.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findResource, outputValue } from "./helpers/mocks";
import { containerSpec, type RunningRegistry, startRealRegistry } from "./helpers/real-registry";
import { RegistryClient } from "./helpers/registry-client";
import { evaluateStack } from "./helpers/stack";
import { registrySkipReason } from "./helpers/registry-binary";

/** The registry version the stack deploys (distribution v3): FAASREG_REGISTRY_BIN. */
const skip = registrySkipReason();
if (skip !== undefined) process.stderr.write(`test/registry.s3.test.ts: SKIPPED: ${skip}\n`);

const SECRET_KEY = "S3-Secret-Key-0123456789abcdef";

describe.skipIf(skip !== undefined)("s3 storage on the real registry", () => {
    let endpoint: Server;
    let registry: RunningRegistry;
    const seen: { method: string; url: string; authorization: string; body: string }[] = [];

    beforeAll(async () => {
        endpoint = createServer((req: IncomingMessage, res) => {
            let body = "";
            req.on("data", (d) => {
                body += d;
            });
            req.on("end", () => {
                seen.push({ method: req.method ?? "", url: req.url ?? "", authorization: String(req.headers.authorization ?? ""), body });
                // What S3 answers to a write: a multipart upload's id (the driver's Writer starts one), else an ETag.
                if (req.method === "POST" && /[?&]uploads(=|&|$)/.test(req.url ?? "")) {
                    res.writeHead(200, { "content-type": "application/xml" }).end(
                        '<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult><Bucket>images</Bucket><Key>k</Key><UploadId>upload-1</UploadId></InitiateMultipartUploadResult>',
                    );
                    return;
                }
                res.writeHead(200, { etag: '"0"' }).end();
            });
        });
        await new Promise<void>((resolve) => endpoint.listen(0, "127.0.0.1", () => resolve()));
        const stack = await evaluateStack(
            {
                "registry:tls": "none",
                "registry:users": JSON.stringify([{ username: "ci" }]),
                "registry:storage": "s3",
                "registry:s3Bucket": "images",
                "registry:s3Region": "eu-west-1",
                "registry:s3RegionEndpoint": `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}`,
                "registry:s3ForcePathStyle": "true",
                "registry:s3AccessKey": "AKIAEXAMPLE",
                "registry:s3SecretKey": SECRET_KEY,
                "registry:s3RootDirectory": "/registry",
            },
            { secretKeys: ["registry:users", "registry:s3SecretKey"] },
        );
        const password = (await outputValue(stack.exports.registryPasswords as pulumi.Output<Record<string, string>>)).ci;
        registry = await startRealRegistry(containerSpec(findResource(stack.recorded, "docker:index/container:Container", "registry-container").inputs));
        // A push starts with an upload, which the driver records in the bucket.
        await new RegistryClient(`http://127.0.0.1:${registry.port}`, ["ci", password]).startUpload("team/hello");
    });
    afterAll(async () => {
        await registry?.stop();
        registry?.remove();
        await new Promise((r) => endpoint?.close(r));
    });

    it("writes into the configured bucket, path style, under the root directory, signed with the access key for the region", () => {
        const writes = seen.filter((r) => r.method === "PUT" || r.method === "POST");
        expect(writes.length, JSON.stringify(seen.map((r) => `${r.method} ${r.url}`))).toBeGreaterThan(0);
        for (const write of writes) expect(write.url).toMatch(/^\/images\/registry\/docker\/registry\/v2\/repositories\/team\/hello\/_uploads\//);
        const write = writes[0];
        expect(write?.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE\/\d{8}\/eu-west-1\/s3\/aws4_request/);
        for (const r of seen) expect(`${r.url} ${r.authorization} ${r.body}`).not.toContain(SECRET_KEY);
        expect(registry.logs()).not.toContain(SECRET_KEY);
    });
});
