// The docker provider modelled both ways (test/helpers/swarm-engine.ts), for runs without the real engine:
// - inputs -> Engine API bodies, checked field by field against what terraform-provider-docker v4.5.0 sends
//   (time.ParseDuration for every duration, a stop grace period and Init always sent, file references owned by
//   "0":"0" with mode 0444 unless given, label sets as maps, networks by id, the schema's defaults); the e2e
//   test checks that a real engine stores these bodies as sent;
// - stored spec -> state, as the provider reads it back (flattenTaskSpec and friends, resourceDockerNetworkRead):
//   every field the stack declares comes back unchanged, so the next `pulumi up` has nothing to do; the
//   network's options do not (the engine adds its own), which is why the stack ignores changes to them.
import { describe, expect, it } from "vitest";
import { FRONT_PATHS } from "../components/registry/front-config";
import { CONTAINER_PATHS } from "../components/registry/registry-config";
import { REGISTRY_TASK_COMMAND, SWARM_SECRET_FILES } from "../components/registry/swarm";
import { findResource, MOCK_DIGEST, MOCK_NODE_ID, type RecordedResource, unwrap } from "./helpers/mocks";
import { evaluateStack } from "./helpers/stack";
import {
    configOrSecretCreate,
    durationNs,
    type Json,
    networkCreate,
    networkReadBack,
    serviceReadBack,
    canonical,
    serviceSpec,
    shortDur,
    volumeCreate,
} from "./helpers/swarm-engine";
import { makeCertificate } from "./helpers/tls";

const { cert, key } = makeCertificate("registry.example.com");
const CONFIG = {
    "registry:mode": "swarm",
    "registry:tls": "certificate",
    "registry:host": "registry.example.com",
    "registry:certificate": cert,
    "registry:privateKey": key,
    "registry:replicas": "3",
    "registry:redis": "service",
};
const inputsOf = async (type: string, name: string) => {
    const { recorded } = await evaluateStack(CONFIG, { secretKeys: ["registry:certificate", "registry:privateKey"] });
    return unwrap(findResource(recorded, type, name).inputs) as Json;
};

describe("docker provider inputs -> Engine API", () => {
    it("parses durations as Go's time.ParseDuration does, in nanoseconds, and refuses what it would not parse", () => {
        expect(durationNs("2s")).toBe(2e9);
        expect(durationNs("250ms")).toBe(2.5e8);
        expect(durationNs("1m30s")).toBe(90e9);
        expect(durationNs("1.5h")).toBe(5400e9);
        expect(durationNs("0s")).toBe(0);
        expect(durationNs(undefined)).toBeUndefined();
        expect(() => durationNs("2 seconds")).toThrow(/not a Go duration/);
        expect(() => durationNs("10")).toThrow(/not a Go duration/);
    });

    it("translates the registry service: command, configs and secrets as file references, health, updates, dnsrr", async () => {
        const spec = serviceSpec(await inputsOf("docker:index/service:Service", "registry-service"));
        expect(spec.Name).toBe("faas-registry-test-registry");
        expect(spec.Labels).toEqual({ "faasreg.stack": "faas-registry/test" });
        const c = spec.TaskTemplate.ContainerSpec;
        // Pinned as the engine stores it (the Swarm gate's answer), so the read-back image equals the declared one.
        expect(c.Image).toBe(`registry:3.1.2@${MOCK_DIGEST}`);
        expect(c.Init).toBe(false);
        expect(c.Command).toEqual(REGISTRY_TASK_COMMAND);
        expect(c.Env).toBeUndefined();
        expect(c.Labels).toEqual({ "org.opencontainers.image.title": "faasreg private registry" });
        expect(c.Configs).toEqual([
            {
                ConfigID: "registry-config-id",
                ConfigName: expect.stringMatching(/^faas-registry-test-registry-config-[0-9a-f]{12}$/),
                File: { Name: CONTAINER_PATHS.config, UID: "0", GID: "0", Mode: 0o444 },
            },
        ]);
        expect(c.Secrets.map((s: Json) => [s.SecretID, s.File])).toEqual([
            ["registry-htpasswd-id", { Name: CONTAINER_PATHS.htpasswd, UID: "0", GID: "0", Mode: 0o400 }],
            ["registry-http-secret-id", { Name: SWARM_SECRET_FILES.httpSecret, UID: "0", GID: "0", Mode: 0o400 }],
        ]);
        expect(c.Mounts).toEqual([{ Type: "volume", Source: "faas-registry-test-registry-data", Target: CONTAINER_PATHS.data }]);
        expect(c.Healthcheck).toEqual({
            Test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:5000/"],
            Interval: 2e9,
            Timeout: 2e9,
            StartPeriod: 5e9,
            Retries: 3,
        });
        expect(c.StopGracePeriod).toBe(15e9);
        expect(spec.TaskTemplate.RestartPolicy).toEqual({ Condition: "any", Delay: 2e9, Window: 0 });
        expect(spec.TaskTemplate.Placement).toEqual({ Constraints: [`node.id==${MOCK_NODE_ID}`], Platforms: [{ Architecture: "amd64", OS: "linux" }] });
        expect(spec.TaskTemplate.Networks).toEqual([{ Target: "registry-net-id" }]);
        expect(spec.Mode).toEqual({ Replicated: { Replicas: 3 } });
        expect(spec.UpdateConfig).toEqual({ Parallelism: 1, Delay: 2e9, FailureAction: "rollback", Monitor: 10e9, MaxFailureRatio: 0, Order: "start-first" });
        // Unset fields take the provider's schema defaults (delay 0s, left out of the JSON as Go leaves a zero
        // omitempty duration; failure action pause).
        expect(spec.RollbackConfig).toEqual({ Parallelism: 1, FailureAction: "pause", Monitor: 10e9, MaxFailureRatio: 0, Order: "start-first" });
        expect(spec.EndpointSpec).toEqual({ Mode: "dnsrr" });
    });

    it("translates the front: host-mode port, its config, certificate and key files", async () => {
        const spec = serviceSpec(await inputsOf("docker:index/service:Service", "registry-front"));
        expect(spec.EndpointSpec).toEqual({ Mode: "dnsrr", Ports: [{ Protocol: "tcp", TargetPort: 443, PublishedPort: 443, PublishMode: "host" }] });
        const c = spec.TaskTemplate.ContainerSpec;
        expect(c.Command).toEqual(["caddy", "run", "--config", FRONT_PATHS.config]);
        expect(c.Configs.map((r: Json) => r.File.Name)).toEqual([FRONT_PATHS.config, FRONT_PATHS.certificate]);
        expect(c.Secrets.map((r: Json) => r.File)).toEqual([{ Name: FRONT_PATHS.privateKey, UID: "0", GID: "0", Mode: 0o400 }]);
        expect(spec.UpdateConfig.Order).toBe("stop-first");
        expect(spec.RollbackConfig).toBeUndefined();
    });

    it("translates network, Swarm config, secret and volume; a port without mode or protocol gets the provider's defaults", async () => {
        expect(networkCreate(await inputsOf("docker:index/network:Network", "registry-net"))).toEqual({
            Name: "faas-registry-test-registry-net",
            Driver: "overlay",
            Attachable: false,
            Internal: false,
            Labels: { "faasreg.stack": "faas-registry/test" },
            Options: { encrypted: "" },
        });
        const config = await inputsOf("docker:index/serviceConfig:ServiceConfig", "registry-config");
        expect(configOrSecretCreate(config)).toEqual({ Name: config.name, Data: config.data });
        expect(JSON.parse(Buffer.from(configOrSecretCreate(config).Data, "base64").toString("utf8")).http.addr).toBe(":5000");
        const secret = await inputsOf("docker:index/secret:Secret", "registry-front-key");
        expect(Buffer.from(configOrSecretCreate(secret).Data, "base64").toString("utf8")).toBe(key);
        expect(volumeCreate(await inputsOf("docker:index/volume:Volume", "registry-data"))).toEqual({
            Name: "faas-registry-test-registry-data",
            Driver: "local",
        });
        expect(serviceSpec({ name: "x", taskSpec: { containerSpec: { image: "i" } }, endpointSpec: { ports: [{ targetPort: 80 }] } }).EndpointSpec).toEqual({
            Mode: "vip",
            Ports: [{ Protocol: "tcp", TargetPort: 80, PublishMode: "ingress" }],
        });
    });

    it("sends a stop grace period and Init even when a service declares neither, as the provider does (0 and false)", () => {
        const spec = serviceSpec({ name: "x", taskSpec: { containerSpec: { image: "i" } } });
        expect(spec.TaskTemplate.ContainerSpec.StopGracePeriod).toBe(0);
        expect(spec.TaskTemplate.ContainerSpec.Init).toBe(false);
    });
});

/** The schema's defaults of update_config and rollback_config (resource_docker_service.go). */
const UPDATE_DEFAULTS = { parallelism: 1, delay: "0s", failureAction: "pause", monitor: "5s", maxFailureRatio: "0.0", order: "stop-first" };

/** Every declared field of a service, with the provider schema's defaults, in the shape of its state (sets sorted). */
function declared(inputs: Json): Json {
    const sortSet = (list: unknown[] | undefined) => (list === undefined ? undefined : [...list].sort((a, b) => canonical(a).localeCompare(canonical(b))));
    const c = inputs.taskSpec.containerSpec;
    return JSON.parse(
        JSON.stringify({
            ...inputs,
            labels: sortSet(inputs.labels),
            taskSpec: {
                ...inputs.taskSpec,
                containerSpec: {
                    ...c,
                    labels: sortSet(c.labels),
                    mounts: c.mounts?.length ? sortSet(c.mounts.map((m: Json) => ({ readOnly: false, ...m }))) : undefined,
                    // The schema's defaults for what is left unset: file owner 0:0.
                    secrets: c.secrets?.length ? sortSet(c.secrets.map((x: Json) => ({ fileUid: "0", fileGid: "0", ...x }))) : undefined,
                    configs: c.configs?.length ? sortSet(c.configs.map((x: Json) => ({ fileUid: "0", fileGid: "0", ...x }))) : undefined,
                },
                placement:
                    inputs.taskSpec.placement === undefined
                        ? undefined
                        : { ...inputs.taskSpec.placement, constraints: sortSet(inputs.taskSpec.placement.constraints) },
            },
            updateConfig: inputs.updateConfig === undefined ? undefined : { ...UPDATE_DEFAULTS, ...inputs.updateConfig },
            rollbackConfig: inputs.rollbackConfig === undefined ? undefined : { ...UPDATE_DEFAULTS, ...inputs.rollbackConfig },
            convergeConfig: undefined,
        }),
    );
}

describe("what the provider reads back, diffed against what the stack declares (a second pulumi up)", () => {
    const swarmConfigs: Record<string, Record<string, string>> = {
        "certificate, Redis, 3 replicas": CONFIG,
        "certificate, the NAT front (capabilities, sysctl)": { ...CONFIG, "registry:front": "nat" },
        "letsencrypt, spread on s3": {
            "registry:mode": "swarm",
            "registry:host": "registry.example.com",
            "registry:email": "ops@example.com",
            "registry:storage": "s3",
            "registry:s3Bucket": "images",
            "registry:s3Region": "eu-west-1",
        },
    };
    const evaluate = async (config: Record<string, string>) =>
        (await evaluateStack(config, { secretKeys: ["registry:certificate", "registry:privateKey"] })).recorded;
    // The mock ids stand for the engine's: the network's id is what the provider reads back as the attachment.
    const services = (recorded: RecordedResource[]) => recorded.filter((r) => r.type === "docker:index/service:Service").map((r) => unwrap(r.inputs) as Json);

    it("writes durations back as Go's shortDur does", () => {
        expect([2e9, 15e9, 0, 300e9, 90e9, 3600e9, 2.5e8].map(shortDur)).toEqual(["2s", "15s", "0s", "5m", "1m30s", "1h", "250ms"]);
    });

    for (const [what, config] of Object.entries(swarmConfigs)) {
        it(`reads every service back as declared (${what}): no diff, no replacement`, async () => {
            for (const inputs of services(await evaluate(config))) {
                const back = serviceReadBack(serviceSpec(inputs));
                const want = declared(inputs);
                // Only what the stack declares is diffed (the provider's computed fields are not).
                expect(back.taskSpec.containerSpec, inputs.name).toEqual(want.taskSpec.containerSpec);
                expect(back.taskSpec.restartPolicy, inputs.name).toEqual(want.taskSpec.restartPolicy);
                expect(back.taskSpec.placement, inputs.name).toEqual(want.taskSpec.placement);
                expect(back.taskSpec.networksAdvanceds, inputs.name).toEqual(want.taskSpec.networksAdvanceds);
                expect(back.mode, inputs.name).toEqual(want.mode);
                expect(back.endpointSpec, inputs.name).toEqual(want.endpointSpec);
                expect(back.updateConfig, inputs.name).toEqual(want.updateConfig);
                expect(back.rollbackConfig, inputs.name).toEqual(want.rollbackConfig);
                expect(back.labels, inputs.name).toEqual(want.labels);
            }
        });
    }

    it("would replace every service on every up if networks were joined by name (the deprecated field is never read back)", () => {
        const byName = { name: "svc", taskSpec: { containerSpec: { image: "i" }, networksAdvanceds: [{ name: "net-id" }] } };
        // flattenTaskNetworksAdvanced: the attachment's target comes back as `id`; `name` (ForceNew) is gone.
        expect(serviceReadBack(serviceSpec(byName)).taskSpec.networksAdvanceds).toEqual([{ id: "net-id" }]);
    });

    it("reads the overlay network's options back with the engine's own added (hence ignoreChanges on options)", async () => {
        const recorded = await evaluate(CONFIG);
        const net = findResource(recorded, "docker:index/network:Network", "registry-net");
        expect(net.options.ignoreChanges ?? []).toContain("options");
        const sent = networkCreate(unwrap(net.inputs) as Json);
        // What a real engine stored for this body (seen with the real engine: the VXLAN id list is added).
        const stored = { ...sent, Options: { ...sent.Options, "com.docker.network.driver.overlay.vxlanid_list": "4097" } };
        expect(networkReadBack(stored).options).not.toEqual((unwrap(net.inputs) as Json).options);
    });
});
