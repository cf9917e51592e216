import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { type CheckReply, checkForDiff, mustCheck, runCheck, warn } from "../check-process";
import type { DockerConnection } from "./args";

/** The gate's script, relative to the project root (the working directory of `pulumi`), like the readiness probe. */
export const SWARM_CHECK_SCRIPT = path.relative(process.cwd(), path.join(__dirname, "swarm-check.mjs")).split(path.sep).join("/");

/** What the engine makes of an image when a service is created from it (swarm-check.mjs, `pin`). */
export interface ImagePin {
    /** `image:tag@sha256:...`: what the engine stores, and so what the service declares. */
    reference: string;
    /** The image's platforms: the Docker client writes them into the service's placement at creation. */
    platforms: { os: string; architecture: string }[];
    /** Why the engine could not resolve it (the image is then declared as given). */
    warning?: string;
}

interface GateAnswer {
    nodeId: string;
    pins: Record<string, ImagePin>;
    /** The data volume on this node, when asked (`volume`). */
    volume?: { exists: boolean; bytes: number; labels: Record<string, string> };
}

/** What the engine check is asked: `resolve` images to pin, a `volume` to look at, or only the `platform`. */
export interface EngineRequest {
    connection: DockerConnection;
    resolve?: string[];
    volume?: string;
    platform?: boolean;
}

/** The engine check (swarm-check.mjs) with `request`: see components/check-process.ts. */
export function askEngine<T>(request: EngineRequest): Promise<CheckReply<T>> {
    return runCheck<T>(SWARM_CHECK_SCRIPT, request);
}

/** The engine's answer; its refusal (not a manager, unreachable) becomes the error pulumi shows. */
export function mustAsk<T>(request: EngineRequest): Promise<T> {
    return mustCheck<T>(SWARM_CHECK_SCRIPT, request);
}

/** The engine's answer for a diff; in a preview that cannot reach the engine, undefined after a warning. */
export function askForDiff<T>(request: EngineRequest, preview: boolean | undefined, what: string): Promise<T | undefined> {
    return checkForDiff<T>(SWARM_CHECK_SCRIPT, request, preview, what, "the Docker engine");
}

/** The volume label that lets the gate move the registry onto an empty volume on purpose. */
export const START_EMPTY_LABEL = "faasreg.start-empty";

/**
 * Why moving the registry's tasks from node `from` to the node of `answer` would lose its images: with a named
 * volume (registry:storage filesystem without registry:sharedPath) the data lives on one node, and a task placed
 * on another mounts the empty volume Swarm makes there. Undefined when nothing moves, or the volume on the new node
 * holds data (a backup restored there) or carries START_EMPTY_LABEL.
 */
export function dataMoveRefusal(
    from: string | undefined,
    answer: GateAnswer,
    dataVolume: string | undefined,
    connection: DockerConnection,
): string | undefined {
    if (dataVolume === undefined || from === undefined || from === answer.nodeId) return undefined;
    const volume = answer.volume;
    if (volume === undefined || (volume.exists && (volume.bytes !== 0 || volume.labels[START_EMPTY_LABEL] === "true"))) return undefined;
    const where = connection.host ?? "the local engine";
    return (
        `registry:mode swarm: the manager under docker:host (${where}) is node ${answer.nodeId}, but the registry's images are in the volume ` +
        `${dataVolume} on node ${from}, and on ${answer.nodeId} that volume ${volume.exists ? "is empty" : "does not exist"}: pulumi up would move the ` +
        "registry there and serve an empty registry. Nothing was changed. Either restore a backup of the volume onto that node first " +
        '(README, "Backup and restore"), or keep the images where every node reaches them (registry:sharedPath, or registry:storage s3). ' +
        `To start empty there on purpose: docker volume create --label ${START_EMPTY_LABEL}=true ${dataVolume} (on that node), then pulumi up`
    );
}

interface GateInputs {
    connection: DockerConnection;
    /** True while the program runs for a preview (pulumi.runtime.isDryRun()): see askForDiff. */
    preview?: boolean;
    /** The registry's data volume, when its images live on the manager's node (a named volume). */
    dataVolume?: string;
}

interface GateState extends GateInputs {
    /** The node id of the manager `connection` points at. */
    nodeId: string;
}

const gateRequest = (inputs: GateInputs): EngineRequest => ({ connection: inputs.connection, ...(inputs.dataVolume ? { volume: inputs.dataVolume } : {}) });
const gateOutputs = (inputs: GateInputs, nodeId: string): GateState => ({
    connection: inputs.connection,
    nodeId,
    ...(inputs.dataVolume ? { dataVolume: inputs.dataVolume } : {}),
});

/**
 * The Swarm gate as a resource, so it runs on every preview, up and refresh, not only on creation: its diff
 * asks the engine again, so a `docker:host` that is not a manager is refused before anything changes, and a
 * manager replaced under the same `docker:host` (a new node id) updates the gate, and with it the placement of
 * the front (and of replicas on a named volume), unless that would leave the images behind (dataMoveRefusal).
 * A preview that cannot reach the engine shows the gate unchanged, with a warning (askForDiff). Its
 * `connection.keyMaterial` is a secret output (additionalSecretOutputs).
 */
class SwarmGateProvider implements pulumi.dynamic.ResourceProvider {
    async create(inputs: GateInputs): Promise<pulumi.dynamic.CreateResult> {
        const answer = await mustAsk<GateAnswer>(gateRequest(inputs));
        return { id: "swarm-gate", outs: gateOutputs(inputs, answer.nodeId) };
    }

    async diff(_id: string, olds: GateState, news: GateInputs): Promise<pulumi.dynamic.DiffResult> {
        const connectionChanged = JSON.stringify(olds.connection) !== JSON.stringify(news.connection);
        const answer = await askForDiff<GateAnswer>(gateRequest(news), news.preview, "the Swarm gate (and where the front and replicas run)");
        if (answer === undefined) return { changes: connectionChanged, replaces: [], deleteBeforeReplace: false };
        const refusal = dataMoveRefusal(olds.nodeId, answer, news.dataVolume, news.connection);
        if (refusal !== undefined) throw new Error(refusal);
        return { changes: connectionChanged || answer.nodeId !== olds.nodeId, replaces: [], deleteBeforeReplace: false };
    }

    async update(_id: string, olds: GateState, news: GateInputs): Promise<pulumi.dynamic.UpdateResult> {
        const answer = await mustAsk<GateAnswer>(gateRequest(news));
        const refusal = dataMoveRefusal(olds.nodeId, answer, news.dataVolume, news.connection);
        if (refusal !== undefined) throw new Error(refusal);
        return { outs: gateOutputs(news, answer.nodeId) };
    }

    async read(id: string, props: GateState): Promise<pulumi.dynamic.ReadResult> {
        // A refresh sees a replaced manager, unless taking its node id would move the images' tasks onto an empty
        // volume at the next up: then the state keeps the old node, and up's diff refuses, saying what to do.
        const answer = await mustAsk<GateAnswer>(gateRequest(props));
        const refusal = dataMoveRefusal(props.nodeId, answer, props.dataVolume, props.connection);
        if (refusal !== undefined) {
            await warn(refusal.replace(/^registry:mode swarm: /, ""));
            return { id, props };
        }
        return { id, props: { ...props, nodeId: answer.nodeId } };
    }

    async delete(): Promise<void> {
        // Nothing to delete: the gate only asks.
    }
}

interface PinState extends ImagePin {
    connection: DockerConnection;
    image: string;
}

/**
 * An image pinned as the engine will store it: resolved once, when it first appears (or its name changes), and
 * kept in state, so nothing moves when a tag is re-pushed upstream and a second `pulumi up` declares exactly
 * what the engine holds. One resource per image, so adding or removing one image (Redis) leaves the others'
 * pins known in a preview.
 */
class ImagePinProvider implements pulumi.dynamic.ResourceProvider {
    async create(inputs: PinState): Promise<pulumi.dynamic.CreateResult> {
        const pin = (await mustAsk<GateAnswer>({ connection: inputs.connection, resolve: [inputs.image] })).pins[inputs.image];
        return { id: inputs.image, outs: { connection: inputs.connection, image: inputs.image, ...pin } };
    }

    async diff(_id: string, olds: PinState, news: PinState): Promise<pulumi.dynamic.DiffResult> {
        // Only the name matters: how the engine is reached does not change what the image is.
        return { changes: olds.image !== news.image, replaces: olds.image !== news.image ? ["image"] : [], deleteBeforeReplace: false };
    }

    async read(id: string, props: PinState): Promise<pulumi.dynamic.ReadResult> {
        return { id, props };
    }

    async delete(): Promise<void> {
        // Nothing to delete.
    }
}

export const swarmGateProvider = new SwarmGateProvider();
export const imagePinProvider = new ImagePinProvider();

/** What the Swarm gate takes: how to reach the engine, and the registry's named volume (see SwarmGate). */
export interface SwarmGateArgs {
    connection: pulumi.Inputs;
    dataVolume?: string;
}

/** What the pin takes: how to reach the engine, and the image to pin. */
export interface PinnedImageArgs {
    connection: pulumi.Inputs;
    image: string;
}
