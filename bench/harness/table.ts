/**
 * Terminal output of the harness: a one-line progress bar while a run goes, the results table at
 * the end, and a comparison's regressions and improvements.
 *
 * @module
 */

import type { Progress, Results } from "./runner.ts";
import type { ComparisonReport } from "./baseline.ts";

/** A progress line (redrawn in place on a terminal). */
export function progressLine(p: Progress, width = 24): string {
  const done = (p.cell - 1 + ((p.trial - 1) * p.items + p.item - 1) / (p.trials * p.items)) /
    p.cells;
  const fill = Math.round(done * width);
  return `[${"#".repeat(fill)}${"-".repeat(width - fill)}] cell ${p.cell}/${p.cells} ${p.label} ` +
    `· trial ${p.trial}/${p.trials} · item ${p.item}/${p.items}`;
}

const COLUMNS: [string, string, (x: number) => string][] = [
  ["WER %", "wer_pct", (x) => x.toFixed(2)],
  ["CER %", "cer_pct", (x) => x.toFixed(2)],
  ["RTFx", "rtfx", (x) => x.toFixed(1)],
  ["emit p50 s", "emission_p50_ms", (x) => (x / 1000).toFixed(2)],
  ["emit p90 s", "emission_p90_ms", (x) => (x / 1000).toFixed(2)],
  ["1st partial s", "first_partial_p50_ms", (x) => (x / 1000).toFixed(2)],
  ["final s", "finalization_p50_ms", (x) => (x / 1000).toFixed(2)],
  ["churn", "partial_churn", (x) => x.toFixed(2)],
  ["RTP lost %", "media_lost_pct", (x) => x.toFixed(2)],
  ["silence words", "words_on_silence", (x) => x.toFixed(0)],
  ["CPU s", "cpu_s", (x) => x.toFixed(1)],
  ["peak MB", "peak_rss_mb", (x) => x.toFixed(0)],
  ["GPU MB", "gpu_peak_mb", (x) => x.toFixed(0)],
];

/** The results as a text table: one row per cell, medians over trials. */
export function resultsTable(results: Results): string {
  // Only the columns some cell has a value for (no GPU column on a CPU run).
  const columns = COLUMNS.filter(([, k]) => results.cells.some((c) => c.metrics[k] !== undefined));
  const head = ["SUT", "run config", "workload", ...columns.map((c) => c[0])];
  const rows = results.cells.map((c) => [
    c.sut,
    c.run_config.name,
    // A cell cut short by its time limit says how far it got.
    c.truncated ? `${c.workload} (${c.truncated.replace(/^.*stopped after /, "")})` : c.workload,
    ...(c.error
      ? [`failed: ${c.error.slice(0, 60)}`]
      : columns.map(([, k, f]) => (c.metrics[k] === undefined ? "–" : f(c.metrics[k])))),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) =>
    r.map((x, i) => (i < 3 ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join("  ").trimEnd();
  return [line(head), widths.map((w) => "─".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/** A comparison as text: every regression and improvement, then a summary line. */
export function comparisonText(report: ComparisonReport): string {
  const lines = report.comparisons
    .filter((c) => c.verdict !== "same")
    .map((c) =>
      `${c.verdict === "regression" ? "REGRESSION " : "improvement"}  ${c.cell}  ${c.metric}: ` +
      `${c.baseline} → ${c.now} (${c.delta >= 0 ? "+" : ""}${c.delta}; tolerance ${c.tolerance})`
    );
  for (const m of report.missing) {
    lines.push(`REGRESSION   ${m}: in the baseline, missing or failed now`);
  }
  lines.push(
    `${report.regressions} regression(s), ${report.improvements} improvement(s), ` +
      `${report.comparisons.filter((c) => c.verdict === "same").length} within tolerance`,
  );
  return lines.join("\n");
}

/** One concurrency sweep: a SUT on a workload at several concurrencies. */
export interface Sweep {
  sut: string;
  workload: string;
  /** What the points share besides the SUT and workload: the run config's mode and model. */
  settings: string;
  points: { sessions: number; value: number }[];
  /** The most sessions whose metric stayed within the bound (0: not even one). */
  sustained: number;
}

/** The concurrency sweeps in a run, and how many sessions each sustained within `bound`. */
export function sweeps(results: Results, bound: { metric: string; max: number }): Sweep[] {
  const groups = new Map<string, Sweep>();
  for (const c of results.cells) {
    const v = c.metrics[bound.metric];
    if (c.error || v === undefined) continue;
    // Points of one sweep differ in concurrency only: cells that run another mode, model or
    // setting are another sweep.
    const { name: _name, concurrency: _n, ...rest } = c.run_config;
    const settings = [rest.mode, rest.model].filter(Boolean).join(", ");
    const key = `${c.sut} · ${c.workload} · ${JSON.stringify(rest)}`;
    const g = groups.get(key) ??
      { sut: c.sut, workload: c.workload, settings, points: [], sustained: 0 };
    g.points.push({ sessions: c.run_config.concurrency ?? 1, value: v });
    groups.set(key, g);
  }
  const out = [...groups.values()].filter((g) => new Set(g.points.map((p) => p.sessions)).size > 1);
  for (const g of out) {
    g.points.sort((a, b) => a.sessions - b.sessions);
    for (const p of g.points) {
      if (p.value > bound.max) break;
      g.sustained = p.sessions;
    }
  }
  return out;
}

/** Sweeps as text lines. */
export function sweepText(list: Sweep[], bound: { metric: string; max: number }): string {
  return list.map((g) =>
    `sessions sustained at ${bound.metric} ≤ ${bound.max}: ${g.sut}` +
    `${g.settings ? ` (${g.settings})` : ""} on ${g.workload}: ` +
    `${g.sustained} (${g.points.map((p) => `${p.sessions}: ${p.value}`).join(", ")})`
  ).join("\n");
}
