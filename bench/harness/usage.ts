/**
 * CPU time of the harness process and of the children it has waited for, from the kernel's
 * accounting (`/proc/self/stat`, Linux; zeros elsewhere).
 *
 * @module
 */

/** CPU seconds: this process's own, and its waited-for children's. */
export function cpuTimes(): { selfS: number; childrenS: number } {
  try {
    const stat = Deno.readTextFileSync("/proc/self/stat");
    // Fields after the command name: utime, stime, cutime, cstime are 12–15 (from 1) there,
    // in clock ticks of 1/100 s.
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return {
      selfS: (Number(f[11]) + Number(f[12])) / 100,
      childrenS: (Number(f[13]) + Number(f[14])) / 100,
    };
  } catch {
    return { selfS: 0, childrenS: 0 };
  }
}
