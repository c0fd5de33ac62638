/**
 * Word-timing accuracy against a forced alignment (`*.align.json`: `w[]` of `{t, b, d}` with
 * `<sil>` for silence and `(2)` marking pronunciation variants): hypothesis words are aligned to
 * reference words by edit distance, and for every matched word the start and end errors are taken.
 *
 * @module
 */

import { alignTokens } from "./wer.ts";
import { wordKey } from "../../server/engine/words.ts";

/** A word with times in ms. */
export interface TimedToken {
  word: string;
  startMs: number;
  endMs: number;
}

/** Timing errors of the matched words, ms (absolute values). */
export interface TimingErrors {
  matched: number;
  startErrorsMs: number[];
  endErrorsMs: number[];
}

/** Reads a forced alignment file into timed words (silence left out). */
export function readAlignment(path: string): TimedToken[] {
  const doc = JSON.parse(Deno.readTextFileSync(path)) as {
    w?: { t: string; b: number; d: number }[];
  };
  if (!Array.isArray(doc.w)) throw new Error(`Cannot read alignment: ${path} has no "w" array`);
  return doc.w
    .filter((w) => w.t !== "<sil>" && w.t.trim() !== "")
    .map((w) => ({
      word: w.t.replace(/\(\d+\)$/, ""),
      startMs: Math.round(w.b * 1000),
      endMs: Math.round((w.b + w.d) * 1000),
    }));
}

/** Aligns `hyp` to `ref` and returns the timing errors of words that match exactly. */
export function timingErrors(ref: readonly TimedToken[], hyp: readonly TimedToken[]): TimingErrors {
  const r = ref.map((w, i) => ({ key: wordKey(w.word), i }));
  const h = hyp.map((w, i) => ({ key: wordKey(w.word), i })).filter((w) => w.key);
  const steps = alignTokens(r.map((x) => x.key), h.map((x) => x.key));
  const out: TimingErrors = { matched: 0, startErrorsMs: [], endErrorsMs: [] };
  let ri = 0;
  let hi = 0;
  for (const s of steps) {
    if (s.op === "hit") {
      const a = ref[r[ri].i];
      const b = hyp[h[hi].i];
      out.matched++;
      out.startErrorsMs.push(Math.abs(b.startMs - a.startMs));
      out.endErrorsMs.push(Math.abs(b.endMs - a.endMs));
    }
    if (s.op !== "insertion") ri++;
    if (s.op !== "deletion") hi++;
  }
  return out;
}

/** The q-quantile (0..1) of numbers, by nearest rank; NaN for none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
