import { closest, distance } from "fastest-levenshtein";

/** One thing wrong with a component's arguments: where (`users[1].username`) and what to do about it. */
export interface Problem {
    path: string;
    message: string;
}

/** Thrown for invalid arguments before any resource is declared; lists every problem found. */
export class ArgumentError extends Error {
    constructor(
        readonly component: string,
        readonly problems: Problem[],
    ) {
        super(`${component}: invalid arguments:\n${problems.map((p) => `  - ${p.path}: ${p.message}`).join("\n")}`);
        this.name = "ArgumentError";
    }
}

/** A problem collector: `add(path, reason)` ignores an undefined reason, so checks read as one line each. */
export function collector(): { problems: Problem[]; add: (path: string, message: string | undefined) => void } {
    const problems: Problem[] = [];
    return { problems, add: (path, message) => message !== undefined && void problems.push({ path, message }) };
}

/** Why `value` is not a map of strings to strings (undefined when it is, or is absent). */
export function checkStringMap(value: unknown): string | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "object" || Array.isArray(value)) return `must be a map of strings, e.g. {"KEY": "value"}, got ${describe(value)}`;
    const bad = Object.entries(value as Record<string, unknown>).find(([, v]) => typeof v !== "string");
    return bad === undefined ? undefined : `must be a map of strings, but "${bad[0]}" is ${describe(bad[1])}: quote the value`;
}

export function checkStringList(value: unknown): string | undefined {
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) return `must be a list of strings, got ${describe(value)}`;
    return undefined;
}

export function describe(value: unknown): string {
    if (value === undefined) return "nothing";
    if (value === null) return "null";
    if (Array.isArray(value)) return "a list";
    if (typeof value === "object") return "an object";
    if (typeof value === "string") return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
    return `${typeof value} ${String(value)}`;
}

/** `servce (did you mean service?), envVar (did you mean envVars?)`: unknown keys, each with the nearest allowed one. */
export function unknownKeysNamed(unknown: readonly string[], allowed: readonly string[]): string {
    return unknown
        .map((k) => {
            const near = allowed.find((a) => a.toLowerCase() === k.toLowerCase()) ?? closest(k, [...allowed]);
            return distance(k.toLowerCase(), near.toLowerCase()) <= Math.max(2, Math.floor(near.length / 4)) ? `${k} (did you mean ${near}?)` : k;
        })
        .join(", ");
}
