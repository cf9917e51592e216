/**
 * Why a test file cannot run here: every requirement it lacks, each named once (a root, a package, a FAASREG_*
 * variable), so one reading says all there is to install or export. Undefined when nothing is missing. The
 * SKIPPED line goes to stderr, where .ci/run's log shows it.
 */
export function skipping(file: string, ...reasons: (string | undefined)[]): string | undefined {
    const reason = missing(...reasons);
    if (reason !== undefined) process.stderr.write(`${file}: SKIPPED: ${reason}\n`);
    return reason;
}

/** Every reason given, once each, joined; undefined when there is none. */
export function missing(...reasons: (string | undefined)[]): string | undefined {
    const all = [...new Set(reasons.flatMap((r) => (r === undefined ? [] : r.split("; "))))];
    return all.length === 0 ? undefined : all.join("; ");
}
