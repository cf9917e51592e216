// End to end, all real: the stack evaluated with a real config -> the declared registry run with TLS and
// htpasswd (Debian's docker-registry, the same distribution code as the image) -> an image pushed into it
// by a configured user -> the function deployed by OUR provider (the faasreg package's, provider/), driven over
// gRPC as the engine drives it -> the real OpenFaaS gateway -> faas-swarm -> Docker Swarm
// pulling the private image with the stack's registryAuth -> the function answering through the gateway.
// Everything runs in a private lab namespace (test/helpers/lab.ts): its Swarm, its 8080 and its 443 never
// meet the host's. Needs root, dockerd and the OpenFaaS binaries; SKIPPED, and says why, without them.
import type * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngineHarness, engineMessage, type Props } from "../helpers/engine";
import { type DockerEngine, labSkipReason } from "../helpers/lab";
import { engineInputs, findResource, outputValue } from "../helpers/mocks";
import { openfaasSwarmSkipReason, type SwarmOpenFaas } from "../helpers/openfaas";
import { containerSpec } from "../helpers/real-registry";
import { evaluateStack } from "../helpers/stack";
import { type SwarmLab, startSwarmLab } from "../helpers/swarm-lab";
import { makeCertificate } from "../helpers/tls";
import { registrySkipReason } from "../helpers/registry-binary";
import { skipping } from "../helpers/skip";

const skip = skipping("test/e2e/openfaas-swarm.test.ts", labSkipReason({ dockerd: true }), registrySkipReason(), openfaasSwarmSkipReason());

const HOST = "registry.test";
const REGISTRY_PASSWORD = "ci-Configured-Pass:0123456789";
const GATEWAY_PASSWORD = "gw-First-Pass-0123456789";
const REPO = `${HOST}/team/hello`;

describe.skipIf(skip !== undefined)("end to end on the real OpenFaaS for Swarm, through the engine's protocol", () => {
    let env: SwarmLab;
    let docker: DockerEngine;
    let faas: SwarmOpenFaas;
    let engine: EngineHarness;
    let config: Record<string, string>;
    const secretKeys = ["registry:certificate", "registry:privateKey", "registry:users", "faas:password"];
    let inputs: Props;
    let state: Props;

    const invoke = async (name = "e2e-hello") => {
        const r = await fetch(`${faas.hostUrl}/function/${name}`, { signal: AbortSignal.timeout(10_000) });
        return `${r.status} ${(await r.text()).trim()}`;
    };
    /**
     * The answer once Swarm has finished rolling: start-first keeps the old task serving for a moment after
     * the new one runs (and during a rollback), a deleted service's container takes a moment to stop, and
     * faas-swarm picks any task that DNS lists. So: wait until one container of the function runs.
     */
    const settledAnswer = async (name = "e2e-hello") => {
        const filters = encodeURIComponent(JSON.stringify({ label: [`com.docker.swarm.service.name=${name}`] }));
        for (let i = 0; i < 300; i++) {
            const containers = (await docker.call("GET", `/containers/json?filters=${filters}`)).json as unknown[];
            const svc = (await docker.call("GET", `/services/${name}`)).json as { UpdateStatus?: { State?: string } };
            const rolling = svc.UpdateStatus?.State === "updating" || svc.UpdateStatus?.State === "rollback_started";
            if (!rolling && containers.length === 1) break;
            await new Promise((r) => setTimeout(r, 100));
        }
        return invoke(name);
    };
    const service = async (name: string) => (await docker.call("GET", `/services/${name}`)).status;
    const startEngine = async (stackConfig: Record<string, string>) => {
        const host = await EngineHarness.start({
            host: "faasreg",
            wrap: env.lab.wrap(),
            // The provider asks the registry why a pull fails; it trusts the registry's CA as docker does.
            env: { NODE_EXTRA_CA_CERTS: env.caFile },
            connect: (port) => env.lab.relay(port),
        });
        // As the stack configures its functions' provider (faas-gateway) from faas:gateway and faas:password.
        await host.configure({ gatewayUrl: stackConfig["faas:gateway"], gatewayPassword: stackConfig["faas:password"] }, ["gatewayPassword"]);
        return host;
    };

    beforeAll(async () => {
        const tls = makeCertificate(HOST);
        config = {
            "registry:host": HOST,
            "registry:tls": "certificate",
            "registry:certificate": tls.cert,
            "registry:privateKey": tls.key,
            "registry:users": JSON.stringify([{ username: "ci", password: REGISTRY_PASSWORD }]),
            "faas:gateway": "http://127.0.0.1:8080",
            "faas:password": GATEWAY_PASSWORD,
            "faas:functions": JSON.stringify([{ service: "e2e-hello", image: "team/hello:1", envVars: { GREETING: "one" } }]),
        };
        const stack = await evaluateStack(config, { secretKeys });
        inputs = engineInputs(findResource(stack.recorded, "faasreg:index:Function", "e2e-hello-deployment").inputs);
        expect(inputs.registryAuth).toBe(await outputValue(stack.exports.registryAuth as pulumi.Output<string>));
        // The registry exactly as the stack declares it, on 443 in the lab, where registry.test points;
        // a configured registry user pushes the images.
        env = await startSwarmLab({
            name: "swarm-e2e",
            host: HOST,
            registrySpec: containerSpec(stack.recorded),
            certificate: tls.cert,
            user: "ci",
            registryPassword: REGISTRY_PASSWORD,
            gatewayPassword: GATEWAY_PASSWORD,
        });
        ({ docker, faas } = env);
        // The control: a wrong password is refused.
        expect(docker.cli(["login", HOST, "-u", "ci", "--password-stdin"], "not-the-password-0123456789").out).toMatch(/unauthorized|401/i);
        docker.must(["login", HOST, "-u", "ci", "--password-stdin"], REGISTRY_PASSWORD);
        for (const [tag, text] of [
            ["1", "hello v1"],
            ["2", "hello v2"],
            ["3", "hello v3"],
        ])
            env.push("team/hello", tag, text);
        engine = await startEngine(config);
    }, 240_000);

    afterAll(async () => {
        await engine?.stop();
        await env?.stop();
    }, 60_000);

    it("creates the function through the gateway; Swarm pulls the private image with the stack's registryAuth; it answers", async () => {
        const checked = await engine.check("e2e-hello-deployment", {}, inputs);
        expect(checked.failures).toEqual([]);
        const created = await engine.create("e2e-hello-deployment", checked.inputs);
        expect(created.id).toBe("e2e-hello");
        expect(created.outs).toMatchObject({ availableReplicas: 1 });
        state = created.outs;
        expect(await invoke()).toBe("200 hello v1 GREETING=one");
        // The node pulled it from our registry (which answers nothing without credentials).
        expect(env.registry.logs()).toMatch(/http\.request\.method=HEAD .*http\.request\.uri=\/v2\/team\/hello\/manifests\/1 .*http\.response\.status=200/);
    });

    it("updates to a second image and the answer changes; refresh reads it back", async () => {
        const news = { ...inputs, image: `${REPO}:2` };
        expect(await engine.diff("e2e-hello-deployment", "e2e-hello", state, news)).toMatchObject({ changes: "some", replaces: [] });
        state = await engine.update("e2e-hello-deployment", "e2e-hello", state, news);
        expect(await settledAnswer()).toBe("200 hello v2 GREETING=one");
        const read = await engine.read("e2e-hello-deployment", "e2e-hello", state);
        expect(read.id).toBe("e2e-hello");
        expect(read.props.image).toBe(`${REPO}:2`);
        expect(await engine.diff("e2e-hello-deployment", "e2e-hello", read.props, news)).toMatchObject({ changes: "none" });
    });

    it("fails an update that Swarm rolls back (tag never pushed), saying so and why; the old image keeps running", async () => {
        const news = { ...inputs, image: `${REPO}:never-pushed` };
        const error = await engine.update("e2e-hello-deployment", "e2e-hello", state, news).catch((e) => e);
        expect(engineMessage(error)).toMatch(
            /was rolled back: it runs registry\.test\/team\/hello:2 again.*Why: the registry registry\.test has no image team\/hello:never-pushed \(HTTP 404/,
        );
        expect(await settledAnswer()).toBe("200 hello v2 GREETING=one");
    });

    it("reads back drift made outside Pulumi (image, labels), which the next diff shows as a change", async () => {
        const auth = { authorization: `Basic ${Buffer.from(`admin:${GATEWAY_PASSWORD}`).toString("base64")}` };
        const hotfix = { service: "e2e-hello", image: `${REPO}:1`, network: "func_functions", labels: { tier: "hotfix" }, registryAuth: inputs.registryAuth };
        expect((await fetch(`${faas.hostUrl}/system/functions`, { method: "PUT", headers: auth, body: JSON.stringify(hotfix) })).status).toBe(202);
        const read = await engine.read("e2e-hello-deployment", "e2e-hello", state);
        expect(read.props.image).toBe(`${REPO}:1`);
        // The platform's own labels (function, com.openfaas.*) are not drift; ours is.
        expect(read.props.labels).toEqual({ tier: "hotfix" });
        expect(await engine.diff("e2e-hello-deployment", "e2e-hello", read.props, { ...inputs, image: `${REPO}:2` })).toMatchObject({
            changes: "some",
            replaces: [],
        });
        state = await engine.update("e2e-hello-deployment", "e2e-hello", read.props, { ...inputs, image: `${REPO}:2` });
        expect(await settledAnswer()).toBe("200 hello v2 GREETING=one");
    });

    it("refuses a function of the same name made outside the stack, takes it over with adopt, and counts a missing one as deleted", async () => {
        const auth = { authorization: `Basic ${Buffer.from(`admin:${GATEWAY_PASSWORD}`).toString("base64")}` };
        const theirs = { service: "e2e-other", image: `${REPO}:1`, network: "func_functions", registryAuth: inputs.registryAuth };
        expect((await fetch(`${faas.hostUrl}/system/functions`, { method: "POST", headers: auth, body: JSON.stringify(theirs) })).status).toBe(202);
        const other = { ...inputs, service: "e2e-other", image: `${REPO}:2` };
        const error = await engine.create("e2e-other-deployment", other).catch((e) => e);
        expect(engineMessage(error)).toMatch(
            /function "e2e-other" already exists on the gateway .*, outside this stack\. To manage it from this stack, set adopt: true/,
        );
        const adopted = await engine.create("e2e-other-deployment", { ...other, adopt: true });
        const fn = (await (await fetch(`${faas.hostUrl}/system/function/e2e-other`, { headers: auth })).json()) as {
            image: string;
            labels: Record<string, string>;
        };
        expect(fn.image).toBe(`${REPO}:2`);
        expect(fn.labels["com.faasreg.owner"]).toBe("faas-registry/test");
        await engine.delete("e2e-other-deployment", "e2e-other", adopted.outs);
        // Already gone (the gateway answers 404): still deleted, as destroy wants.
        await engine.delete("e2e-other-deployment", "e2e-other", adopted.outs);
        expect(await service("e2e-other")).toBe(404);
    });

    it("fails a create with a wrong registryAuth (image not cached on the node), naming refused credentials", async () => {
        const wrong = {
            ...inputs,
            service: "e2e-wrong",
            image: `${REPO}:3`,
            registryAuth: Buffer.from("ci:not-the-password-0123456789").toString("base64"),
        };
        const started = Date.now();
        const error = await engine.create("e2e-wrong-deployment", wrong).catch((e) => e);
        expect(engineMessage(error)).toMatch(
            /function "e2e-wrong" .* cannot start: the image pull is refused\. Why: the registry registry\.test refuses the credentials/,
        );
        expect(Date.now() - started).toBeLessThan(20_000);
        expect(engineMessage(error)).not.toContain("not-the-password");
        await engine.delete("e2e-wrong-deployment", "e2e-wrong", wrong);
        expect(await service("e2e-wrong")).toBe(404);
    });

    it("fails a create of an image that was never pushed, naming the missing tag", async () => {
        const missing = { ...inputs, service: "e2e-missing", image: `${REPO}:never-pushed` };
        const error = await engine.create("e2e-missing-deployment", missing).catch((e) => e);
        expect(engineMessage(error)).toMatch(/Why: the registry registry\.test has no image team\/hello:never-pushed/);
        await engine.delete("e2e-missing-deployment", "e2e-missing", missing);
    });

    it("removes environment variables: in place faas-swarm keeps them (the control), the replace the diff asks for clears them", async () => {
        const noEnv = { ...inputs, image: `${REPO}:2`, envVars: {} };
        expect(await engine.diff("e2e-hello-deployment", "e2e-hello", state, noEnv)).toEqual({
            changes: "some",
            replaces: ["envVars"],
            deleteBeforeReplace: true,
        });
        // Without the replace: an in-place update (PUT without envVars) leaves GREETING set.
        await engine.update("e2e-hello-deployment", "e2e-hello", state, noEnv);
        expect(await settledAnswer()).toBe("200 hello v2 GREETING=one");
        // What the engine does for the replace: delete first (same name), then create.
        await engine.delete("e2e-hello-deployment", "e2e-hello", state);
        state = (await engine.create("e2e-hello-deployment", noEnv)).outs;
        expect(await settledAnswer()).toBe("200 hello v2 GREETING=");
        inputs = noEnv;
    });

    it("reads and deletes with the provider's current gateway password after a rotation; the function's state holds none", async () => {
        await faas.rotatePassword("gw-Rotated-Pass-9876543210");
        expect(state.gatewayPassword).toBeUndefined();
        // The control: a function that carries its own (old) password is refused.
        const stale = { ...state, gatewayPassword: GATEWAY_PASSWORD };
        expect(engineMessage(await engine.read("e2e-hello-deployment", "e2e-hello", stale).catch((e) => e))).toMatch(/answered HTTP 401/);
        await engine.stop();
        // The next `pulumi refresh --run-program`: a new provider process, configured from the current stack config.
        engine = await startEngine({ ...config, "faas:password": "gw-Rotated-Pass-9876543210" });
        const read = await engine.read("e2e-hello-deployment", "e2e-hello", state);
        expect(read.id).toBe("e2e-hello");
        expect(JSON.stringify(read.props)).not.toContain("gw-Rotated-Pass");
    });

    it("deploys to a moved gateway that does not have the function: the PUT's 404 becomes a create with the owner label, kept on the same gateway", async () => {
        const moved = "http://10.199.0.1:8080";
        const auth = `Basic ${Buffer.from(`admin:${faas.password}`).toString("base64")}`;
        // The new gateway does not know the function (here: deleted behind Pulumi's back).
        await fetch(`${faas.hostUrl}/system/functions`, {
            method: "DELETE",
            headers: { authorization: auth },
            body: JSON.stringify({ functionName: "e2e-hello" }),
        });
        for (let i = 0; i < 50 && (await service("e2e-hello")) !== 404; i++) await new Promise((r) => setTimeout(r, 100));
        await engine.stop();
        // The lab's own address: plain HTTP off loopback must be allowed explicitly.
        engine = await startEngine({ ...config, "faas:gateway": moved, "faas:password": faas.password });
        const news = { ...inputs, gatewayUrl: moved, allowHttp: true };
        expect(await engine.diff("e2e-hello-deployment", "e2e-hello", state, news)).toMatchObject({ changes: "some", replaces: [] });
        state = await engine.update("e2e-hello-deployment", "e2e-hello", state, news);
        expect(await settledAnswer()).toBe("200 hello v2 GREETING=");
        const fn = (await (await fetch(`${faas.hostUrl}/system/function/e2e-hello`, { headers: { authorization: auth } })).json()) as {
            labels: Record<string, string>;
        };
        expect(fn.labels["com.faasreg.owner"]).toBe("faas-registry/test");
        // Both URLs reach this one gateway: the function seen through the old URL carries the new one, so the
        // move kept it (a copy on ANOTHER gateway would have been deleted: test/faas.provider.test.ts).
        expect(fn.labels["com.faasreg.gateway"]).toBe(moved);
    });

    it("deletes the function: the Swarm service is gone", async () => {
        await engine.delete("e2e-hello-deployment", "e2e-hello", state);
        expect(await service("e2e-hello")).toBe(404);
        expect((await engine.read("e2e-hello-deployment", "e2e-hello", state)).id).toBe("");
    });
});
