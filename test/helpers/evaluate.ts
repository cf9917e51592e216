import { join } from "node:path";
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
    /** Pulumi's standard unit-test mocks: every resource's state is its inputs (installMocks). */
    echoInputs?: boolean;
}

/**
 * Evaluates `index.ts` under mocks with the given stack config (`namespace:key` -> raw string value, as
 * Pulumi hands it over) and returns every declared resource and the stack's exports. Without a test
 * runner (the bench), the program's own modules (index.ts, components/, config/) are dropped from the
 * module cache first, so a second evaluation in one process runs the program again.
 */
export async function evaluateProgram(config: Record<string, string>, options: EvaluateOptions = {}): Promise<EvaluatedStack> {
    const recorded = await installMocks({
        preview: options.preview,
        firstPreview: options.firstPreview,
        stack: options.stack,
        hostPlatform: options.hostPlatform,
        echoInputs: options.echoInputs,
    });
    pulumi.runtime.setAllConfig(config, options.secretKeys ?? Object.keys(config).filter((k) => /password|privateKey|certificate|users|kubeconfig/.test(k)));
    let exports: Record<string, unknown>;
    if (process.env.VITEST !== undefined) {
        // Under vitest, evaluateStack resets the module graph (vi.resetModules) before each evaluation.
        exports = (await import("../../index")) as Record<string, unknown>;
    } else {
        const root = join(__dirname, "..", "..");
        for (const file of Object.keys(require.cache)) {
            if ([join(root, "index.ts"), join(root, "components"), join(root, "config")].some((p) => file === p || file.startsWith(`${p}/`)))
                delete require.cache[file];
        }
        // A plain require: import() here may be served from the ESM loader's cache, which cannot be emptied.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        exports = require("../../index") as Record<string, unknown>;
    }
    await settle(recorded);
    return { recorded, exports };
}
