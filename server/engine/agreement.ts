/**
 * LocalAgreement-2: a word is committed once two consecutive hypotheses of the growing audio
 * buffer agree on it (the longest common prefix, compared on normalised words). Committed words
 * never change. Hypotheses are re-decoded from a buffer that starts at or before the last
 * committed word, so their first words may repeat committed ones: those are dropped by time and
 * by matching the committed tail (up to {@linkcode MAX_OVERLAP_WORDS} words).
 *
 * @module
 */

import { type TimedWord, wordKey } from "./words.ts";

/** Longest run of committed words looked for at the start of a new hypothesis. */
export const MAX_OVERLAP_WORDS = 5;
/** A hypothesis word that starts this long before the last commit's end is taken as old. */
const EARLY_MS = 100;

/** The state of one stream's agreement: committed words and the pending hypothesis. */
export class LocalAgreement {
  #committed: TimedWord[] = [];
  #pending: TimedWord[] = [];

  /** Every committed word so far, in order. */
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
   * Takes a new hypothesis (words with absolute times) and returns the words it commits: the
   * common prefix of it and the previous hypothesis, after what is already committed.
   */
  insert(hypothesis: readonly TimedWord[]): TimedWord[] {
    const fresh = this.#dropCommitted(hypothesis);
    const n = commonPrefix(this.#pending, fresh);
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

  /** Forgets committed words before `keepFromMs` (after the buffer was trimmed there). */
  forgetBefore(keepFromMs: number): void {
    this.#committed = this.#committed.filter((w) => w.endMs > keepFromMs);
  }

  #dropCommitted(hypothesis: readonly TimedWord[]): TimedWord[] {
    const endMs = this.committedEndMs;
    let words = hypothesis.filter((w) => wordKey(w.word) !== "");
    words = words.filter((w) => w.startMs > endMs - EARLY_MS);
    // Whisper may restate the last committed words with times that straddle the commit.
    const tail = this.#committed.slice(-MAX_OVERLAP_WORDS).map((w) => wordKey(w.word));
    for (let k = Math.min(MAX_OVERLAP_WORDS, tail.length, words.length); k >= 1; k--) {
      const head = words.slice(0, k).map((w) => wordKey(w.word));
      if (head.join(" ") === tail.slice(-k).join(" ")) {
        words = words.slice(k);
        break;
      }
    }
    return words;
  }
}

/** Number of leading words that two word lists share (by {@linkcode wordKey}). */
export function commonPrefix(a: readonly TimedWord[], b: readonly TimedWord[]): number {
  let n = 0;
  while (n < a.length && n < b.length && wordKey(a[n].word) === wordKey(b[n].word)) n++;
  return n;
}
