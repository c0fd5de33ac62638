import { commonPrefix, LocalAgreement } from "./agreement.ts";
import { assertEquals } from "../../ffi/testing/assert.ts";

/** Words spaced 300 ms apart from `t0Ms`. */
function words(
  text: string,
  t0Ms = 0,
): { word: string; startMs: number; endMs: number; p: number }[] {
  return text.split(" ").map((word, i) => ({
    word,
    startMs: t0Ms + i * 300,
    endMs: t0Ms + i * 300 + 250,
    p: 0.9,
  }));
}
const text = (ws: readonly { word: string }[]) => ws.map((w) => w.word).join(" ");

Deno.test("words are committed once two hypotheses agree, and never change", () => {
  const la = new LocalAgreement();
  assertEquals(la.insert(words("and so my")), []);
  assertEquals(text(la.insert(words("and so my fellow"))), "and so my");
  assertEquals(text(la.pending), "fellow");
  // The next hypothesis restates committed words: they are not committed twice.
  assertEquals(text(la.insert(words("and so my fellow Americans ask"))), "fellow");
  assertEquals(text(la.insert(words("and so my fellow Americans, ask not"))), "Americans, ask");
  assertEquals(text(la.committed), "and so my fellow Americans, ask");
  assertEquals(text(la.flush()), "not");
  assertEquals(text(la.committed), "and so my fellow Americans, ask not");
  assertEquals(la.pending.length, 0);
});

Deno.test("a changed guess is not committed; the tail after a trimmed buffer is matched", () => {
  const la = new LocalAgreement();
  la.insert(words("the cat sat"));
  assertEquals(text(la.insert(words("the hat sat on"))), "the");
  assertEquals(text(la.pending), "hat sat on");
  // A hypothesis from a buffer trimmed at 250 ms restates "the" with a slightly later start.
  const restated = words("the hat sat on the mat", 200);
  assertEquals(text(la.insert(restated)), "hat sat on");
  la.forgetBefore(1_000);
  assertEquals(text(la.committed), "sat on");
});

Deno.test("commonPrefix compares normalised words", () => {
  assertEquals(commonPrefix(words("Hello, World again"), words("hello world! Again now")), 3);
  assertEquals(commonPrefix([], words("a")), 0);
});
