import { quantile, readAlignment, timingErrors } from "./word_timing.ts";
import { assertEquals } from "../../ffi/testing/assert.ts";

Deno.test("timingErrors matches words by alignment and measures start and end errors", () => {
  const ref = [
    { word: "there's", startMs: 500, endMs: 800 },
    { word: "iron", startMs: 800, endMs: 1100 },
    { word: "they", startMs: 1100, endMs: 1300 },
    { word: "say", startMs: 1300, endMs: 1700 },
  ];
  const hyp = [
    { word: "There's", startMs: 520, endMs: 760 },
    { word: "irony", startMs: 800, endMs: 1100 }, // substitution: not timed
    { word: "they", startMs: 1000, endMs: 1350 },
    { word: "say,", startMs: 1350, endMs: 1700 },
    { word: "...", startMs: 1700, endMs: 1800 }, // no word: ignored
  ];
  const e = timingErrors(ref, hyp);
  assertEquals(e.matched, 3);
  assertEquals(e.startErrorsMs, [20, 100, 50]);
  assertEquals(e.endErrorsMs, [40, 50, 0]);
  assertEquals(quantile(e.endErrorsMs, 0.5), 40);
  assertEquals(quantile([], 0.5), NaN);
});

Deno.test("readAlignment drops silence and variant marks", async () => {
  const path = await Deno.makeTempFile({ suffix: ".align.json" });
  try {
    await Deno.writeTextFile(
      path,
      JSON.stringify({ w: [{ t: "<sil>", b: 0, d: 0.5 }, { t: "read(2)", b: 0.5, d: 0.25 }] }),
    );
    assertEquals(readAlignment(path), [{ word: "read", startMs: 500, endMs: 750 }]);
  } finally {
    await Deno.remove(path);
  }
});
