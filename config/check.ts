// npm run config:check -- Pulumi.STACK.yaml [more stack files]
// Validates stack config files offline, before `pulumi up`: every problem at once, each with the key and
// the fix. Secrets (`secure:` values) cannot be decrypted here: they are hidden from every check of their
// content; only that they are set, and stored as secrets, is checked.
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { type ConfigProblem, parseStackConfig } from "./parse";
import { placeholderSecrets, stackFileSource } from "./stack-file";

export { stackFileSource } from "./stack-file";

/** Every problem in one stack file's text (unknown keys of our namespaces are parseStackConfig's). */
export function checkStackFile(text: string): ConfigProblem[] {
    const doc = (parse(text) ?? {}) as { config?: Record<string, unknown> };
    const config = doc.config ?? {};
    const problems: ConfigProblem[] = [];
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
