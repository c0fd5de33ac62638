import { assertEquals } from "../../ffi/testing/assert.ts";
import {
  p90Ratio,
  rssFigures,
  type RssSample,
  slope,
  soakTable,
  type VariantResult,
} from "./figures.ts";
import { jsMb, statesHeld } from "./runner.ts";

Deno.test("slope: least squares, per unit of x; null without two distinct x", () => {
  assertEquals(slope([[0, 1], [1, 3], [2, 5]]), 2);
  assertEquals(slope([[0, 5], [10, 5], [20, 5]]), 0);
  assertEquals(slope([[3, 1]]), null);
  assertEquals(slope([[3, 1], [3, 2]]), null);
});

Deno.test("rssFigures: first, max, last, and the slope of the second half in MB per minute", () => {
  // Up 100 MB over the first minute, then 1 MB per minute (a slow leak) for 9 minutes.
  const samples: RssSample[] = [];
  for (let t = 0; t <= 600; t += 10) {
    samples.push([t, t <= 60 ? 300 + t * 100 / 60 : 400 + (t - 60) / 60, null]);
  }
  const r = rssFigures(samples, 10);
  assertEquals([r.first_mb, r.max_mb, r.last_mb], [300, 409, 409]);
  assertEquals(r.slope_mb_per_min_second_half, 1);
  assertEquals(r.samples.length, 61);
  const flat = rssFigures([[0, 300, 2], [100, 400, 2], [200, 400, 2], [300, 400, 2]], 100);
  assertEquals(flat.slope_mb_per_min_second_half, 0);
  assertEquals(flat.settled, null);
  assertEquals(rssFigures([], 10).first_mb, null);
});

Deno.test("rssFigures: mean RSS and states by half of the load; a sample after it is the settled one", () => {
  const r = rssFigures(
    [[0, 300, 1, 40], [100, 500, 3, null], [200, 520, 3, 60], [300, 560, 4, 80], [
      390,
      310,
      1,
      30,
    ]],
    10,
    300,
  );
  assertEquals(r.halves, [
    { mean_mb: 400, mean_states: 2, mean_js_mb: 40 },
    { mean_mb: 540, mean_states: 3.5, mean_js_mb: 70 },
  ]);
  // The settled sample is not part of the load's figures.
  assertEquals([r.max_mb, r.last_mb], [560, 560]);
  assertEquals(r.settled, { after_s: 90, mb: 310, states: 1, js_mb: 30 });
  // Samples without the JavaScript figure (older servers) leave it null.
  assertEquals(rssFigures([[0, 300, 1], [100, 320, 1]], 10).halves[0].mean_js_mb, null);
});

Deno.test("jsMb: heap used and external MB from the status; null when it has neither", () => {
  assertEquals(jsMb({ process: { rss_mb: 300, heap_used_mb: 40, external_mb: 12 } }), 52);
  assertEquals(jsMb({ process: { rss_mb: 300 } }), null);
  assertEquals(jsMb({}), null);
});

Deno.test("statesHeld: used and idle states of every model from the status; null when it has none", () => {
  const models = [{ states: { used: 2, idle: 1 } }, { state: "failed" }, {
    states: { used: 0, idle: 2 },
  }];
  assertEquals(statesHeld({ models }), 5);
  assertEquals(statesHeld({ models: [] }), 0);
  assertEquals(statesHeld({}), null);
});

function variant(name: string, p90: number | null): VariantResult {
  return {
    variant: name,
    wall_s: 70,
    honest: {
      sessions: 2,
      runs: 2,
      words: 300,
      finals: 20,
      lost_segments: 0,
      errors: 0,
      error_samples: [],
      wer_pct: 10.5,
      emission_p50_ms: 1000,
      emission_p90_ms: p90,
      emission_p99_ms: 3000,
      latency_basis: "alignment",
    },
    rss: rssFigures([[0, 300, 2], [60, 310, 2]], 10),
    server_sessions: { max: 4, at_load_end: name === "with_hostile" ? 2 : 0 },
    server_alive_at_end: true,
    hostile: name === "with_hostile"
      ? { trickle: { kind: "trickle", counts: { status_408: 3 }, errors: 0, error_samples: [] } }
      : {},
  };
}

Deno.test("p90Ratio: with over without, only when both measured it", () => {
  assertEquals(p90Ratio([variant("with_hostile", 3000), variant("without_hostile", 2000)]), 1.5);
  assertEquals(p90Ratio([variant("with_hostile", 3000)]), null);
  assertEquals(p90Ratio([variant("with_hostile", 3000), variant("without_hostile", null)]), null);
});

Deno.test("soakTable: a row per variant, the ratio, and each hostile kind's counts", () => {
  const text = soakTable([variant("with_hostile", 3000), variant("without_hostile", 2000)]);
  const lines = text.split("\n");
  assertEquals(lines[1].split(/\s{2,}/).slice(0, 5), ["with_hostile", "2", "300", "1.00", "3.00"]);
  assertEquals(lines[3], "honest p90 with / without hostile clients: 1.50");
  assertEquals(
    lines[4],
    "with_hostile: server sessions at most 4, open when the honest load ended 2",
  );
  assertEquals(lines[5], "with_hostile: RSS mean by half 300 MB (2 states) → 310 MB (2 states)");
  assertEquals(lines[6], "with_hostile · trickle: status_408 3");
});
