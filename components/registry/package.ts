// The registry's own custom resources, as the faasreg package's provider (provider/) serves them: the htpasswd file
// written into the running container, and in Swarm mode the gate and the images' pins. Their logic is the dynamic
// providers beside this file (container-file.ts, swarm-gate.ts), served by the provider through its DynamicAdapter.
// One implementation for this stack and for the package's component in any language, and no provider serialized
// into the state (a dynamic resource carries its provider's code, about 62 KB, and the engine decodes it on every
// preview).
import * as pulumi from "@pulumi/pulumi";
import { CONTAINER_FILE_TOKEN, PINNED_IMAGE_TOKEN, SWARM_GATE_TOKEN } from "../../provider/schema";
import { packageResourceOptions as options } from "../package-resource";
import type { DockerConnectionArgs } from "./args";
import type { PinnedImageArgs, SwarmGateArgs } from "./swarm-gate";

/** What the htpasswd file takes: the running container, the file's path, content (a secret) and mode. */
export interface ContainerFileArgs {
    /** How to reach the engine (its client key a secret). */
    connection: pulumi.Input<DockerConnectionArgs | pulumi.Inputs>;
    /** The container's id. */
    container: pulumi.Input<string>;
    path: string;
    content: pulumi.Input<string>;
    /** E.g. 0o400. */
    mode: number;
}

/**
 * A file written into a running container (container-file.ts): the registry's htpasswd, rewritten in place on a
 * password rotation, so the container is not replaced. Its content and the engine's connection are secrets.
 */
export class ContainerFile extends pulumi.CustomResource {
    /** sha256 of the content in the container (a refresh reads it again: a file changed by hand is drift). */
    declare readonly sha256: pulumi.Output<string>;
    constructor(name: string, args: ContainerFileArgs, opts: pulumi.CustomResourceOptions = {}) {
        super(
            CONTAINER_FILE_TOKEN,
            name,
            { ...args, content: pulumi.secret(args.content), connection: pulumi.secret(args.connection), sha256: undefined },
            options(opts, ["content", "connection"]),
        );
    }
}

/**
 * Nothing is created on a host that is not a Swarm manager: every Swarm object waits for this gate (swarm-gate.ts,
 * on every preview, up and refresh). `dataVolume`: the registry's named volume, whose images a move to another node
 * would leave behind. The connection is a secret.
 */
export class SwarmGate extends pulumi.CustomResource {
    /** The node id of the manager the connection reaches. */
    declare readonly nodeId: pulumi.Output<string>;
    constructor(name: string, args: SwarmGateArgs, opts: pulumi.CustomResourceOptions = {}) {
        // `preview` tells the gate's diff whether an engine it cannot reach may be shown as no change.
        const inputs = { ...args, connection: pulumi.secret(args.connection), preview: pulumi.runtime.isDryRun(), nodeId: undefined };
        super(SWARM_GATE_TOKEN, name, inputs, options(opts, ["connection"]));
    }
}

/** The reference and placement platforms a service declares for `image`, as the engine will store them (swarm-gate.ts). */
export class PinnedImage extends pulumi.CustomResource {
    /** `image:tag@sha256:...`, or the image as given when the engine could not resolve it. */
    declare readonly reference: pulumi.Output<string>;
    /** What the Docker client writes into the service's placement at creation. */
    declare readonly platforms: pulumi.Output<{ os: string; architecture: string }[]>;
    /** Why the engine could not resolve it. */
    declare readonly warning: pulumi.Output<string | undefined>;
    constructor(name: string, args: PinnedImageArgs, opts: pulumi.CustomResourceOptions = {}) {
        super(
            PINNED_IMAGE_TOKEN,
            name,
            { ...args, connection: pulumi.secret(args.connection), reference: undefined, platforms: undefined, warning: undefined },
            options(opts, ["connection"]),
        );
    }
}
