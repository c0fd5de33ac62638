/**
 * The soak's figures: the server's RSS over time (first, max, last, and its slope over the second
 * half, which a leak makes positive), and the results as a text table.
 *
 * @module
 */

import type { LoadReport } from "../loadtest/load.ts";
import type { HostileReport } from "./tally.ts";

/**
 * One sample: seconds since the variant started, RSS MB, the decoding states then held, and the
 * MB the JavaScript engine then held (heap used and buffers outside it; null: unknown), which
 * tells growth in JavaScript objects from native memory.
 */
export type RssSample = [number, number, number | null, (number | null)?];

/** The server's RSS over a variant. */
export interface RssFigures {
  interval_s: number;
  /** `[seconds since the variant started, MB, decoding states held (used + idle), JS MB]`. */
  samples: RssSample[];
  first_mb: number | null;
  max_mb: number | null;
  last_mb: number | null;
  /** Least-squares slope over the samples of the second half, MB per minute (null: too few). */
  slope_mb_per_min_second_half: number | null;
  /**
   * Mean RSS, decoding states held and JavaScript MB over each half of the load: RSS that rises
   * while the states and the JavaScript memory stay alike is native growth they do not explain.
   */
  halves: { mean_mb: number; mean_states: number | null; mean_js_mb: number | null }[];
  /** The idle server after the load and the settle time: RSS, states and JavaScript MB then. */
  settled: { after_s: number; mb: number; states: number | null; js_mb: number | null } | null;
}

const round = (x: number, places: number) => Math.round(x * 10 ** places) / 10 ** places;

/** Least-squares slope of `points` (`[x, y]`), y per x; null under two distinct x. */
export function slope(points: readonly [number, number][]): number | null {
  if (points.length < 2) return null;
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let sxy = 0, sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  return sxx === 0 ? null : sxy / sxx;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * The RSS figures of `samples` (in time order): those up to `loadEndS` (default: all) are the
 * load's, a later last one is the settled server's.
 */
export function rssFigures(
  samples: readonly RssSample[],
  intervalS: number,
  loadEndS = Infinity,
): RssFigures {
  const load = samples.filter(([t]) => t <= loadEndS);
  const after = samples.length > load.length ? samples.at(-1)! : null;
  const last = load.at(-1);
  const half = last ? last[0] / 2 : 0;
  const second = load.filter(([t]) => t >= half);
  const perS = slope(second.map(([t, mb]) => [t, mb]));
  const halves = [load.filter(([t]) => t < half), second].filter((h) => h.length).map((h) => {
    const known = (xs: (number | null | undefined)[]) =>
      xs.filter((x): x is number => typeof x === "number");
    const states = known(h.map(([, , n]) => n));
    const js = known(h.map(([, , , j]) => j));
    return {
      mean_mb: round(mean(h.map(([, mb]) => mb)), 1),
      mean_states: states.length ? round(mean(states), 2) : null,
      mean_js_mb: js.length ? round(mean(js), 1) : null,
    };
  });
  return {
    interval_s: intervalS,
    samples: samples.map(([t, mb, n, js]) => [round(t, 1), round(mb, 1), n, js ?? null]),
    first_mb: load.length ? round(load[0][1], 1) : null,
    max_mb: load.length ? round(Math.max(...load.map(([, mb]) => mb)), 1) : null,
    last_mb: last ? round(last[1], 1) : null,
    slope_mb_per_min_second_half: perS === null ? null : round(perS * 60, 2),
    halves,
    settled: after && last
      ? {
        after_s: round(after[0] - last[0], 1),
        mb: round(after[1], 1),
        states: after[2],
        js_mb: after[3] ?? null,
      }
      : null,
  };
}

/** The honest sessions' figures of one variant. */
export interface HonestFigures {
  sessions: number;
  runs: number;
  words: number;
  finals: number;
  lost_segments: number;
  /** What the lost segments looked like (see `lostSegmentDetails`). */
  lost_samples?: LoadReport["lost_samples"];
  errors: number;
  error_samples: string[];
  wer_pct: number | null;
  emission_p50_ms: number | null;
  emission_p90_ms: number | null;
  emission_p99_ms: number | null;
  latency_basis: LoadReport["latency_basis"];
}

/** A load report as the soak's honest figures (a few error messages kept). */
export function honestFigures(r: LoadReport): HonestFigures {
  return {
    sessions: r.sessions,
    runs: r.runs,
    words: r.words,
    finals: r.finals,
    lost_segments: r.lost_segments,
    ...(r.lost_samples ? { lost_samples: r.lost_samples } : {}),
    errors: r.errors.length,
    error_samples: r.errors.slice(0, 10),
    wer_pct: r.wer_pct ?? null,
    emission_p50_ms: r.emission_p50_ms,
    emission_p90_ms: r.emission_p90_ms,
    emission_p99_ms: r.emission_p99_ms,
    latency_basis: r.latency_basis,
  };
}

/** ", JavaScript N MB" when the figure is known. */
const jsPart = (mb: number | null) => mb === null ? "" : `, JavaScript ${Math.round(mb)} MB`;

/** One variant's results. */
export interface VariantResult {
  variant: string;
  /** Wall time of the honest load, s. */
  wall_s: number;
  honest: HonestFigures | null;
  rss: RssFigures;
  /** The server's inference queue at the end (`/v1/status`). */
  server_queue?: Record<string, unknown>;
  /**
   * Sessions the server held (`/v1/status`, sampled with the RSS): the most at once, and how many
   * were still open when the honest load ended (its own were over by then).
   */
  server_sessions: { max: number | null; at_load_end: number | null };
  /** Whether the server still answered `/v1/status` at the end. */
  server_alive_at_end: boolean;
  /** Hostile reports by kind (none in `without_hostile`). */
  hostile: Record<string, HostileReport>;
  /** Why the variant could not run (or the end of the server's log when it died). */
  error?: string;
}

/** `with / without` of the honest p90 emission latency, when both variants ran and measured it. */
export function p90Ratio(variants: readonly VariantResult[]): number | null {
  const p90 = (name: string) =>
    variants.find((v) => v.variant === name)?.honest?.emission_p90_ms ?? null;
  const a = p90("with_hostile"), b = p90("without_hostile");
  return a === null || b === null || b === 0 ? null : round(a / b, 2);
}

const s = (ms: number | null | undefined) => (ms == null ? "–" : (ms / 1000).toFixed(2));
const n = (x: number | null | undefined) => (x == null ? "–" : String(x));

/** The variants as a text table, the p90 ratio, and each hostile kind's counts. */
export function soakTable(variants: readonly VariantResult[]): string {
  const head = [
    "variant",
    "runs",
    "words",
    "p50 s",
    "p90 s",
    "lost",
    "errors",
    "WER %",
    "RSS first/max/last MB",
    "MB/min (2nd half)",
  ];
  const rows = variants.map((v) => [
    v.variant,
    n(v.honest?.runs),
    n(v.honest?.words),
    s(v.honest?.emission_p50_ms),
    s(v.honest?.emission_p90_ms),
    n(v.honest?.lost_segments),
    n(v.honest?.errors),
    v.honest?.wer_pct == null ? "–" : v.honest.wer_pct.toFixed(2),
    `${n(v.rss.first_mb)} / ${n(v.rss.max_mb)} / ${n(v.rss.last_mb)}`,
    n(v.rss.slope_mb_per_min_second_half),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const lines = [head, ...rows].map((r) =>
    r.map((x, i) => (i === 0 ? x.padEnd(w[i]) : x.padStart(w[i]))).join("  ")
  );
  const ratio = p90Ratio(variants);
  if (ratio !== null) lines.push(`honest p90 with / without hostile clients: ${ratio.toFixed(2)}`);
  for (const v of variants) {
    if (v.error) lines.push(`${v.variant}: ${v.error}`);
    const ss = v.server_sessions;
    lines.push(
      `${v.variant}: server sessions at most ${n(ss.max)}, open when the honest load ended ` +
        `${n(ss.at_load_end)}`,
    );
    const halves = v.rss.halves.map((h) =>
      `${n(h.mean_mb)} MB (${n(h.mean_states)} states${jsPart(h.mean_js_mb)})`
    );
    if (halves.length) lines.push(`${v.variant}: RSS mean by half ${halves.join(" → ")}`);
    const st = v.rss.settled;
    if (st) {
      lines.push(
        `${v.variant}: ${n(st.after_s)} s after the load, idle: ${n(st.mb)} MB, ${
          n(st.states)
        } states${jsPart(st.js_mb)}`,
      );
    }
    for (const e of v.honest?.error_samples.slice(0, 3) ?? []) lines.push(`${v.variant}: ${e}`);
    for (const h of Object.values(v.hostile)) {
      const counts = Object.entries(h.counts).map(([k, c]) => `${k} ${c}`).join(", ");
      const errs = h.errors ? `; its own errors ${h.errors} (${h.error_samples[0]})` : "";
      lines.push(`${v.variant} · ${h.kind}: ${counts || "nothing"}${errs}`);
    }
  }
  return lines.join("\n");
}
