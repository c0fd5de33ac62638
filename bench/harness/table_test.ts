import { resultsTable, sweeps, sweepText } from "./table.ts";
import type { Results } from "./runner.ts";
import { assert, assertEquals } from "../../ffi/testing/assert.ts";

Deno.test("a concurrency sweep sustains the most sessions before the bound is first passed", () => {
  const cell = (n: number, p90: number) => ({
    sut: "s",
    kind: "stream",
    run_config: { name: `rt${n}`, concurrency: n } as Results["cells"][0]["run_config"],
    workload: "w",
    sut_description: {},
    metrics: { emission_p90_ms: p90, wer_pct: 10, rtfx: n },
    trials: [],
  });
  const results = {
    cells: [cell(4, 2500), cell(1, 1200), cell(2, 1900)],
  } as unknown as Results;
  const bound = { metric: "emission_p90_ms", max: 2000 };
  const [g] = sweeps(results, bound);
  assertEquals([g.sustained, g.points.map((p) => p.sessions)], [2, [1, 2, 4]]);
  assert(sweepText([g], bound).includes("s on w: 2"), sweepText([g], bound));
  assertEquals(
    sweeps({ cells: [cell(1, 3000), cell(2, 100)] } as unknown as Results, bound)[0].sustained,
    0,
  );
  const table = resultsTable(results);
  assert(table.split("\n").length === 5, "header, rule and a row per cell");
  assert(table.includes("WER %") && !table.includes("GPU MB"), "no column without values");
});
