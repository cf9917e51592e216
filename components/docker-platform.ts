import type * as pulumi from "@pulumi/pulumi";
import { askEngine, askForDiff, type EngineRequest } from "./registry/swarm-gate";

/**
 * The platform of the Docker engine `docker:host` points at (`linux/amd64`, `linux/arm64`, ...), asked from the
 * engine itself (`GET /info`, by components/registry/swarm-check.mjs), for function images built there. Without
 * it the docker provider's Image builds for the platform of the machine that runs `pulumi` (its check fills an
 * unset `build.platform` with that), and a laptop of one architecture would push images another host cannot run.
 * Asked again on every preview and up (diff): a host of another architecture changes the platform, hence the
 * tags, hence a rebuild. A preview that cannot reach the engine (a CI job without the SSH key) shows the platform
 * unchanged, with a warning; `pulumi up` asks again (askForDiff).
 */
interface PlatformInputs {
    connection: object;
    /** True while the program runs for a preview (pulumi.runtime.isDryRun()). */
    preview?: boolean;
}

class DockerPlatformProvider implements pulumi.dynamic.ResourceProvider {
    async create(inputs: PlatformInputs): Promise<pulumi.dynamic.CreateResult> {
        return { id: "docker-platform", outs: { connection: inputs.connection, platform: await ask(inputs.connection) } };
    }

    async diff(_id: string, olds: { connection: object; platform: string }, news: PlatformInputs): Promise<pulumi.dynamic.DiffResult> {
        if (JSON.stringify(olds.connection) !== JSON.stringify(news.connection)) return { changes: true, replaces: [], deleteBeforeReplace: false };
        const answer = await askForDiff<{ platform: string }>(
            request(news.connection),
            news.preview,
            "the Docker host's platform (and the tags of images built there)",
        );
        return { changes: answer !== undefined && answer.platform !== olds.platform, replaces: [], deleteBeforeReplace: false };
    }

    async update(_id: string, _olds: object, news: PlatformInputs): Promise<pulumi.dynamic.UpdateResult> {
        return { outs: { connection: news.connection, platform: await ask(news.connection) } };
    }

    async read(id: string, props: { connection: object }): Promise<pulumi.dynamic.ReadResult> {
        return { id, props: { ...props, platform: await ask(props.connection) } };
    }

    async delete(): Promise<void> {
        // Nothing to delete: it only asks.
    }
}

function request(connection: object): EngineRequest {
    return { connection: connection as EngineRequest["connection"], platform: true };
}

async function ask(connection: object): Promise<string> {
    const reply = await askEngine<{ platform: string }>(request(connection));
    if ("answer" in reply) return reply.answer.platform;
    throw new Error(reply.message.replace("registry:mode swarm: ", ""));
}

export const dockerPlatformProvider = new DockerPlatformProvider();
