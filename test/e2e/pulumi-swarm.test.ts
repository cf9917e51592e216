// `pulumi up` twice, for real, in registry:mode swarm: the real CLI and providers (FAASREG_PULUMI_BIN) against a
// Swarm manager of the test's own (a lab), 3 replicas of the distribution v3 binary behind the Caddy front with
// Redis, images pulled from the lab's image source (so the engine pins them by digest and platform, as it does
// with Docker Hub). What no translation of the provider could show: the second `up` and `refresh` change nothing,
// a change to the registry's config rolls the replicas while 30 pulls run with none failing, a replacement goes
// delete-first, the switch to the NAT front (capabilities and a sysctl read back as declared; a preview without the
// deploy key shows it unchanged), and `destroy` leaves only the data volume.
import { renameSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changedResources, expectNoChanges, changeSummary, PulumiStack, pulumiSkipReason } from "../helpers/pulumi-cli";
import { SECRET_KEYS, SwarmRegistryLab, swarmLabSkipReason } from "../helpers/swarm-registry-lab";
import { sshdSkipReason } from "../helpers/sshd";
import { makeCaSignedCertificate } from "../helpers/tls";
import { skipping } from "../helpers/skip";

const skip = skipping("test/e2e/pulumi-swarm.test.ts", swarmLabSkipReason(), sshdSkipReason(), pulumiSkipReason());

const HOST = "registry.pulumi-swarm.test";
const SERVICE = "faas-registry-sw-registry";

describe.skipIf(skip !== undefined)("pulumi up twice, for real: registry:mode swarm with 3 replicas, the front and Redis", () => {
    let swarm: SwarmRegistryLab;
    let stack: PulumiStack;
    let password: string;
    let image: string;
    const certificate = makeCaSignedCertificate([HOST]);
    const serviceNames = () => swarm.docker.must(["service", "ls", "--format", "{{.Name}}"]).trim().split("\n").filter(Boolean).sort();
    const expectNoSecret = (out: string) => {
        for (const secret of [password, certificate.key.split("\n")[1]]) expect(out.includes(secret), "a secret in the CLI's output").toBe(false);
    };

    /** A preview without the deploy key (docker:sshOpts names it; moved away meanwhile), as a pull request's CI job runs it. */
    const previewWithoutDeployKey = async <T>(andThen: (preview: Awaited<ReturnType<PulumiStack["preview"]>>) => Promise<T>): Promise<T> => {
        const key = (swarm.ssh as NonNullable<typeof swarm.ssh>).files.privateKey;
        renameSync(key, `${key}.away`);
        try {
            const preview = await stack.preview(["--expect-no-changes", "--diff"]);
            expect(preview.status, preview.out).toBe(0);
            expect(preview.out).toMatch(
                /this preview could not ask the Docker engine \(ssh to docker:host \(ssh:\/\/root@10\.199\.0\.1\) failed: .*Permission denied/,
            );
            expect(preview.out).toMatch(/the Swarm gate \(and where the front and replicas run\) is shown unchanged; pulumi up asks again/);
            expectNoSecret(preview.out);
            return await andThen(preview);
        } finally {
            renameSync(`${key}.away`, key);
        }
    };

    beforeAll(async () => {
        // docker:host is ssh:// to the manager, as to a VM: what a CI preview without the deploy key cannot reach.
        swarm = await SwarmRegistryLab.start("pulumi-swarm", HOST, { ssh: true });
        swarm.lab.writeFile(`/etc/docker/certs.d/${HOST}/ca.crt`, certificate.ca);
        stack = await PulumiStack.init(swarm.lab, "sw", swarm.certificateConfig(certificate), SECRET_KEYS);
    }, 240_000);
    afterAll(async () => {
        await swarm?.stop();
    }, 60_000);

    it("pulumi up: 3 replicas, the front and Redis, gated on the readiness probe through the front; login, push, pull", async () => {
        const up = await stack.up();
        expect(up.status, up.out).toBe(0);
        process.stderr.write(`pulumi-swarm: first pulumi up took ${up.ms} ms\n`);
        password = await stack.output("registryPassword", true);
        expectNoSecret(up.out);
        expect(serviceNames()).toEqual([SERVICE, `${SERVICE}-front`, `${SERVICE}-redis`]);
        expect(swarm.containersOf(SERVICE)).toHaveLength(3);
        // Pinned as the engine stores it: the image's digest and platform, as declared.
        const spec = JSON.parse(swarm.docker.must(["service", "inspect", SERVICE, "--format", "{{json .Spec.TaskTemplate}}"]));
        expect(spec.ContainerSpec.Image).toBe(`${swarm.images.registry.ref}@${swarm.images.registry.digest}`);
        expect(spec.Placement.Platforms).toEqual([{ Architecture: "amd64", OS: "linux" }]);
        expect(swarm.docker.must(["login", HOST, "-u", "ci", "--password-stdin"], password)).toMatch(/Login Succeeded/);
        image = swarm.pushRandomImage("team/big", 20_000_000).ref;
        expect(swarm.pullOnce(image).ok).toBe(true);
    }, 300_000);

    it("a second pulumi up changes nothing (--expect-no-changes), and neither does pulumi refresh", async () => {
        const { up: again, refresh } = await expectNoChanges(stack);
        expect(changeSummary(again.out)).toEqual({ unchanged: expect.any(Number) });
        const preview = await stack.preview(["--expect-no-changes"]);
        expect(preview.status, preview.out).toBe(0);
        process.stderr.write(`pulumi-swarm: no-op up ${again.ms} ms, refresh ${refresh.ms} ms, preview ${preview.ms} ms\n`);
    }, 300_000);

    it("a preview without the deploy key (a CI preview): no change, a warning; up refuses, naming docker:host", async () => {
        // This machine cannot get into the VM, as a pull request's job; up refuses.
        await previewWithoutDeployKey(async (preview) => {
            process.stderr.write(`pulumi-swarm: preview without the deploy key ${preview.ms} ms\n`);
            const up = await stack.up();
            expect(up.status).not.toBe(0);
            expect(up.out).toMatch(/ssh to docker:host \(ssh:\/\/root@10\.199\.0\.1\) failed/);
        });
        const again = await stack.up(["--expect-no-changes"]);
        expect(again.status, again.out).toBe(0);
    }, 300_000);

    it("a change to the registry's config rolls the replicas while 30 pulls run: none fails", async () => {
        // Without Redis the registry's config (a Swarm config, renamed by content) changes, the replicas roll onto
        // it start-first, then the Redis service goes.
        await stack.removeConfig("registry:redis");
        await stack.removeConfig("registry:redisImage");
        const plan = changedResources(await stack.preview(["--json"]));
        process.stderr.write(`pulumi-swarm: plan ${plan.join(" ")}\n`);
        // Exactly what changes: the config, the replicas, Redis and its image pin go, the gate runs again. The front's
        // inputs are known in the preview and unchanged (each image has a pin of its own).
        expect(plan).toEqual(["registry-config", "registry-ready", "registry-redis", "registry-redis-image", "registry-service"]);
        let up: Awaited<ReturnType<PulumiStack["up"]>> | undefined;
        const pulls = await swarm.pullsDuring(image, 30, async () => {
            up = await stack.up();
        });
        expect(up?.status, up?.out).toBe(0);
        process.stderr.write(
            `pulumi-swarm: config change: pulumi up ${up?.ms} ms; ${pulls.ok} pulls ok, ${pulls.failed.length} failed, ${pulls.overlapping} while it ran\n`,
        );
        expect(pulls.failed).toEqual([]);
        expect(pulls.overlapping).toBeGreaterThanOrEqual(5);
        expect(serviceNames()).toEqual([SERVICE, `${SERVICE}-front`]);
        const again = await stack.up(["--expect-no-changes"]);
        expect(again.status, again.out).toBe(0);
    }, 600_000);

    it("a replacement goes delete-first (pulumi up --replace): the fixed service names never collide", async () => {
        const urn = (name: string) => `urn:pulumi:sw::faas-registry::faasreg:registry:PrivateRegistry$docker:index/service:Service::${name}`;
        const before = swarm.docker.must(["service", "ls", "--format", "{{.ID}}"]).trim().split("\n").sort();
        const up = await stack.up(["--replace", urn("registry-service"), "--replace", urn("registry-front")]);
        expect(up.status, up.out).toBe(0);
        expect(up.out).toMatch(/registry-service deleting original/);
        expect(serviceNames()).toEqual([SERVICE, `${SERVICE}-front`]);
        const after = swarm.docker.must(["service", "ls", "--format", "{{.ID}}"]).trim().split("\n").sort();
        expect(after.filter((id) => before.includes(id))).toEqual([]);
        expect(swarm.pullOnce(image).ok).toBe(true);
        const again = await stack.up(["--expect-no-changes"]);
        expect(again.status, again.out).toBe(0);
    }, 300_000);

    it("switches to the NAT front (registry:front nat): the replicas take the certificate, pulls go on through the kernel, and the next up, and a preview without the deploy key, change nothing", async () => {
        await stack.removeConfig("registry:frontImage");
        await stack.setConfig({ "registry:front": "nat", "registry:natImage": swarm.images.nat.ref });
        // Pulls meanwhile, to say how long the switch cuts the registry off (the README quotes it; not a goal).
        let up: Awaited<ReturnType<PulumiStack["up"]>> | undefined;
        const pulls = await swarm.pullsDuring(image, 30, async () => {
            up = await stack.up();
        });
        expect(up?.status, up?.out).toBe(0);
        expectNoSecret(up?.out ?? "");
        const failed = pulls.pulls.filter((p) => !p.ok);
        const outage = failed.length === 0 ? 0 : Math.max(...failed.map((p) => p.endedAt)) - Math.min(...failed.map((p) => p.startedAt));
        process.stderr.write(
            `pulumi-swarm: the switch to the NAT front: pulumi up ${up?.ms} ms; ${pulls.ok} pulls ok, ${failed.length} failed over ${outage} ms, ${pulls.overlapping} while it ran\n`,
        );
        const front = JSON.parse(swarm.docker.must(["service", "inspect", `${SERVICE}-front`, "--format", "{{json .Spec.TaskTemplate.ContainerSpec}}"]));
        expect(front).toMatchObject({ CapabilityAdd: ["CAP_NET_ADMIN"], Sysctls: { "net.ipv4.ip_forward": "1" } });
        expect(front.Image).toBe(`${swarm.images.nat.ref}@${swarm.images.nat.digest}`);
        expect(swarm.pullOnce(image).ok).toBe(true);
        // What the real provider reads back of the capabilities, the sysctl and the replicas' files is what the stack declares.
        const { up: again } = await expectNoChanges(stack);
        expect(changeSummary(again.out)).toEqual({ unchanged: expect.any(Number) });
        // And a CI preview without the deploy key shows the NAT front unchanged too (its image pin is in state).
        await previewWithoutDeployKey(async () => undefined);
    }, 300_000);

    it("pulumi destroy removes every Swarm object and leaves the data volume (registry:retainData)", async () => {
        const destroy = await stack.destroy();
        expect(destroy.status, destroy.out).toBe(0);
        expect(serviceNames()).toEqual([]);
        expect(swarm.docker.must(["config", "ls", "--format", "{{.Name}}"]).trim()).toBe("");
        expect(swarm.docker.must(["secret", "ls", "--format", "{{.Name}}"]).trim()).toBe("");
        expect(swarm.docker.must(["network", "ls", "--filter", "label=faasreg.stack", "--format", "{{.Name}}"]).trim()).toBe("");
        expect(swarm.docker.must(["volume", "ls", "--format", "{{.Name}}"]).trim().split("\n")).toEqual([`${SERVICE}-data`]);
    }, 300_000);
});
