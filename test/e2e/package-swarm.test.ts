// The faasreg package's registry in Swarm mode (mode "swarm"), declared from a TypeScript program through the
// provider (examples/package/swarm, its SDK generated from the provider's schema), by the real engine on a Swarm
// manager of the test's own (a lab): the replicas behind the Caddy front, the images pinned by digest as the
// engine stores them. The Swarm gate and the pins are the provider's own resources (faasreg:registry:SwarmGate,
// faasreg:registry:PinnedImage), not dynamic resources: a program in another language has no node_modules to
// find a dynamic provider in. Bad input is refused before anything is created; a second `up` and a `refresh`
// change nothing; a scale-up rolls nothing and loses no pull; `destroy` leaves only the data volume.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT, PulumiStack, pulumiSkipReason } from "../helpers/pulumi-cli";
import { copyPackageProgram, prepareTypeScriptProgram } from "../helpers/package-project";
import { SwarmRegistryLab, swarmLabSkipReason } from "../helpers/swarm-registry-lab";
import { makeCaSignedCertificate } from "../helpers/tls";
import { skipping } from "../helpers/skip";

const skip = skipping("test/e2e/package-swarm.test.ts", swarmLabSkipReason(), pulumiSkipReason());

const HOST = "registry.package-swarm.test";
const PASSWORD = "ci-Swarm-Package-Pass-0123456789";
/** `${project}-${stack}-${name}`: the program's project, this test's stack and the registry's name. */
const SERVICE = "faasreg-swarm-example-swarm-registry";

describe.skipIf(skip !== undefined)("the faasreg package's registry in Swarm mode, from TypeScript, through the real engine on a Swarm manager", () => {
    let swarm: SwarmRegistryLab;
    let stack: PulumiStack;
    let image: string;
    const certificate = makeCaSignedCertificate([HOST]);
    const services = () => swarm.docker.must(["service", "ls", "--format", "{{.Name}}"]).trim().split("\n").filter(Boolean).sort();
    const auth = Buffer.from(`ci:${PASSWORD}`).toString("base64");
    const expectNoSecret = (text: string, where: string) => {
        for (const secret of [PASSWORD, auth, certificate.key.split("\n")[1]]) expect(text.includes(secret), `a secret in ${where}`).toBe(false);
    };

    beforeAll(async () => {
        swarm = await SwarmRegistryLab.start("package-swarm", HOST);
        swarm.lab.writeFile(`/etc/docker/certs.d/${HOST}/ca.crt`, certificate.ca);
        const project = copyPackageProgram(join(PROJECT_ROOT, "examples", "package", "swarm"), join(swarm.lab.dir, "example-swarm"));
        stack = await PulumiStack.init(
            swarm.lab,
            "swarm",
            {
                "docker:host": swarm.docker.host,
                registryHost: HOST,
                certificate: `${certificate.cert}${certificate.ca}`,
                privateKey: certificate.key,
                registryPassword: PASSWORD,
                registryImage: swarm.images.registry.ref,
                frontImage: swarm.images.front.ref,
                // Bad input first: refused by name before anything is created (the first test).
                replicas: "0",
            },
            ["privateKey", "registryPassword"],
            { project, env: { PATH: `${process.env.FAASREG_PULUMI_BIN}:/usr/local/bin:/usr/bin:/bin`, PULUMI_IGNORE_AMBIENT_PLUGINS: "false" } },
        );
        await prepareTypeScriptProgram(stack, project);
    }, 300_000);
    afterAll(async () => {
        await swarm?.stop();
    }, 60_000);

    it("refuses bad Swarm settings by name before anything is created", async () => {
        const bad = await stack.up();
        expect(bad.status).not.toBe(0);
        expect(bad.out).toMatch(/swarm\.replicas: must be a whole number from 1 to 100, got 0/);
        expect(services()).toEqual([]);
        await stack.setConfig({ replicas: "2" });
    }, 300_000);

    it("pulumi up: 2 replicas behind the front, pinned by digest, the gate and pins the provider's own; login, push, pull", async () => {
        const up = await stack.up();
        expect(up.status, up.out.slice(-4000)).toBe(0);
        process.stderr.write(`package-swarm: first pulumi up ${up.ms} ms\n`);
        expect(up.out).toMatch(/registry ready at https:\/\/registry\.package-swarm\.test\/v2\/: 401 without credentials, 200 with them/);
        expect(await stack.output("registryServer")).toBe(HOST);
        expect(services()).toEqual([SERVICE, `${SERVICE}-front`]);
        expect(swarm.containersOf(SERVICE)).toHaveLength(2);
        const spec = JSON.parse(swarm.docker.must(["service", "inspect", SERVICE, "--format", "{{json .Spec.TaskTemplate}}"]));
        expect(spec.ContainerSpec.Image).toBe(`${swarm.images.registry.ref}@${swarm.images.registry.digest}`);
        expect(spec.Placement.Constraints).toEqual([`node.id==${swarm.nodeId}`]);
        expect(swarm.docker.must(["login", HOST, "-u", "ci", "--password-stdin"], PASSWORD)).toMatch(/Login Succeeded/);
        image = swarm.pushRandomImage("team/big", 20_000_000).ref;
        expect(swarm.pullOnce(image).ok).toBe(true);

        const state = await stack.exportState();
        for (const type of ["faasreg:registry:PrivateRegistry", "faasreg:registry:SwarmGate", "faasreg:registry:PinnedImage", "docker:index/service:Service"])
            expect(state).toContain(`"type": "${type}"`);
        expect(state).not.toContain("pulumi-nodejs:dynamic:Resource");
        expect(state).toContain(`"nodeId": "${swarm.nodeId}"`);
        expect(state).toContain("ciphertext");
        expectNoSecret(state, "the state");
        expectNoSecret(up.out, "pulumi up's output");
    }, 300_000);

    it("a second pulumi up and a refresh change nothing", async () => {
        const again = await stack.run(["up", "--yes", "--expect-no-changes"]);
        expect(again.status, again.out.slice(-4000)).toBe(0);
        const refresh = await stack.refresh(["--expect-no-changes"]);
        expect(refresh.status, refresh.out.slice(-4000)).toBe(0);
        expectNoSecret(`${again.out}${refresh.out}`, "the no-op up and the refresh");
        process.stderr.write(`package-swarm: no-op up ${again.ms} ms, refresh ${refresh.ms} ms\n`);
    }, 300_000);

    it("3 replicas: one more task while 20 pulls run, none failing; then destroy leaves only the data volume", async () => {
        await stack.setConfig({ replicas: "3" });
        let up: Awaited<ReturnType<PulumiStack["up"]>> | undefined;
        const pulls = await swarm.pullsDuring(image, 20, async () => {
            up = await stack.up();
        });
        expect(up?.status, up?.out.slice(-4000)).toBe(0);
        process.stderr.write(`package-swarm: scale to 3: pulumi up ${up?.ms} ms; ${pulls.ok} pulls ok, ${pulls.failed.length} failed\n`);
        expect(pulls.failed).toEqual([]);
        expect(swarm.containersOf(SERVICE)).toHaveLength(3);

        const destroy = await stack.destroy();
        expect(destroy.status, destroy.out.slice(-4000)).toBe(0);
        expect(services()).toEqual([]);
        expect(swarm.docker.must(["volume", "ls", "--format", "{{.Name}}"]).trim().split("\n")).toContain(`${SERVICE}-data`);
    }, 600_000);
});
