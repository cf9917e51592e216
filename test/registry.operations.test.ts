// Operating the registry for months, on the real registry (Debian's docker-registry running the stack's
// declared container spec): password rotation and what clients see during it, retention and garbage
// collection (bytes on disk before and after, every kept image still pullable), backup and restore of the
// data volume; nothing a function runs is ever collected, on v3 and on 2.8. The docker commands around them
// (stop/start, the one-off collector) are scripts/registry-gc.ts, run against a real engine in
// test/e2e/registry-docker.test.ts; here the registry binary runs directly on the same files.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONTAINER_PATHS } from "../components/registry/registry-config";
import { deployedAtRisk, distributionMajor, eligibleManifests, type GcOptions, refusal } from "../scripts/registry-gc";
import { pinTag, planRetention, RegistryApi } from "../scripts/registry-prune";
import { request } from "./helpers/http";
import { findResource, outputValue } from "./helpers/mocks";
import { containerSpec, type RunningRegistry, startRealRegistry } from "./helpers/real-registry";
import { RegistryClient, sha256 } from "./helpers/registry-client";
import { evaluateStack } from "./helpers/stack";
import { type RegistryVersion, registryBinary, registrySkipReason } from "./helpers/registry-binary";
import { skipping } from "./helpers/skip";

/** The registry version the stack deploys (distribution v3): FAASREG_REGISTRY_BIN. */
const skip = skipping("test/registry.operations.test.ts", registrySkipReason());

const ALICE_1 = "alice-first-password-0123";
const ALICE_2 = "alice-rotated-password-4567";
const config = (alice: string) => ({
    "registry:tls": "none",
    "registry:users": JSON.stringify([{ username: "ci" }, { username: "alice", password: alice }]),
});
const declared = async (alice: string) => {
    const stack = await evaluateStack(config(alice));
    return { stack, spec: containerSpec(stack.recorded) };
};
const du = (dir: string) => Number(execFileSync("du", ["-sb", dir], { encoding: "utf8" }).split("\t")[0]);

describe.skipIf(skip !== undefined)("rotating passwords on the real registry", () => {
    let registry: RunningRegistry;
    let ci: string;
    const status = async (user: string, password: string) => (await request(`http://127.0.0.1:${registry.port}/v2/`, { auth: [user, password] })).status;

    beforeAll(async () => {
        const first = await declared(ALICE_1);
        ci = (await outputValue(first.stack.exports.registryPasswords as pulumi.Output<Record<string, string>>)).ci;
        registry = await startRealRegistry(first.spec);
    });
    afterAll(async () => {
        await registry?.stop();
        registry?.remove();
    });

    it("a configured user's: one htpasswd line changes, rewritten in place; distribution v3 re-reads it: no request refused, the old password stops working", async () => {
        const first = await declared(ALICE_1);
        const second = await declared(ALICE_2);
        const htpasswd = (spec: typeof first.spec) => spec.uploads.find((u) => u.file === CONTAINER_PATHS.htpasswd)?.content ?? "";
        const [a, b] = [htpasswd(first.spec).split("\n"), htpasswd(second.spec).split("\n")];
        expect(a.filter((line, i) => line !== b[i]).map((l) => l.split(":")[0])).toEqual(["alice"]);
        expect(await status("alice", ALICE_1)).toBe(200);
        // What clients see while the file is rewritten (as ContainerFile writes it into the container): the other
        // user's requests, every 10 ms.
        let refused = 0;
        let requests = 0;
        let polling = true;
        const poll = (async () => {
            while (polling) {
                requests++;
                if ((await status("ci", ci).catch(() => 0)) !== 200) refused++;
                await new Promise((r) => setTimeout(r, 10));
            }
        })();
        await new Promise((r) => setTimeout(r, 200));
        // Atomically, as the engine's archive extraction does (a new file renamed over the old one).
        const path = registry.pathOf(CONTAINER_PATHS.htpasswd);
        writeFileSync(`${path}.new`, htpasswd(second.spec), { mode: 0o400 });
        renameSync(`${path}.new`, path);
        for (let i = 0; i < 50 && (await status("alice", ALICE_2)) !== 200; i++) await new Promise((r) => setTimeout(r, 20));
        await new Promise((r) => setTimeout(r, 200));
        polling = false;
        await poll;
        expect(await status("alice", ALICE_1)).toBe(401);
        expect(await status("alice", ALICE_2)).toBe(200);
        expect(await status("ci", ci)).toBe(200);
        process.stderr.write(`registry.operations: a rotation in place: ${refused} of ${requests} requests refused\n`);
        expect(refused).toBe(0);
    });

    it("a generated user's: its RandomPassword's URN is what `pulumi up --replace` takes", async () => {
        const { stack } = await declared(ALICE_1);
        const random = findResource(stack.recorded, "random:index/randomPassword:RandomPassword", "registry-password-ci");
        expect(random.parent).toBe("urn:pulumi:test::faas-registry::faasreg:registry:PrivateRegistry::registry");
        // The README gives this URN, with the stack's name for "test".
        const urn = "urn:pulumi:test::faas-registry::faasreg:registry:PrivateRegistry$random:index/randomPassword:RandomPassword::registry-password-ci";
        expect(`urn:pulumi:test::faas-registry::faasreg:registry:PrivateRegistry$${random.type}::${random.name}`).toBe(urn);
    });

    it("the HTTP secret's: uploads in flight across the replacement fail, finished images stay", async () => {
        const client = new RegistryClient(`http://127.0.0.1:${registry.port}`, ["ci", ci]);
        const pushed = await client.pushImage("team/kept", "1");
        const upload = await client.startUpload("team/inflight");
        const { spec } = await declared(ALICE_2);
        const rotated = {
            ...spec,
            uploads: spec.uploads.map((u) =>
                u.file === CONTAINER_PATHS.config
                    ? {
                          ...u,
                          content: JSON.stringify({
                              ...JSON.parse(u.content),
                              http: { ...JSON.parse(u.content).http, secret: "a-new-http-secret-0123456789" },
                          }),
                      }
                    : u,
            ),
        };
        await registry.replaceSpec(rotated);
        await expect(client.patch(upload, Buffer.from("more"), 0)).rejects.toThrow(/patch: (400|404)/);
        expect((await client.getManifest("team/kept", "1")).status).toBe(200);
        expect((await client.getBlob("team/kept", pushed.layerDigest)).status).toBe(200);
    });
});

describe.skipIf(skip !== undefined)("disk: retention, then garbage collection, on the real registry", () => {
    let registry: RunningRegistry;
    let ci: string;
    let client: RegistryClient;
    const pushed = new Map<string, { digest: string; layerDigest: string }>();

    /** A one-layer image of `size` random bytes, created at `day` (its config's `created`). */
    const push = async (repository: string, tag: string, day: number, size = 256 * 1024) => {
        const layer = Buffer.from(spawnSync("head", ["-c", String(size), "/dev/urandom"]).stdout);
        const image = await client.pushImage(repository, tag, { layer, created: new Date(Date.UTC(2026, 0, day)).toISOString() });
        pushed.set(`${repository}:${tag}`, image);
    };
    const pullable = async (repository: string, tag: string) => {
        const image = pushed.get(`${repository}:${tag}`) as { digest: string; layerDigest: string };
        return (await client.getManifest(repository, image.digest)).status === 200 && (await client.getBlob(repository, image.layerDigest)).status === 200;
    };

    beforeAll(async () => {
        const first = await declared(ALICE_1);
        ci = (await outputValue(first.stack.exports.registryPasswords as pulumi.Output<Record<string, string>>)).ci;
        registry = await startRealRegistry(first.spec);
        client = new RegistryClient(`http://127.0.0.1:${registry.port}`, ["ci", ci]);
        for (let day = 1; day <= 6; day++) await push("functions/hello", `src-${day}`, day);
        await push("functions/other", "src-1", 1);
    });
    afterAll(async () => {
        await registry?.stop();
        registry?.remove();
    });

    it("keeps what deployed functions use and the newest N per repository, deletes the rest, and GC frees their bytes", async () => {
        const api = new RegistryApi(`http://127.0.0.1:${registry.port}`, ["ci", ci]);
        // A function runs src-2, by digest (as a built function does).
        const deployed = [`127.0.0.1:${registry.port}/functions/hello@${pushed.get("functions/hello:src-2")?.digest}`];
        const plan = await planRetention(api, { keepNewest: 2, deployed });
        expect(plan.keep.map((k) => `${k.repository}:${k.tag}`).sort()).toEqual([
            "functions/hello:src-2",
            "functions/hello:src-5",
            "functions/hello:src-6",
            "functions/other:src-1",
        ]);
        expect(plan.delete.flatMap((d) => d.tags).sort()).toEqual(["src-1", "src-3", "src-4"]);
        const data = registry.pathOf(CONTAINER_PATHS.data);
        const before = du(data);
        for (const d of plan.delete) await api.deleteManifest(d.repository, d.digest);
        const collected = await registry.garbageCollect();
        expect(collected).toMatch(/blob eligible for deletion|Deleting blob/);
        const after = du(data);
        process.stderr.write(`registry.operations: data volume ${before} bytes before, ${after} bytes after retention + GC\n`);
        // Three 256 KiB layers (and their configs) are gone.
        expect(before - after).toBeGreaterThan(3 * 256 * 1024);
        for (const kept of plan.keep) expect(await pullable(kept.repository, kept.tag), `${kept.repository}:${kept.tag}`).toBe(true);
        for (const tag of ["src-1", "src-3", "src-4"]) expect((await client.getManifest("functions/hello", tag)).status).toBe(404);
    });

    it("keeps the newest N by creation time when tags are OCI indexes (buildx with provenance, multi-platform)", async () => {
        // Seven builds, one day apart, tagged by content hash (as the stack tags built functions): the tags' order is
        // not their age. Each an index of an amd64 and an arm64 image, with buildx's attestation manifests.
        const tags = Array.from({ length: 7 }, (_, i) => `src-${sha256(`build ${i + 1}`).slice(7, 23)}`);
        for (const [i, tag] of tags.entries()) {
            await client.pushMultiPlatform("functions/indexed", tag, ["linux/amd64", "linux/arm64"], 1024, {
                created: new Date(Date.UTC(2026, 1, i + 1)).toISOString(),
                provenance: true,
            });
        }
        expect([...tags].sort().reverse().slice(0, 3)).not.toEqual(tags.slice(4).reverse());
        const api = new RegistryApi(`http://127.0.0.1:${registry.port}`, ["ci", ci]);
        const plan = await planRetention(api, { keepNewest: 3, deployed: [] });
        const mine = (list: { repository: string; tag?: string; tags?: string[] }[]) =>
            list.filter((e) => e.repository === "functions/indexed").flatMap((e) => e.tags ?? [e.tag as string]);
        expect(mine(plan.keep).sort()).toEqual(tags.slice(4).sort());
        expect(mine(plan.delete).sort()).toEqual(tags.slice(0, 4).sort());
        expect(plan.keep.filter((k) => k.repository === "functions/indexed").every((k) => k.created > 0)).toBe(true);
    });

    it("backs up the data volume and restores it into a new one that serves the same images", async () => {
        const dir = mkdtempSync(join(tmpdir(), "faasreg-backup-"));
        try {
            // As README's `docker run --rm -v VOLUME:/var/lib/registry -v $PWD:/backup ... tar czf` does.
            const archive = join(dir, "registry-data.tgz");
            execFileSync("tar", ["czf", archive, "-C", registry.pathOf(CONTAINER_PATHS.data), "."]);
            const { spec } = await declared(ALICE_1);
            const restored = await startRealRegistry(spec);
            try {
                await restored.stop();
                execFileSync("tar", ["xzf", archive, "-C", restored.pathOf(CONTAINER_PATHS.data)]);
                await restored.restart();
                const other = new RegistryClient(`http://127.0.0.1:${restored.port}`, ["ci", ci]);
                for (const tag of ["src-2", "src-5", "src-6"]) {
                    const image = pushed.get(`functions/hello:${tag}`) as { digest: string; layerDigest: string };
                    expect((await other.getManifest("functions/hello", tag)).status).toBe(200);
                    expect((await other.getBlob("functions/hello", image.layerDigest)).status).toBe(200);
                }
            } finally {
                await restored.stop();
                restored.remove();
            }
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
});

// A function deployed by digest (as the README recommends) whose tag has since moved runs an untagged image.
// Before this was fixed, registry:prune never listed it and `garbage-collect --delete-untagged` deleted it.
for (const version of ["v3", "2.8"] as RegistryVersion[]) {
    const why = registrySkipReason(version);
    describe.skipIf(why !== undefined)(`nothing a function runs is collected (distribution ${version})`, () => {
        let registry: RunningRegistry;
        let client: RegistryClient;
        let api: RegistryApi;
        const host = "registry.example.com";

        beforeAll(async () => {
            const first = await declared(ALICE_1);
            const ci = (await outputValue(first.stack.exports.registryPasswords as pulumi.Output<Record<string, string>>)).ci;
            registry = await startRealRegistry(first.spec, { version });
            client = new RegistryClient(`http://127.0.0.1:${registry.port}`, ["ci", ci]);
            api = new RegistryApi(`http://127.0.0.1:${registry.port}`, ["ci", ci]);
        });
        afterAll(async () => {
            await registry?.stop();
            registry?.remove();
        });

        it("keeps a deployed digest whose tag moved through prune (it is tagged) and --delete-untagged collection", async () => {
            const deployedImage = await client.pushImage("team/hello", "1.0.0", { layer: Buffer.from(`first build ${version}`.repeat(1000)) });
            const rebuilt = await client.pushImage("team/hello", "1.0.0", { layer: Buffer.from(`second build ${version}`.repeat(1000)) });
            const deployed = [`${host}/team/hello@${deployedImage.digest}`];

            // Without the tag, the real collector's dry run lists the deployed image, and the guard sees it.
            const dry = await registry.garbageCollect({ deleteUntagged: true, dryRun: true });
            expect(eligibleManifests(dry)).toContainEqual({ repository: "team/hello", digest: deployedImage.digest });
            expect(deployedAtRisk(dry, deployed)).toEqual(deployed);

            const plan = await planRetention(api, { keepNewest: 0, deployed });
            expect(plan.pin).toEqual([{ repository: "team/hello", digest: deployedImage.digest, tag: pinTag(deployedImage.digest) }]);
            expect(plan.delete).toEqual([{ repository: "team/hello", digest: rebuilt.digest, tags: ["1.0.0"] }]);
            for (const p of plan.pin) await api.tagManifest(p.repository, p.digest, p.tag);
            for (const d of plan.delete) await api.deleteManifest(d.repository, d.digest);

            const before = du(registry.pathOf(CONTAINER_PATHS.data));
            const started = Date.now();
            const output = await registry.garbageCollect({ deleteUntagged: true });
            const took = Date.now() - started;
            expect(deployedAtRisk(output, deployed)).toEqual([]);
            const after = du(registry.pathOf(CONTAINER_PATHS.data));
            process.stderr.write(
                `registry.operations (${version}): prune + collection freed ${before - after} bytes in ${took} ms; the deployed digest kept\n`,
            );
            expect((await client.getManifest("team/hello", deployedImage.digest)).status).toBe(200);
            expect((await client.getBlob("team/hello", deployedImage.layerDigest)).status).toBe(200);
            expect((await client.getManifest("team/hello", rebuilt.digest)).status).toBe(404);
            expect(before - after).toBeGreaterThan(10_000);
        });

        it(
            version === "v3"
                ? "keeps a multi-platform image's untagged platform images (v3)"
                : "deletes a multi-platform image's platform images (2.x): registry:gc refuses --delete-untagged",
            async () => {
                const multi = await client.pushMultiPlatform("team/multi", "1", ["linux/amd64", "linux/arm64"], 64 * 1024);
                const output = await registry.garbageCollect({ deleteUntagged: true });
                const statuses = await Promise.all(multi.images.map(async (i) => (await client.getManifest("team/multi", i.digest)).status));
                const major = distributionMajor(spawnSync(registryBinary(version), ["--version"], { encoding: "utf8" }).stdout);
                const options: GcOptions = { container: "c", dryRun: false, deleteUntagged: true, deployed: [] };
                process.stderr.write(`registry.operations (${version}): after --delete-untagged, the index's platform images answer ${statuses.join(", ")}\n`);
                if (version === "v3") {
                    expect(major).toBe(3);
                    expect(statuses).toEqual([200, 200]);
                    expect(eligibleManifests(output).filter((e) => e.repository === "team/multi")).toEqual([]);
                    expect(refusal({}, major, options)).toBeUndefined();
                } else {
                    expect(major).toBe(2);
                    expect(statuses).toEqual([404, 404]);
                    expect(eligibleManifests(output).map((e) => e.digest)).toEqual(expect.arrayContaining(multi.images.map((i) => i.digest)));
                    expect(refusal({}, major, options)).toMatch(/distribution 2\.x.*multi-platform.*#3178/);
                    expect(refusal({}, major, { ...options, deleteUntagged: false })).toBeUndefined();
                }
            },
        );
    });
}
