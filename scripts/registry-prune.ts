// npm run -s registry:prune -- --url https://registry.example.com [--keep 5] [--deployed IMAGE ...] [--apply]
// Reads the registry login as JSON on stdin ({username, password}, e.g. `pulumi stack output
// registryCredentials --show-secrets --json`), never from the command line.
//
// Retention for function images, which pile up (every build is a new tag): in each repository it keeps the
// tags whose image a deployed function uses (by tag or by digest) and the newest N others (by the image's
// `created` time), and deletes the manifests of the rest through the registry's API. Without --apply it
// only prints the plan. Deleting manifests frees nothing by itself: `npm run registry:gc` then runs the
// registry's garbage collector with the registry stopped (see README, "Disk"). A function deployed by digest
// whose tag has moved since runs an untagged image: it is kept, and --apply tags it (`deployed-<digest>`) so
// that the collector's --delete-untagged keeps it too.

export interface TagInfo {
    repository: string;
    tag: string;
    digest: string;
    /** The image's creation time (its config's `created`), 0 when it has none. */
    created: number;
}

export interface RetentionPlan {
    keep: TagInfo[];
    /** Manifests to delete: every tag pointing at them is unkept. */
    delete: { repository: string; digest: string; tags: string[] }[];
    /**
     * Images functions run by digest that no tag points at any more (the tag moved since the deploy). They
     * are kept, and `--apply` tags them (`pinTag`) so that `garbage-collect --delete-untagged` keeps them too.
     */
    pin: { repository: string; digest: string; tag: string }[];
}

/** An image manifest (a config) or an index (manifests, each with its platform). */
interface ManifestOrIndex {
    config?: { digest: string };
    manifests?: { digest: string; platform?: { os?: string; architecture?: string }; annotations?: Record<string, string> }[];
}

const MANIFEST_TYPES = [
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
].join(", ");

/** The registry's HTTP API with basic auth (a private CA: NODE_EXTRA_CA_CERTS). */
export class RegistryApi {
    private readonly authorization: string;
    constructor(
        readonly base: string,
        auth: [string, string],
    ) {
        this.authorization = `Basic ${Buffer.from(`${auth[0]}:${auth[1]}`).toString("base64")}`;
    }

    async json<T>(path: string, accept = "application/json"): Promise<{ body: T; digest?: string; next?: string }> {
        const res = await fetch(`${this.base}${path}`, { headers: { accept, authorization: this.authorization } });
        const text = await res.text();
        if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${text.slice(0, 200)}`);
        // Paginated lists name the next page in a Link header: </v2/_catalog?last=x&n=100>; rel="next".
        const next = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get("link") ?? "")?.[1];
        return { body: JSON.parse(text) as T, digest: res.headers.get("docker-content-digest") ?? undefined, next };
    }

    async repositories(): Promise<string[]> {
        const all: string[] = [];
        for (let page: string | undefined = "/v2/_catalog?n=100"; page !== undefined;) {
            const reply: { body: { repositories?: string[] }; next?: string } = await this.json<{ repositories?: string[] }>(page);
            all.push(...(reply.body.repositories ?? []));
            page = reply.next;
        }
        return all;
    }

    async tags(repository: string): Promise<string[]> {
        return (await this.json<{ tags: string[] | null }>(`/v2/${repository}/tags/list`)).body.tags ?? [];
    }

    async tagInfo(repository: string, tag: string): Promise<TagInfo> {
        const manifest = await this.json<ManifestOrIndex>(`/v2/${repository}/manifests/${tag}`, MANIFEST_TYPES);
        return { repository, tag, digest: manifest.digest ?? "", created: await this.created(repository, manifest.body) };
    }

    /**
     * The image's creation time: its config's `created`. An index (a multi-platform image, buildx's output with
     * provenance, the containerd image store's push) has no config: its first platform image's is read instead,
     * skipping attestation manifests (platform unknown/unknown), whose configs have no `created`. 0 when none says.
     */
    private async created(repository: string, manifest: ManifestOrIndex, depth = 0): Promise<number> {
        if (manifest.config !== undefined) {
            const config = await this.json<{ created?: string }>(`/v2/${repository}/blobs/${manifest.config.digest}`);
            return config.body.created ? Date.parse(config.body.created) || 0 : 0;
        }
        const image = manifest.manifests?.find(
            (m) =>
                m.annotations?.["vnd.docker.reference.type"] !== "attestation-manifest" &&
                m.platform?.os !== "unknown" &&
                m.platform?.architecture !== "unknown",
        );
        if (image === undefined || depth > 0) return 0;
        return this.created(repository, (await this.json<ManifestOrIndex>(`/v2/${repository}/manifests/${image.digest}`, MANIFEST_TYPES)).body, depth + 1);
    }

    /** Tags the manifest `digest` as `tag` (the same bytes, so the same digest). */
    async tagManifest(repository: string, digest: string, tag: string): Promise<void> {
        const res = await fetch(`${this.base}/v2/${repository}/manifests/${digest}`, {
            headers: { accept: MANIFEST_TYPES, authorization: this.authorization },
        });
        const body = Buffer.from(await res.arrayBuffer());
        if (res.status === 404)
            throw new Error(`${repository}@${digest} is deployed but not in the registry: the function's next pull will fail; push it again`);
        if (res.status !== 200) throw new Error(`GET ${repository}@${digest} answered ${res.status}: ${body.toString().slice(0, 200)}`);
        const put = await fetch(`${this.base}/v2/${repository}/manifests/${tag}`, {
            method: "PUT",
            body,
            headers: { "content-type": res.headers.get("content-type") ?? "application/vnd.oci.image.manifest.v1+json", authorization: this.authorization },
        });
        if (put.status !== 201) throw new Error(`PUT ${repository}:${tag} answered ${put.status}: ${(await put.text()).slice(0, 200)}`);
    }

    async deleteManifest(repository: string, digest: string): Promise<void> {
        const res = await fetch(`${this.base}/v2/${repository}/manifests/${digest}`, { method: "DELETE", headers: { authorization: this.authorization } });
        if (res.status !== 202 && res.status !== 404)
            throw new Error(`DELETE ${repository}@${digest} answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
    }
}

/** The repository and tag or digest of an image as a function deploys it: host/repo:tag or host/repo@sha256:... */
export function imageReference(image: string): { repository: string; tag?: string; digest?: string } {
    const path = image.replace(/^[^/]+\//, "");
    const at = path.indexOf("@");
    if (at >= 0) return { repository: path.slice(0, at).replace(/:[^/]*$/, ""), digest: path.slice(at + 1) };
    const colon = path.lastIndexOf(":");
    return colon > path.lastIndexOf("/") ? { repository: path.slice(0, colon), tag: path.slice(colon + 1) } : { repository: path, tag: "latest" };
}

/** Whether `image` (as a function deploys it) is this tag, or this tag's image by digest. */
function isDeployed(info: TagInfo, deployed: readonly string[]): boolean {
    return deployed.some((image) => {
        const ref = imageReference(image);
        if (ref.repository !== info.repository) return false;
        return ref.digest !== undefined ? ref.digest === info.digest : ref.tag === info.tag;
    });
}

/** The tag that keeps a deployed, untagged image through `garbage-collect --delete-untagged`. */
export function pinTag(digest: string): string {
    return `deployed-${digest.replace(/^sha256:/, "").slice(0, 12)}`;
}

/** What to keep and what to delete; nothing is changed. */
export async function planRetention(api: RegistryApi, options: { keepNewest: number; deployed: readonly string[] }): Promise<RetentionPlan> {
    const keep: TagInfo[] = [];
    const unkept: TagInfo[] = [];
    for (const repository of await api.repositories()) {
        const infos = await Promise.all((await api.tags(repository)).map((tag) => api.tagInfo(repository, tag)));
        const newest = [...infos].sort((a, b) => b.created - a.created || (a.tag < b.tag ? 1 : -1)).slice(0, options.keepNewest);
        for (const info of infos) (newest.includes(info) || isDeployed(info, options.deployed) ? keep : unkept).push(info);
    }
    // A manifest goes only when no kept tag points at it.
    const keptDigests = new Set(keep.map((k) => `${k.repository}@${k.digest}`));
    const byDigest = new Map<string, { repository: string; digest: string; tags: string[] }>();
    for (const info of unkept) {
        const key = `${info.repository}@${info.digest}`;
        if (keptDigests.has(key)) continue;
        const entry = byDigest.get(key) ?? { repository: info.repository, digest: info.digest, tags: [] };
        entry.tags.push(info.tag);
        byDigest.set(key, entry);
    }
    const tagged = new Set([...keep, ...unkept].map((i) => `${i.repository}@${i.digest}`));
    const pin = new Map<string, { repository: string; digest: string; tag: string }>();
    for (const image of options.deployed) {
        const ref = imageReference(image);
        if (ref.digest === undefined || tagged.has(`${ref.repository}@${ref.digest}`)) continue;
        pin.set(`${ref.repository}@${ref.digest}`, { repository: ref.repository, digest: ref.digest, tag: pinTag(ref.digest) });
    }
    return { keep, delete: [...byDigest.values()], pin: [...pin.values()] };
}

async function main(): Promise<void> {
    const args = process.argv.slice(2);
    const usage = "usage: npm run -s registry:prune -- --url https://REGISTRY [--keep N] [--deployed IMAGE ...] [--apply] < credentials.json\n";
    if (args.includes("--help") || args.includes("-h")) {
        process.stdout.write(usage);
        return;
    }
    const value = (flag: string) => {
        const i = args.indexOf(flag);
        return i >= 0 ? args[i + 1] : undefined;
    };
    const url = value("--url");
    const keepNewest = Number(value("--keep") ?? 5);
    const deployed = args.flatMap((a, i) => (args[i - 1] === "--deployed" ? [a] : []));
    if (url === undefined || !Number.isInteger(keepNewest) || keepNewest < 0) {
        process.stderr.write(usage);
        process.exit(2);
    }
    let input = "";
    for await (const chunk of process.stdin) input += chunk;
    const { username, password } = JSON.parse(input) as { username: string; password: string };
    const api = new RegistryApi(url.replace(/\/+$/, ""), [username, password]);
    const plan = await planRetention(api, { keepNewest, deployed });
    for (const k of plan.keep) process.stdout.write(`keep    ${k.repository}:${k.tag}\n`);
    for (const p of plan.pin) process.stdout.write(`keep    ${p.repository}@${p.digest} (deployed, untagged: tag it ${p.tag})\n`);
    for (const d of plan.delete) process.stdout.write(`delete  ${d.repository}@${d.digest} (${d.tags.join(", ")})\n`);
    if (!args.includes("--apply")) {
        process.stdout.write("dry run: nothing deleted (add --apply)\n");
        return;
    }
    for (const p of plan.pin) await api.tagManifest(p.repository, p.digest, p.tag);
    for (const d of plan.delete) await api.deleteManifest(d.repository, d.digest);
    process.stdout.write(
        `tagged ${plan.pin.length} deployed image(s), deleted ${plan.delete.length} manifest(s); now free the space: npm run registry:gc (README, "Disk")\n`,
    );
}

if (require.main === module) {
    main().catch((error) => {
        process.stderr.write(`registry:prune: ${(error as Error).message}\n`);
        process.exit(1);
    });
}
