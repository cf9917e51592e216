import * as pulumi from "@pulumi/pulumi";
import { vi } from "vitest";
import { installMocks, type RecordedResource, settle } from "./mocks";

export interface EvaluatedStack {
    recorded: RecordedResource[];
    exports: Record<string, unknown>;
}

/**
 * Evaluates `index.ts` under mocks with the given stack config (`namespace:key` -> raw string value, as
 * Pulumi hands it over) and returns every declared resource and the stack's exports. Each call starts
 * from fresh modules, as a new `pulumi up` would.
 */
export async function evaluateStack(
    config: Record<string, string>,
    options: { secretKeys?: string[]; preview?: boolean; firstPreview?: boolean } = {},
): Promise<EvaluatedStack> {
    vi.resetModules();
    const recorded = await installMocks({ preview: options.preview, firstPreview: options.firstPreview });
    pulumi.runtime.setAllConfig(config, options.secretKeys ?? Object.keys(config).filter((k) => /password|privateKey|certificate|users/.test(k)));
    const exports = (await import("../../index")) as Record<string, unknown>;
    await settle(recorded);
    return { recorded, exports };
}

/** The dev stack's config: the registry on 127.0.0.1:5000 over plain HTTP with one generated user. */
export const LOCAL_CONFIG: Record<string, string> = { "registry:tls": "none" };
