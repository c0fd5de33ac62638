/**
 * Splits long transcript segments into subtitle-sized ones by their word times: after a
 * sentence end once a piece is long enough, or before a word that would make it too long.
 * Decoding without timestamp tokens (more accurate) yields one segment per window of up to 28 s.
 *
 * @module
 */

import type { TimedWord } from "../../protocol/transcript.ts";

/** A piece of transcript with its words, ms from the start of the recording. */
export interface WordSegment {
  startMs: number;
  endMs: number;
  text: string;
  words: TimedWord[];
}

/** Limits for {@linkcode splitByWords}. */
export interface SplitOptions {
  /** Longest piece, ms; default 7000. */
  maxMs?: number;
  /** Longest piece, characters; default 84 (two subtitle lines). */
  maxChars?: number;
  /** A sentence end closes a piece once it is this long, ms; default 1500. */
  minSentenceMs?: number;
}

const SENTENCE_END = /[.?!…]["')\]]?$/;

/** Splits `words` into pieces within the limits; a single over-long word stays whole. */
export function splitByWords(words: readonly TimedWord[], opts: SplitOptions = {}): WordSegment[] {
  const maxMs = opts.maxMs ?? 7000;
  const maxChars = opts.maxChars ?? 84;
  const minSentenceMs = opts.minSentenceMs ?? 1500;
  const pieces: WordSegment[] = [];
  let cur: TimedWord[] = [];
  const close = () => {
    if (cur.length === 0) return;
    pieces.push({
      startMs: cur[0].startMs,
      endMs: cur[cur.length - 1].endMs,
      text: cur.map((w) => w.word).join(" "),
      words: cur,
    });
    cur = [];
  };
  for (const w of words) {
    if (cur.length > 0) {
      const chars = cur.reduce((n, x) => n + x.word.length + 1, 0) + w.word.length;
      if (w.endMs - cur[0].startMs > maxMs || chars > maxChars) close();
    }
    cur.push(w);
    if (SENTENCE_END.test(w.word) && w.endMs - cur[0].startMs >= minSentenceMs) close();
  }
  close();
  return pieces;
}
