// The docker provider's Service/Secret/ServiceConfig/Network/Volume inputs -> Engine API bodies
// (test/helpers/swarm-engine.ts), which the Swarm end-to-end test and bench create from the recorded
// inputs because the provider cannot run here. Checked field by field against what the provider does
// (kreuzwerker/terraform-provider-docker: time.ParseDuration for every duration, file references owned by
// "0":"0" with mode 0444 unless given, label sets as maps, networks by id, the schema's defaults); the e2e
// test checks that a real engine stores these bodies as sent.
import { describe, expect, it } from "vitest";
import { FRONT_PATHS } from "../components/registry/front-config";
import { CONTAINER_PATHS } from "../components/registry/registry-config";
import { REGISTRY_TASK_COMMAND, SWARM_SECRET_FILES } from "../components/registry/swarm";
import { findResource, MOCK_NODE_ID, unwrap } from "./helpers/mocks";
import { evaluateStack } from "./helpers/stack";
import { configOrSecretCreate, durationNs, type Json, networkCreate, serviceSpec, volumeCreate } from "./helpers/swarm-engine";
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
        expect(c.Image).toBe("registry:3.1.2");
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
        expect(spec.TaskTemplate.RestartPolicy).toEqual({ Condition: "any", Delay: 2e9 });
        expect(spec.TaskTemplate.Placement).toEqual({ Constraints: [`node.id==${MOCK_NODE_ID}`] });
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
});
