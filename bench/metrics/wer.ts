/**
 * Word and character error rates by Levenshtein alignment (`util/alignment.ts`: among the
 * alignments with the fewest edits the one with the most hits, so the split into substitutions,
 * deletions and insertions does not depend on the order in which ties are broken).
 *
 * @module
 */

import { normalizeEnglish } from "./normalize_en.ts";
import {
  type AlignmentStep,
  alignTokens,
  type EditCounts,
  editCounts,
} from "../../util/alignment.ts";

export { type AlignmentStep, alignTokens, type EditCounts, editCounts };

/** Edit counts over words. */
export interface WordErrors extends EditCounts {
  /** Words in the reference: hits + substitutions + deletions. */
  refWords: number;
}

/** Edit counts over characters. */
export interface CharErrors extends EditCounts {
  /** Characters in the reference: hits + substitutions + deletions. */
  refChars: number;
}

/** A reference and a hypothesis (recognised) text for one utterance. */
export interface TextPair {
  ref: string;
  hyp: string;
}

/** Corpus-level word error rate: total edits over total reference words. */
export interface CorpusWer extends WordErrors {
  /** (substitutions + deletions + insertions) / refWords; see {@linkcode errorRate}. */
  wer: number;
  hypWords: number;
  utterances: number;
}

/** Corpus-level character error rate: total edits over total reference characters. */
export interface CorpusCer extends CharErrors {
  /** (substitutions + deletions + insertions) / refChars; see {@linkcode errorRate}. */
  cer: number;
  hypChars: number;
  utterances: number;
}

export type Normalizer = (text: string) => string;

/**
 * Counts word errors between two word lists by Levenshtein alignment.
 *
 * @example
 * ```ts
 * wordErrors(["the", "cat", "sat"], ["the", "hat", "sat", "down"]);
 * // → { substitutions: 1, deletions: 0, insertions: 1, hits: 2, refWords: 3 }
 * ```
 */
export function wordErrors(ref: readonly string[], hyp: readonly string[]): WordErrors {
  return { ...editCounts(ref, hyp), refWords: ref.length };
}

/** Counts character (code point) errors between two strings by Levenshtein alignment. */
export function charErrors(ref: string, hyp: string): CharErrors {
  const r = Array.from(ref);
  return { ...editCounts(r, Array.from(hyp)), refChars: r.length };
}

/** Aligns two word lists; see {@linkcode alignTokens}. */
export function alignWords(ref: readonly string[], hyp: readonly string[]): AlignmentStep[] {
  return alignTokens(ref, hyp);
}

const OP_MARKS = { hit: " ", substitution: "S", deletion: "D", insertion: "I" } as const;

/**
 * Renders an alignment as three lines in the style of NIST sclite: reference, hypothesis (with
 * `*` for a missing word) and a line marking S, D and I under each error.
 *
 * @example
 * ```ts
 * formatAlignment(alignWords(["a", "cat"], ["the", "cat", "sat"]));
 * // REF: a   cat ***
 * // HYP: the cat sat
 * //      S       I
 * ```
 */
export function formatAlignment(steps: readonly AlignmentStep[]): string {
  const cells = steps.map((s) => {
    const width = Math.max(s.ref?.length ?? 0, s.hyp?.length ?? 0, 1);
    const show = (t: string | null) => (t ?? "*".repeat(width)).padEnd(width);
    return { ref: show(s.ref), hyp: show(s.hyp), mark: OP_MARKS[s.op].padEnd(width) };
  });
  const line = (label: string, key: "ref" | "hyp" | "mark") =>
    `${label}${cells.map((c) => c[key]).join(" ")}`.trimEnd();
  return [line("REF: ", "ref"), line("HYP: ", "hyp"), line("     ", "mark")].join("\n");
}

/** Normalises a text and splits it into words. */
export function toWords(text: string, normalize: Normalizer = normalizeEnglish): string[] {
  return normalize(text).split(/\s+/u).filter((w) => w.length > 0);
}

/**
 * Edits per reference unit. With an empty reference the rate is 0 when there are no edits and
 * `Infinity` otherwise.
 */
export function errorRate(counts: EditCounts, refUnits: number): number {
  const edits = counts.substitutions + counts.deletions + counts.insertions;
  if (refUnits === 0) return edits === 0 ? 0 : Infinity;
  return edits / refUnits;
}

function checkPair(pair: TextPair, index: number, metric: string): void {
  for (const side of ["ref", "hyp"] as const) {
    if (typeof pair?.[side] !== "string") {
      throw new TypeError(`Cannot compute ${metric}: pair ${index} has no ${side} string`);
    }
  }
}

function addCounts(total: EditCounts, c: EditCounts): void {
  total.substitutions += c.substitutions;
  total.deletions += c.deletions;
  total.insertions += c.insertions;
  total.hits += c.hits;
}

/**
 * Corpus-level word error rate: both sides of every pair are normalised, split into words and
 * aligned; the edits of all pairs are added up and divided by all reference words (not the mean
 * of per-utterance rates).
 *
 * @param pairs Reference and hypothesis texts, one pair per utterance.
 * @param normalize Text normaliser applied to both sides; defaults to {@linkcode normalizeEnglish}.
 *
 * @example
 * ```ts
 * corpusWer([{ ref: "Twenty-five cats.", hyp: "25 cats" }, { ref: "hello world", hyp: "hello" }]);
 * // → { wer: 0.25, substitutions: 0, deletions: 1, insertions: 0, hits: 3, refWords: 4, ... }
 * ```
 */
export function corpusWer(
  pairs: readonly TextPair[],
  normalize: Normalizer = normalizeEnglish,
): CorpusWer {
  const total = { substitutions: 0, deletions: 0, insertions: 0, hits: 0 };
  let refWords = 0;
  let hypWords = 0;
  pairs.forEach((pair, index) => {
    checkPair(pair, index, "WER");
    const ref = toWords(pair.ref, normalize);
    const hyp = toWords(pair.hyp, normalize);
    addCounts(total, editCounts(ref, hyp));
    refWords += ref.length;
    hypWords += hyp.length;
  });
  return {
    wer: errorRate(total, refWords),
    ...total,
    refWords,
    hypWords,
    utterances: pairs.length,
  };
}

/**
 * Corpus-level character error rate over normalised text. Characters are code points of the
 * normalised words joined by single spaces (spaces count as characters, as in jiwer's CER).
 *
 * @param pairs Reference and hypothesis texts, one pair per utterance.
 * @param normalize Text normaliser applied to both sides; defaults to {@linkcode normalizeEnglish}.
 */
export function corpusCer(
  pairs: readonly TextPair[],
  normalize: Normalizer = normalizeEnglish,
): CorpusCer {
  const total = { substitutions: 0, deletions: 0, insertions: 0, hits: 0 };
  let refChars = 0;
  let hypChars = 0;
  pairs.forEach((pair, index) => {
    checkPair(pair, index, "CER");
    const ref = Array.from(toWords(pair.ref, normalize).join(" "));
    const hyp = Array.from(toWords(pair.hyp, normalize).join(" "));
    addCounts(total, editCounts(ref, hyp));
    refChars += ref.length;
    hypChars += hyp.length;
  });
  return {
    cer: errorRate(total, refChars),
    ...total,
    refChars,
    hypChars,
    utterances: pairs.length,
  };
}
