/**
 * What a hostile client of the soak did and what it got: named counts (`connections`,
 * `status_408`, `bytes_sent` …) and its own errors, counted apart from the honest sessions' and
 * never thrown.
 *
 * @module
 */

/** A hostile client's report, as the results file holds it. */
export interface HostileReport {
  kind: string;
  /** What it did and what came back, by name. */
  counts: Record<string, number>;
  /** Its own failures (not the server's answers): how many, and the first few. */
  errors: number;
  error_samples: string[];
}

/** How many error messages a report keeps. */
const SAMPLES = 10;

/** Counts for one hostile kind; see the module doc. */
export class Tally {
  readonly #report: HostileReport;

  constructor(kind: string) {
    this.#report = { kind, counts: {}, errors: 0, error_samples: [] };
  }

  /** Adds `n` to the count `key`. */
  add(key: string, n = 1): void {
    this.#report.counts[key] = (this.#report.counts[key] ?? 0) + n;
  }

  /** The count `key` (0 if never added). */
  get(key: string): number {
    return this.#report.counts[key] ?? 0;
  }

  /** Records one of the client's own failures. */
  error(err: unknown): void {
    this.#report.errors++;
    if (this.#report.error_samples.length < SAMPLES) {
      this.#report.error_samples.push(err instanceof Error ? err.message : String(err));
    }
  }

  /** The report so far, with its counts in name order. */
  report(): HostileReport {
    const r = this.#report;
    const counts = Object.fromEntries(Object.entries(r.counts).sort(([a], [b]) => a < b ? -1 : 1));
    return { ...r, counts, error_samples: [...r.error_samples] };
  }
}

/** Waits `ms`, or less once `signal` aborts; resolves whether it was aborted. */
export function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve(signal.aborted);
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}

/**
 * Runs `once` again and again until `signal` aborts, starting one at most every `everyMs`; a
 * throw is counted in `tally`, never passed on.
 */
export function repeat(
  tally: Tally,
  everyMs: number,
  signal: AbortSignal,
  once: () => Promise<void>,
): Promise<void> {
  return loop(tally, signal, once, (tookMs) => Math.max(0, everyMs - tookMs));
}

/**
 * Runs `once` again and again until `signal` aborts, waiting `gapMs` after each run ends; a throw
 * is counted in `tally`, never passed on.
 */
export function repeatAfter(
  tally: Tally,
  gapMs: number,
  signal: AbortSignal,
  once: () => Promise<void>,
): Promise<void> {
  return loop(tally, signal, once, () => gapMs);
}

async function loop(
  tally: Tally,
  signal: AbortSignal,
  once: () => Promise<void>,
  waitMs: (tookMs: number) => number,
): Promise<void> {
  while (!signal.aborted) {
    const t0 = performance.now();
    try {
      await once();
    } catch (err) {
      tally.error(err);
    }
    if (await pause(waitMs(performance.now() - t0), signal)) return;
  }
}
