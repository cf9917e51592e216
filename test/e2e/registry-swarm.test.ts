// registry:mode swarm, for real: a Swarm manager of the test's own (dockerd in a private namespace), the
// stack evaluated with mode swarm, its recorded network, Swarm config, secrets, volume and services created
// on the engine through the docker provider's translation, then real traffic through the ONE front (Caddy
// from Debian's package) to 3 registry replicas (Debian's distribution 2.8 binary) sharing a volume, one
// HTTP secret and Redis (Debian's redis-server): login/push/pull, a chunked upload whose chunks land on
// different replicas (and the control with a secret per replica), 30 pulls during a rolling update and 30
// during scale 3 -> 1 -> 3 with a killed replica, Let's Encrypt through the front with pebble, and the
// Swarm gate refusing an engine that is not a manager.
// What the 2.8 binary proves for the 3.x image: the shared upload state (http.secret), draining
// (http.draintimeout), the Redis blob-descriptor cache (2.8 reads `redis.addr`, 3.x `redis.addrs`: both are
// rendered, each ignores the other's key), htpasswd and the health endpoint.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request } from "../helpers/http";
import { DockerEngine, Lab, waitFor } from "../helpers/lab";
import {
    type Deployed,
    CHUNKED_UPLOAD,
    LAB_ADDRESS,
    runSwarmGate,
    SECRET_KEYS,
    sleep,
    SwarmRegistryLab,
    swarmLabSkipReason,
} from "../helpers/swarm-registry-lab";
import { forceUpdate, type Json, setReplicas, updateService, waitConverged } from "../helpers/swarm-engine";
import { EngineHarness, engineMessage } from "../helpers/engine";
import { engineInputs, findResource } from "../helpers/mocks";
import { evaluateStack } from "../helpers/stack";
import { makeCaSignedCertificate, makeMutualTls } from "../helpers/tls";
import { IMAGE_SOURCE, ImageSource } from "../helpers/image-source";
import { importRegistryImage } from "../helpers/registry-image";
import { skipping } from "../helpers/skip";

const skip = skipping("test/e2e/registry-swarm.test.ts", swarmLabSkipReason());

const HOST = "registry.swarm.test";
const SERVICE = "faas-registry-test-registry";

describe.skipIf(skip !== undefined)("registry:mode swarm on a real Swarm: 3 replicas behind one Caddy front", () => {
    let swarm: SwarmRegistryLab;
    let deployed: Deployed;
    let image: string;
    const certificate = makeCaSignedCertificate([HOST]);

    /** Which registry containers logged a request for this upload. */
    const replicasThatServed = (uuid: string) => swarm.containersOf(SERVICE).filter((id) => swarm.docker.cli(["logs", id]).out.includes(uuid)).length;
    const chunkedUpload = (repo: string, chunks = 6) => {
        const r = swarm.lab.exec(
            [
                "env",
                `NODE_EXTRA_CA_CERTS=${join(swarm.lab.dir, "ca.pem")}`,
                process.execPath,
                CHUNKED_UPLOAD,
                `https://${HOST}`,
                "ci",
                repo,
                "20000000",
                String(chunks),
            ],
            {
                input: deployed.password,
            },
        );
        if (r.status !== 0) throw new Error(r.stderr);
        return JSON.parse(r.stdout) as { uuid: string; steps: unknown[]; stored: boolean };
    };

    beforeAll(async () => {
        swarm = await SwarmRegistryLab.start("registry-swarm", HOST, { faultableRegistry: true });
        swarm.lab.writeFile(`/etc/docker/certs.d/${HOST}/ca.crt`, certificate.ca);
        swarm.lab.writeFile(join(swarm.lab.dir, "ca.pem"), certificate.ca);
        deployed = await swarm.deploy(await evaluateStack(swarm.certificateConfig(certificate), { secretKeys: SECRET_KEYS }));
    }, 240_000);
    afterAll(async () => {
        await swarm?.stop();
    }, 60_000);

    it("passes the readiness gate through the front, with the certificate the stack was given", () => {
        const r = swarm.probe({ ...deployed.gateInput, timeoutSeconds: 60 });
        expect(r.status, r.stderr).toBe(0);
        expect(`${r.stdout}${r.stderr}`).not.toContain(deployed.password);
    });

    it("stores each service spec as the translation sent it (the engine reads every field as the provider means it)", async () => {
        expect([...deployed.created.specs.keys()].sort()).toEqual(["registry-front", "registry-redis", "registry-service"]);
        const network = (await swarm.docker.call("GET", `/networks/${deployed.created.ids.get("registry-net")}`)).json as Json;
        expect(network).toMatchObject({ Driver: "overlay", Scope: "swarm", Attachable: false, Options: { encrypted: "" } });
        for (const [logical, sent] of deployed.created.specs) {
            const stored = ((await swarm.docker.call("GET", `/services/${deployed.serviceId(logical as "registry-service")}`)).json as { Spec: Json }).Spec;
            expect(stored, logical).toMatchObject(sent);
        }
    });

    it("runs 3 registry tasks and one front, the secrets in no spec and no container environment", async () => {
        expect(swarm.containersOf(SERVICE)).toHaveLength(3);
        expect(swarm.containersOf(`${SERVICE}-front`)).toHaveLength(1);
        const inspected = swarm.docker.must(["service", "inspect", SERVICE, `${SERVICE}-front`, `${SERVICE}-redis`]);
        const httpSecret = swarm.docker.cli(["exec", swarm.containersOf(SERVICE)[0], "cat", "/run/secrets/faasreg-http-secret"]).out;
        expect(httpSecret).toMatch(/^[A-Za-z0-9]{64}$/);
        for (const id of swarm.containersOf(SERVICE)) {
            const container = swarm.docker.must(["inspect", id]);
            expect(container.includes(httpSecret)).toBe(false);
            expect(container.includes(deployed.password)).toBe(false);
        }
        expect(inspected.includes(httpSecret)).toBe(false);
        expect(inspected.includes(deployed.password)).toBe(false);
        expect(inspected.includes(certificate.key.split("\n")[1])).toBe(false);
    });

    it("registry:gc refuses the service and each of its replicas, saying why, and stops nothing", () => {
        const gc = (target: string) =>
            spawnSync("npx", ["tsx", join(__dirname, "..", "..", "scripts", "registry-gc.ts"), target], {
                encoding: "utf8",
                env: swarm.docker.env(),
            });
        const replica = swarm.containersOf(SERVICE)[0];
        for (const target of [SERVICE, replica]) {
            const r = gc(target);
            expect(r.status, target).toBe(1);
            expect(r.stderr).toContain(`${SERVICE} is a Swarm service (registry:mode swarm): the collector needs every replica stopped`);
        }
        expect(swarm.containersOf(SERVICE)).toHaveLength(3);
    });

    it("takes docker login, push and pull of a 20 MB layer through the front", () => {
        expect(swarm.docker.must(["login", HOST, "-u", "ci", "--password-stdin"], deployed.password)).toMatch(/Login Succeeded/);
        const pushed = swarm.pushRandomImage("team/big", 20_000_000);
        image = pushed.ref;
        const pull = swarm.pullOnce(image);
        expect(pull.ok, pull.out).toBe(true);
        process.stderr.write(`registry-swarm: push 20 MB ${pushed.pushMs} ms, pull ${pull.ms} ms through the front to 3 replicas\n`);
    });

    it("completes a 20 MB upload in 6 chunks that land on different replicas; with a secret per replica, it fails (the control)", async () => {
        const shared = chunkedUpload("team/chunked");
        expect(shared.stored, JSON.stringify(shared)).toBe(true);
        expect(replicasThatServed(shared.uuid)).toBeGreaterThanOrEqual(2);

        const id = deployed.serviceId("registry-service");
        const original = ((await swarm.docker.call("GET", `/services/${id}`)).json as { Spec: Json }).Spec;
        // The control: every task signs upload state with its own secret (its container's host name).
        await updateService(swarm.docker, id, (spec) => {
            spec.TaskTemplate.ContainerSpec.Command = [
                "/bin/sh",
                "-c",
                'REGISTRY_HTTP_SECRET="$(cat /etc/hostname)" exec registry serve /etc/distribution/config.yml',
            ];
            return spec;
        });
        await waitConverged(swarm.docker, id, 3);
        // 200 kB chunks here. A replica that refuses a chunk answers before reading it, and a Go server reads
        // at most 256 kB of an unread body before closing: a bigger chunk can be cut off mid-write (a reset
        // and no answer to read, seen in 2 of about 10 full runs), a smaller one gets its BLOB_UPLOAD_* answer.
        const results = [chunkedUpload("team/control-1", 100), chunkedUpload("team/control-2", 100)];
        expect(
            results.some((r) => !r.stored),
            JSON.stringify(results),
        ).toBe(true);
        expect(JSON.stringify(results)).toMatch(/BLOB_UPLOAD_INVALID|BLOB_UPLOAD_UNKNOWN/);

        await updateService(swarm.docker, id, () => original);
        await waitConverged(swarm.docker, id, 3);
        expect(chunkedUpload("team/chunked-again").stored).toBe(true);
    }, 180_000);

    it("loses no pull of 30 during a rolling update (start-first, one at a time)", async () => {
        const id = deployed.serviceId("registry-service");
        const result = await swarm.pullsDuringRollingUpdate("registry-swarm", image, id, 3);
        expect(result.failed).toEqual([]);
        expect(result.overlapping).toBeGreaterThanOrEqual(5);
        expect(result.ok).toBe(30);
    }, 300_000);

    it("loses no pull of 30 while replicas go 3 -> 1 -> 3 and one is killed", async () => {
        const id = deployed.serviceId("registry-service");
        const result = await swarm.pullsDuring(image, 30, async () => {
            await setReplicas(swarm.docker, id, 1);
            await sleep(6000);
            await setReplicas(swarm.docker, id, 3);
            await waitConverged(swarm.docker, id, 3);
            swarm.docker.must(["kill", swarm.containersOf(SERVICE)[0]]);
            await sleep(3000);
        });
        process.stderr.write(
            `registry-swarm: scale 3->1->3 + kill: ${result.ok} pulls ok, ${result.failed.length} failed, ${result.overlapping} while it ran\n`,
        );
        expect(result.failed).toEqual([]);
        expect(result.overlapping).toBeGreaterThanOrEqual(5);
        expect(result.ok).toBe(30);
        await waitConverged(swarm.docker, id, 3);
    }, 300_000);

    it("stops sending requests to a replica that answers 500 to everything within a bounded time, through Docker's health check", async () => {
        const id = deployed.serviceId("registry-service");
        const victim = swarm.containersOf(SERVICE)[0];
        const hostname = swarm.docker.must(["inspect", "-f", "{{.Config.Hostname}}", victim]).trim();
        let faultAt = 0;
        let replacedAt = 0;
        // The control sees requests, not pulls: `docker pull` retries a layer that got a 5xx (after 5 s, then
        // 10 s...), so a pull can cross the fault without failing (CI saw 0 failed pulls of 40 once). GET /v2/
        // through the front every 100 ms, one connection each: a healthy replica says 401 (no credentials),
        // the faulty one 500, and round robin sends it a third of them until Swarm takes it out of DNS.
        const probe = swarm.lab.spawn("probe-v2", [
            "env",
            `NODE_EXTRA_CA_CERTS=${join(swarm.lab.dir, "ca.pem")}`,
            process.execPath,
            "-e",
            `const https = require("https");
             const once = () => https.get("https://${HOST}/v2/", { agent: false, timeout: 5000 }, (r) => { r.resume(); console.log(r.statusCode + " " + Date.now()); })
                 .on("error", (e) => console.log("error " + Date.now() + " " + e.message));
             setInterval(once, 100);`,
        ]);
        let during: Awaited<ReturnType<SwarmRegistryLab["pullsDuring"]>>;
        try {
            // One pull every half second or so, spanning the fault and its repair.
            during = await swarm.pullsDuring(
                image,
                40,
                async () => {
                    await sleep(2000);
                    faultAt = Date.now();
                    swarm.docker.must(["exec", victim, "sh", "-c", `: > /var/lib/registry/faulty-${hostname}`]);
                    // Swarm stops the unhealthy task (3 failed checks 2 s apart) and starts another.
                    await waitFor("the faulty replica to be stopped", async () => !swarm.containersOf(SERVICE).includes(victim), 60_000);
                    replacedAt = Date.now();
                    await waitConverged(swarm.docker, id, 3);
                },
                0.5,
            );
        } finally {
            probe.kill();
        }
        const answers = swarm.lab
            .log("probe-v2")
            .split("\n")
            .map((l) => /^(\d+|error) (\d+)/.exec(l))
            .filter((m) => m !== null)
            .map((m) => ({ answer: m[1], at: Number(m[2]) }));
        const bad = answers.filter((a) => a.answer !== "401");
        const window = bad.length === 0 ? 0 : Math.max(...bad.map((a) => a.at)) - faultAt;
        const failedPulls = during.pulls.filter((p) => !p.ok);
        process.stderr.write(
            `registry-swarm: a replica answering 500: ${bad.length} of ${answers.length} requests through the front got no 401 (${bad.filter((a) => a.answer === "500").length} a 500), the last ${window} ms after the fault; ${failedPulls.length} of ${during.pulls.length} pulls failed; Swarm replaced the replica after ${replacedAt - faultAt} ms\n`,
        );
        // The control: the replica really failed and the front sent it requests, and Swarm stopped it for its health.
        expect(bad.filter((a) => a.answer === "500").length).toBeGreaterThan(0);
        // (Its container stays, stopped, with its last health state.)
        expect(swarm.docker.must(["inspect", "-f", "{{.State.Health.Status}} {{.State.Running}}", victim]).trim()).toBe("unhealthy false");
        // Bounded: no request fails later than 20 s after the fault; the requests and the pulls after that all succeed.
        expect(window).toBeLessThan(20_000);
        expect(answers.filter((a) => a.at > faultAt + 20_000).length).toBeGreaterThanOrEqual(20);
        const later = during.pulls.filter((p) => p.endedAt > faultAt + 20_000);
        expect(later.length).toBeGreaterThanOrEqual(5);
        expect(later.every((p) => p.ok)).toBe(true);
    }, 300_000);

    it("shares one blob-descriptor cache in Redis (v3's redis.addrs), and serves pulls while Redis is gone (the cache is optional)", async () => {
        const redis = swarm.containersOf(`${SERVICE}-redis`)[0];
        const r = swarm.docker.cli(["exec", redis, "sh", "-c", "printf 'DBSIZE\\r\\n' | nc -w 2 127.0.0.1 6379"]);
        expect(Number(/:(\d+)/.exec(r.out)?.[1])).toBeGreaterThan(0);
        const id = deployed.serviceId("registry-redis");
        await setReplicas(swarm.docker, id, 0);
        await waitFor("Redis to stop", async () => swarm.containersOf(`${SERVICE}-redis`).length === 0, 60_000);
        const pulls = [swarm.pullOnce(image), swarm.pullOnce(image), swarm.pullOnce(image)];
        process.stderr.write(`registry-swarm: pulls with Redis stopped: ${pulls.map((p) => `${p.ok ? "ok" : "FAIL"} ${p.ms} ms`).join(", ")}\n`);
        expect(pulls.every((p) => p.ok)).toBe(true);
        await setReplicas(swarm.docker, id, 1);
        await waitConverged(swarm.docker, id, 1);
    }, 120_000);
});

describe.skipIf(skip !== undefined)("registry:mode swarm with Let's Encrypt through the front (pebble): one certificate for every replica", () => {
    const ACME_HOST = "registry.acme-swarm.test";
    // pebble's own HTTPS (its directory): its CA goes into registry:acmeRoot with pebble's issuing root, as a user
    // of a private ACME CA gives its root. The front's image has only the system's roots, as the official one.
    const pebbleTls = makeCaSignedCertificate(["localhost"], [LAB_ADDRESS, "127.0.0.1"]);
    let swarm: SwarmRegistryLab;
    let deployed: Deployed;
    let pebbleRoot: string;
    let tlsPort: number;
    const issued = () => (swarm.lab.log("pebble").match(/Issued certificate serial/g) ?? []).length;

    beforeAll(async () => {
        swarm = await SwarmRegistryLab.start("registry-swarm-acme", ACME_HOST);
        writeFileSync(join(swarm.lab.dir, "pebble.pem"), pebbleTls.cert);
        writeFileSync(join(swarm.lab.dir, "pebble.key"), pebbleTls.key);
        writeFileSync(
            join(swarm.lab.dir, "pebble.json"),
            JSON.stringify({
                pebble: {
                    listenAddress: "0.0.0.0:14000",
                    managementListenAddress: "127.0.0.1:15000",
                    certificate: join(swarm.lab.dir, "pebble.pem"),
                    privateKey: join(swarm.lab.dir, "pebble.key"),
                    httpPort: 80,
                    // TLS-ALPN-01 validation connects here: the front's published port.
                    tlsPort: 443,
                },
            }),
        );
        swarm.lab.spawn("pebble", ["env", "PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0", "pebble", "-config", join(swarm.lab.dir, "pebble.json")]);
        for (let i = 0; i < 100 && !/Listening on/.test(swarm.lab.log("pebble")); i++) await sleep(100);
        const mgmt = await swarm.lab.relay(15000);
        pebbleRoot = String((await request(`https://127.0.0.1:${mgmt}/roots/0`, { ca: pebbleTls.ca })).body);
        deployed = await swarm.deploy(
            await evaluateStack(
                swarm.config({
                    "registry:host": ACME_HOST,
                    "registry:email": "ops@example.com",
                    "registry:acmeDirectory": `https://${LAB_ADDRESS}:14000/dir`,
                    "registry:acmeRoot": `${pebbleRoot}${pebbleTls.ca}`,
                    "registry:replicas": "3",
                }),
                { secretKeys: SECRET_KEYS },
            ),
        );
        tlsPort = await swarm.lab.relay(443);
    }, 240_000);
    afterAll(async () => {
        await swarm?.stop();
    }, 60_000);

    it("passes the readiness gate once the front holds a certificate from pebble, trusted through registry:acmeRoot", () => {
        const started = Date.now();
        const r = swarm.probe({ ...deployed.gateInput, timeoutSeconds: 90 });
        expect(r.status, r.stderr).toBe(0);
        process.stderr.write(`registry-swarm: the front's certificate from pebble within ${Date.now() - started} ms of the gate starting\n`);
        expect(swarm.lab.log("pebble")).toMatch(/set VALID by completed challenge/);
    }, 120_000);

    it("serves ONE certificate for 3 replicas, issued by pebble, and takes docker login and push with it", async () => {
        expect(await handshake(tlsPort, ACME_HOST, pebbleRoot)).toMatch(/^Pebble Intermediate CA/);
        expect(issued()).toBe(1);
        expect(swarm.containersOf(SERVICE)).toHaveLength(3);
        swarm.lab.writeFile(`/etc/docker/certs.d/${ACME_HOST}/ca.crt`, pebbleRoot);
        expect(swarm.docker.must(["login", ACME_HOST, "-u", "ci", "--password-stdin"], deployed.password)).toMatch(/Login Succeeded/);
        const pushed = swarm.pushRandomImage("team/acme", 1_000_000);
        expect(swarm.pullOnce(pushed.ref).ok).toBe(true);
    }, 120_000);

    it("keeps the certificate across a restart of the front: no new order", async () => {
        const before = await fingerprint(tlsPort, ACME_HOST, pebbleRoot);
        const id = deployed.serviceId("registry-front");
        await forceUpdate(swarm.docker, id);
        await waitConverged(swarm.docker, id, 1);
        const r = swarm.probe({ ...deployed.gateInput, timeoutSeconds: 60 });
        expect(r.status, r.stderr).toBe(0);
        expect(await fingerprint(tlsPort, ACME_HOST, pebbleRoot)).toBe(before);
        expect(issued()).toBe(1);
    }, 120_000);
});

describe.skipIf(skip !== undefined)("the Swarm gate (swarm-check.mjs, run by the SwarmGate resource on every preview, up and refresh)", () => {
    let lab: Lab;
    let docker: DockerEngine;
    const tlsFiles = makeMutualTls(["docker.lab.test"], [LAB_ADDRESS]);
    const stackCertificate = makeCaSignedCertificate(["registry.example.com"]);
    const certificateKeys = {
        "registry:certificate": stackCertificate.cert,
        "registry:certificateRoot": stackCertificate.ca,
        "registry:privateKey": stackCertificate.key,
    };
    beforeAll(async () => {
        lab = await Lab.start("swarm-gate");
        docker = await lab.startDockerd({ tls: { address: LAB_ADDRESS, ca: tlsFiles.ca, cert: tlsFiles.cert, key: tlsFiles.key } });
    }, 60_000);
    afterAll(async () => {
        await lab?.stop();
    }, 60_000);

    it("refuses an engine that is not in a Swarm, naming docker:host and registry:mode, and says what to do", () => {
        const r = runSwarmGate({ host: docker.host });
        expect(r.status).toBe(1);
        expect(r.stderr).toContain(`registry:mode swarm: docker:host (${docker.host}) is not part of a Swarm (its state is "inactive")`);
        expect(r.stderr).toMatch(/docker swarm init.*registry:mode container/);
    }, 60_000);

    it("refuses a docker:host nobody answers on, and one it cannot speak to", () => {
        const gone = runSwarmGate({ host: `unix://${join(lab.dir, "no-such.sock")}` });
        // 2: the engine could not be asked at all (a preview then goes on with a warning; components/registry/swarm-gate.ts).
        expect(gone.status).toBe(2);
        expect(gone.stderr).toMatch(/cannot reach docker:host \(unix:\/\/.*no-such\.sock\).*Check docker:host/);
        const npipe = runSwarmGate({ host: "npipe:////./pipe/docker_engine" });
        expect(npipe.status).toBe(1);
        expect(npipe.stderr).toMatch(/is not unix:\/\/, tcp:\/\/ or ssh:\/\//);
    });

    it("speaks TLS to tcp://:2376 with docker:caMaterial/certMaterial/keyMaterial or docker:certPath, and says which keys to set without them", () => {
        const host = `tcp://${LAB_ADDRESS}:2376`;
        // Before: plain HTTP to a TLS port was reported as a confusing HTTP error.
        const plain = runSwarmGate({ host }, [], lab);
        expect(plain.status).toBe(1);
        expect(plain.stderr).toMatch(/speaks TLS: set docker:certPath .* or docker:caMaterial, docker:certMaterial and docker:keyMaterial/);
        const material = runSwarmGate({ host, caMaterial: tlsFiles.ca, certMaterial: tlsFiles.clientCert, keyMaterial: tlsFiles.clientKey }, [], lab);
        expect(material.stderr).toContain("is not part of a Swarm");
        const certPath = join(lab.dir, "client-tls");
        mkdirSync(certPath);
        writeFileSync(join(certPath, "ca.pem"), tlsFiles.ca);
        writeFileSync(join(certPath, "cert.pem"), tlsFiles.clientCert);
        writeFileSync(join(certPath, "key.pem"), tlsFiles.clientKey);
        const path = runSwarmGate({ host, certPath }, [], lab);
        expect(path.stderr).toContain("is not part of a Swarm");
        // The key never appears in what the gate says.
        expect(`${material.stdout}${material.stderr}`).not.toContain(tlsFiles.clientKey.split("\n")[1]);
    }, 60_000);

    it("answers the node id once the same engine is a Swarm manager, and pins an image as the Docker client does when a service is created", async () => {
        const init = await docker.call("POST", "/swarm/init", { ListenAddr: "0.0.0.0:2377", AdvertiseAddr: LAB_ADDRESS });
        expect(init.status).toBe(200);
        const source = await ImageSource.start(lab, docker);
        importRegistryImage(docker, lab.dir, "faasreg-test/pin:1");
        const published = source.publish("faasreg-test/pin:1");
        const r = runSwarmGate({ host: docker.host }, [published.ref, `${IMAGE_SOURCE}/faasreg-test/missing:1`]);
        expect(r.status, r.stderr).toBe(0);
        const answer = JSON.parse(r.stdout);
        const info = (await docker.call("GET", "/info")).json as { Swarm: { NodeID: string } };
        expect(answer.nodeId).toBe(info.Swarm.NodeID);
        expect(answer.pins[published.ref]).toEqual({ reference: `${published.ref}@${published.digest}`, platforms: [{ os: "linux", architecture: "amd64" }] });
        // An image the engine cannot resolve is declared as given, with the reason.
        expect(answer.pins[`${IMAGE_SOURCE}/faasreg-test/missing:1`]).toMatchObject({ reference: `${IMAGE_SOURCE}/faasreg-test/missing:1`, platforms: [] });
        expect(answer.pins[`${IMAGE_SOURCE}/faasreg-test/missing:1`].warning).toMatch(/could not resolve/);
    }, 120_000);

    it("as a resource driven by the engine's protocol: a manager re-initialised under the same docker:host is seen by diff and read unless the images' volume is not there; a host that left the Swarm is refused", async () => {
        const stack = await evaluateStack(
            {
                "registry:mode": "swarm",
                "registry:tls": "certificate",
                "registry:host": "registry.example.com",
                ...certificateKeys,
                "docker:host": docker.host,
            },
            { secretKeys: ["registry:certificate", "registry:privateKey"] },
        );
        const inputs = engineInputs(findResource(stack.recorded, "faasreg:registry:SwarmGate", "registry-swarm-gate").inputs);
        // Served by the faasreg provider, as the engine starts it from the stack's Pulumi.yaml.
        const provider = await EngineHarness.start({ host: "faasreg" });
        const engine = provider.withType("faasreg:registry:PrivateRegistry$faasreg:registry:SwarmGate");
        try {
            const created = await engine.create("registry-swarm-gate", inputs);
            const first = ((await docker.call("GET", "/info")).json as { Swarm: { NodeID: string } }).Swarm.NodeID;
            expect(created.outs.nodeId).toBe(first);
            expect((await engine.diff("registry-swarm-gate", created.id, created.outs, inputs)).changes).toBe("none");
            // The manager replaced: the same docker:host, a new Swarm, a new node id.
            expect((await docker.call("POST", "/swarm/leave?force=true")).status).toBe(200);
            expect((await docker.call("POST", "/swarm/init", { ListenAddr: "0.0.0.0:2377", AdvertiseAddr: LAB_ADDRESS })).status).toBe(200);
            const second = ((await docker.call("GET", "/info")).json as { Swarm: { NodeID: string } }).Swarm.NodeID;
            expect(second).not.toBe(first);
            // The images live in a named volume on the gate's node: a move onto a node where that volume is absent or
            // empty would serve an empty registry. Refused in the plan, saying what to do; a refresh keeps the old node.
            const volume = "faas-registry-test-registry-data";
            const refused = new RegExp(
                `the registry's images are in the volume ${volume} on node ${first}, and on ${second} that volume (does not exist|is empty): ` +
                    "pulumi up would move the registry there and serve an empty registry. Nothing was changed. Either restore a backup",
            );
            expect(engineMessage(await engine.diff("registry-swarm-gate", created.id, created.outs, inputs).catch((e) => e))).toMatch(refused);
            expect((await engine.read("registry-swarm-gate", created.id, created.outs)).props.nodeId).toBe(first);
            docker.must(["volume", "create", volume]);
            expect(engineMessage(await engine.update("registry-swarm-gate", created.id, created.outs, inputs).catch((e) => e))).toMatch(refused);
            // A backup restored into it there (any data): the move is allowed.
            writeFileSync(join(lab.dir, "docker-data", "volumes", volume, "_data", "restored"), "a registry's files");
            expect((await engine.diff("registry-swarm-gate", created.id, created.outs, inputs)).changes).toBe("some");
            expect((await engine.read("registry-swarm-gate", created.id, created.outs)).props.nodeId).toBe(second);
            expect((await engine.update("registry-swarm-gate", created.id, created.outs, inputs)).nodeId).toBe(second);
            // Starting empty on purpose: the volume labelled so.
            docker.must(["volume", "rm", volume]);
            expect(engineMessage(await engine.diff("registry-swarm-gate", created.id, created.outs, inputs).catch((e) => e))).toMatch(refused);
            docker.must(["volume", "create", "--label", "faasreg.start-empty=true", volume]);
            expect((await engine.diff("registry-swarm-gate", created.id, created.outs, inputs)).changes).toBe("some");
            // Out of the Swarm: every preview and up stops here, naming docker:host.
            expect((await docker.call("POST", "/swarm/leave?force=true")).status).toBe(200);
            expect(engineMessage(await engine.diff("registry-swarm-gate", created.id, created.outs, inputs).catch((e) => e))).toMatch(
                /registry:mode swarm: docker:host \(unix:.*\) is not part of a Swarm/,
            );
        } finally {
            await provider.stop();
        }
    }, 120_000);
});

/** The certificate the front presents for `servername`, verified against `ca`. */
function peerCertificate(port: number, servername: string, ca: string): Promise<tls.PeerCertificate> {
    return new Promise((resolve, reject) => {
        const socket = tls.connect({ host: "127.0.0.1", port, servername, ca, timeout: 60_000 }, () => {
            const cert = socket.getPeerCertificate();
            socket.end();
            resolve(cert);
        });
        socket.on("error", reject);
    });
}
const handshake = async (port: number, servername: string, ca: string) => String((await peerCertificate(port, servername, ca)).issuer?.CN);
const fingerprint = async (port: number, servername: string, ca: string) => (await peerCertificate(port, servername, ca)).fingerprint256;
