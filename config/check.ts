// npm run config:check -- Pulumi.STACK.yaml [more stack files]
// Validates stack config files offline, before `pulumi up`: every problem at once, each with the key and
// the fix. Secrets (`secure:` values) cannot be decrypted here; a placeholder stands in for them, so
// their content is not checked, only that they are set and stored as secrets.
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { type ConfigProblem, type ConfigSource, parseStackConfig } from "./parse";
import { CONFIG_KEYS } from "./schema";

/** Stands in for an encrypted value: long enough to pass the password rules, obviously not real. */
export const SECRET_PLACEHOLDER = "placeholder-for-an-encrypted-secret";

function isSecure(value: unknown): boolean {
    return typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 1 && "secure" in value;
}

/** What Pulumi writes for an encrypted value: base64, with `v1:` and `:` separators for the passphrase provider. */
const CIPHERTEXT = /^(v1:)?[A-Za-z0-9+/=:]+$/;

/**
 * The value with every `secure:` replaced by the placeholder, whether any was, and the paths
 * (`registry:users[1].password`) of `secure:` values that are not ciphertext at all (an example's
 * placeholder, a value typed by hand), which Pulumi could not decrypt.
 */
function replaceSecure(value: unknown, path: string): { value: unknown; secret: boolean; fake: string[] } {
    if (isSecure(value)) {
        const ciphertext = (value as { secure: unknown }).secure;
        return { value: SECRET_PLACEHOLDER, secret: true, fake: typeof ciphertext === "string" && CIPHERTEXT.test(ciphertext) ? [] : [path] };
    }
    if (Array.isArray(value)) {
        const items = value.map((v, i) => replaceSecure(v, `${path}[${i}]`));
        return { value: items.map((i) => i.value), secret: items.some((i) => i.secret), fake: items.flatMap((i) => i.fake) };
    }
    if (typeof value === "object" && value !== null) {
        const entries = Object.entries(value).map(([k, v]) => [k, replaceSecure(v, `${path}.${k}`)] as const);
        return {
            value: Object.fromEntries(entries.map(([k, v]) => [k, v.value])),
            secret: entries.some(([, v]) => v.secret),
            fake: entries.flatMap(([, v]) => v.fake),
        };
    }
    return { value, secret: false, fake: [] };
}

/** `secure:` values in a stack's config that are not ciphertext, by path. */
export function placeholderSecrets(config: Record<string, unknown>): string[] {
    return Object.entries(config ?? {}).flatMap(([key, value]) => replaceSecure(value, key).fake);
}

/** A ConfigSource over the `config:` map of a stack file, as Pulumi would hand it to the program. */
export function stackFileSource(config: Record<string, unknown>): ConfigSource {
    const values = new Map<string, { raw: string; secret: boolean }>();
    for (const [key, value] of Object.entries(config ?? {})) {
        const { value: plain, secret } = replaceSecure(value, key);
        const raw = typeof plain === "string" ? plain : JSON.stringify(plain);
        values.set(key, { raw, secret });
    }
    return { get: (key) => values.get(key)?.raw, isSecret: (key) => values.get(key)?.secret ?? false };
}

/** Every problem in one stack file's text, unknown keys of our namespaces included. */
export function checkStackFile(text: string): ConfigProblem[] {
    const doc = (parse(text) ?? {}) as { config?: Record<string, unknown> };
    const config = doc.config ?? {};
    const problems: ConfigProblem[] = [];
    const known = new Set(CONFIG_KEYS.map((k) => k.key));
    for (const key of Object.keys(config)) {
        if (/^(registry|faas):/.test(key) && !known.has(key)) {
            const near = CONFIG_KEYS.map((k) => k.key).find((k) => k.toLowerCase() === key.toLowerCase());
            problems.push({ key, message: `is not a key this project reads${near ? `: did you mean ${near}?` : ""} (remove it: pulumi config rm ${key})` });
        }
    }
    for (const path of placeholderSecrets(config)) {
        const command = path.includes(".") || path.includes("[") ? `pulumi config set --secret --path '${path}'` : `pulumi config set --secret ${path}`;
        problems.push({ key: path, message: `holds a placeholder, not a value encrypted by Pulumi: set it with ${command} (it prompts for the value)` });
    }
    const result = parseStackConfig(stackFileSource(config));
    return [...problems, ...result.problems];
}

if (require.main === module) {
    const files = process.argv.slice(2);
    if (files.length === 0) {
        process.stderr.write("usage: npm run config:check -- Pulumi.STACK.yaml [...]\n");
        process.exit(2);
    }
    let failed = false;
    for (const file of files) {
        let problems: ConfigProblem[];
        try {
            problems = checkStackFile(readFileSync(file, "utf8"));
        } catch (error) {
            problems = [{ key: file, message: `cannot be read as a stack file: ${(error as Error).message}` }];
        }
        if (problems.length === 0) {
            process.stdout.write(`${file}: OK\n`);
        } else {
            failed = true;
            process.stdout.write(
                `${file}: ${problems.length} problem${problems.length === 1 ? "" : "s"}\n${problems.map((p) => `  - ${p.key}: ${p.message}`).join("\n")}\n`,
            );
        }
    }
    process.exit(failed ? 1 : 0);
}
