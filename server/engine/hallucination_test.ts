import {
  dropAnnotations,
  dropLoops,
  findLoops,
  hasNearRepeat,
  isFillerPhrase,
  judge,
  maxRepetition,
  repeatsFrom,
} from "./hallucination.ts";
import { assert, assertEquals } from "../../ffi/testing/assert.ts";

const sure = { noSpeechProb: 0.05, avgLogprob: -0.3 };
const unsure = { noSpeechProb: 0.4, avgLogprob: -1.4 };

Deno.test("maxRepetition finds back-to-back loops of words and phrases", () => {
  assertEquals(maxRepetition("you you you".split(" ")), 3);
  assertEquals(maxRepetition("ask not ask not ask not what".split(" ")), 3);
  assertEquals(maxRepetition("a b c a b c".split(" ")), 2);
  assertEquals(maxRepetition("the cat sat on the mat".split(" ")), 1);
  assertEquals(maxRepetition([]), 0);
});

Deno.test("judge rejects silence, lone filler phrases and loops, and passes real speech", () => {
  assertEquals(judge({ text: "And so my fellow Americans.", ...sure }), null);
  assertEquals(judge({ text: "Thank you.", ...sure }), null, "a clear thank-you is speech");
  assertEquals(judge({ text: "Thank you.", ...unsure }), "known-phrase");
  assertEquals(
    judge({ text: "Thanks for watching!", noSpeechProb: 0.35, avgLogprob: -0.5 }),
    "known-phrase",
  );
  assertEquals(judge({ text: "you you you you you", ...sure }), "repetition");
  assertEquals(judge({ text: "I said no, no, no.", ...sure }), null, "three times is allowed");
  assertEquals(judge({ text: "The end. The end. The end. The end.", ...sure }), "repetition");
  assertEquals(judge({ text: "hello there", noSpeechProb: 0.9, avgLogprob: -1.5 }), "no-speech");
  assertEquals(judge({ text: "hello there", noSpeechProb: 0.9, avgLogprob: -0.2 }), null);
  assertEquals(judge({ text: " ... ", ...unsure }), null, "no words, nothing to judge");
});

Deno.test("isFillerPhrase: a lone filler phrase, however it is written; not speech around one", () => {
  for (const t of ["Thank you.", "thank you thank you", " Thanks for watching!", "You"]) {
    assert(isFillerPhrase(t), t);
  }
  for (const t of ["", "Thank you, Mr. President.", "what you can do", "thank"]) {
    assert(!isFillerPhrase(t), t);
  }
});

Deno.test("a phrase said twice back to back is a loop; loops are cut to one copy", () => {
  const ws = "it might have been in the workhouse it might have been in the workhouse".split(" ");
  assertEquals(findLoops(ws), [{ start: 0, n: 7, reps: 2 }]);
  assertEquals(judge({ text: ws.join(" "), ...sure }), "repetition");
  assertEquals(findLoops("so so we went home".split(" ")), [], "a short word twice is speech");
  const loopy = "you who were always accusing people you who were always accusing people of being"
    .split(" ");
  assertEquals(
    dropLoops(loopy, (w) => w).join(" "),
    "you who were always accusing people of being",
  );
  assertEquals(dropLoops("a a a a a b".split(" "), (w) => w).join(" "), "a b");
  assertEquals(dropLoops("the cat sat".split(" "), (w) => w).join(" "), "the cat sat");
});

Deno.test("a loop of one word (or a short phrase) is cut to that word, not to a longer run of it", () => {
  // Found first as four words said twice; what was said is one "unknown" (spk1688's "Anon.").
  const eight = Array(8).fill("unknown");
  assertEquals(findLoops([...eight, "and", "on"]), [{ start: 0, n: 1, reps: 8 }]);
  assertEquals(dropLoops([...eight, "and", "on"], (w) => w).join(" "), "unknown and on");
  assertEquals(
    dropLoops("we were a b a b a b a b a b there".split(" "), (w) => w).join(" "),
    "we were a b there",
  );
  // A short phrase twice is speech still; the same phrase four times over is not.
  assertEquals(findLoops("no no".split(" ")), []);
  assertEquals(findLoops("a b c a b c a b c".split(" ")), [], "three words three times");
});

Deno.test("near repeats: a phrase said again with a letter changed per word is found", () => {
  assert(hasNearRepeat(["as", "not", "ask", "not"]));
  assert(hasNearRepeat(["and", "so", "my", "fellow", "and", "so", "my", "fellows"]));
  assert(!hasNearRepeat(["ask", "not", "what", "your", "country", "can", "do", "for", "you"]));
  assert(!hasNearRepeat(["a", "b", "c", "d"]), "one-letter words that all differ are not a copy");
  assert(!hasNearRepeat(["the", "cat", "then", "cut"]), "no word of the copy is the same");
  // A longer phrase whose copy has four words in five the same (spk2414's closing decode).
  const phrase = "you would not be rid of his affliction".split(" ");
  const copy = "you will not be rid of his affliction".split(" ");
  assert(hasNearRepeat(["he", ...phrase, ...copy]));
  assert(!hasNearRepeat([...phrase, "you", "will", "not", "be", "sorry", "for", "his", "word"]));
  assert(!hasNearRepeat("the cat sat on the mat and the dog sat on the rug".split(" ")));
});

Deno.test("dropAnnotations: bracketed and parenthesised sound descriptions are not words", () => {
  const keep = (ws: string[]) => dropAnnotations(ws, (w) => w);
  assertEquals(keep(["[BLANK_AUDIO]"]), []);
  assertEquals(keep(["Hello", "[Music]", "there."]), ["Hello", "there."]);
  assertEquals(keep(["(upbeat", "music)", "so", "we", "start"]), ["so", "we", "start"]);
  assertEquals(keep(["[", "Silence", "].", "Yes"]), ["Yes"]);
  // An unclosed description runs to the end; words that only contain brackets stay.
  assertEquals(keep(["ok", "(laughs"]), ["ok"]);
  assertEquals(keep(["a[1]", "b"]), ["a[1]", "b"]);
});

Deno.test("repeatsFrom: where words start saying again what was just said, finished copy or not", () => {
  const w = (t: string) => t.split(" ");
  const jfk = w("and so my fellow americans and so my fellow");
  // The second copy has begun (4 words of 5): it starts at word 5, wherever the proposal begins.
  assertEquals(repeatsFrom(jfk, 4), 5);
  assertEquals(repeatsFrom(jfk, 7), 7);
  // A whole second copy, and what follows it.
  assertEquals(
    repeatsFrom(w("and so my fellow americans and so my fellow americans ask not"), 4),
    5,
  );
  // A loop of a short phrase counts past its allowed repeats only.
  assertEquals(repeatsFrom(w("no no no no no"), 1), 1);
  assertEquals(repeatsFrom(w("no no we"), 1), 3);
  // Speech that only echoes a word or two goes on.
  for (
    const text of [
      "of the people by the people for the people",
      "ask not what your country can do for you ask what you can do for your country",
      "the end of the day was the end",
    ]
  ) assertEquals(repeatsFrom(w(text), 2), w(text).length, text);
  // Nothing proposed.
  assertEquals(repeatsFrom(jfk, jfk.length), jfk.length);
});
