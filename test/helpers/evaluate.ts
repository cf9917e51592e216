import * as pulumi from "@pulumi/pulumi";
import { installMocks, type RecordedResource, settle } from "./mocks";

export interface EvaluatedStack {
    recorded: RecordedResource[];
    exports: Record<string, unknown>;
}

export interface EvaluateOptions {
    secretKeys?: string[];
    preview?: boolean;
    firstPreview?: boolean;
    /** The stack's name (default "test"). */
    stack?: string;
    /** The platform the Docker host's engine reports (default linux/amd64). */
    hostPlatform?: string;
}

/**
 * Evaluates `index.ts` under mocks with the given stack config (`namespace:key` -> raw string value, as
 * Pulumi hands it over) and returns every declared resource and the stack's exports. Without a test
 * runner (the bench): the program's modules must not have been loaded in this process yet.
 */
export async function evaluateProgram(config: Record<string, string>, options: EvaluateOptions = {}): Promise<EvaluatedStack> {
    const recorded = await installMocks({
        preview: options.preview,
        firstPreview: options.firstPreview,
        stack: options.stack,
        hostPlatform: options.hostPlatform,
    });
    pulumi.runtime.setAllConfig(config, options.secretKeys ?? Object.keys(config).filter((k) => /password|privateKey|certificate|users/.test(k)));
    const exports = (await import("../../index")) as Record<string, unknown>;
    await settle(recorded);
    return { recorded, exports };
}
