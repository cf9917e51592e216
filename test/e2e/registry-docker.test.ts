// The registry as the docker provider runs it, on a real Docker engine (in a private lab): the stack's
// declared container (image, published port, data volume, uploaded config and htpasswd), created the way
// the provider creates it (create, copy the uploads, start), a password rotated in place as the stack does it
// (the engine check's file write, renamed into place with the container's mv), with what clients see meanwhile
// measured, and what an image without a working mv gets; and `npm run registry:gc`
// (scripts/registry-gc.ts) run as users
// run it against it. The image is the distribution v3 binary shaped like the official one
// (test/helpers/registry-image.ts).
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planRetention, RegistryApi } from "../../scripts/registry-prune";
import { request } from "../helpers/http";
import { type DockerEngine, Lab, labSkipReason } from "../helpers/lab";
import { EngineHarness, type Props } from "../helpers/engine";
import { importBinaryImage } from "../helpers/images";
import { engineInputs, findResource, outputValue } from "../helpers/mocks";
import { type ContainerSpec, containerSpec } from "../helpers/real-registry";
import { RegistryClient } from "../helpers/registry-client";
import { importRegistryImage } from "../helpers/registry-image";
import { evaluateStack } from "../helpers/stack";
import { registrySkipReason } from "../helpers/registry-binary";
import { SWARM_CHECK } from "../helpers/swarm-registry-lab";
import { runCheck } from "../../components/check-process";
import { CONTAINER_PATHS } from "../../components/registry/registry-config";
import { skipping } from "../helpers/skip";

const skip = skipping("test/e2e/registry-docker.test.ts", labSkipReason({ dockerd: true }), registrySkipReason());

const IMAGE = "faasreg-test/registry:3";
/** The htpasswd file, a custom resource of the faasreg provider. */
const FILE = "faasreg:registry:ContainerFile";
const NAME = "faasreg-test-registry";
const VOLUME = `${NAME}-data`;
const config = (alice: string) => ({ "registry:tls": "none", "registry:users": JSON.stringify([{ username: "ci" }, { username: "alice", password: alice }]) });

describe.skipIf(skip !== undefined)("the registry container on a real Docker engine: replacement and garbage collection", () => {
    let lab: Lab;
    let docker: DockerEngine;
    let base: string;
    let ci: string;
    let scratch: string;

    /** What the docker provider does for the declared container: create, copy the uploads in, start. */
    const createContainer = (spec: ContainerSpec) => {
        docker.must(["create", "--name", NAME, "-p", "127.0.0.1:5000:5000", "-v", `${VOLUME}:/var/lib/registry`, IMAGE, ...spec.command]);
        const files = mkdtempSync(join(scratch, "uploads-"));
        for (const upload of spec.uploads) {
            const target = join(files, upload.file);
            mkdirSync(dirname(target), { recursive: true });
            writeFileSync(target, upload.content);
            if (upload.permissions) chmodSync(target, Number.parseInt(upload.permissions, 8));
        }
        const tar = spawnSync("tar", ["--numeric-owner", "--owner=0", "--group=0", "-C", files, "-cf", "-", "."]);
        expect(docker.cli(["cp", "-", `${NAME}:/`], tar.stdout).status).toBe(0);
        docker.must(["start", NAME]);
    };
    const declared = async (alice: string) => {
        const stack = await evaluateStack(config(alice));
        return { stack, spec: containerSpec(stack.recorded) };
    };
    /** The engine check's file write, run as ContainerFile runs it (asynchronously: clients polling meanwhile go on). */
    const writeFile = (container: string, content: string) =>
        runCheck<{ exists: boolean; sha256: string; inPlace?: string }>(SWARM_CHECK, {
            connection: { host: docker.host },
            file: { container, path: CONTAINER_PATHS.htpasswd, content, mode: 0o400 },
        });
    const status = async (user: string, password: string) => (await request(`${base}/v2/`, { auth: [user, password] }).catch(() => ({ status: 0 }))).status;
    const volumeBytes = () =>
        Number(execFileSync("du", ["-sb", join(lab.dir, "docker-data", "volumes", VOLUME, "_data")], { encoding: "utf8" }).split("\t")[0]);

    beforeAll(async () => {
        lab = await Lab.start("registry-docker");
        docker = await lab.startDockerd();
        scratch = join(lab.dir, "scratch");
        mkdirSync(scratch);
        importRegistryImage(docker, lab.dir, IMAGE);
        docker.must(["volume", "create", VOLUME]);
        const first = await declared("alice-first-password-0123");
        ci = (await outputValue(first.stack.exports.registryPasswords as pulumi.Output<Record<string, string>>)).ci;
        createContainer(first.spec);
        base = `http://127.0.0.1:${await lab.relay(5000)}`;
        for (let i = 0; i < 100 && (await status("ci", ci)) !== 200; i++) await new Promise((r) => setTimeout(r, 100));
    }, 120_000);
    afterAll(async () => {
        await lab?.stop();
    }, 60_000);

    it("rotates a password in place, as the stack does (the users written into the running container): no request refused, the old one stops working", async () => {
        expect(await status("alice", "alice-first-password-0123")).toBe(200);
        const second = await declared("alice-rotated-password-4567");
        const htpasswd = second.spec.uploads.find((u) => u.file === CONTAINER_PATHS.htpasswd)?.content as string;
        const id = docker.must(["inspect", "-f", "{{.Id}}", NAME]).trim();
        let refused = 0;
        let requests = 0;
        let polling = true;
        const poll = (async () => {
            while (polling) {
                requests++;
                if ((await status("ci", ci)) !== 200) refused++;
                await new Promise((r) => setTimeout(r, 10));
            }
        })();
        await new Promise((r) => setTimeout(r, 300));
        const started = Date.now();
        const write = await writeFile(id, htpasswd);
        if (!("answer" in write)) throw new Error(write.message);
        for (let i = 0; i < 100 && (await status("alice", "alice-rotated-password-4567")) !== 200; i++) await new Promise((r) => setTimeout(r, 20));
        const applied = Date.now() - started;
        await new Promise((r) => setTimeout(r, 300));
        polling = false;
        await poll;
        process.stderr.write(
            `registry-docker: a rotation in place took ${applied} ms; ${refused} of ${requests} requests of the other user refused meanwhile\n`,
        );
        expect(refused).toBe(0);
        expect(await status("alice", "alice-first-password-0123")).toBe(401);
        expect(await status("alice", "alice-rotated-password-4567")).toBe(200);
        expect(write.answer.sha256).toMatch(/^[0-9a-f]{64}$/);
    });

    it("20 rotations in a row under 4 clients that never pause: no request refused (the file is renamed into place, never seen half-written)", async () => {
        // The registry stats the file on every request and re-reads it when its mtime changes: a file written where
        // it is read is, for a moment, missing (the engine's archive endpoint removes it first: 400) or empty (401).
        // The pollers here ask thousands of times a second, so that moment is hit if it exists.
        const passwords = ["alice-rotated-password-4567", "alice-first-password-0123"];
        const files: string[] = [];
        // One evaluation at a time: the mocks are the process's.
        for (const p of passwords) files.push((await declared(p)).spec.uploads.find((u) => u.file === CONTAINER_PATHS.htpasswd)?.content as string);
        const id = docker.must(["inspect", "-f", "{{.Id}}", NAME]).trim();
        const statuses = new Map<number, number>();
        let requests = 0;
        let polling = true;
        const pollers = [1, 2, 3, 4].map(async () => {
            while (polling) {
                requests++;
                const s = await status("ci", ci);
                if (s !== 200) statuses.set(s, (statuses.get(s) ?? 0) + 1);
            }
        });
        const started = Date.now();
        for (let i = 0; i < 20; i++) {
            // Asynchronously: the pollers go on while the file is written.
            // Renamed into place (no inPlace): the image has mv, as the official one has.
            expect(await writeFile(id, files[i % 2])).toEqual({ answer: { exists: true, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) } });
        }
        polling = false;
        await Promise.all(pollers);
        const refused = [...statuses.values()].reduce((a, b) => a + b, 0);
        process.stderr.write(
            `registry-docker: 20 rotations in ${Date.now() - started} ms; ${refused} of ${requests} requests refused meanwhile ${JSON.stringify(Object.fromEntries(statuses))}\n`,
        );
        expect(requests).toBeGreaterThan(500);
        expect(Object.fromEntries(statuses)).toEqual({});
        // The last write (i = 19) put back the first password; no temporary file is left beside the htpasswd.
        expect(await status("alice", passwords[1])).toBe(200);
        expect(
            docker
                .must(["exec", NAME, "ls", "-a", dirname(CONTAINER_PATHS.htpasswd)])
                .split("\n")
                .filter((f) => f.includes("htpasswd")),
        ).toEqual(["htpasswd"]);
    });

    it("an image without mv: the faasreg provider still writes the file (in place), and warns that requests may be refused meanwhile", async () => {
        importBinaryImage(docker, lab.dir, {
            ref: "faasreg-test/no-mv:1",
            files: {},
            texts: { "/etc/distribution/config.yml": "version: 0.1\n" },
            changes: ['CMD ["sleep", "100000"]', "ENV PATH=/bin"],
        });
        const id = docker.must(["run", "-d", "--name", "faasreg-test-no-mv", "faasreg-test/no-mv:1"]).trim();
        const stack = await evaluateStack({ ...config("alice-first-password-0123"), "docker:host": docker.host });
        const inputs: Props = { ...engineInputs(findResource(stack.recorded, FILE, "registry-htpasswd").inputs), container: id };
        const content = String(inputs.content);
        const faasreg = await EngineHarness.start({ host: "faasreg" });
        try {
            const created = await faasreg.withType(`faasreg:registry:PrivateRegistry$${FILE}`).create("registry-htpasswd", inputs);
            expect(created.id).toBe(`${id}:${CONTAINER_PATHS.htpasswd}`);
            expect(faasreg.stderr()).toMatch(
                /warning: \/etc\/distribution\/htpasswd was written in place in the container [0-9a-f]+, not renamed into place \(mv did not start: HTTP 400 .*executable file not found.*\): requests the registry took during the write may have been refused\. Use an image that has mv/,
            );
            // Neither a password nor its bcrypt line in what the provider said.
            expect(faasreg.stderr()).not.toContain("alice-first-password-0123");
            expect(faasreg.stderr()).not.toContain("$2");
        } finally {
            await faasreg.stop();
        }
        expect(docker.must(["exec", "faasreg-test-no-mv", "cat", CONTAINER_PATHS.htpasswd])).toBe(content);
        // The copy beside it holds nothing.
        expect(docker.must(["exec", "faasreg-test-no-mv", "cat", `${dirname(CONTAINER_PATHS.htpasswd)}/.htpasswd.new`])).toBe("");
        docker.must(["rm", "-f", "faasreg-test-no-mv"]);
    }, 60_000);

    it("an mv that does not end: the write fails after 10 s, naming the container, and does not write the file in place", async () => {
        // In place meanwhile, the mv could still rename the copy over it later, once emptied: so no fallback here.
        importBinaryImage(docker, lab.dir, {
            ref: "faasreg-test/slow-mv:1",
            files: {},
            texts: { "/etc/distribution/config.yml": "version: 0.1\n", "/bin/mv": "#!/bin/sh\nexec sleep 30\n" },
            changes: ['CMD ["sleep", "100000"]', "ENV PATH=/bin"],
        });
        const id = docker.must(["run", "-d", "--name", "faasreg-test-slow-mv", "faasreg-test/slow-mv:1"]).trim();
        const write = await writeFile(id, "ci:$2y$04$notarealhashnotarealhashnotarealhashnotarealhashnot\n");
        // Refused (exit 1), not unreachable: the engine answered.
        expect(write).toEqual({
            unreachable: false,
            message: expect.stringMatching(
                /mv -f \/etc\/distribution\/\.htpasswd\.new \/etc\/distribution\/htpasswd still ran after 10 s in the container [0-9a-f]+ on .*: check that the container is healthy, then run pulumi up again/,
            ),
        });
        expect(JSON.stringify(write)).not.toContain("$2y$");
        expect(docker.cli(["exec", "faasreg-test-slow-mv", "cat", CONTAINER_PATHS.htpasswd]).status).not.toBe(0);
        docker.must(["rm", "-f", "faasreg-test-slow-mv"]);
    }, 60_000);

    const gc = (...args: string[]) =>
        spawnSync("npx", ["tsx", join(__dirname, "..", "..", "scripts", "registry-gc.ts"), ...args], {
            encoding: "utf8",
            env: docker.env(),
        });
    const running = () => docker.must(["inspect", "-f", "{{.State.Running}}", NAME]).trim();

    it("registry:gc --help prints its usage and touches nothing; a missing container is named", () => {
        const help = gc("--help");
        expect(help.status).toBe(0);
        expect(help.stdout).toMatch(/^usage: npm run -s registry:gc -- CONTAINER/);
        expect(running()).toBe("true");
        const missing = gc("no-such-registry");
        expect(missing.status).toBe(1);
        expect(missing.stderr).toMatch(/no container no-such-registry on unix:/);
        const unsafe = gc(NAME, "--delete-untagged");
        expect(unsafe.status).toBe(2);
        expect(unsafe.stderr).toMatch(/--delete-untagged deletes every untagged manifest.*--deployed.*--none-deployed/);
    });

    it("registry:gc frees what registry:prune deleted, with the container stopped meanwhile, and starts it again", async () => {
        const client = new RegistryClient(base, ["ci", ci]);
        const images = [];
        for (let i = 1; i <= 4; i++) images.push(await client.pushImage("functions/hello", `src-${i}`));
        const api = new RegistryApi(base, ["ci", ci]);
        const plan = await planRetention(api, { keepNewest: 0, deployed: [`registry/functions/hello:src-4`] });
        expect(plan.delete).toHaveLength(3);
        for (const d of plan.delete) await api.deleteManifest(d.repository, d.digest);
        const before = volumeBytes();
        const run = gc(NAME);
        expect(run.status, run.stderr).toBe(0);
        expect(run.stderr).toMatch(/stopping .*\n.*blobs marked.*\n.*starting/s);
        const after = volumeBytes();
        process.stderr.write(`registry-docker: data volume ${before} bytes before GC, ${after} after\n`);
        expect(after).toBeLessThan(before);
        expect(running()).toBe("true");
        for (let i = 0; i < 100 && (await status("ci", ci)) !== 200; i++) await new Promise((r) => setTimeout(r, 100));
        expect((await client.getManifest("functions/hello", "src-4")).status).toBe(200);
        expect((await client.getBlob("functions/hello", images[3].layerDigest)).status).toBe(200);
        expect((await client.getManifest("functions/hello", "src-1")).status).toBe(404);
    });

    it("registry:gc hung up mid-run (a dropped SSH session's SIGHUP to its process group): the registry is started again, no one-off container is left", async () => {
        const started = Date.now();
        // As a terminal runs it: the script leads a process group of its own, and the hangup goes to that whole group.
        const child = spawn(process.execPath, ["--import", "tsx", join(__dirname, "..", "..", "scripts", "registry-gc.ts"), NAME], {
            cwd: join(__dirname, "..", ".."),
            env: docker.env(),
            detached: true,
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stderr = "";
        let hungUp = false;
        const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
        child.stderr.on("data", (c) => {
            stderr += c;
            // The registry is being stopped: hang up now.
            if (/stopping /.test(stderr) && !hungUp) {
                hungUp = true;
                process.kill(-(child.pid as number), "SIGHUP");
            }
        });
        expect(await exited).toBe(1);
        process.stderr.write(`registry-docker: registry:gc hung up after ${Date.now() - started} ms; it said: ${stderr.trim().split("\n").join(" | ")}\n`);
        expect(stderr).toMatch(/SIGHUP: finishing the step under way, then starting the registry again/);
        expect(stderr).toMatch(/SIGHUP received: stopped before collecting/);
        expect(stderr).toMatch(/starting faasreg-test-registry/);
        expect(running()).toBe("true");
        expect(docker.must(["ps", "-a", "--format", "{{.Names}}"]).trim()).toBe(NAME);
        for (let i = 0; i < 100 && (await status("ci", ci)) !== 200; i++) await new Promise((r) => setTimeout(r, 100));
        expect(await status("ci", ci)).toBe(200);
    });

    it("registry:gc --delete-untagged refuses while a deployed image is untagged, and collects once registry:prune tagged it", async () => {
        const client = new RegistryClient(base, ["ci", ci]);
        const deployedImage = await client.pushImage("functions/moved", "1.0.0", { layer: Buffer.from("first build ".repeat(4000)) });
        await client.pushImage("functions/moved", "1.0.0", { layer: Buffer.from("second build ".repeat(4000)) });
        const deployed = `registry.example.com/functions/moved@${deployedImage.digest}`;

        const refused = gc(NAME, "--delete-untagged", "--deployed", deployed);
        expect(refused.status).toBe(1);
        expect(refused.stderr).toContain(`would delete images that functions run: ${deployed}. Nothing was deleted.`);
        expect(running()).toBe("true");
        for (let i = 0; i < 100 && (await status("ci", ci)) !== 200; i++) await new Promise((r) => setTimeout(r, 100));
        expect((await client.getManifest("functions/moved", deployedImage.digest)).status).toBe(200);

        const api = new RegistryApi(base, ["ci", ci]);
        const plan = await planRetention(api, { keepNewest: 1, deployed: [deployed] });
        for (const p of plan.pin) await api.tagManifest(p.repository, p.digest, p.tag);
        const run = gc(NAME, "--delete-untagged", "--deployed", deployed);
        expect(run.status, run.stderr).toBe(0);
        for (let i = 0; i < 100 && (await status("ci", ci)) !== 200; i++) await new Promise((r) => setTimeout(r, 100));
        expect((await client.getManifest("functions/moved", deployedImage.digest)).status).toBe(200);
        expect((await client.getBlob("functions/moved", deployedImage.layerDigest)).status).toBe(200);
    });
});
