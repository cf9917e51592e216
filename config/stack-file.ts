// A stack file's `config:` map (Pulumi.STACK.yaml) read the way the program needs it: as a ConfigSource
// whose encrypted values are HIDDEN (set, secret, content unknown: no check may judge them), and with
// where each secret sits. Pulumi's runtime says only whether a whole key holds a secret somewhere; the file
// says which values inside it are encrypted, so a plaintext `registry:users[1].password` beside an
// encrypted `users[0]` is found only here.
import { existsSync, readFileSync } from "node:fs";
import { parse } from "yaml";
import type { ConfigSource } from "./parse";

/** Stands in for an encrypted value: it has no content any check may judge (see `ConfigSource.isHidden`). */
export const SECRET_PLACEHOLDER = "placeholder-for-an-encrypted-secret";

function isSecure(value: unknown): boolean {
    return typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 1 && "secure" in value;
}

/** What Pulumi writes for an encrypted value: base64, with `v1:` and `:` separators for the passphrase provider. */
const CIPHERTEXT = /^(v1:)?[A-Za-z0-9+/=:]+$/;

interface Walked {
    value: unknown;
    /** Paths (`registry:users[1].password`) of encrypted values. */
    secure: string[];
    /** Paths of `secure:` values that are not ciphertext (an example's placeholder), which Pulumi cannot decrypt. */
    fake: string[];
}

function walk(value: unknown, path: string): Walked {
    if (isSecure(value)) {
        const ciphertext = (value as { secure: unknown }).secure;
        return { value: SECRET_PLACEHOLDER, secure: [path], fake: typeof ciphertext === "string" && CIPHERTEXT.test(ciphertext) ? [] : [path] };
    }
    if (Array.isArray(value)) {
        const items = value.map((v, i) => walk(v, `${path}[${i}]`));
        return { value: items.map((i) => i.value), secure: items.flatMap((i) => i.secure), fake: items.flatMap((i) => i.fake) };
    }
    if (typeof value === "object" && value !== null) {
        const entries = Object.entries(value).map(([k, v]) => [k, walk(v, `${path}.${k}`)] as const);
        return {
            value: Object.fromEntries(entries.map(([k, v]) => [k, v.value])),
            secure: entries.flatMap(([, v]) => v.secure),
            fake: entries.flatMap(([, v]) => v.fake),
        };
    }
    return { value, secure: [], fake: [] };
}

/** `secure:` values in a stack's config that are not ciphertext, by path. */
export function placeholderSecrets(config: Record<string, unknown>): string[] {
    return Object.entries(config ?? {}).flatMap(([key, value]) => walk(value, key).fake);
}

/** The paths of the encrypted values in a stack's config (`faas:password`, `registry:users[0].password`). */
export function securePaths(config: Record<string, unknown>): Set<string> {
    return new Set(Object.entries(config ?? {}).flatMap(([key, value]) => walk(value, key).secure));
}

/** A ConfigSource over the `config:` map of a stack file, as Pulumi would hand it to the program. */
export function stackFileSource(config: Record<string, unknown>): ConfigSource {
    const values = new Map<string, { raw: string; secret: boolean }>();
    const secure = securePaths(config);
    for (const [key, value] of Object.entries(config ?? {})) {
        const walked = walk(value, key);
        values.set(key, { raw: typeof walked.value === "string" ? walked.value : JSON.stringify(walked.value), secret: walked.secure.length > 0 });
    }
    return {
        get: (key) => values.get(key)?.raw,
        isSecret: (key) => values.get(key)?.secret ?? false,
        keys: () => [...values.keys()],
        isHidden: (path) => secure.has(path),
        securePaths: () => secure,
    };
}

/** The `config:` map of the stack file beside the program (`Pulumi.<stack>.yaml`), if there is one. */
export function readStackFileConfig(path: string): Record<string, unknown> | undefined {
    if (!existsSync(path)) return undefined;
    try {
        return ((parse(readFileSync(path, "utf8")) ?? {}) as { config?: Record<string, unknown> }).config ?? {};
    } catch {
        return undefined; // Pulumi itself reports a stack file it cannot read.
    }
}
