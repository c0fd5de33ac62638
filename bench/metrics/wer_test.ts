import {
  alignWords,
  charErrors,
  corpusCer,
  corpusWer,
  editCounts,
  formatAlignment,
  wordErrors,
} from "./wer.ts";

function assertEquals(actual: unknown, expected: unknown, msg = ""): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${msg}${msg ? ": " : ""}got ${a}, want ${e}`);
}

const words = (s: string) => s.split(" ").filter((w) => w.length > 0);
const counts = (substitutions: number, deletions: number, insertions: number, hits: number) => ({
  substitutions,
  deletions,
  insertions,
  hits,
  refWords: hits + substitutions + deletions,
});

Deno.test("wordErrors counts hand-checked alignments", () => {
  const cases: Array<[string, string, ReturnType<typeof counts>]> = [
    ["the cat sat", "the cat sat", counts(0, 0, 0, 3)],
    ["the cat sat", "", counts(0, 3, 0, 0)], // empty hypothesis: all deleted
    ["", "the cat", counts(0, 0, 2, 0)], // empty reference: all inserted
    ["", "", counts(0, 0, 0, 0)],
    ["a b c", "x y z", counts(3, 0, 0, 0)], // all wrong
    ["a b", "a x b y", counts(0, 0, 2, 2)], // insertions only
    ["a x b y", "a b", counts(0, 2, 0, 2)], // deletions only
    ["the cat sat", "the hat sat down", counts(1, 0, 1, 2)],
    ["a b", "b c", counts(0, 1, 1, 1)], // a hit is kept rather than two substitutions
    ["one two three four", "two three four five", counts(0, 1, 1, 3)],
    ["a b c d e", "a c d x e f", counts(0, 1, 2, 4)],
    ["a b c", "a x c", counts(1, 0, 0, 2)], // one substitution, not a deletion plus an insertion
  ];
  for (const [ref, hyp, want] of cases) {
    assertEquals(
      wordErrors(words(ref), words(hyp)),
      want,
      `${JSON.stringify(ref)} vs ${JSON.stringify(hyp)}`,
    );
  }
});

Deno.test("the alignment lists each word and agrees with the counts", () => {
  const steps = alignWords(words("a b c d e"), words("a c d x e f"));
  assertEquals(steps.map((s) => [s.op, s.ref, s.hyp]), [
    ["hit", "a", "a"],
    ["deletion", "b", null],
    ["hit", "c", "c"],
    ["hit", "d", "d"],
    ["insertion", null, "x"],
    ["hit", "e", "e"],
    ["insertion", null, "f"],
  ]);
  // On random inputs the steps must be minimal and tally up to the two-row counts.
  const random = mulberry32(42);
  const vocab = ["a", "b", "c", "d"];
  for (let t = 0; t < 300; t++) {
    const ref = Array.from(
      { length: Math.floor(random() * 9) },
      () => vocab[Math.floor(random() * 4)],
    );
    const hyp = Array.from(
      { length: Math.floor(random() * 9) },
      () => vocab[Math.floor(random() * 4)],
    );
    const tally = { substitutions: 0, deletions: 0, insertions: 0, hits: 0 };
    for (const s of alignWords(ref, hyp)) {
      const key = s.op === "hit"
        ? "hits"
        : (`${s.op}s` as "substitutions" | "deletions" | "insertions");
      tally[key]++;
    }
    assertEquals(tally, editCounts(ref, hyp), `${ref.join(" ")} | ${hyp.join(" ")}`);
    assertEquals(
      tally.substitutions + tally.deletions + tally.insertions,
      levenshtein(ref, hyp),
      "minimal",
    );
  }
});

Deno.test("formatAlignment marks substitutions, deletions and insertions", () => {
  const text = formatAlignment(alignWords(["a", "cat", "sat"], ["the", "cat", "mat", "down"]));
  assertEquals(text.split("\n"), [
    "REF: a   cat sat ****",
    "HYP: the cat mat down",
    "     S       S   I",
  ]);
  assertEquals(formatAlignment(alignWords(["hi"], [])).split("\n"), [
    "REF: hi",
    "HYP: **",
    "     D",
  ]);
});

Deno.test("corpusWer adds edits over the corpus and normalises both sides", () => {
  const result = corpusWer([
    { ref: "Twenty-five cats.", hyp: "25 cats" },
    { ref: "hello world", hyp: "hello" },
    { ref: "I won't go", hyp: "i will not go there" },
  ]);
  assertEquals(result, {
    wer: 2 / 8,
    substitutions: 0,
    deletions: 1,
    insertions: 1,
    hits: 7,
    refWords: 8,
    hypWords: 8,
    utterances: 3,
  });
  const raw = corpusWer([{ ref: "Hello, world", hyp: "hello world" }], (s) => s);
  assertEquals(
    [raw.wer, raw.substitutions],
    [1 / 2, 1],
    "identity normaliser keeps case and commas",
  );
});

Deno.test("corpusWer handles empty references and rejects malformed pairs", () => {
  assertEquals(corpusWer([]).wer, 0);
  assertEquals(corpusWer([{ ref: "", hyp: "" }]).wer, 0);
  assertEquals(corpusWer([{ ref: "[noise]", hyp: "um" }]).wer, 0, "both normalise to nothing");
  assertEquals(corpusWer([{ ref: "", hyp: "extra words" }]).wer, Infinity);
  let message = "";
  try {
    corpusWer([{ ref: "a", hyp: "a" }, { ref: "b" } as unknown as { ref: string; hyp: string }]);
  } catch (err) {
    message = (err as Error).message;
  }
  assertEquals(message, "Cannot compute WER: pair 1 has no hyp string");
});

Deno.test("charErrors and corpusCer count code points, spaces included", () => {
  assertEquals(charErrors("kitten", "sitting"), {
    substitutions: 2,
    deletions: 0,
    insertions: 1,
    hits: 4,
    refChars: 6,
  });
  assertEquals(charErrors("", "ab").insertions, 2);
  assertEquals(charErrors("héllo", "hello").substitutions, 1);
  const cer = corpusCer([{ ref: "The cat.", hyp: "the bat" }, { ref: "ab", hyp: "ab cd" }]);
  assertEquals([cer.cer, cer.substitutions, cer.insertions, cer.refChars, cer.hypChars], [
    4 / 9,
    1,
    3,
    9,
    12,
  ]);
});

Deno.test("editCounts counts substitutions exactly on long inputs", () => {
  const random = mulberry32(7);
  const ref = Array.from({ length: 3000 }, () => `w${Math.floor(random() * 50)}`);
  const hyp = ref.map((w) => (random() < 0.1 ? "x" : w));
  const replaced = hyp.filter((w) => w === "x").length;
  const c = editCounts(ref, hyp);
  assertEquals(c.substitutions, replaced, "substitutions");
  assertEquals(c.deletions + c.insertions, 0, "no deletions or insertions");
});

/** Plain Levenshtein distance, for cross-checking. */
function levenshtein(a: readonly string[], b: readonly string[]): number {
  const d = Array.from(
    { length: a.length + 1 },
    (_, i) => Array.from({ length: b.length + 1 }, (_, j) => i + j),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(
        d[i - 1][j] + 1,
        d[i][j - 1] + 1,
        d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
  }
  return d[a.length][b.length];
}

/** A small seeded random number generator, so the random cases are reproducible. */
function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
