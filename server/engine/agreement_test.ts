import { commonPrefix, LocalAgreement, ownWords, restatedPrefix } from "./agreement.ts";
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

Deno.test("restated words are found by edit distance, not by time", () => {
  const la = new LocalAgreement();
  la.insert(words("so the cat sat on"));
  la.insert(words("so the cat sat on the"));
  assertEquals(text(la.committed), "so the cat sat on");
  // The restatement drops a word and moves by a second: only the new words remain.
  assertEquals(text(la.fresh(words("so the cat on the mat", 1_000))), "the mat");
  // A respelling of a committed word is still a restatement.
  assertEquals(text(la.fresh(words("so the kat sat on the mat"))), "the mat");
});

Deno.test("a time margin commits without a second hypothesis; pause commits nothing early", () => {
  const la = new LocalAgreement();
  // Words end at 250, 550, 850, 1150: the first two end before 600.
  assertEquals(text(la.insert(words("one two three four"), { commitBeforeMs: 600 })), "one two");
  assertEquals(text(la.pending), "three four");
  const held = new LocalAgreement();
  assertEquals(held.insert(words("one two"), { agree: false }), []);
  assertEquals(held.insert(words("one two three"), { agree: false }), []);
  assertEquals(text(held.finish(words("one two three four"))), "one two three four");
  assertEquals(text(held.finish(words("one two three four five"))), "five");
});

Deno.test("a margin commit stops before a doubtful word; agreement commits it next time", () => {
  const la = new LocalAgreement();
  const doubtful = (ws: ReturnType<typeof words>) =>
    ws.map((w) => w.word === "three" ? { ...w, p: 0.2 } : w);
  // "three" ends at 850, before the margin, but its probability is under 0.3.
  const opts = { commitBeforeMs: 1_000, minP: 0.3 };
  assertEquals(text(la.insert(doubtful(words("one two three four")), opts)), "one two");
  assertEquals(text(la.pending), "three four");
  // The next hypothesis says the same: LA-2 commits what the two agree on.
  assertEquals(text(la.insert(doubtful(words("one two three four five")), opts)), "three four");
  // Without minP the margin alone commits it.
  const plain = new LocalAgreement();
  const noGate = { commitBeforeMs: 1_000 };
  assertEquals(text(plain.insert(doubtful(words("one two three four")), noGate)), "one two three");
});

Deno.test("a hypothesis that restates nothing keeps all its words", () => {
  const la = new LocalAgreement();
  la.insert(words("a b c d"));
  la.flush();
  // Nothing matches: dropping a prefix would cost as much as dropping none, so none is dropped.
  assertEquals(text(la.fresh(words("x y z", 1_200))), "x y z");
});

Deno.test("a restatement in other words, or after words the commits missed, is dropped", () => {
  const la = new LocalAgreement();
  la.insert(words("something wrong"));
  la.insert(words("something wrong and"));
  assertEquals(text(la.fresh(words("some thing wrong and living"))), "and living");
  const late = new LocalAgreement();
  late.insert(words("the human voice"));
  late.insert(words("the human voice back"));
  assertEquals(
    text(late.fresh(words("then did he hear that human voice back in the midst"))),
    "back in the midst",
  );
});

Deno.test("restatedPrefix: a restatement heard differently, word for word, is the whole stretch", () => {
  const w = (word: string, startMs: number) => ({ word, startMs, endMs: startMs + 200, p: 1 });
  const committed = ["had", "turned", "their", "heads", "towards", "the", "speaker"].map((x, i) =>
    w(x, i * 300)
  );
  const hyp = ["had", "turned", "their", "heads", "towards", "this", "people", "for", "do", "i"]
    .map((x, i) => w(x, i * 300));
  // Spread times (a text-only decode) must not decide: every word ends far from the last commit.
  const spread = hyp.map((x) => ({ ...x, startMs: 0, endMs: 0 }));
  assertEquals(restatedPrefix(committed, hyp), 7);
  assertEquals(restatedPrefix(committed, spread), 7);
});

Deno.test({
  name: "ownWords: the words after those restating the context's finals are the segment's",
  fn: () => {
    const w = (word: string, startMs: number) => ({ word, startMs, endMs: startMs + 300, p: 1 });
    const key = (ws: { word: string }[]) => ws.map((x) => x.word).join(" ");
    const hyp = [w("Ask", 0), w("not,", 400), w("what", 1_300), w("your", 1_600)];
    assertEquals(key(ownWords(hyp, null)), "Ask not, what your");
    assertEquals(key(ownWords(hyp, { words: [w("ask", 0), w("not", 400)] })), "what your");
    // Times do not decide: whisper.cpp piles word times up at the window's end.
    const piled = hyp.map((x) => ({ ...x, startMs: 1_600, endMs: 1_600 }));
    assertEquals(key(ownWords(piled, { words: [w("ask", 0), w("not", 400)] })), "what your");
    // A context said a little differently is still found.
    assertEquals(key(ownWords(hyp, { words: [w("as", 0), w("not", 400)] })), "what your");
  },
});

Deno.test("a buffer that starts after the segment: only the committed words inside it are restated", () => {
  const la = new LocalAgreement();
  // "and so my fellow Americans ask" committed, 0–1.75 s.
  la.insert(words("and so my fellow Americans ask not"), { commitBeforeMs: 1_800 });
  assertEquals(text(la.committed), "and so my fellow Americans ask");
  // A decode from "fellow" (0.9 s) on restates "fellow Americans ask" only.
  const later = words("fellow Americans ask not what your", 900);
  assertEquals(text(la.insert(later, { fromMs: 900 })), "not");
  assertEquals(text(la.pending), "what your");
  const again = new LocalAgreement();
  again.insert(words("and so my fellow Americans ask not"), { commitBeforeMs: 1_800 });
  assertEquals(text(again.fresh(later, 900)), "not what your");
});
