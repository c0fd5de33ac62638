import { splitByWords } from "./segments.ts";
import { assertEquals } from "../../ffi/testing/assert.ts";

const w = (word: string, startMs: number, endMs: number) => ({ word, startMs, endMs, p: 1 });

Deno.test("splitByWords closes at sentence ends and before over-long pieces", () => {
  const words = [
    w("Hello", 0, 400),
    w("there.", 400, 1600),
    w("This", 1700, 2000),
    w("goes", 2000, 5000),
    w("on", 5000, 8000),
    w("and", 8000, 9000),
    w("on.", 9000, 9500),
  ];
  const pieces = splitByWords(words, { maxMs: 7000 });
  assertEquals(pieces.map((p) => p.text), ["Hello there.", "This goes on", "and on."]);
  assertEquals(pieces.map((p) => [p.startMs, p.endMs]), [[0, 1600], [1700, 8000], [8000, 9500]]);
});

Deno.test("splitByWords keeps short sentences together and respects the character limit", () => {
  const words = [w("Hi.", 0, 300), w("Yes.", 300, 600), w("abcdefghij", 600, 900)];
  assertEquals(splitByWords(words).map((p) => p.text), ["Hi. Yes. abcdefghij"]);
  assertEquals(splitByWords(words, { maxChars: 8 }).map((p) => p.text), ["Hi. Yes.", "abcdefghij"]);
  assertEquals(splitByWords([]), []);
});
