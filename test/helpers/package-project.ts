// A program that consumes the faasreg package (provider/), copied into a lab and made ready the way a user's
// `pulumi package add` and `npm install` make it: the SDK generated from the provider's schema, node_modules
// linked to the repository's own (a lab has no network). Used by test/e2e/package-languages.test.ts and the bench.
import { cpSync, mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT, type PulumiStack } from "./pulumi-cli";

export const PROVIDER_DIR = join(PROJECT_ROOT, "provider");

/** Copies the program folder `source` to `dest`, its `packages:` path to the provider made absolute (the copy is not beside it). */
export function copyPackageProgram(source: string, dest: string): string {
    cpSync(source, dest, { recursive: true });
    const file = join(dest, "Pulumi.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace(/faasreg: [./]*provider/, `faasreg: ${PROVIDER_DIR}`));
    return dest;
}

/** For a TypeScript program: the SDK (`pulumi package gen-sdk`) as node_modules/@faasreg/pulumi, @pulumi and @types the repository's. */
export async function prepareTypeScriptProgram(stack: PulumiStack, project: string): Promise<void> {
    const gen = await stack.spawnInLab(["pulumi", "package", "gen-sdk", PROVIDER_DIR, "--language", "nodejs", "--out", join(project, "sdks")], {
        cwd: project,
    });
    if (gen.status !== 0) throw new Error(`pulumi package gen-sdk failed:\n${gen.out.slice(-4000)}`);
    renameSync(join(project, "sdks", "nodejs"), join(project, "sdks", "faasreg"));
    mkdirSync(join(project, "node_modules", "@faasreg"), { recursive: true });
    symlinkSync(join(project, "sdks", "faasreg"), join(project, "node_modules", "@faasreg", "pulumi"));
    for (const scope of ["@pulumi", "@types"]) symlinkSync(join(PROJECT_ROOT, "node_modules", scope), join(project, "node_modules", scope));
}
