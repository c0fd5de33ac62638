/**
 * Two corners of glibc's allocator, through FFI:
 *
 * - `malloc_trim(0)` hands memory that glibc keeps in its per-thread arenas back to the system.
 *   whisper.cpp allocates each session's compute buffers on whichever worker thread runs the call,
 *   so freed sessions leave arenas full of free pages: on a server that opened and closed 80
 *   sessions, RSS stood at 819 MB before the trim and 355 MB after it (decision 003).
 * - `mallopt` limits how many arenas there are and keeps the mmap threshold fixed, so large
 *   buffers (decoding states' compute buffers, megabytes each) are mapped and unmapped whole instead
 *   of fragmenting the arenas (decision 003's second addendum).
 *
 * Not glibc (musl, macOS, Windows): no-ops.
 *
 * @module
 */

interface Libc {
  trim: (pad: bigint) => number;
  mallopt: (param: number, value: number) => number;
}

let libc: Libc | null | undefined;

function open(): Libc | null {
  if (Deno.build.os !== "linux") return null;
  try {
    const lib = Deno.dlopen("libc.so.6", {
      malloc_trim: { parameters: ["usize"], result: "i32" },
      mallopt: { parameters: ["i32", "i32"], result: "i32" },
    });
    return {
      trim: (pad) => lib.symbols.malloc_trim(pad),
      mallopt: (param, value) => lib.symbols.mallopt(param, value),
    };
  } catch {
    return null;
  }
}

function get(): Libc | null {
  if (libc === undefined) libc = open();
  return libc;
}

/**
 * Returns free heap memory to the system where the C library can (glibc); returns whether it
 * could. Cheap enough to call after each session ends.
 */
export function releaseFreeMemory(): boolean {
  const c = get();
  if (!c) return false;
  c.trim(0n);
  return true;
}

/** glibc's `mallopt` parameters (malloc.h). */
const M_MMAP_THRESHOLD = -3;
const M_ARENA_MAX = -8;

/** How {@linkcode tuneAllocator} set glibc's allocator. */
export interface AllocatorSettings {
  /** Arenas at most (null: left as it was, glibc's default or `MALLOC_ARENA_MAX`). */
  arenaMax: number | null;
  /** Allocations from this size on are mapped on their own, bytes (null: left dynamic). */
  mmapThresholdBytes: number | null;
}

/**
 * Sets glibc's allocator up for a long-running server: at most `arenaMax` arenas and a fixed mmap
 * threshold. Call it at process start, before worker threads allocate. A setting the user made
 * through the environment (`MALLOC_ARENA_MAX`, `MALLOC_MMAP_THRESHOLD_`) is left alone. Returns
 * what it set; null where the C library is not glibc.
 */
export function tuneAllocator(
  opts: { arenaMax?: number; mmapThresholdBytes?: number } = {},
  env: (key: string) => string | undefined = (k) => Deno.env.get(k),
): AllocatorSettings | null {
  const c = get();
  if (!c) return null;
  const out: AllocatorSettings = { arenaMax: null, mmapThresholdBytes: null };
  const arenaMax = opts.arenaMax ?? 2;
  const threshold = opts.mmapThresholdBytes ?? 1024 * 1024;
  if (env("MALLOC_ARENA_MAX") === undefined && c.mallopt(M_ARENA_MAX, arenaMax) === 1) {
    out.arenaMax = arenaMax;
  }
  if (env("MALLOC_MMAP_THRESHOLD_") === undefined && c.mallopt(M_MMAP_THRESHOLD, threshold) === 1) {
    out.mmapThresholdBytes = threshold;
  }
  return out;
}
