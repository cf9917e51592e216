// Checks shared by argument validation (at preview, in the program) and the provider's check (in the
// faasreg provider's process). Kept free of heavy imports: the provider loads them on its start.
import { describe } from "../problems";

/** The gateway's function-name pattern (docs/upstream.md), within Swarm's 63-character service-name limit. */
export const SERVICE_NAME = /^[-a-zA-Z_0-9.]{1,63}$/;
const RESOURCE_KEYS = ["memory", "cpu"];

export function checkResources(value: unknown): string | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "object" || Array.isArray(value)) return `must be {memory?, cpu?}, got ${describe(value)}`;
    const unknown = Object.keys(value).filter((k) => !RESOURCE_KEYS.includes(k));
    if (unknown.length > 0)
        return `has unknown key(s) ${unknown.map((k) => `"${k}"`).join(", ")}: only "memory" (e.g. "128m") and "cpu" (e.g. "0.5") are allowed`;
    const bad = Object.entries(value).find(([, v]) => typeof v !== "string");
    return bad === undefined ? undefined : `"${bad[0]}" must be a string such as "128m" or "0.5", got ${describe(bad[1])}`;
}
