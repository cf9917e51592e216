// The docker provider, modelled both ways, for machines without the real engine (FAASREG_PULUMI_BIN unset: CI until
// the maintainers place the binaries; test/e2e/pulumi-*.test.ts run the real one where they are):
// - what it SENDS: the recorded inputs translated to the Engine API the way terraform-provider-docker v4.5.0 does
//   (resource_docker_service_structures.go `createContainerSpec` and friends, and the schema defaults):
//   durations parsed to nanoseconds, a stop grace period and `Init` always sent (0 and false when unset),
//   secret/config files owned by 0:0 mode 0444 unless given, label sets to maps, networks by id;
// - what it READS BACK into state after every operation and on refresh (`flattenTaskSpec`,
//   `flattenContainerSpec`, `flattenTaskNetworksAdvanced`, `flattenTaskRestartPolicy`, `flattenTaskPlacement`,
//   `flattenServiceUpdateOrRollbackConfig`; `resourceDockerNetworkRead`), which the next `pulumi up` diffs
//   against the declared inputs: `serviceReadBack`, `networkReadBack`.
// `test/registry.swarm-translate.test.ts` checks both field by field, and that every declared input survives
// send -> store -> read back unchanged (a second `pulumi up` changes nothing); the e2e test checks that a real
// engine stores the bodies as sent.
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
                // Unset, the provider still sends it: time.ParseDuration("") fails and leaves 0.
                StopGracePeriod: durationNs(c.stopGracePeriod ?? "0s"),
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
                // expandContainerSpec appends cap_add as given (a list, in order).
                CapabilityAdd: c.capAdds,
                // Sent whenever the engine's API is 1.37 or newer: false unless declared.
                Init: c.init ?? false,
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
            Placement:
                task.placement === undefined
                    ? undefined
                    : compact({
                          Constraints: task.placement.constraints,
                          MaxReplicas: task.placement.maxReplicas,
                          Platforms: task.placement.platforms?.map((p: Json) => ({ Architecture: p.architecture, OS: p.os })),
                      }),
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

/** Go's shortDur: a duration in ns as the provider writes it back ("2s", "1m30s", "250ms", "0s"). */
export function shortDur(ns: number | undefined): string {
    const value = ns ?? 0;
    if (value === 0) return "0s";
    const parts: string[] = [];
    let rest = value;
    const h = Math.floor(rest / 3600e9);
    rest -= h * 3600e9;
    const m = Math.floor(rest / 60e9);
    rest -= m * 60e9;
    if (h > 0) parts.push(`${h}h`);
    if (h > 0 || m > 0) parts.push(`${m}m`);
    if (rest > 0 || parts.length === 0) parts.push(rest % 1e9 === 0 ? `${rest / 1e9}s` : rest < 1e9 ? `${rest / 1e6}ms` : `${rest / 1e9}s`);
    // shortDur drops a trailing "0s" and "0m" ("1m0s" -> "1m", "1h0m0s" -> "1h").
    return parts
        .join("")
        .replace(/([hm])0s$/, "$1")
        .replace(/h0m$/, "h");
}

/** A set element's sort key, whatever the order of its keys: a set's order is no part of its value. */
export const canonical = (value: unknown): string =>
    JSON.stringify(value, (_, v: unknown) =>
        v !== null && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
    );

/**
 * A stored ServiceSpec as the provider reads it back into state (resourceDockerServiceReadRefreshFunc ->
 * flattenTaskSpec, flattenContainerSpec, ...), in the program's property names, for the fields the stack
 * declares. What the engine keeps that is not read back (a network's name) is simply absent.
 */
export function serviceReadBack(spec: Json): Json {
    const t = spec.TaskTemplate ?? {};
    const c = t.ContainerSpec ?? {};
    const set = <T>(list: T[] | undefined) => (list === undefined ? undefined : [...list].sort((a, b) => canonical(a).localeCompare(canonical(b))));
    const fileRefBack = (f: Json) => compact({ fileName: f.Name, fileUid: f.UID || undefined, fileGid: f.GID || undefined, fileMode: f.Mode });
    const containerSpec = compact({
        image: c.Image || undefined,
        labels:
            c.Labels === undefined || Object.keys(c.Labels).length === 0
                ? undefined
                : set(Object.entries(c.Labels).map(([label, value]) => ({ label, value }))),
        commands: c.Command?.length ? c.Command : undefined,
        args: c.Args?.length ? c.Args : undefined,
        mounts: c.Mounts?.length
            ? set(c.Mounts.map((m: Json) => compact({ target: m.Target, source: m.Source, type: m.Type, readOnly: m.ReadOnly ?? false })))
            : undefined,
        stopGracePeriod: c.StopGracePeriod === undefined ? undefined : shortDur(c.StopGracePeriod),
        healthcheck:
            c.Healthcheck === undefined
                ? undefined
                : compact({
                      tests: c.Healthcheck.Test,
                      interval: shortDur(c.Healthcheck.Interval),
                      timeout: shortDur(c.Healthcheck.Timeout),
                      startPeriod: shortDur(c.Healthcheck.StartPeriod),
                      retries: c.Healthcheck.Retries ?? 0,
                  }),
        secrets: c.Secrets?.length
            ? set(c.Secrets.map((x: Json) => compact({ secretId: x.SecretID, secretName: x.SecretName || undefined, ...fileRefBack(x.File) })))
            : undefined,
        configs: c.Configs?.length
            ? set(c.Configs.map((x: Json) => compact({ configId: x.ConfigID, configName: x.ConfigName || undefined, ...fileRefBack(x.File) })))
            : undefined,
        // flattenContainerSpec: cap_add and sysctl only when not empty, as the engine stores them.
        capAdds: c.CapabilityAdd?.length ? c.CapabilityAdd : undefined,
        sysctl: c.Sysctls === undefined || Object.keys(c.Sysctls).length === 0 ? undefined : c.Sysctls,
        init: c.Init,
    });
    const r = t.RestartPolicy;
    return compact({
        name: spec.Name,
        labels: spec.Labels === undefined ? undefined : set(Object.entries(spec.Labels).map(([label, value]) => ({ label, value }))),
        taskSpec: compact({
            containerSpec,
            restartPolicy:
                r === undefined
                    ? undefined
                    : compact({
                          condition: r.Condition || undefined,
                          delay: r.Delay === undefined ? undefined : shortDur(r.Delay),
                          maxAttempts: r.MaxAttempts,
                          window: r.Window === undefined ? undefined : shortDur(r.Window),
                      }),
            placement:
                t.Placement === undefined
                    ? undefined
                    : compact({
                          constraints: t.Placement.Constraints?.length ? set(t.Placement.Constraints) : undefined,
                          platforms: t.Placement.Platforms?.length
                              ? set(t.Placement.Platforms.map((p: Json) => ({ architecture: p.Architecture, os: p.OS })))
                              : undefined,
                      }),
            // flattenTaskNetworksAdvanced: only `id` (the attachment's target) is read back, never `name`.
            networksAdvanceds: t.Networks?.length
                ? t.Networks.map((n: Json) => compact({ id: n.Target, aliases: n.Aliases?.length ? n.Aliases : undefined }))
                : undefined,
        }),
        mode: spec.Mode?.Global ? { global: true } : { replicated: { replicas: spec.Mode?.Replicated?.Replicas } },
        updateConfig: updateOrRollbackBack(spec.UpdateConfig),
        rollbackConfig: updateOrRollbackBack(spec.RollbackConfig),
        endpointSpec: compact({
            mode: spec.EndpointSpec?.Mode,
            ports: spec.EndpointSpec?.Ports?.map((p: Json) =>
                compact({ name: p.Name, protocol: p.Protocol, targetPort: p.TargetPort, publishedPort: p.PublishedPort, publishMode: p.PublishMode }),
            ),
        }),
    });
}

function updateOrRollbackBack(c: Json | undefined): Json | undefined {
    if (c === undefined) return undefined;
    return {
        parallelism: c.Parallelism ?? 0,
        delay: shortDur(c.Delay),
        failureAction: c.FailureAction ?? "",
        monitor: shortDur(c.Monitor),
        maxFailureRatio: Number(c.MaxFailureRatio ?? 0).toFixed(1),
        order: c.Order ?? "",
    };
}

/** resourceDockerNetworkRead: every option the engine stores is read back (its overlay branch never runs for a Swarm network). */
export function networkReadBack(stored: Json): Json {
    return compact({ name: stored.Name, driver: stored.Driver, attachable: stored.Attachable, options: stored.Options ?? {} });
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
