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

import { wordKey } from "./words.ts";
import type { TimedWord } from "../../protocol/transcript.ts";

/** How one hypothesis may commit words. */
export interface InsertOptions {
  /** Commit the prefix two consecutive hypotheses agree on (LocalAgreement-2); default true. */
  agree?: boolean;
  /** Also commit leading words that end at or before this time, ms. */
  commitBeforeMs?: number;
  /**
   * With `commitBeforeMs`: the time margin commits no word whose probability is below this, nor
   * any after it (agreement still may); default 0.
   */
  minP?: number;
  /**
   * Where the decoded buffer starts, ms, when it starts after the segment does: only the
   * committed words that end after it can be restated by the hypothesis.
   */
  fromMs?: number;
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
    const fresh = this.fresh(hypothesis, opts.fromMs);
    let n = opts.agree === false ? 0 : commonPrefix(this.#pending, fresh);
    if (opts.commitBeforeMs !== undefined) {
      const minP = opts.minP ?? 0;
      let m = 0;
      while (m < fresh.length && fresh[m].endMs <= opts.commitBeforeMs && fresh[m].p >= minP) m++;
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

  /**
   * The words of `hypothesis` after those that restate committed words (those that end after
   * `fromMs`, where the decoded buffer starts; default: all).
   */
  fresh(hypothesis: readonly TimedWord[], fromMs = -Infinity): TimedWord[] {
    const words = hypothesis.filter((w) => wordKey(w.word) !== "");
    const inside = this.#committed.filter((w) => w.endMs > fromMs);
    return words.slice(restatedPrefix(inside, words));
  }
}

/** Hypothesis words that may precede a restatement (words the early commits missed). */
const MAX_SKIP = 4;

/**
 * How many leading words of `hyp` restate `committed`: the committed words are aligned by edit
 * distance to a stretch of the hypothesis that starts within its first {@linkcode MAX_SKIP}
 * words (a skipped word costs a quarter edit, and a stretch after skipped words needs two
 * matching words), and the hypothesis up to the end of that stretch is taken as restated. The
 * alignment must beat restating nothing; ties go to more matching words, then to the stretch whose
 * length is nearest the committed words' (the audio of every committed word is in the window, so
 * a word heard differently is likelier than one not heard: "towards the speaker" restated as
 * "towards this people" ends after "people"), then to the end nearest the last committed word's
 * end.
 */
export function restatedPrefix(
  committed: readonly TimedWord[],
  hyp: readonly TimedWord[],
): number {
  if (committed.length === 0 || hyp.length === 0) return 0;
  const a = committed.map((w) => wordKey(w.word));
  const b = hyp.map((w) => wordKey(w.word));
  const endMs = committed[committed.length - 1].endMs;
  let best = { j: 0, cost: a.length, hits: 0, dn: Infinity, dt: Infinity };
  for (let skip = 0; skip <= Math.min(MAX_SKIP, b.length - 1); skip++) {
    // d[j]: edit distance between a[0..i) and b[skip..skip+j); h[j]: matching words on that path.
    let d = Array.from({ length: b.length - skip + 1 }, (_, j) => j);
    let h = new Array<number>(d.length).fill(0);
    for (let i = 1; i <= a.length; i++) {
      const nd = [i];
      const nh = [0];
      for (let j = 1; j < d.length; j++) {
        const same = a[i - 1] === b[skip + j - 1];
        const diag = d[j - 1] + (same ? 0 : 1);
        const up = d[j] + 1;
        const left = nd[j - 1] + 1;
        nd[j] = Math.min(diag, up, left);
        nh[j] = nd[j] === diag ? h[j - 1] + (same ? 1 : 0) : nd[j] === up ? h[j] : nh[j - 1];
      }
      d = nd;
      h = nh;
    }
    for (let j = 1; j < d.length; j++) {
      if (skip > 0 && h[j] < 2) continue;
      const cost = d[j] + skip / 4;
      const dt = Math.abs(hyp[skip + j - 1].endMs - endMs);
      const dn = Math.abs(j - a.length);
      if (
        cost < best.cost || (cost === best.cost && best.j === 0 && h[j] > 0) ||
        (cost === best.cost && best.j > 0 &&
          (h[j] > best.hits ||
            (h[j] === best.hits && (dn < best.dn || (dn === best.dn && dt < best.dt)))))
      ) best = { j: skip + j, cost, hits: h[j], dn, dt };
    }
  }
  return best.j;
}

/**
 * The words of a decode that are the open segment's: all of them without context; with context,
 * those after the words that restate the context's finals, found by aligning the finals with the
 * decode's first words (`restatedPrefix`). Not by word times: whisper.cpp's token times pile up
 * at the window's end and drift near its start (measured: a time split let a third of the
 * context's words through again on the tuning files).
 */
export function ownWords(
  words: readonly TimedWord[],
  context: { words: readonly TimedWord[] } | null,
): TimedWord[] {
  if (!context) return words.slice();
  const spoken = words.filter((w) => wordKey(w.word) !== "");
  return spoken.slice(restatedPrefix(context.words, spoken));
}

/** Number of leading words that two word lists share (by {@linkcode wordKey}). */
export function commonPrefix(a: readonly TimedWord[], b: readonly TimedWord[]): number {
  let n = 0;
  while (n < a.length && n < b.length && wordKey(a[n].word) === wordKey(b[n].word)) n++;
  return n;
}
