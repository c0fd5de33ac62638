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
  // Cells of another mode are another sweep, not more points of this one.
  const other = (n: number, p90: number) => {
    const c = cell(n, p90);
    return { ...c, run_config: { ...c.run_config, mode: "balanced" } };
  };
  const two = sweeps(
    { cells: [cell(1, 1200), cell(2, 1900), other(1, 1500), other(2, 3600)] } as unknown as Results,
    bound,
  );
  assertEquals(two.map((x) => [x.settings, x.sustained]), [["", 2], ["balanced", 1]]);
  assert(sweepText(two, bound).includes("s (balanced) on w: 1"), sweepText(two, bound));
  const table = resultsTable(results);
  assert(table.split("\n").length === 5, "header, rule and a row per cell");
  assert(table.includes("WER %") && !table.includes("GPU MB"), "no column without values");
});
