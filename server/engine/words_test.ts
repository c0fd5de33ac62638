import {
  longestDeletedRun,
  monotonicWords,
  sharedWords,
  spreadWords,
  timeTokensByHints,
  wordKey,
} from "./words.ts";
import type { DecodedToken } from "../../ffi/whisper/mod.ts";
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

Deno.test("timeTokensByHints: confident guesses mark token starts, the rest shares time by sound", () => {
  const tok = (text: string, hintMs = -1, special = false): DecodedToken => ({
    id: 0,
    text,
    bytes: new TextEncoder().encode(text),
    p: 0.9,
    plog: -0.1,
    t0Ms: 0,
    t1Ms: 0,
    tDtwMs: -10,
    hintMs,
    special,
  });
  const out = timeTokensByHints(
    [tok("[_BEG_]", -1, true), tok(" ab"), tok(" cd", 1000), tok(" e"), tok(" fg", 300)],
    200,
    2000,
  );
  // " cd" starts at its guess (200 + 1000); " fg"'s guess goes back in time, so it is ignored
  // and " cd", " e" and " fg" share the rest by how they sound (2.01 : 1.01 : 2.01).
  assertEquals(out.map((t) => t.text), [" ab", " cd", " e", " fg"]);
  assertEquals(out.map((t) => [t.t0Ms, t.t1Ms]), [
    [200, 1200],
    [1200, 1520],
    [1520, 1680],
    [1680, 2000],
  ]);
  assertEquals(timeTokensByHints([tok("<|endoftext|>", -1, true)], 0, 10), []);
});

Deno.test("longestDeletedRun counts the words an alignment drops, not the ones it changes", () => {
  const said = "and so my fellow americans ask not what your country can do".split(" ");
  assertEquals(longestDeletedRun(said, said), 0);
  assertEquals(longestDeletedRun(said, said.slice(5)), 5);
  assertEquals(longestDeletedRun(said, [...said.slice(0, 3), ...said.slice(6)]), 3);
  // Substitutions and insertions are not deletions.
  assertEquals(longestDeletedRun(said, said.map((w) => w === "my" ? "am i" : w)), 0);
  assertEquals(longestDeletedRun(said, ["well", ...said, "then"]), 0);
  // Two separate gaps: the longer counts.
  assertEquals(longestDeletedRun(said, [said[0], ...said.slice(3, 9), said[11]]), 2);
  assertEquals(longestDeletedRun(said, []), said.length);
  assertEquals(longestDeletedRun([], said), 0);
});

Deno.test("sharedWords counts the words an alignment keeps in order", () => {
  const said = "and so am i fellow americans and".split(" ");
  assertEquals(sharedWords(said, said), said.length);
  assertEquals(sharedWords(said, "ask what your country can do for you".split(" ")), 0);
  assertEquals(sharedWords(said, "and so my fellow americans".split(" ")), 4);
  assertEquals(sharedWords([], said), 0);
});
