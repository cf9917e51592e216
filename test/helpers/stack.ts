import { vi } from "vitest";
import { type EvaluatedStack, type EvaluateOptions, evaluateProgram } from "./evaluate";

export type { EvaluatedStack } from "./evaluate";

/**
 * Evaluates `index.ts` under mocks with the given stack config (`namespace:key` -> raw string value, as
 * Pulumi hands it over) and returns every declared resource and the stack's exports. Each call starts
 * from fresh modules, as a new `pulumi up` would.
 */
export async function evaluateStack(config: Record<string, string>, options: EvaluateOptions = {}): Promise<EvaluatedStack> {
    vi.resetModules();
    return evaluateProgram(config, options);
}

/** The dev stack's config: the registry on 127.0.0.1:5000 over plain HTTP with one generated user. */
export const LOCAL_CONFIG: Record<string, string> = { "registry:tls": "none" };
