import { planWindows } from "./windows.ts";
import { assert } from "../../ffi/testing/assert.ts";

Deno.test("planWindows uses the fewest windows, evenly, cut only in pauses", () => {
  const spans = [
    { startMs: 1_000, endMs: 9_000 },
    { startMs: 9_500, endMs: 18_000 },
    { startMs: 18_400, endMs: 27_000 },
    { startMs: 28_000, endMs: 35_000 },
  ];
  const w = planWindows(spans, 40_000, { maxWindowMs: 28_000, padMs: 200 });
  assert(w.length === 2, `expected 2 windows, got ${JSON.stringify(w)}`);
  // Greedy packing would leave a 7 s window after a 26 s one; the plan evens them out.
  assert(w[0].spans.length === 2 && w[1].spans.length === 2, JSON.stringify(w));
  for (const win of w) {
    assert(win.endMs - win.startMs <= 28_000, `window too long: ${JSON.stringify(win)}`);
    assert(win.endMs - win.startMs >= 15_000, `window too short: ${JSON.stringify(win)}`);
    for (const s of win.spans) {
      assert(s.startMs >= win.startMs && s.endMs <= win.endMs, "span inside");
    }
  }
  assert(
    w[0].endMs >= 18_000 && w[1].startMs <= 18_400 && w[0].endMs <= w[1].startMs,
    "cut in pause",
  );
});

Deno.test("planWindows prefers a long pause to a short one when both balance alike", () => {
  const spans = [
    { startMs: 0, endMs: 10_000 },
    { startMs: 10_100, endMs: 15_000 }, // 100 ms pause before
    { startMs: 16_000, endMs: 20_000 }, // 1 s pause before
    { startMs: 20_100, endMs: 30_000 },
  ];
  const w = planWindows(spans, 30_000, { maxWindowMs: 28_000, padMs: 200 });
  assert(w.length === 2 && w[1].spans[0].startMs === 16_000, JSON.stringify(w));
});

Deno.test("planWindows splits a span longer than a window and never overlaps windows", () => {
  const w = planWindows([{ startMs: 0, endMs: 70_000 }], 70_000, {
    maxWindowMs: 28_000,
    padMs: 200,
  });
  assert(w.length === 3, `expected 3 windows, got ${w.length}`);
  for (let i = 1; i < w.length; i++) assert(w[i].startMs >= w[i - 1].endMs, "no overlap");
  assert(w[0].startMs === 0 && w[w.length - 1].endMs === 70_000, "covers the span");
});

Deno.test("planWindows handles no speech, clamps to the audio, and rejects bad limits", () => {
  assert(planWindows([], 10_000).length === 0, "no spans, no windows");
  const w = planWindows([{ startMs: -50, endMs: 12_000 }], 10_000);
  assert(w.length === 1 && w[0].startMs === 0 && w[0].endMs === 10_000, JSON.stringify(w));
  let threw = false;
  try {
    planWindows([], 1000, { maxWindowMs: 300, padMs: 200 });
  } catch (err) {
    threw = err instanceof RangeError;
  }
  assert(threw, "maxWindowMs ≤ 2 × padMs is a RangeError");
});
