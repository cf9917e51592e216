// The version of this project before its functions were the faasreg package's (their dynamic resource, the
// provider serialized into the state), from the repository's own history: what the upgrade test upgrades from,
// and the "before" of the bench's engine figures.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "./pulumi-cli";

/** main on 12-04, the last version whose functions were dynamic resources. */
export const DYNAMIC_FUNCTIONS_VERSION = "21800d8";

/**
 * main on 12-04, evening: the last version whose functions' resources sent every input, those at the provider's
 * default too (test/e2e/upgrade-previous.test.ts upgrades from it).
 */
export const EXPLICIT_DEFAULTS_VERSION = "1240095";

/** Why that version cannot be checked out here (undefined when it can). */
export function oldVersionSkipReason(commit = DYNAMIC_FUNCTIONS_VERSION): string | undefined {
    const r = spawnSync("git", ["-C", PROJECT_ROOT, "cat-file", "-e", `${commit}^{commit}`]);
    return r.status === 0 ? undefined : `commit ${commit} (a version before this one) is not in this clone's history (a shallow clone?): git fetch --unshallow`;
}

/** That version's files in `dest` (`git archive`), with this checkout's node_modules (the same dependencies). */
export function checkoutOldVersion(dest: string, commit = DYNAMIC_FUNCTIONS_VERSION): string {
    mkdirSync(dest, { recursive: true });
    execFileSync("sh", ["-c", `git -C "${PROJECT_ROOT}" archive ${commit} | tar -x -C "${dest}"`]);
    symlinkSync(join(PROJECT_ROOT, "node_modules"), join(dest, "node_modules"));
    return dest;
}
