import { monotonicWords, spreadWords, wordKey } from "./words.ts";
import { assertEquals } from "../../ffi/testing/assert.ts";

const w = (word: string, startMs = 0, endMs = 0) => ({ word, startMs, endMs, p: 0.9 });

Deno.test("spreadWords times words by their length over a span", () => {
  const out = spreadWords([w("a"), w("bbb")], 1000, 1600);
  // "a" + gap = 2 of 6 characters, "bbb" + gap = 4 of 6.
  assertEquals(out.map((x) => [x.startMs, x.endMs]), [[1000, 1100], [1200, 1500]]);
  assertEquals(spreadWords([], 0, 100), []);
  assertEquals(spreadWords([w("x")], 500, 400).map((x) => [x.startMs, x.endMs]), [[500, 500]]);
});

Deno.test("monotonicWords keeps times ordered and inside bounds; wordKey compares spellings", () => {
  const out = monotonicWords([w("a", 100, 300), w("b", 200, 250), w("c", 900, 1200)], 150, 1000);
  assertEquals(out.map((x) => [x.startMs, x.endMs]), [[150, 300], [300, 300], [900, 1000]]);
  assertEquals([wordKey("Don’t!"), wordKey("don't")], ["don't", "don't"]);
});
