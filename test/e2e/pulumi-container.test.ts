// `pulumi up` twice, for real, in container mode: the real Pulumi CLI, Node.js language host and docker, command
// and random providers (FAASREG_PULUMI_BIN) against a Docker engine of the test's own (a lab: private namespaces,
// nothing on the host's network). The registry image is the distribution v3 binary, pulled by the engine from the
// lab's image source as `registry:3.1.2` is pulled from Docker Hub. Covers what users live in: `pulumi up`, a
// second `up` that changes nothing, `refresh`, `preview --diff` of a password rotation (that change only, no
// secret in it), `up` applying it, and `destroy` leaving only the volume the README promises to keep.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request } from "../helpers/http";
import { ImageSource } from "../helpers/image-source";
import { type DockerEngine, Lab, labSkipReason } from "../helpers/lab";
import { changedResources, expectNoChanges, changeSummary, PulumiStack, pulumiSkipReason, runInLab } from "../helpers/pulumi-cli";
import { registrySkipReason } from "../helpers/registry-binary";
import { importRegistryImage } from "../helpers/registry-image";
import { makeCaSignedCertificate } from "../helpers/tls";
import { skipping } from "../helpers/skip";

const skip = skipping("test/e2e/pulumi-container.test.ts", labSkipReason({ dockerd: true }), registrySkipReason(), pulumiSkipReason());

const HOST = "registry.container.test";
const LAB_ADDRESS = "10.199.0.1";
const ALICE_1 = "alice-first-password-0123";
const ALICE_2 = "alice-rotated-password-4567";
const users = (alice: string) => JSON.stringify([{ username: "ci" }, { username: "alice", password: alice }]);
const SECRET_KEYS = ["registry:users", "registry:certificate", "registry:privateKey"];
const CONTAINER = "faas-registry-ctr-registry";
const SLOW_UPLOAD = join(__dirname, "..", "helpers", "slow-upload.mjs");

describe.skipIf(skip !== undefined)("pulumi up twice, for real: the registry container with a given certificate", () => {
    let lab: Lab;
    let docker: DockerEngine;
    let stack: PulumiStack;
    let ciPassword: string;
    const certificate = makeCaSignedCertificate([HOST]);
    /** Every secret this stack holds: none may appear in any output the CLI prints. */
    const secrets = () => [ALICE_1, ALICE_2, ciPassword, certificate.key.split("\n")[1]].filter(Boolean);
    const expectNoSecret = (out: string) => {
        for (const secret of secrets()) expect(out.includes(secret), "a secret in the CLI's output").toBe(false);
    };
    let httpsPort: number;
    const v2 = async (user: string, password: string) =>
        (await request(`https://127.0.0.1:${httpsPort}/v2/`, { auth: [user, password], ca: certificate.ca, servername: HOST }).catch(() => ({ status: 0 })))
            .status;

    beforeAll(async () => {
        lab = await Lab.start("pulumi-container");
        lab.addHost(LAB_ADDRESS, HOST);
        docker = await lab.startDockerd();
        lab.writeFile(`/etc/docker/certs.d/${HOST}/ca.crt`, certificate.ca);
        writeFileSync(join(lab.dir, "registry-ca.pem"), certificate.ca);
        const source = await ImageSource.start(lab, docker);
        importRegistryImage(docker, lab.dir, "faasreg-test/registry:3");
        const image = source.publish("faasreg-test/registry:3").ref;
        httpsPort = await lab.relay(443, LAB_ADDRESS);
        stack = await PulumiStack.init(
            lab,
            "ctr",
            {
                "registry:tls": "certificate",
                "registry:host": HOST,
                "registry:certificate": `${certificate.cert}${certificate.ca}`,
                "registry:privateKey": certificate.key,
                "registry:users": users(ALICE_1),
                "registry:image": image,
                "docker:host": docker.host,
            },
            SECRET_KEYS,
        );
    }, 120_000);
    afterAll(async () => {
        await lab?.stop();
    }, 60_000);

    it("pulumi up creates the registry, gated on its readiness; docker login, push and pull work", async () => {
        const up = await stack.up();
        expect(up.status, up.out).toBe(0);
        process.stderr.write(`pulumi-container: first pulumi up took ${up.ms} ms\n`);
        ciPassword = await stack.output("registryPassword", true);
        expectNoSecret(up.out);
        expect(up.out).toMatch(/registry ready at https:\/\/registry\.container\.test\/v2\/: 401 without credentials, 200 with them/);
        expect(docker.must(["login", HOST, "-u", "ci", "--password-stdin"], ciPassword)).toMatch(/Login Succeeded/);
        importRegistryImage(docker, lab.dir, `${HOST}/team/app:1`);
        docker.must(["push", `${HOST}/team/app:1`]);
        docker.must(["rmi", `${HOST}/team/app:1`]);
        docker.must(["pull", `${HOST}/team/app:1`]);
        expect(await v2("alice", ALICE_1)).toBe(200);
    }, 300_000);

    it("a second pulumi up changes nothing (--expect-no-changes), and neither does pulumi refresh", async () => {
        const { up: again, refresh } = await expectNoChanges(stack);
        expect(changeSummary(again.out)).toEqual({ unchanged: expect.any(Number) });
        const after = await stack.preview(["--expect-no-changes", "--diff"]);
        expect(after.status, after.out).toBe(0);
        process.stderr.write(`pulumi-container: no-op up ${again.ms} ms, refresh ${refresh.ms} ms, preview ${after.ms} ms\n`);
    }, 300_000);

    it("pulumi preview --diff of a password rotation shows that change only, and no secret", async () => {
        await stack.setConfig({ "registry:users": users(ALICE_2) }, SECRET_KEYS);
        const preview = await stack.preview(["--diff"]);
        expect(preview.status, preview.out).toBe(0);
        expectNoSecret(preview.out);
        // The users are written into the running container (ContainerFile), not uploaded with it: the file and the
        // readiness gate change; the container stays.
        expect(changedResources(await stack.preview(["--json"]))).toEqual(["registry-htpasswd", "registry-ready"]);
    }, 120_000);

    it("pulumi up rotates it in place: no request refused meanwhile, the container is the same, the old password is then refused", async () => {
        const id = docker.must(["inspect", "-f", "{{.Id}}", CONTAINER]).trim();
        let polling = true;
        const seen: number[] = [];
        const poll = (async () => {
            while (polling) {
                seen.push(await v2("ci", ciPassword));
                await new Promise((r) => setTimeout(r, 10));
            }
        })();
        const up = await stack.up();
        polling = false;
        await poll;
        expect(up.status, up.out).toBe(0);
        expectNoSecret(up.out);
        const refused = seen.filter((status) => status !== 200).length;
        process.stderr.write(
            `pulumi-container: a password rotation in place: ${seen.length} requests of the other user during the up, ${refused} refused (up took ${up.ms} ms)\n`,
        );
        expect(seen.length).toBeGreaterThan(50);
        expect(refused).toBe(0);
        expect(docker.must(["inspect", "-f", "{{.Id}}", CONTAINER]).trim()).toBe(id);
        expect(await v2("alice", ALICE_1)).toBe(401);
        expect(await v2("alice", ALICE_2)).toBe(200);
        const again = await stack.up(["--expect-no-changes"]);
        expect(again.status, again.out).toBe(0);
    }, 300_000);

    it("a replaced container drains: a push in flight completes (pulumi up --replace), the users are written into the new one", async () => {
        // A 40 MB blob pushed at 8 MB/s: still in flight when the container is replaced (delete first, stopped
        // with destroyGraceSeconds while the registry drains).
        const push = runInLab(lab, [process.execPath, SLOW_UPLOAD, `https://${HOST}`, "team/big", "ci", "8000000", "40000000"], {
            cwd: lab.dir,
            input: ciPassword,
            env: { PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: join(lab.dir, "registry-ca.pem") },
        });
        await new Promise((r) => setTimeout(r, 1500));
        const urn = "urn:pulumi:ctr::faas-registry::faasreg:registry:PrivateRegistry$docker:index/container:Container::registry-container";
        const up = await stack.up(["--replace", urn]);
        expect(up.status, up.out).toBe(0);
        const pushed = JSON.parse((await push).stdout);
        process.stderr.write(`pulumi-container: a push across the replacement: ${JSON.stringify(pushed)} (up took ${up.ms} ms)\n`);
        expect(pushed.status).toBe(201);
        // Stored on the volume: the new container serves it, to the users written into it.
        const head = await request(`https://127.0.0.1:${httpsPort}/v2/team/big/blobs/${pushed.digest}`, {
            method: "HEAD",
            auth: ["ci", ciPassword],
            ca: certificate.ca,
            servername: HOST,
        });
        expect(head.status).toBe(200);
        // The control: stopped as the provider stopped it without destroyGraceSeconds (a 0 s timeout), the same
        // push is cut.
        const cut = runInLab(lab, [process.execPath, SLOW_UPLOAD, `https://${HOST}`, "team/big", "ci", "8000000", "40000000"], {
            cwd: lab.dir,
            input: ciPassword,
            env: { PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: join(lab.dir, "registry-ca.pem") },
        });
        await new Promise((r) => setTimeout(r, 1500));
        docker.must(["stop", "-t", "0", CONTAINER]);
        expect(JSON.parse((await cut).stdout).status).not.toBe(201);
        docker.must(["start", CONTAINER]);
        // The users written into the container survive its restart (they are in its own file system).
        for (let i = 0; i < 100 && (await v2("alice", ALICE_2)) !== 200; i++) await new Promise((r) => setTimeout(r, 100));
        expect(await v2("alice", ALICE_1)).toBe(401);
        expect(await v2("alice", ALICE_2)).toBe(200);
        docker.must(["rmi", `${HOST}/team/app:1`]);
        docker.must(["pull", `${HOST}/team/app:1`]);
        const again = await stack.up(["--expect-no-changes"]);
        expect(again.status, again.out).toBe(0);
    }, 300_000);

    it("a users file changed behind pulumi's back is drift: refresh sees it, up writes it back", async () => {
        docker.must([
            "exec",
            CONTAINER,
            "sh",
            "-c",
            "echo 'intruder:$2y$05$abcdefghijklmnopqrstuuH4Xo0Q8c4QYF0zZ2B6w7yDq8xPvJ4xe' >> /etc/distribution/htpasswd",
        ]);
        const refresh = await stack.refresh();
        expect(refresh.status, refresh.out).toBe(0);
        expect(changedResources(await stack.preview(["--json"]))).toEqual(["registry-htpasswd", "registry-ready"]);
        const up = await stack.up();
        expect(up.status, up.out).toBe(0);
        expect(docker.must(["exec", CONTAINER, "cat", "/etc/distribution/htpasswd"])).not.toMatch(/intruder/);
        const again = await stack.up(["--expect-no-changes"]);
        expect(again.status, again.out).toBe(0);
    }, 300_000);

    it("a container stopped behind pulumi's back: refresh, then up brings the registry back, and the next up changes nothing", async () => {
        docker.must(["stop", CONTAINER]);
        const refresh = await stack.refresh();
        expect(refresh.status, refresh.out).toBe(0);
        const plan = await stack.preview(["--json"]);
        const steps = (JSON.parse(plan.stdout) as { steps: { op: string; urn: string }[] }).steps.filter((x) => x.op !== "same");
        // resourceDockerContainerRead reads a stopped container's published ports as empty, and ports force a new
        // container: the next up replaces it (on the same volumes) rather than starting it. README, Troubleshooting.
        expect(steps.map((x) => `${x.op} ${x.urn.split("::").pop()}`)).toEqual([
            "replace registry-container",
            "update registry-htpasswd",
            "replace registry-ready",
        ]);
        const up = await stack.up();
        expect(up.status, up.out).toBe(0);
        expect(await v2("alice", ALICE_2)).toBe(200);
        const again = await stack.up(["--expect-no-changes"]);
        expect(again.status, again.out).toBe(0);
    }, 300_000);

    it("keeps every secret out of the state file in plaintext", async () => {
        const state = await stack.exportState();
        expectNoSecret(state);
        expect(state).toContain('"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"');
    });

    it("pulumi destroy removes the container and leaves the data volume (registry:retainData, the default)", async () => {
        const destroy = await stack.destroy();
        expect(destroy.status, destroy.out).toBe(0);
        expect(docker.must(["ps", "-a", "--format", "{{.Names}}"]).trim()).toBe("");
        expect(docker.must(["volume", "ls", "--format", "{{.Name}}"]).trim().split("\n")).toEqual([`${CONTAINER}-data`]);
    }, 300_000);
});
