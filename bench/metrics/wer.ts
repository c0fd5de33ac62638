/**
 * Word and character error rates by Levenshtein alignment.
 *
 * Counts come from a two-row dynamic programme (O(n·m) time, O(m) memory); the full table of
 * choices is kept only when an alignment is asked for. Among the alignments with the fewest edits
 * the one with the fewest substitutions (most hits) is chosen, so the split into substitutions,
 * deletions and insertions does not depend on the order in which ties are broken.
 *
 * @module
 */

import { normalizeEnglish } from "./normalize_en.ts";

/** Edit counts from aligning a reference token sequence with a hypothesis. */
export interface EditCounts {
  substitutions: number;
  deletions: number;
  insertions: number;
  /** Reference tokens matched exactly. */
  hits: number;
}

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

/** One column of an alignment; `ref` is null for an insertion, `hyp` for a deletion. */
export type AlignmentStep<T = string> =
  | { op: "hit" | "substitution"; ref: T; hyp: T }
  | { op: "deletion"; ref: T; hyp: null }
  | { op: "insertion"; ref: null; hyp: T };

/** A text normaliser such as {@linkcode normalizeEnglish}. */
export type Normalizer = (text: string) => string;

// Choices stored per cell when an alignment is wanted.
const HIT = 0;
const SUBSTITUTION = 1;
const DELETION = 2;
const INSERTION = 3;

/**
 * Scores are edits·weight + substitutions, so that comparing scores compares edits first and
 * substitutions second. The weight exceeds any possible substitution count.
 */
function substitutionWeight(n: number, m: number): number {
  return Math.min(n, m) + 1;
}

/** Turns the best score into counts, using deletions − insertions = n − m. */
function countsFromScore(score: number, weight: number, n: number, m: number): EditCounts {
  const substitutions = score % weight;
  const edits = (score - substitutions) / weight;
  const deletions = (edits - substitutions + n - m) / 2;
  const insertions = edits - substitutions - deletions;
  return { substitutions, deletions, insertions, hits: n - substitutions - deletions };
}

/**
 * Counts the edits that turn `ref` into `hyp` (tokens compared with `===`), in O(n·m) time and
 * O(m) memory.
 */
export function editCounts<T>(ref: readonly T[], hyp: readonly T[]): EditCounts {
  const n = ref.length;
  const m = hyp.length;
  const w = substitutionWeight(n, m);
  let prev = new Float64Array(m + 1);
  let cur = new Float64Array(m + 1);
  for (let j = 0; j <= m; j++) prev[j] = j * w;
  for (let i = 1; i <= n; i++) {
    cur[0] = i * w;
    const r = ref[i - 1];
    for (let j = 1; j <= m; j++) {
      const diagonal = prev[j - 1] + (r === hyp[j - 1] ? 0 : w + 1);
      cur[j] = Math.min(diagonal, prev[j] + w, cur[j - 1] + w);
    }
    [prev, cur] = [cur, prev];
  }
  return countsFromScore(prev[m], w, n, m);
}

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

/**
 * Aligns two token sequences and lists every column: hits, substitutions, deletions (reference
 * tokens missing from the hypothesis) and insertions (extra hypothesis tokens). The counts of the
 * steps equal {@linkcode editCounts}. Uses n·m bytes; meant for debugging single utterances.
 */
export function alignTokens<T>(ref: readonly T[], hyp: readonly T[]): AlignmentStep<T>[] {
  const choices = fillChoices(ref, hyp);
  const steps: AlignmentStep<T>[] = [];
  const m = hyp.length;
  let i = ref.length;
  let j = m;
  while (i > 0 || j > 0) {
    const choice = i === 0 ? INSERTION : j === 0 ? DELETION : choices[(i - 1) * m + (j - 1)];
    if (choice === DELETION) {
      steps.push({ op: "deletion", ref: ref[--i], hyp: null });
    } else if (choice === INSERTION) {
      steps.push({ op: "insertion", ref: null, hyp: hyp[--j] });
    } else {
      const op = choice === HIT ? "hit" : "substitution";
      steps.push({ op, ref: ref[--i], hyp: hyp[--j] });
    }
  }
  return steps.reverse();
}

/** The forward programme of {@linkcode editCounts}, remembering the best move into each cell. */
function fillChoices<T>(ref: readonly T[], hyp: readonly T[]): Uint8Array {
  const n = ref.length;
  const m = hyp.length;
  const w = substitutionWeight(n, m);
  const choices = new Uint8Array(n * m);
  let prev = new Float64Array(m + 1);
  let cur = new Float64Array(m + 1);
  for (let j = 0; j <= m; j++) prev[j] = j * w;
  for (let i = 1; i <= n; i++) {
    cur[0] = i * w;
    for (let j = 1; j <= m; j++) {
      // On ties a gap wins, so that the backtrace (from the end) puts matches as early as it can.
      let best = prev[j] + w;
      let choice = DELETION;
      if (cur[j - 1] + w < best) [best, choice] = [cur[j - 1] + w, INSERTION];
      const same = ref[i - 1] === hyp[j - 1];
      const diagonal = prev[j - 1] + (same ? 0 : w + 1);
      if (diagonal < best) [best, choice] = [diagonal, same ? HIT : SUBSTITUTION];
      cur[j] = best;
      choices[(i - 1) * m + (j - 1)] = choice;
    }
    [prev, cur] = [cur, prev];
  }
  return choices;
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
