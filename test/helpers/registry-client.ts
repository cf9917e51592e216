import { createHash } from "node:crypto";
import { type HttpOptions, request } from "./http";

export const MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json";

export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";

export function sha256(data: Buffer | string): string {
    return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

/** Talks the registry's HTTP API v2 as `docker push`/`docker pull` do, with basic auth. */
export class RegistryClient {
    constructor(
        readonly base: string,
        readonly auth: [string, string],
        readonly tls: Pick<HttpOptions, "ca" | "servername"> = {},
    ) {}

    private call(path: string, o: HttpOptions = {}) {
        const url = path.startsWith("http") ? path : `${this.base}${path}`;
        return request(url, { auth: this.auth, ...this.tls, ...o });
    }

    /** Starts a blob upload; returns the absolute upload URL (its _state is signed with the HTTP secret). */
    async startUpload(repo: string): Promise<string> {
        const res = await this.call(`/v2/${repo}/blobs/uploads/`, { method: "POST" });
        if (res.status !== 202) throw new Error(`start upload: ${res.status} ${res.body}`);
        return new URL(String(res.headers.location), this.base).href;
    }

    async patch(location: string, chunk: Buffer, offset: number): Promise<string> {
        const res = await this.call(location, {
            method: "PATCH",
            body: chunk,
            headers: { "content-type": "application/octet-stream", "content-range": `${offset}-${offset + chunk.length - 1}` },
        });
        if (res.status !== 202) throw new Error(`patch: ${res.status} ${res.body}`);
        return new URL(String(res.headers.location), this.base).href;
    }

    async finish(location: string, digest: string, rest?: Buffer): Promise<void> {
        const url = new URL(location);
        url.searchParams.set("digest", digest);
        const res = await this.call(url.href, { method: "PUT", body: rest ?? Buffer.alloc(0), headers: { "content-type": "application/octet-stream" } });
        if (res.status !== 201) throw new Error(`finish upload: ${res.status} ${res.body}`);
    }

    async pushBlob(repo: string, data: Buffer): Promise<string> {
        const digest = sha256(data);
        await this.finish(await this.startUpload(repo), digest, data);
        return digest;
    }

    async pushManifest(repo: string, tag: string, manifest: string, mediaType = MANIFEST_V2): Promise<string> {
        const res = await this.call(`/v2/${repo}/manifests/${tag}`, { method: "PUT", body: manifest, headers: { "content-type": mediaType } });
        if (res.status !== 201) throw new Error(`push manifest: ${res.status} ${res.body}`);
        return String(res.headers["docker-content-digest"]);
    }

    getManifest(repo: string, ref: string) {
        return this.call(`/v2/${repo}/manifests/${ref}`, { headers: { accept: `${MANIFEST_V2}, ${OCI_INDEX}` } });
    }

    getBlob(repo: string, digest: string) {
        return this.call(`/v2/${repo}/blobs/${digest}`);
    }

    /** Pushes a one-layer image (config + layer + schema2 manifest) and returns what was pushed. */
    async pushImage(repo: string, tag: string, options: { layer?: Buffer; created?: string; platform?: string; untagged?: boolean } = {}) {
        const layer = options.layer ?? Buffer.from(`layer of ${repo}:${tag} ${"x".repeat(2048)}`);
        const [os, architecture] = (options.platform ?? "linux/amd64").split("/");
        const config = Buffer.from(JSON.stringify({ architecture, os, created: options.created, rootfs: { type: "layers", diff_ids: [sha256(layer)] } }));
        const configDigest = await this.pushBlob(repo, config);
        const layerDigest = await this.pushBlob(repo, layer);
        const manifest = JSON.stringify({
            schemaVersion: 2,
            mediaType: MANIFEST_V2,
            config: { mediaType: "application/vnd.docker.container.image.v1+json", size: config.length, digest: configDigest },
            layers: [{ mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip", size: layer.length, digest: layerDigest }],
        });
        // Untagged: pushed by its digest, as buildx pushes the platform images of a multi-platform image.
        const digest = await this.pushManifest(repo, options.untagged ? sha256(manifest) : tag, manifest);
        return { manifest, digest, layer, layerDigest };
    }

    /**
     * Pushes a multi-platform image as buildx does: one image per platform, pushed by digest only (untagged),
     * and an OCI index naming them, tagged. Returns the index's digest and each platform image.
     */
    async pushMultiPlatform(
        repo: string,
        tag: string,
        platforms: string[],
        layerSize = 4096,
        /** `created`: the images' creation time; `provenance`: buildx's attestation manifest per image too. */
        options: { created?: string; provenance?: boolean } = {},
    ) {
        const images: { platform: string; digest: string; layerDigest: string; size: number }[] = [];
        for (const platform of platforms) {
            const layer = Buffer.from(`${platform} ${repo}:${tag} `.padEnd(layerSize, "y"));
            const pushed = await this.pushImage(repo, tag, { layer, platform, untagged: true, created: options.created });
            images.push({ platform, digest: pushed.digest, layerDigest: pushed.layerDigest, size: Buffer.byteLength(pushed.manifest) });
        }
        const entries: Record<string, unknown>[] = images.map((i) => {
            const [os, architecture] = i.platform.split("/");
            return { mediaType: MANIFEST_V2, size: i.size, digest: i.digest, platform: { os, architecture } };
        });
        if (options.provenance) {
            // As buildx pushes it: an OCI manifest whose config has no `created`, platform unknown/unknown, annotated.
            for (const image of images) {
                const statement = Buffer.from(JSON.stringify({ _type: "https://in-toto.io/Statement/v0.1", subject: [{ digest: image.digest }] }));
                const config = Buffer.from(
                    JSON.stringify({ architecture: "unknown", os: "unknown", config: {}, rootfs: { type: "layers", diff_ids: [sha256(statement)] } }),
                );
                const configDigest = await this.pushBlob(repo, config);
                const layerDigest = await this.pushBlob(repo, statement);
                const manifest = JSON.stringify({
                    schemaVersion: 2,
                    mediaType: "application/vnd.oci.image.manifest.v1+json",
                    config: { mediaType: "application/vnd.oci.image.config.v1+json", size: config.length, digest: configDigest },
                    layers: [{ mediaType: "application/vnd.in-toto+json", size: statement.length, digest: layerDigest }],
                });
                const digest = await this.pushManifest(repo, sha256(manifest), manifest, "application/vnd.oci.image.manifest.v1+json");
                entries.push({
                    mediaType: "application/vnd.oci.image.manifest.v1+json",
                    size: Buffer.byteLength(manifest),
                    digest,
                    platform: { os: "unknown", architecture: "unknown" },
                    annotations: { "vnd.docker.reference.digest": image.digest, "vnd.docker.reference.type": "attestation-manifest" },
                });
            }
        }
        const index = JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: entries });
        const digest = await this.pushManifest(repo, tag, index, OCI_INDEX);
        return { digest, images };
    }
}
