/**
 * The download progress display of `deno task model`: a redrawn bar on a terminal, a plain line
 * every ~10 % otherwise (logs, CI).
 *
 * @module
 */

import type { DownloadProgress } from "./download.ts";

const MIB = 1048576;

/** `12.3 MiB`. */
export function formatMiB(bytes: number): string {
  return `${(bytes / MIB).toFixed(1)} MiB`;
}

/** `74.1 MiB` below 1 GiB, `1.51 GiB` above. */
export function formatSize(bytes: number): string {
  return bytes < 1024 * MIB ? formatMiB(bytes) : `${(bytes / (1024 * MIB)).toFixed(2)} GiB`;
}

/**
 * One progress line: `tiny.en [#####-----]  42.1 %  32.7/74.1 MiB  5.3 MiB/s`; without a known
 * total: `tiny.en  32.7 MiB  5.3 MiB/s`.
 *
 * @param bytesPerSecond transfer rate of this run (resumed bytes excluded)
 */
export function formatProgress(p: DownloadProgress, bytesPerSecond: number, barWidth = 24): string {
  const rate = `${(bytesPerSecond / MIB).toFixed(1)} MiB/s`;
  if (p.total === null || p.total <= 0) return `${p.name}  ${formatMiB(p.received)}  ${rate}`;
  const fraction = Math.min(1, p.received / p.total);
  const filled = Math.round(fraction * barWidth);
  const bar = "#".repeat(filled) + "-".repeat(barWidth - filled);
  const pct = `${(fraction * 100).toFixed(1).padStart(5)} %`;
  const sizes = `${(p.received / MIB).toFixed(1)}/${formatMiB(p.total)}`;
  return `${p.name} [${bar}] ${pct}  ${sizes}  ${rate}`;
}

/** Where and how {@linkcode createProgressReporter} writes. */
export interface ReporterOptions {
  /** Writes text as is (no newline added). */
  write: (text: string) => void;
  /** Redraw one line in place (terminal) or print a line every ~10 %. */
  interactive: boolean;
  /** Clock in milliseconds; defaults to `performance.now`. */
  now?: () => number;
  /** Least time between two redraws on a terminal, ms (default 100). */
  redrawMs?: number;
}

/** A progress sink for one download: feed it every report, then call `end()`. */
export interface ProgressReporter {
  /** Takes one progress report. */
  update(p: DownloadProgress): void;
  /** Finishes the display (the terminal line gets its newline). */
  end(): void;
}

/** Creates the display for one download. */
export function createProgressReporter(opts: ReporterOptions): ProgressReporter {
  const now = opts.now ?? (() => performance.now());
  const redrawMs = opts.redrawMs ?? 100;
  let start: number | null = null;
  let lastDraw = -Infinity;
  let lastBucket = -1;
  let last: DownloadProgress | null = null;
  let lastT = 0;
  let drawn: DownloadProgress | null = null;

  const rate = (p: DownloadProgress, t: number) => {
    const seconds = start === null ? 0 : (t - start) / 1000;
    return seconds > 0 ? (p.received - p.resumedFrom) / seconds : 0;
  };
  // Without a total, a plain line every 32 MiB stands in for 10 %.
  const bucket = (p: DownloadProgress) =>
    p.total !== null && p.total > 0
      ? Math.floor((Math.min(p.received, p.total) / p.total) * 10)
      : Math.floor(p.received / (32 * MIB));

  return {
    update(p) {
      const t = now();
      start ??= t;
      last = p;
      lastT = t;
      if (opts.interactive) {
        const complete = p.total !== null && p.received >= p.total;
        if (t - lastDraw < redrawMs && !complete) return;
        lastDraw = t;
        drawn = p;
        opts.write(`\r${formatProgress(p, rate(p, t))}\x1b[K`);
        return;
      }
      const b = bucket(p);
      if (b === lastBucket) return;
      const first = lastBucket === -1;
      lastBucket = b;
      if (first && p.received === p.resumedFrom && p.resumedFrom === 0) return; // nothing yet
      opts.write(`${formatProgress(p, rate(p, t))}\n`);
    },
    end() {
      if (!opts.interactive || last === null) return;
      // Redraw only when the last report was throttled away; then end the line.
      opts.write(last === drawn ? "\n" : `\r${formatProgress(last, rate(last, lastT))}\x1b[K\n`);
    },
  };
}
