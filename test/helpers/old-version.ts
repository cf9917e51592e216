// The version of this project before its functions were the faasreg package's (their dynamic resource, the
// provider serialized into the state), from the repository's own history: what the upgrade test upgrades from,
// and the "before" of the bench's engine figures.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "./pulumi-cli";

/** main on 12-04, the last version whose functions were dynamic resources. */
export const DYNAMIC_FUNCTIONS_VERSION = "21800d8";

/** Why that version cannot be checked out here (undefined when it can). */
export function oldVersionSkipReason(): string | undefined {
    const r = spawnSync("git", ["-C", PROJECT_ROOT, "cat-file", "-e", `${DYNAMIC_FUNCTIONS_VERSION}^{commit}`]);
    return r.status === 0
        ? undefined
        : `commit ${DYNAMIC_FUNCTIONS_VERSION} (the version before the package) is not in this clone's history (a shallow clone?): git fetch --unshallow`;
}

/** That version's files in `dest` (`git archive`), with this checkout's node_modules (the same dependencies). */
export function checkoutOldVersion(dest: string): string {
    mkdirSync(dest, { recursive: true });
    execFileSync("sh", ["-c", `git -C "${PROJECT_ROOT}" archive ${DYNAMIC_FUNCTIONS_VERSION} | tar -x -C "${dest}"`]);
    symlinkSync(join(PROJECT_ROOT, "node_modules"), join(dest, "node_modules"));
    return dest;
}
