/**
 * LocalAgreement-2: a word is committed once two consecutive hypotheses of the growing audio
 * buffer agree on it (the longest common prefix, compared on normalised words). Committed words
 * never change. Hypotheses are re-decoded from a buffer that starts at or before the last
 * committed word, so their first words restate committed ones: the committed words still inside
 * the buffer are aligned to the hypothesis by edit distance and the matching prefix is dropped,
 * which needs no word times (Whisper's restated words may move by a word or be spelled anew).
 * Two other commit rules share the bookkeeping: a time margin (commit what ends well before the
 * decoded audio's end, AlignAtt-style) and none (commit only at the end of an utterance).
 *
 * @module
 */

import { type TimedWord, wordKey } from "./words.ts";

/** How one hypothesis may commit words. */
export interface InsertOptions {
  /** Commit the prefix two consecutive hypotheses agree on (LocalAgreement-2); default true. */
  agree?: boolean;
  /** Also commit leading words that end at or before this time, ms. */
  commitBeforeMs?: number;
}

/** The state of one stream's agreement: committed words and the pending hypothesis. */
export class LocalAgreement {
  #committed: TimedWord[] = [];
  #pending: TimedWord[] = [];

  /** The committed words still inside the decoded buffer, in order. */
  get committed(): readonly TimedWord[] {
    return this.#committed;
  }

  /** The uncommitted tail of the latest hypothesis (what a partial shows). */
  get pending(): readonly TimedWord[] {
    return this.#pending;
  }

  /** End of the last committed word, ms (0 before any). */
  get committedEndMs(): number {
    return this.#committed.length ? this.#committed[this.#committed.length - 1].endMs : 0;
  }

  /**
   * Takes a new hypothesis of the whole buffer (words with absolute times) and returns the words
   * it commits, after what is already committed.
   */
  insert(hypothesis: readonly TimedWord[], opts: InsertOptions = {}): TimedWord[] {
    const fresh = this.fresh(hypothesis);
    let n = opts.agree === false ? 0 : commonPrefix(this.#pending, fresh);
    if (opts.commitBeforeMs !== undefined) {
      let m = 0;
      while (m < fresh.length && fresh[m].endMs <= opts.commitBeforeMs) m++;
      n = Math.max(n, m);
    }
    // The newer hypothesis' words win: their times come from more audio.
    const newly = fresh.slice(0, n);
    this.#committed.push(...newly);
    this.#pending = fresh.slice(n);
    return newly;
  }

  /** Commits everything pending (end of utterance or of input) and returns it. */
  flush(): TimedWord[] {
    const rest = this.#pending;
    this.#committed.push(...rest);
    this.#pending = [];
    return rest;
  }

  /** Commits every word of a last hypothesis after what is committed, and returns them. */
  finish(hypothesis: readonly TimedWord[]): TimedWord[] {
    this.#pending = this.fresh(hypothesis);
    return this.flush();
  }

  /** Forgets committed words that end by `keepFromMs` (after the buffer was trimmed there). */
  forgetBefore(keepFromMs: number): void {
    this.#committed = this.#committed.filter((w) => w.endMs > keepFromMs);
  }

  /** The words of `hypothesis` after those that restate committed words. */
  fresh(hypothesis: readonly TimedWord[]): TimedWord[] {
    const words = hypothesis.filter((w) => wordKey(w.word) !== "");
    return words.slice(restatedPrefix(this.#committed, words));
  }
}

/**
 * How many leading words of `hyp` restate `committed`: the prefix length whose edit distance to
 * the committed words is least (on ties, the one ending nearest the last committed word's end);
 * none unless that beats restating nothing.
 */
export function restatedPrefix(
  committed: readonly TimedWord[],
  hyp: readonly TimedWord[],
): number {
  if (committed.length === 0 || hyp.length === 0) return 0;
  const a = committed.map((w) => wordKey(w.word));
  const b = hyp.map((w) => wordKey(w.word));
  // prev[j]: edit distance between a[0..i) and b[0..j).
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  const endMs = committed[committed.length - 1].endMs;
  let best = 0;
  for (let j = 1; j <= b.length; j++) {
    if (
      prev[j] < prev[best] ||
      (best > 0 && prev[j] === prev[best] &&
        Math.abs(hyp[j - 1].endMs - endMs) < Math.abs(hyp[best - 1].endMs - endMs))
    ) best = j;
  }
  return best;
}

/** Number of leading words that two word lists share (by {@linkcode wordKey}). */
export function commonPrefix(a: readonly TimedWord[], b: readonly TimedWord[]): number {
  let n = 0;
  while (n < a.length && n < b.length && wordKey(a[n].word) === wordKey(b[n].word)) n++;
  return n;
}
