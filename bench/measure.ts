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
    const pids = readdirSync("/proc")
        .filter((d) => /^\d+$/.test(d))
        .filter((pid) => {
            try {
                return match(readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " "));
            } catch {
                return false; // gone meanwhile
            }
        });
    return pidsCpuMs(pids.map(Number));
}

/** CPU time (ms) these processes have used so far (utime + stime from /proc, 10 ms ticks); a process gone counts 0. */
export function pidsCpuMs(pids: number[]): number {
    let ticks = 0;
    for (const pid of pids) {
        try {
            const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
            ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
        } catch {
            // gone meanwhile
        }
    }
    return ticks * 10;
}

/** The pids whose parent is `parent` (field 4 of /proc/PID/stat). */
export function childPids(parent: number): number[] {
    return readdirSync("/proc")
        .filter((d) => /^\d+$/.test(d))
        .filter((pid) => {
            try {
                return Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ")[1]) === parent;
            } catch {
                return false;
            }
        })
        .map(Number);
}

/**
 * CPU time of the whole machine (user, nice, system, irq and softirq of every core, from /proc/stat, 10 ms ticks; not steal,
 * the hypervisor's):
 * for an operation whose work is spread over processes in a lab (an engine, containerd, the registry, a client) and the
 * kernel's network, which no process's account shows. Meaningful on a quiet machine only: read it beside the wall time.
 */
export function machineCpuMs(): number {
    const fields = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq] = fields;
    return (user + nice + system + irq + softirq) * 10;
}

/** Wall time of `f` and the machine's CPU time meanwhile, in ms. */
export async function timedWithCpu(f: () => unknown): Promise<{ wall: number; cpu: number }> {
    const cpu = machineCpuMs();
    const wall = await timed(async () => f());
    return { wall, cpu: machineCpuMs() - cpu };
}

/** Wall time of `f` and this process's CPU time meanwhile (user + system), in ms. */
export async function timedInProcess(f: () => unknown): Promise<{ wall: number; cpu: number }> {
    const cpu = process.cpuUsage();
    const wall = await timed(async () => f());
    const used = process.cpuUsage(cpu);
    return { wall, cpu: (used.user + used.system) / 1000 };
}
