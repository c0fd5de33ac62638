/**
 * A process's resident memory, now and at its peak, from the kernel (`/proc/<pid>/status`,
 * Linux; zeros elsewhere or when the process is gone).
 *
 * @module
 */

/** Resident memory of `pid` (default this process), MB, unrounded. */
export function processMemoryMb(
  pid: number | "self" = "self",
): { rssMb: number; peakRssMb: number } {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
    return { rssMb: kb("VmRSS") / 1024, peakRssMb: kb("VmHWM") / 1024 };
  } catch {
    return { rssMb: 0, peakRssMb: 0 };
  }
}
