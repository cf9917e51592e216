import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
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
}

/** Runs swarm-check.mjs; its refusal (not a manager, unreachable) becomes the error pulumi shows. */
function runGate(connection: DockerConnection, resolve: string[]): GateAnswer {
    // Required here, not imported: the provider is serialized with its closure, and a module the program
    // imported would be captured as an object (which cannot be serialized) instead of required again.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { spawnSync } = require("node:child_process") as typeof import("node:child_process");
    const r = spawnSync(process.execPath, [SWARM_CHECK_SCRIPT], { input: JSON.stringify({ connection, resolve }), encoding: "utf8", timeout: 120_000 });
    if (r.status !== 0) throw new Error((r.stderr || r.error?.message || `the Swarm gate exited ${r.status}`).trim());
    return JSON.parse(r.stdout) as GateAnswer;
}

interface GateState {
    connection: DockerConnection;
    /** The node id of the manager `connection` points at. */
    nodeId: string;
}

/**
 * The Swarm gate as a resource, so it runs on every preview, up and refresh, not only on creation: its diff
 * asks the engine again, so a `docker:host` that is not a manager, or cannot be reached, is refused before
 * anything changes, and a manager replaced under the same `docker:host` (a new node id) updates the gate, and
 * with it the placement of the front (and of replicas on a named volume). Its `connection.keyMaterial` is a
 * secret output (additionalSecretOutputs).
 */
class SwarmGateProvider implements pulumi.dynamic.ResourceProvider {
    async create(inputs: GateState): Promise<pulumi.dynamic.CreateResult> {
        return { id: "swarm-gate", outs: { connection: inputs.connection, nodeId: runGate(inputs.connection, []).nodeId } };
    }

    async diff(_id: string, olds: GateState, news: GateState): Promise<pulumi.dynamic.DiffResult> {
        const changed = JSON.stringify(olds.connection) !== JSON.stringify(news.connection) || runGate(news.connection, []).nodeId !== olds.nodeId;
        return { changes: changed, replaces: [], deleteBeforeReplace: false };
    }

    async update(_id: string, _olds: GateState, news: GateState): Promise<pulumi.dynamic.UpdateResult> {
        return { outs: { connection: news.connection, nodeId: runGate(news.connection, []).nodeId } };
    }

    async read(id: string, props: GateState): Promise<pulumi.dynamic.ReadResult> {
        // A refresh sees a replaced manager.
        return { id, props: { ...props, nodeId: runGate(props.connection, []).nodeId } };
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
        const pin = runGate(inputs.connection, [inputs.image]).pins[inputs.image];
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

/** Nothing is created on a host that is not a Swarm manager: every Swarm object waits for this gate. */
export class SwarmGate extends pulumi.dynamic.Resource {
    declare readonly nodeId: pulumi.Output<string>;

    /** `connection`: the key material may be a secret Output. */
    constructor(name: string, args: { connection: pulumi.Inputs }, opts?: pulumi.CustomResourceOptions) {
        super(swarmGateProvider, name, { ...args, nodeId: undefined }, { ...opts, additionalSecretOutputs: ["connection"] });
    }
}

/** The reference and placement platforms a service declares for `image`, as the engine will store them. */
export class PinnedImage extends pulumi.dynamic.Resource {
    /** `image:tag@sha256:...`, or the image as given when the engine could not resolve it. */
    declare readonly reference: pulumi.Output<string>;
    /** What the Docker client writes into the service's placement at creation. */
    declare readonly platforms: pulumi.Output<{ os: string; architecture: string }[]>;
    /** Why the engine could not resolve it. */
    declare readonly warning: pulumi.Output<string | undefined>;

    constructor(name: string, args: { connection: pulumi.Inputs; image: string }, opts?: pulumi.CustomResourceOptions) {
        super(
            imagePinProvider,
            name,
            { ...args, reference: undefined, platforms: undefined, warning: undefined },
            { ...opts, additionalSecretOutputs: ["connection"] },
        );
    }
}
