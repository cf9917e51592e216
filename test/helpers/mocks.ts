import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";

/** The marker Pulumi's mock monitor puts around secret values it passes to `newResource`. */
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SIG_KEY = "4dabf18193072939515e22adb298388d";

export interface RecordedResource {
    type: string;
    name: string;
    /** Inputs as the engine would receive them: secrets still wrapped in the signature object. */
    inputs: Record<string, unknown>;
    /** URNs of the resources this one depends on (dependsOn and inputs' dependencies). */
    dependencies: string[];
    /** URN of the parent resource. */
    parent: string;
    /** Resource options as the engine receives them. */
    options: {
        retainOnDelete?: boolean;
        deleteBeforeReplace: boolean;
        /** Whether deleteBeforeReplace was given (false given overrides a provider that asks for delete-first). */
        deleteBeforeReplaceDefined?: boolean;
        additionalSecretOutputs: string[];
        ignoreChanges?: string[];
        /** The provider reference (`URN::ID`), when one was given or inherited. */
        provider?: string;
        /** The aliases, as the URNs or specs the SDK sends. */
        aliases?: unknown[];
    };
}

interface RegisterRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getDependenciesList(): string[];
    getRetainondelete(): boolean | undefined;
    getDeletebeforereplace(): boolean;
    getDeletebeforereplacedefined(): boolean;
    getAdditionalsecretoutputsList(): string[];
    getIgnorechangesList(): string[];
    getProvider(): string;
    getAliasesList(): { toObject?(): unknown }[];
}

export function isSecretWrapped(value: unknown): value is { value: unknown } {
    return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/** Removes the secret wrappers (for asserting on values). */
export function unwrap(value: unknown): unknown {
    if (isSecretWrapped(value)) return unwrap(value.value);
    if (Array.isArray(value)) return value.map(unwrap);
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrap(v)]));
    }
    return value;
}

/** A deterministic stand-in for a random provider result: same name, same value, on every run. */
export function fakeRandom(name: string, length: number): string {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const bytes = createHash("sha512").update(`fake-random:${name}`).digest();
    return Array.from({ length }, (_, i) => alphabet[bytes[i % bytes.length] % alphabet.length]).join("");
}

/** What the Swarm gate answers under mocks: the node id of the manager `docker:host` points at, */
export const MOCK_NODE_ID = "mocknode0123456789abcdefg";
/** the digest of every image, */
export const MOCK_DIGEST = `sha256:${"0".repeat(64)}`;
/** and its platform. */
export const MOCK_PLATFORM = { os: "linux", architecture: "amd64" };

/** Outputs each provider computes that the program reads; everything else echoes the inputs. */
function computedOutputs(type: string, name: string, inputs: Record<string, unknown>, hostPlatform = "linux/amd64"): Record<string, unknown> {
    switch (type) {
        case "random:index/randomPassword:RandomPassword":
            return { result: fakeRandom(name, Number(unwrap(inputs.length))) };
        case "docker:index/remoteImage:RemoteImage":
            return {
                imageId: `sha256:${createHash("sha256")
                    .update(String(unwrap(inputs.name)))
                    .digest("hex")}`,
                // determineRepoDigest: the repository (no tag) @ the digest the engine pulled.
                repoDigest: `${String(unwrap(inputs.name)).replace(/:[^/:@]+$/, "")}@${MOCK_DIGEST}`,
            };
        case "docker:index/image:Image": {
            // As the provider reports a pushed image: repository@digest.
            const imageName = String(unwrap(inputs.imageName));
            return { repoDigest: `${imageName.replace(/:[^/:]+$/, "")}@sha256:${createHash("sha256").update(imageName).digest("hex")}` };
        }
        case "docker:index/volume:Volume":
            return { name: inputs.name ?? `${name}-volume` };
        case "command:local:Command":
            return { stdout: "", stderr: "" };
        // The Swarm gate (components/registry/swarm-gate.ts): the manager's node id (a lab swaps in the real one),
        case "faasreg:registry:SwarmGate":
            return { nodeId: MOCK_NODE_ID };
        // and its image pins: each pinned as the engine would pin an amd64 image (MOCK_DIGEST).
        case "faasreg:registry:PinnedImage":
            return { reference: `${unwrap(inputs.image)}@${MOCK_DIGEST}`, platforms: [MOCK_PLATFORM] };
        // The Docker host's platform (components/docker-platform.ts).
        case "faasreg:faas:DockerPlatform":
            return { platform: hostPlatform };
        default:
            return {};
    }
}

/**
 * Installs mocks that record every resource and throw on any `call` (a missing mock must fail loudly,
 * not hang or pass). Call before importing the code under test.
 */
export async function installMocks(
    options: {
        preview?: boolean;
        firstPreview?: boolean;
        project?: string;
        stack?: string;
        /** What the Docker host's engine reports. */ hostPlatform?: string;
        /**
         * Pulumi's own unit-testing pattern (its testing guide): every resource's state is its inputs, nothing
         * computed, as users mock their stacks. Nothing a provider computes (a platform, a node id) is there.
         */
        echoInputs?: boolean;
    } = {},
): Promise<RecordedResource[]> {
    const recorded: RecordedResource[] = [];
    // The mock monitor does not pass dependencies to newResource: note them from the request first.
    const pending = new Map<string, { dependencies: string[]; parent: string; options: RecordedResource["options"] }>();
    await pulumi.runtime.setMocks(
        {
            newResource(args: pulumi.runtime.MockResourceArgs) {
                const request = pending.get(`${args.type}::${args.name}`);
                recorded.push({
                    type: args.type,
                    name: args.name,
                    inputs: args.inputs,
                    dependencies: request?.dependencies ?? [],
                    parent: request?.parent ?? "",
                    options: request?.options ?? { deleteBeforeReplace: false, additionalSecretOutputs: [] },
                });
                // The first preview of a stack: nothing exists yet, so what providers compute (generated passwords,
                // image digests) is unknown, and so is everything derived from it.
                const computed = options.firstPreview || options.echoInputs ? {} : computedOutputs(args.type, args.name, args.inputs, options.hostPlatform);
                const state = { ...args.inputs, ...computed };
                return { id: `${args.name}-id`, state };
            },
            call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
                throw new Error(`unexpected provider call ${args.token} in a test: add a mock for it`);
            },
        },
        options.project ?? "faas-registry",
        options.stack ?? "test",
        options.preview ?? options.firstPreview ?? false,
    );
    const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource: (req: RegisterRequest, cb: unknown) => Promise<void> };
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, cb) => {
        pending.set(`${req.getType()}::${req.getName()}`, {
            dependencies: req.getDependenciesList(),
            parent: req.getParent(),
            options: {
                retainOnDelete: req.getRetainondelete(),
                deleteBeforeReplace: req.getDeletebeforereplace(),
                deleteBeforeReplaceDefined: req.getDeletebeforereplacedefined(),
                additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
                ignoreChanges: req.getIgnorechangesList(),
                provider: req.getProvider() || undefined,
                aliases: req.getAliasesList().map((a) => (a.toObject ? a.toObject() : a)),
            },
        });
        return register(req, cb);
    };
    return recorded;
}

/** Resolves an Output's value; rejects (instead of hanging) when it is unknown. */
export function outputValue<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
        const o = output as unknown as { isKnown: Promise<boolean> };
        o.isKnown.then((known) => {
            if (!known) reject(new Error("output is unknown (would only be known after apply)"));
        }, reject);
        output.apply((v) => {
            resolve(v);
            return v;
        });
    });
}

/**
 * Waits until the program has stopped registering resources: the recorded list has not grown for
 * `quietMs`. Registrations go through promise chains, so a fixed number of ticks is not enough.
 */
export async function settle(recorded: RecordedResource[], quietMs = 100): Promise<void> {
    let count = -1;
    let quietSince = Date.now();
    for (;;) {
        await new Promise((r) => setTimeout(r, 10));
        if (recorded.length !== count) {
            count = recorded.length;
            quietSince = Date.now();
        } else if (Date.now() - quietSince >= quietMs) {
            return;
        }
    }
}

export function findResource(recorded: RecordedResource[], type: string, name: string): RecordedResource {
    const found = recorded.find((r) => r.type === type && r.name === name);
    if (found === undefined) {
        throw new Error(`no ${type} named ${name}; recorded: ${recorded.map((r) => `${r.type}:${r.name}`).join(", ")}`);
    }
    return found;
}

/** The engine's marker for a value not known yet, as it sends it to providers. */
const ENGINE_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/**
 * A resource's recorded inputs as the engine sends them to a provider that does not accept secrets:
 * secrets unwrapped, values not known yet (a preview's) as the engine's unknown marker, absent values left out.
 */
export function engineInputs(inputs: Record<string, unknown>): Record<string, unknown> {
    const convert = (value: unknown): unknown => {
        if (isUnknownValue(value)) return ENGINE_UNKNOWN;
        if (isSecretWrapped(value)) return convert(value.value);
        if (Array.isArray(value)) return value.map(convert);
        if (typeof value === "object" && value !== null) {
            return Object.fromEntries(
                Object.entries(value)
                    .filter(([, v]) => v !== undefined)
                    .map(([k, v]) => [k, convert(v)]),
            );
        }
        return value;
    };
    return convert(inputs) as Record<string, unknown>;
}

function isUnknownValue(value: unknown): boolean {
    return pulumi.isUnknown(value) && !pulumi.Output.isInstance(value);
}
