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

/**
 * Resident memory of `pid` and every process below it, summed, MB (Linux: each thread's
 * `children` list; 0 when the process is gone). A program that does its work in a child process
 * (a Python launcher, a shell) is measured whole.
 */
export function processTreeRssMb(pid: number): number {
  let total = 0;
  const seen = new Set<number>();
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop()!;
    if (seen.has(p)) continue;
    seen.add(p);
    total += processMemoryMb(p).rssMb;
    try {
      for (const t of Deno.readDirSync(`/proc/${p}/task`)) {
        const kids = Deno.readTextFileSync(`/proc/${p}/task/${t.name}/children`).trim();
        if (kids) stack.push(...kids.split(/\s+/).map(Number));
      }
    } catch {
      // Gone, or not Linux.
    }
  }
  return total;
}
