import * as pulumi from "@pulumi/pulumi";
import { SWARM_CHECK_SCRIPT } from "./registry/swarm-gate";

/**
 * The platform of the Docker engine `docker:host` points at (`linux/amd64`, `linux/arm64`, ...), asked from the
 * engine itself (`GET /info`, by components/registry/swarm-check.mjs), for function images built there. Without
 * it the docker provider's Image builds for the platform of the machine that runs `pulumi` (its check fills an
 * unset `build.platform` with that), and a laptop of one architecture would push images another host cannot run.
 * Asked again on every preview and up (diff): a host of another architecture changes the platform, hence the
 * tags, hence a rebuild.
 */
class DockerPlatformProvider implements pulumi.dynamic.ResourceProvider {
    async create(inputs: { connection: object }): Promise<pulumi.dynamic.CreateResult> {
        return { id: "docker-platform", outs: { connection: inputs.connection, platform: ask(inputs.connection) } };
    }

    async diff(_id: string, olds: { connection: object; platform: string }, news: { connection: object }): Promise<pulumi.dynamic.DiffResult> {
        const changed = JSON.stringify(olds.connection) !== JSON.stringify(news.connection) || ask(news.connection) !== olds.platform;
        return { changes: changed, replaces: [], deleteBeforeReplace: false };
    }

    async update(_id: string, _olds: object, news: { connection: object }): Promise<pulumi.dynamic.UpdateResult> {
        return { outs: { connection: news.connection, platform: ask(news.connection) } };
    }

    async read(id: string, props: { connection: object }): Promise<pulumi.dynamic.ReadResult> {
        return { id, props: { ...props, platform: ask(props.connection) } };
    }

    async delete(): Promise<void> {
        // Nothing to delete: it only asks.
    }
}

function ask(connection: object): string {
    // Required here, not imported: the provider is serialized with its closure (see swarm-gate.ts).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { spawnSync } = require("node:child_process") as typeof import("node:child_process");
    const r = spawnSync(process.execPath, [SWARM_CHECK_SCRIPT], { input: JSON.stringify({ connection, platform: true }), encoding: "utf8", timeout: 120_000 });
    if (r.status !== 0) throw new Error((r.stderr || r.error?.message || `the engine check exited ${r.status}`).replace("registry:mode swarm: ", "").trim());
    return (JSON.parse(r.stdout) as { platform: string }).platform;
}

export const dockerPlatformProvider = new DockerPlatformProvider();

export class DockerPlatform extends pulumi.dynamic.Resource {
    /** `os/arch[/variant]`, as `docker build --platform` takes it. */
    declare readonly platform: pulumi.Output<string>;

    /** `connection`: the docker provider's connection keys (the key material may be a secret Output). */
    constructor(name: string, args: { connection: pulumi.Inputs }, opts?: pulumi.CustomResourceOptions) {
        super(dockerPlatformProvider, name, { ...args, platform: undefined }, { ...opts, additionalSecretOutputs: ["connection"] });
    }
}
