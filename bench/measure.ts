// What every bench file measures with: medians, wall time of an async step, and the CPU time of processes.
import { readdirSync, readFileSync } from "node:fs";

export const median = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Wall time of `f`, in ms. */
export const timed = async (f: () => Promise<unknown>): Promise<number> => {
    const t = performance.now();
    await f();
    return performance.now() - t;
};

/**
 * CPU time of the processes on this machine whose command line matches, from /proc (10 ms ticks): what a
 * server side spent during a measured operation, read before and after it.
 */
export function processCpuMs(match: (cmdline: string) => boolean): number {
    let ticks = 0;
    for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
        try {
            if (!match(readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " "))) continue;
            const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
            ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
        } catch {
            // gone meanwhile
        }
    }
    return ticks * 10;
}
