/**
 * Words from Whisper tokens: a token that starts with a space begins a word; the others continue
 * it. Times are made monotonic and kept inside the audio.
 *
 * @module
 */

import type { DecodedToken } from "../../ffi/whisper/mod.ts";

/** A word with its time span, ms from the start of the recording. */
export interface TimedWord {
  word: string;
  startMs: number;
  endMs: number;
  /** Mean token probability. */
  p: number;
}

/**
 * Groups non-special tokens into words, shifting times by `offsetMs`. With `dtw`, times come from
 * the cross-attention alignment (`tDtwMs`): a word starts at its first token's time and ends where
 * the next word starts (the last word at its last token's time).
 */
export function wordsFromTokens(
  tokens: readonly DecodedToken[],
  offsetMs = 0,
  dtw = false,
): TimedWord[] {
  if (dtw) return dtwWords(wordsFromTokens(tokens, offsetMs), tokens, offsetMs);
  const words: TimedWord[] = [];
  let bytes: number[] = [];
  let cur: { startMs: number; endMs: number; pSum: number; n: number } | null = null;
  const flush = () => {
    if (!cur) return;
    const word = new TextDecoder().decode(new Uint8Array(bytes)).trim();
    if (word) {
      words.push({ word, startMs: cur.startMs, endMs: cur.endMs, p: cur.pSum / cur.n });
    }
    cur = null;
    bytes = [];
  };
  for (const t of tokens) {
    if (t.special) continue;
    const startsWord = t.bytes.length > 0 && t.bytes[0] === 0x20;
    if (startsWord || !cur) {
      flush();
      cur = { startMs: t.t0Ms + offsetMs, endMs: t.t1Ms + offsetMs, pSum: 0, n: 0 };
    }
    const c = cur as unknown as { startMs: number; endMs: number; pSum: number; n: number };
    bytes.push(...t.bytes);
    c.endMs = Math.max(c.endMs, t.t1Ms + offsetMs);
    c.pSum += t.p;
    c.n++;
  }
  flush();
  return words;
}

/**
 * Makes word times monotonic (each word starts no earlier than the previous one ends) and keeps
 * them inside [minMs, maxMs]. Returns new objects.
 */
export function monotonicWords(
  words: readonly TimedWord[],
  minMs: number,
  maxMs: number,
): TimedWord[] {
  let prevEnd = minMs;
  return words.map((w) => {
    const startMs = Math.min(maxMs, Math.max(w.startMs, prevEnd));
    const endMs = Math.min(maxMs, Math.max(w.endMs, startMs));
    prevEnd = endMs;
    return { ...w, startMs, endMs };
  });
}

function dtwWords(
  words: TimedWord[],
  tokens: readonly DecodedToken[],
  offsetMs: number,
): TimedWord[] {
  // A token's DTW time marks where it ends in the audio (measured against forced alignments:
  // taken as the start it lags by about one word), so a word spans from the time of the token
  // before it to the time of its own last token.
  const starts: number[] = [];
  const ends: number[] = [];
  let prev = tokens.length ? tokens[0].tDtwMs : 0;
  let open = false;
  for (const t of tokens) {
    if (!t.special) {
      const startsWord = t.bytes.length > 0 && t.bytes[0] === 0x20;
      if (startsWord || !open) {
        starts.push(prev + offsetMs);
        ends.push(t.tDtwMs + offsetMs);
        open = true;
      } else {
        ends[ends.length - 1] = t.tDtwMs + offsetMs;
      }
    }
    prev = t.tDtwMs;
  }
  if (starts.length !== words.length) return words; // a word was empty: keep token times
  return words.map((w, i) => ({ ...w, startMs: starts[i], endMs: Math.max(starts[i], ends[i]) }));
}
