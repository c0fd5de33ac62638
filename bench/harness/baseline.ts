/**
 * Results files and baselines: a run's results are written as YAML, read back with validation,
 * and compared with a baseline cell by cell (same SUT, run config and workload) and metric by
 * metric, using the definition's tolerances: a change beyond the tolerance in the bad direction is
 * a regression, in the good direction an improvement.
 *
 * @module
 */

import { parse, stringify } from "yaml";
import { z } from "zod";
import { allowedWorse } from "../definition.ts";
import {
  DEFAULT_TOLERANCES,
  METRIC_DIRECTIONS,
  MIN_TIMED_WALL_S,
  NOISE_FLOORS,
} from "./metrics.ts";
import type { Results } from "./runner.ts";
import { describeIssue } from "../../protocol/events.ts";

const ResultsFileSchema = z.object({
  results_version: z.literal(1),
  benchmark: z.string(),
  run_id: z.string(),
  tolerances: z.record(z.string(), z.union([z.number(), z.string()])).default({}),
  cells: z.array(
    z.object({
      sut: z.string(),
      run_config: z.object({ name: z.string() }).passthrough(),
      workload: z.string(),
      metrics: z.record(z.string(), z.number()),
      error: z.string().optional(),
    }).passthrough(),
  ),
}).passthrough();

/** Writes results as YAML. */
export async function writeResults(path: string, results: Results): Promise<void> {
  await Deno.writeTextFile(
    path,
    stringify(results, { lineWidth: 0, aliasDuplicateObjects: false }),
  );
}

/** Reads a results file (a run or a baseline); errors name the file and the field. */
export function readResults(path: string): Results {
  let raw: unknown;
  try {
    raw = parse(Deno.readTextFileSync(path));
  } catch (err) {
    throw new Error(`Cannot read results ${path}: ${(err as Error).message}`);
  }
  const r = ResultsFileSchema.safeParse(raw);
  if (!r.success) {
    throw new TypeError(`Cannot read results ${path}: ${describeIssue(r.error, "file")}`);
  }
  return r.data as unknown as Results;
}

/** One metric of one cell, compared. */
export interface Comparison {
  cell: string;
  metric: string;
  baseline: number;
  now: number;
  /** now − baseline. */
  delta: number;
  tolerance: number;
  verdict: "regression" | "improvement" | "same";
}

/** What a comparison found. */
export interface ComparisonReport {
  comparisons: Comparison[];
  /** Cells of the baseline the run lacks, or that failed in the run. */
  missing: string[];
  regressions: number;
  improvements: number;
}

const key = (c: { sut: string; run_config: { name: string }; workload: string }) =>
  `${c.sut} · ${c.run_config.name} · ${c.workload}`;

/**
 * Compares `now` with `baseline`. Tolerances: the definition's (carried in `now`), else
 * {@linkcode DEFAULT_TOLERANCES}, never below {@linkcode NOISE_FLOORS}; metrics without a
 * direction (counts) are not compared, nor RTFx and CPU of cells too short to time.
 */
export function compareResults(now: Results, baseline: Results): ComparisonReport {
  const tolerances = { ...DEFAULT_TOLERANCES, ...now.tolerances };
  const current = new Map(now.cells.map((c) => [key(c), c]));
  const comparisons: Comparison[] = [];
  const missing: string[] = [];
  for (const b of baseline.cells) {
    if (b.error) continue;
    const c = current.get(key(b));
    if (!c || c.error) {
      missing.push(key(b));
      continue;
    }
    const untimed = (b.metrics.wall_s ?? Infinity) < MIN_TIMED_WALL_S;
    for (const [metric, base] of Object.entries(b.metrics)) {
      const direction = METRIC_DIRECTIONS[metric];
      const value = c.metrics[metric];
      if (!direction || value === undefined) continue;
      if (untimed && (metric === "rtfx" || metric === "cpu_s")) continue;
      const tolerance = Math.max(allowedWorse(tolerances[metric], base), NOISE_FLOORS[metric] ?? 0);
      const worse = direction === "lower" ? value - base : base - value;
      const verdict = worse > tolerance
        ? "regression"
        : -worse > tolerance
        ? "improvement"
        : "same";
      comparisons.push({
        cell: key(b),
        metric,
        baseline: base,
        now: value,
        delta: Math.round((value - base) * 1000) / 1000,
        tolerance: Math.round(tolerance * 1000) / 1000,
        verdict,
      });
    }
  }
  return {
    comparisons,
    missing,
    regressions: comparisons.filter((c) => c.verdict === "regression").length + missing.length,
    improvements: comparisons.filter((c) => c.verdict === "improvement").length,
  };
}
