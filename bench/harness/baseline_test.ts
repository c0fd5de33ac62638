import { compareResults } from "./baseline.ts";
import type { Results } from "./runner.ts";
import { assertEquals } from "../../ffi/testing/assert.ts";

function results(metrics: Record<string, number>, tolerances = {}): Results {
  return {
    results_version: 1,
    benchmark: "t",
    run_id: "r",
    provenance: {} as Results["provenance"],
    tolerances,
    cells: [{
      sut: "s",
      kind: "offline",
      run_config: { name: "c" } as Results["cells"][0]["run_config"],
      workload: "w",
      sut_description: {},
      metrics,
      trials: [],
    }],
  };
}

Deno.test("an identical run passes; an injected regression beyond tolerance is flagged", () => {
  const base = results({ wer_pct: 10, rtfx: 20, emission_p50_ms: 1000, items: 3 });
  const same = compareResults(results({ ...base.cells[0].metrics }), base);
  assertEquals([same.regressions, same.improvements], [0, 0]);
  // WER +0.4 is inside the default 0.5 points; RTFx −25 % is outside the default 10 %.
  const worse = compareResults(
    results({ wer_pct: 10.4, rtfx: 15, emission_p50_ms: 1000, items: 3 }),
    base,
  );
  assertEquals(worse.regressions, 1);
  assertEquals(worse.comparisons.find((c) => c.verdict === "regression")?.metric, "rtfx");
  // The definition's own tolerance wins; better beyond it is an improvement.
  const strict = compareResults(
    results({ wer_pct: 10.4, rtfx: 25, emission_p50_ms: 700, items: 3 }, { wer_pct: 0.1 }),
    base,
  );
  assertEquals(
    strict.comparisons.filter((c) => c.verdict !== "same").map((c) => `${c.metric} ${c.verdict}`),
    ["wer_pct regression", "rtfx improvement", "emission_p50_ms improvement"],
  );
});

Deno.test("a baseline cell missing from the run, or failed in it, is a regression", () => {
  const base = results({ wer_pct: 10 });
  const failed = results({});
  failed.cells[0].error = "boom";
  assertEquals(compareResults(failed, base).missing, ["s · c · w"]);
  assertEquals(compareResults(failed, base).regressions, 1);
});

Deno.test("noise floors: tiny differences and cells too short to time do not regress", () => {
  const base = results({ cpu_s: 0.03, rtfx: 2000, wall_s: 0.005, emission_p50_ms: 300 });
  const now = results({ cpu_s: 0.05, rtfx: 600, wall_s: 0.02, emission_p50_ms: 380 });
  assertEquals(compareResults(now, base).regressions, 0);
  // Past the 100 ms floor, a latency change counts.
  const slow = results({ cpu_s: 0.03, rtfx: 2000, wall_s: 0.005, emission_p50_ms: 450 });
  assertEquals(compareResults(slow, base).regressions, 1);
});
