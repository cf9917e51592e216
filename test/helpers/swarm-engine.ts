// The docker provider cannot run here (no plugin download), so the Swarm objects the stack declares are
// created from their RECORDED inputs by translating them to the Engine API the way the provider does
// (kreuzwerker/terraform-provider-docker, resource_docker_service_structures.go and the resources'
// schema defaults): durations parsed to nanoseconds, secret/config files owned by 0:0 mode 0444 unless
// given, label sets to maps, network names to attachment targets. `test/registry.swarm-translate.test.ts`
// checks the translation field by field and against what a real engine stores.
import type { DockerEngine } from "./lab";
import { type RecordedResource, unwrap } from "./mocks";

/** Engine API JSON and provider inputs: shapes of other programs, walked field by field. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

/** Go's time.ParseDuration for the forms the provider accepts ("2s", "1m30s", "250ms", "0s"), in ns. */
export function durationNs(text: string | undefined): number | undefined {
    if (text === undefined) return undefined;
    const units: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
    const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
    if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) throw new Error(`not a Go duration: ${text}`);
    return Math.round(parts.reduce((sum, [, n, unit]) => sum + Number(n) * units[unit], 0));
}

const labelMap = (labels: { label: string; value: string }[] | undefined) =>
    labels === undefined ? undefined : Object.fromEntries(labels.map((l) => [l.label, l.value]));

const compact = (o: Json): Json => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
/** Every list of the API's ContainerSpec is `omitempty`: an empty one is left out of the JSON. */
const compactLists = (o: Json): Json => compact(Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Array.isArray(v) && v.length === 0 ? undefined : v])));

/** docker.Network inputs -> POST /networks/create. */
export function networkCreate(inputs: Json): Json {
    return compact({
        Name: inputs.name,
        Driver: inputs.driver ?? "bridge",
        Attachable: inputs.attachable ?? false,
        Internal: inputs.internal ?? false,
        Labels: labelMap(inputs.labels),
        Options: inputs.options,
        CheckDuplicate: inputs.checkDuplicate,
    });
}

/** docker.ServiceConfig / docker.Secret inputs -> POST /configs/create, /secrets/create. `data` is base64 already, as the API wants. */
export function configOrSecretCreate(inputs: Json): Json {
    return compact({ Name: inputs.name, Data: inputs.data, Labels: labelMap(inputs.labels) });
}

/** docker.Volume inputs -> POST /volumes/create. */
export function volumeCreate(inputs: Json): Json {
    return compact({ Name: inputs.name, Driver: inputs.driver ?? "local", DriverOpts: inputs.driverOpts, Labels: labelMap(inputs.labels) });
}

function fileRef(ref: Json): Json {
    return { Name: ref.fileName, UID: ref.fileUid ?? "0", GID: ref.fileGid ?? "0", Mode: ref.fileMode ?? 0o444 };
}

/** A zero duration is left out, as Go's encoding/json does for the API types' `omitempty` durations. */
const nonZero = (ns: number | undefined) => (ns === 0 ? undefined : ns);

function updateOrRollback(c: Json | undefined): Json | undefined {
    if (c === undefined) return undefined;
    return compact({
        Parallelism: c.parallelism ?? 1,
        Delay: nonZero(durationNs(c.delay ?? "0s")),
        FailureAction: c.failureAction ?? "pause",
        Monitor: nonZero(durationNs(c.monitor ?? "5s")),
        MaxFailureRatio: Number(c.maxFailureRatio ?? "0.0"),
        Order: c.order ?? "stop-first",
    });
}

/** docker.Service inputs (ids of networks, configs and secrets resolved) -> the ServiceSpec of POST /services/create. */
export function serviceSpec(inputs: Json): Json {
    const task = inputs.taskSpec ?? {};
    const c = task.containerSpec ?? {};
    const health = c.healthcheck;
    return compact({
        Name: inputs.name,
        Labels: labelMap(inputs.labels),
        TaskTemplate: compact({
            ContainerSpec: compactLists({
                Image: c.image,
                Labels: labelMap(c.labels),
                Command: c.commands,
                Args: c.args,
                Hostname: c.hostname,
                Env: c.env === undefined ? undefined : Object.entries(c.env).map(([k, v]) => `${k}=${v}`),
                Dir: c.dir,
                User: c.user,
                ReadOnly: c.readOnly,
                Mounts: c.mounts?.map((m: Json) =>
                    compact({
                        Type: m.type,
                        Source: m.source,
                        Target: m.target,
                        ReadOnly: m.readOnly,
                        BindOptions: m.bindOptions === undefined ? undefined : { Propagation: m.bindOptions.propagation },
                    }),
                ),
                StopSignal: c.stopSignal,
                StopGracePeriod: durationNs(c.stopGracePeriod),
                Healthcheck:
                    health === undefined
                        ? undefined
                        : compact({
                              Test: health.tests,
                              Interval: nonZero(durationNs(health.interval ?? "0s")),
                              Timeout: nonZero(durationNs(health.timeout ?? "0s")),
                              StartPeriod: nonZero(durationNs(health.startPeriod ?? "0s")),
                              Retries: health.retries ?? 0,
                          }),
                Hosts: c.hosts?.map((h: Json) => `${h.ip} ${h.host}`),
                Secrets: c.secrets?.map((s: Json) => compact({ SecretID: s.secretId, SecretName: s.secretName, File: fileRef(s) })),
                Configs: c.configs?.map((s: Json) => compact({ ConfigID: s.configId, ConfigName: s.configName, File: fileRef(s) })),
                Sysctls: c.sysctl,
            }),
            RestartPolicy:
                task.restartPolicy === undefined
                    ? undefined
                    : compact({
                          Condition: task.restartPolicy.condition,
                          Delay: durationNs(task.restartPolicy.delay),
                          MaxAttempts: task.restartPolicy.maxAttempts,
                          Window: durationNs(task.restartPolicy.window),
                      }),
            Placement: task.placement === undefined ? undefined : compact({ Constraints: task.placement.constraints, MaxReplicas: task.placement.maxReplicas }),
            // Empty aliases are left out (the API type's omitempty).
            Networks: task.networksAdvanceds?.map((n: Json) => compact({ Target: n.id ?? n.name, Aliases: n.aliases?.length ? n.aliases : undefined })),
        }),
        Mode: inputs.mode?.global ? { Global: {} } : { Replicated: { Replicas: inputs.mode?.replicated?.replicas ?? 1 } },
        UpdateConfig: updateOrRollback(inputs.updateConfig),
        RollbackConfig: updateOrRollback(inputs.rollbackConfig),
        EndpointSpec:
            inputs.endpointSpec === undefined
                ? { Mode: "vip" }
                : compact({
                      Mode: inputs.endpointSpec.mode ?? "vip",
                      Ports: inputs.endpointSpec.ports?.map((p: Json) =>
                          compact({
                              Name: p.name,
                              Protocol: p.protocol ?? "tcp",
                              TargetPort: p.targetPort,
                              PublishedPort: p.publishedPort,
                              PublishMode: p.publishMode ?? "ingress",
                          }),
                      ),
                  }),
    });
}

/** What the provider created, by logical name: ids, and the spec of each service. */
export interface CreatedSwarm {
    ids: Map<string, string>;
    specs: Map<string, Json>;
}

const TYPES = {
    network: "docker:index/network:Network",
    config: "docker:index/serviceConfig:ServiceConfig",
    secret: "docker:index/secret:Secret",
    volume: "docker:index/volume:Volume",
    service: "docker:index/service:Service",
} as const;

/**
 * Creates every docker resource of a recorded evaluation on the engine, in dependency order, as `pulumi up`
 * would: the provider's ids stand in for the mocks' ids wherever one resource's input names another.
 * `adjust` may change a service's inputs first (the test's images instead of the official ones).
 */
export async function createRecorded(
    engine: DockerEngine,
    recorded: RecordedResource[],
    adjust: (name: string, inputs: Json) => Json = (_, i) => i,
): Promise<CreatedSwarm> {
    const ids = new Map<string, string>();
    const specs = new Map<string, Json>();
    // Mock ids are `${name}-id`: swap them for the engine's.
    const resolve = (value: unknown): unknown => {
        if (typeof value === "string" && value.endsWith("-id") && ids.has(value.slice(0, -3))) return ids.get(value.slice(0, -3));
        if (Array.isArray(value)) return value.map(resolve);
        if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v)]));
        return value;
    };
    const must = async (method: string, path: string, body: unknown) => {
        const r = await engine.call(method, path, body);
        if (r.status >= 300) throw new Error(`${method} ${path} answered ${r.status}: ${JSON.stringify(r.json)}`);
        return r.json as Json;
    };
    const order: (keyof typeof TYPES)[] = ["network", "config", "secret", "volume", "service"];
    const services = recorded.filter((r) => r.type === TYPES.service);
    // Services after the services they depend on (Redis before the registry, the registry before the front).
    services.sort((a, b) => (a.dependencies.some((d) => d.endsWith(`::${b.name}`)) ? 1 : b.dependencies.some((d) => d.endsWith(`::${a.name}`)) ? -1 : 0));
    for (const kind of order) {
        const list = kind === "service" ? services : recorded.filter((r) => r.type === TYPES[kind]);
        for (const r of list) {
            const inputs = resolve(unwrap(r.inputs)) as Json;
            if (kind === "network") ids.set(r.name, (await must("POST", "/networks/create", networkCreate(inputs))).Id);
            if (kind === "config") ids.set(r.name, (await must("POST", "/configs/create", configOrSecretCreate(inputs))).ID);
            if (kind === "secret") ids.set(r.name, (await must("POST", "/secrets/create", configOrSecretCreate(inputs))).ID);
            if (kind === "volume") ids.set(r.name, (await must("POST", "/volumes/create", volumeCreate(inputs))).Name);
            if (kind === "service") {
                const spec = serviceSpec(adjust(r.name, inputs));
                specs.set(r.name, spec);
                ids.set(r.name, (await must("POST", "/services/create", spec)).ID);
            }
        }
    }
    return { ids, specs };
}

/** POST /services/{id}/update with the current version, as the provider's update does. */
export async function updateService(engine: DockerEngine, id: string, change: (spec: Json) => Json): Promise<void> {
    const current = (await engine.call("GET", `/services/${id}`)).json as Json;
    const next = change(structuredClone(current.Spec));
    const r = await engine.call("POST", `/services/${id}/update?version=${current.Version.Index}`, next);
    if (r.status !== 200) throw new Error(`service update answered ${r.status}: ${JSON.stringify(r.json)}`);
}

/** A rolling restart of every task (`docker service update --force`). */
export function forceUpdate(engine: DockerEngine, id: string): Promise<void> {
    return updateService(engine, id, (spec) => {
        spec.TaskTemplate.ForceUpdate = (spec.TaskTemplate.ForceUpdate ?? 0) + 1;
        return spec;
    });
}

/** `docker service scale ID=N`, without waiting. */
export function setReplicas(engine: DockerEngine, id: string, replicas: number): Promise<void> {
    return updateService(engine, id, (spec) => {
        spec.Mode.Replicated.Replicas = replicas;
        return spec;
    });
}

/** The provider's convergeConfig: waits until every task of the service runs the current spec and is healthy. */
export async function waitConverged(engine: DockerEngine, id: string, replicas: number, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const service = (await engine.call("GET", `/services/${id}`)).json as Json;
        const tasks = (await engine.call("GET", `/tasks?filters=${encodeURIComponent(JSON.stringify({ service: [id], "desired-state": ["running"] }))}`))
            .json as Json[];
        const state = service.UpdateStatus?.State;
        // A task of the CURRENT spec (the update status may still say "completed" from the last update
        // right after a new one was posted); with a health check, Swarm reports it running once healthy.
        const current = JSON.stringify([service.Spec.TaskTemplate.ContainerSpec, service.Spec.TaskTemplate.ForceUpdate ?? 0]);
        const running = tasks.filter((t) => t.Status?.State === "running" && JSON.stringify([t.Spec?.ContainerSpec, t.Spec?.ForceUpdate ?? 0]) === current);
        if (running.length === replicas && tasks.length === replicas && (state === undefined || state === "completed")) return;
        if (state === "rollback_completed" || state === "paused")
            throw new Error(`service ${service.Spec.Name}: update ${state}: ${service.UpdateStatus?.Message}`);
        if (Date.now() > deadline) throw new Error(`service ${service.Spec.Name} did not converge: ${running.length}/${replicas} running, update ${state}`);
        await new Promise((r) => setTimeout(r, 250));
    }
}
