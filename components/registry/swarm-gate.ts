import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";

/** The gate's script, relative to the project root (the working directory of `pulumi`), like the readiness probe. */
export const SWARM_CHECK_SCRIPT = path.relative(process.cwd(), path.join(__dirname, "swarm-check.mjs")).split(path.sep).join("/");

/** How to reach the Docker engine: the docker provider's own config keys (`docker:host`, `docker:sshOpts`, TLS). */
export interface DockerConnection {
    /** `docker:host` (undefined: the local engine). */
    host?: string;
    /** `docker:sshOpts`: extra ssh options for an ssh:// host. */
    sshOpts?: string[];
    /** `docker:certPath`: a folder with ca.pem, cert.pem and key.pem for tcp:// with TLS. */
    certPath?: string;
    /** `docker:caMaterial`, `docker:certMaterial`, `docker:keyMaterial` (a secret): the same as PEM text. */
    caMaterial?: string;
    certMaterial?: string;
    keyMaterial?: string;
}

/** What the engine makes of an image when a service is created from it (swarm-check.mjs, `pin`). */
export interface ImagePin {
    /** `image:tag@sha256:...`: what the engine stores, and so what the service declares. */
    reference: string;
    /** The image's platforms: the Docker client writes them into the service's placement at creation. */
    platforms: { os: string; architecture: string }[];
    /** Why the engine could not resolve it (the image is then declared as given). */
    warning?: string;
}

export interface SwarmGateState {
    connection: DockerConnection;
    images: string[];
    /** The node id of the manager `connection` points at. */
    nodeId: string;
    pins: Record<string, ImagePin>;
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

const sameConnection = (a: DockerConnection, b: DockerConnection) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The Swarm gate as a resource, so it runs on every preview, up and refresh, not only on creation:
 * - diff (every preview and up) asks the engine again: a `docker:host` that is not a manager, or cannot be
 *   reached, is refused before anything changes; a manager replaced under the same `docker:host` (a new node
 *   id) updates the gate, and with it the placement of the front (and of replicas on a named volume);
 * - an image is resolved once, when it first appears (or its name changes): the reference and platforms the
 *   engine would store. They stay pinned in state until the name changes, so nothing moves when a tag is
 *   re-pushed upstream, and a second `pulumi up` declares exactly what the engine holds.
 * Secrets: `connection.keyMaterial` is a secret output (additionalSecretOutputs).
 */
class SwarmGateProvider implements pulumi.dynamic.ResourceProvider {
    async create(inputs: SwarmGateState): Promise<pulumi.dynamic.CreateResult> {
        const answer = runGate(inputs.connection, inputs.images);
        return { id: "swarm-gate", outs: { connection: inputs.connection, images: inputs.images, ...answer } };
    }

    async diff(_id: string, olds: SwarmGateState, news: SwarmGateState): Promise<pulumi.dynamic.DiffResult> {
        const changed: string[] = [];
        if (!sameConnection(olds.connection, news.connection)) changed.push("connection");
        if (JSON.stringify(olds.images) !== JSON.stringify(news.images)) changed.push("images");
        if (changed.length === 0 && runGate(news.connection, []).nodeId !== olds.nodeId) changed.push("nodeId");
        return { changes: changed.length > 0, replaces: [], deleteBeforeReplace: false };
    }

    async update(_id: string, olds: SwarmGateState, news: SwarmGateState): Promise<pulumi.dynamic.UpdateResult> {
        // Images resolved before keep their pins; new names are resolved now.
        const fresh = news.images.filter((image) => olds.pins?.[image] === undefined);
        const answer = runGate(news.connection, fresh);
        const pins = Object.fromEntries(news.images.map((image) => [image, answer.pins[image] ?? olds.pins[image]]));
        return { outs: { connection: news.connection, images: news.images, nodeId: answer.nodeId, pins } };
    }

    async read(id: string, props: SwarmGateState): Promise<pulumi.dynamic.ReadResult> {
        // A refresh sees a replaced manager; the pins stay what they are.
        return { id, props: { ...props, nodeId: runGate(props.connection, []).nodeId } };
    }

    async delete(): Promise<void> {
        // Nothing to delete: the gate only asks.
    }
}

export const swarmGateProvider = new SwarmGateProvider();

export interface SwarmGateArgs {
    /** The key material may be a secret Output. */
    connection: pulumi.Inputs;
    /** The images of the stack's services, to pin. */
    images: string[];
}

/** Nothing is created on a host that is not a Swarm manager: every Swarm object waits for this gate. */
export class SwarmGate extends pulumi.dynamic.Resource {
    declare readonly nodeId: pulumi.Output<string>;
    declare readonly pins: pulumi.Output<Record<string, ImagePin>>;

    constructor(name: string, args: SwarmGateArgs, opts?: pulumi.CustomResourceOptions) {
        super(swarmGateProvider, name, { ...args, nodeId: undefined, pins: undefined }, { ...opts, additionalSecretOutputs: ["connection"] });
    }

    /** The reference a service declares for `image`: pinned as the engine will store it. */
    reference(image: string): pulumi.Output<string> {
        return this.pins.apply((pins) => pins[image]?.reference ?? image);
    }

    /** The placement platforms a service declares for `image` (what the Docker client writes at creation). */
    platforms(image: string): pulumi.Output<{ os: string; architecture: string }[]> {
        return this.pins.apply((pins) => pins[image]?.platforms ?? []);
    }
}
