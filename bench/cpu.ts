// CPU time of the processes on this machine whose command line matches, from /proc (10 ms ticks): what a
// server side spent during a measured operation, read before and after it.
import { readdirSync, readFileSync } from "node:fs";

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
