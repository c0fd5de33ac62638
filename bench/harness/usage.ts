/**
 * CPU time of the harness process and of the children it has waited for, from the kernel's
 * accounting (`/proc/self/stat`, Linux; zeros elsewhere).
 *
 * @module
 */

/** CPU seconds of another running process (its own, not its children's); 0 if unknown. */
export function processCpuS(pid: number): number {
  return statTimes(`/proc/${pid}/stat`).selfS;
}

/** CPU seconds: this process's own, and its waited-for children's. */
export function cpuTimes(): { selfS: number; childrenS: number } {
  return statTimes("/proc/self/stat");
}

function statTimes(path: string): { selfS: number; childrenS: number } {
  try {
    const stat = Deno.readTextFileSync(path);
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

/** Memory in use on all GPUs, MB, from `nvidia-smi --query-gpu=memory.used` output; null if none. */
export function parseGpuMemoryUsed(csv: string): number | null {
  const values = csv.split("\n").map((l) => l.trim()).filter(Boolean).map(Number);
  if (!values.length || values.some((v) => !Number.isFinite(v))) return null;
  return values.reduce((a, b) => a + b, 0);
}

async function gpuMemoryUsedMb(): Promise<number | null> {
  try {
    const out = await new Deno.Command("nvidia-smi", {
      args: ["--query-gpu=memory.used", "--format=csv,noheader,nounits"],
      stdout: "piped",
      stderr: "null",
    }).output();
    return out.success ? parseGpuMemoryUsed(new TextDecoder().decode(out.stdout)) : null;
  } catch {
    return null;
  }
}

/**
 * The peak GPU memory a SUT takes: device-wide memory in use is polled from `nvidia-smi` (process
 * lists are often empty inside containers), and the peak is reported above the level measured
 * when sampling started, before the SUT loaded its model. Only meaningful with one benchmark on
 * the GPU at a time.
 */
export class GpuMemoryPeak {
  #base: number;
  #peak: number;
  #timer: ReturnType<typeof setInterval>;
  #polling = false;

  private constructor(base: number, intervalMs: number) {
    this.#base = this.#peak = base;
    this.#timer = setInterval(async () => {
      if (this.#polling) return;
      this.#polling = true;
      const mb = await gpuMemoryUsedMb();
      this.#polling = false;
      if (mb !== null) this.#peak = Math.max(this.#peak, mb);
    }, intervalMs);
  }

  /** Starts sampling, or resolves null when there is no NVIDIA GPU (no `nvidia-smi`). */
  static async start(intervalMs = 500): Promise<GpuMemoryPeak | null> {
    const base = await gpuMemoryUsedMb();
    return base === null ? null : new GpuMemoryPeak(base, intervalMs);
  }

  /** Samples once more and returns the peak so far above the starting level, MB. */
  async sample(): Promise<number> {
    const mb = await gpuMemoryUsedMb();
    if (mb !== null) this.#peak = Math.max(this.#peak, mb);
    return this.#peak - this.#base;
  }

  /** Stops sampling. */
  stop(): void {
    clearInterval(this.#timer);
  }
}
