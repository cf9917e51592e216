import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import { mustCheck, warn } from "../check-process";
import type { DockerConnection } from "./args";
import { SWARM_CHECK_SCRIPT } from "./swarm-gate";

interface FileInputs {
    connection: DockerConnection;
    /** The container's id. */
    container: string;
    path: string;
    /** The file's content (a secret). */
    content: string;
    /** Its mode, e.g. 0o400. */
    mode: number;
}

interface FileState extends FileInputs {
    /** sha256 of the content in the container: a refresh reads it again, so a file changed by hand is drift. */
    sha256: string;
}

interface FileAnswer {
    exists: boolean;
    sha256?: string;
    /** Set when the file was written where it is read, not renamed into place: why (the image has no `mv`). */
    inPlace?: string;
}

function sha256(text: string): string {
    return createHash("sha256").update(text, "utf8").digest("hex");
}

async function write(inputs: FileInputs): Promise<FileAnswer> {
    const answer = await mustCheck<FileAnswer>(SWARM_CHECK_SCRIPT, {
        connection: inputs.connection,
        file: { container: inputs.container, path: inputs.path, content: inputs.content, mode: inputs.mode },
    });
    if (answer.inPlace !== undefined) {
        await warn(
            `${inputs.path} was written in place in the container ${inputs.container}, not renamed into place (${answer.inPlace}): requests the registry took during the write may have been refused. Use an image that has mv (the official registry:3 has it)`,
        );
    }
    return answer;
}

/**
 * A file written into a running container through the Engine API (as `docker cp` does: swarm-check.mjs's `file`),
 * rewritten in place when its content changes, so the container is not replaced. The registry's htpasswd is kept
 * so: distribution re-reads it when its mtime changes, and a password rotation then costs no request (a replaced
 * container costs about a second of refused connections). The new content is written beside the file and renamed
 * over it (`mv` in the container), so the registry never reads it missing or half-written; an image without `mv`
 * gets it written in place, with a warning. The content goes to the engine over stdin only. A new
 * container (an id of its own) gets the file written again. diff asks no engine: a PR preview needs none; a
 * refresh reads the file's sha256 back.
 */
class ContainerFileProvider implements pulumi.dynamic.ResourceProvider {
    async create(inputs: FileInputs): Promise<pulumi.dynamic.CreateResult> {
        const answer = await write(inputs);
        return { id: `${inputs.container}:${inputs.path}`, outs: { ...inputs, sha256: answer.sha256 } };
    }

    async diff(_id: string, olds: FileState, news: FileInputs): Promise<pulumi.dynamic.DiffResult> {
        const changes = olds.container !== news.container || olds.path !== news.path || olds.mode !== news.mode || olds.sha256 !== sha256(news.content);
        return { changes, replaces: [], deleteBeforeReplace: false };
    }

    async update(_id: string, _olds: FileState, news: FileInputs): Promise<pulumi.dynamic.UpdateResult> {
        const answer = await write(news);
        return { outs: { ...news, sha256: answer.sha256 } };
    }

    async read(id: string, props: FileState): Promise<pulumi.dynamic.ReadResult> {
        const answer = await mustCheck<FileAnswer>(SWARM_CHECK_SCRIPT, {
            connection: props.connection,
            file: { container: props.container, path: props.path },
        });
        if (!answer.exists) return { id: "", props: {} };
        return { id, props: { ...props, sha256: answer.sha256 } };
    }

    async delete(): Promise<void> {
        // The file goes with its container.
    }
}

export const containerFileProvider = new ContainerFileProvider();
