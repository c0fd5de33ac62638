/**
 * Words from Whisper tokens: a token that starts with a space begins a word; the others continue
 * it. Times are made monotonic and kept inside the audio.
 *
 * @module
 */

import type { DecodedToken } from "../../ffi/whisper/mod.ts";

/** A word with its time span, ms from the start of the recording. */
import type { TimedWord } from "../../protocol/transcript.ts";
import { alignTokens, editCounts } from "../../util/alignment.ts";

/** The tokens of one word, and the DTW time of the token just before it. */
interface TokenGroup {
  tokens: DecodedToken[];
  prevDtwMs: number;
}

/** Splits non-special tokens into words: a token that starts with a space begins one. */
function groupTokens(tokens: readonly DecodedToken[]): TokenGroup[] {
  const groups: TokenGroup[] = [];
  let prevDtwMs = tokens.length ? tokens[0].tDtwMs : 0;
  for (const t of tokens) {
    if (!t.special) {
      const startsWord = t.bytes.length > 0 && t.bytes[0] === 0x20;
      if (startsWord || groups.length === 0) groups.push({ tokens: [], prevDtwMs });
      groups[groups.length - 1].tokens.push(t);
    }
    prevDtwMs = t.tDtwMs;
  }
  return groups;
}

/**
 * Groups non-special tokens into words, shifting times by `offsetMs`. Times come from token
 * timestamps, or with `dtw` from the cross-attention alignment (`tDtwMs`): a token's DTW time
 * marks where it ends in the audio (measured against forced alignments: taken as the start it
 * lags by about one word), so a word spans from the time of the token before it to the time of
 * its own last token.
 */
export function wordsFromTokens(
  tokens: readonly DecodedToken[],
  offsetMs = 0,
  dtw = false,
): TimedWord[] {
  const words: TimedWord[] = [];
  for (const { tokens: ts, prevDtwMs } of groupTokens(tokens)) {
    const word = new TextDecoder().decode(new Uint8Array(ts.flatMap((t) => [...t.bytes]))).trim();
    if (!word) continue;
    const last = ts[ts.length - 1];
    const startMs = (dtw ? prevDtwMs : ts[0].t0Ms) + offsetMs;
    const endMs = dtw
      ? Math.max(startMs, last.tDtwMs + offsetMs)
      : Math.max(...ts.map((t) => t.t1Ms)) + offsetMs;
    words.push({ word, startMs, endMs, p: ts.reduce((n, t) => n + t.p, 0) / ts.length });
  }
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

/** Lower case, letters, digits and apostrophes only: two spellings of one word compare equal. */
export function wordKey(word: string): string {
  return word.toLowerCase().replace(/[’‘]/g, "'").replace(/[^\p{L}\p{N}']/gu, "");
}

/**
 * Gives `words` times by spreading them over [startMs, endMs] in proportion to their length
 * (characters, plus one for the gap): the word times of a hypothesis decoded without timestamp
 * tokens, which is the more accurate decode (measured in decision 002).
 */
export function spreadWords(
  words: readonly TimedWord[],
  startMs: number,
  endMs: number,
): TimedWord[] {
  const total = words.reduce((n, w) => n + w.word.length + 1, 0);
  const span = Math.max(0, endMs - startMs);
  let at = 0;
  return words.map((w) => {
    const s = startMs + (span * at) / total;
    at += w.word.length + 1;
    const e = startMs + (span * (at - 1)) / total;
    return { ...w, startMs: Math.round(s), endMs: Math.round(Math.max(s, e)) };
  });
}

/** How long a token sounds, relatively: characters, with digits and punctuation as pauses. */
function voiceLength(text: string): number {
  let n = 0;
  for (const c of text) {
    if (c === " ") n += 0.01;
    else if (c === "," || c === "." || c === "!" || c === "?" || (c >= "0" && c <= "9")) n += 2.5;
    else n += 1;
  }
  return Math.max(n, 0.01);
}

/**
 * Token times for a decode without samples (from mel frames): whisper.cpp's token timestamps
 * need the signal's energy, so they stay empty. The decoder's own timestamp guesses
 * (`hintMs`) mark where confident tokens begin; between such marks, and between the segment's
 * start and end, time is shared out by how long each token sounds. Returns copies with `t0Ms`
 * and `t1Ms` set, within [startMs, endMs] and in order.
 */
export function timeTokensByHints(
  tokens: readonly DecodedToken[],
  startMs: number,
  endMs: number,
): DecodedToken[] {
  const text = tokens.filter((t) => !t.special);
  const n = text.length;
  if (!n) return [];
  // Boundaries b[0..n]: b[j] is where token j starts; NaN = unknown.
  const b = new Array<number>(n + 1).fill(NaN);
  b[0] = startMs;
  b[n] = Math.max(startMs, endMs);
  let last = startMs;
  for (let j = 1; j < n; j++) {
    const h = text[j].hintMs;
    if (h >= 0 && startMs + h > last && startMs + h < b[n]) b[j] = last = startMs + h;
  }
  for (let i = 0; i < n;) {
    let k = i + 1;
    while (Number.isNaN(b[k])) k++;
    const lengths = text.slice(i, k).map((t) => voiceLength(t.text));
    const total = lengths.reduce((a, x) => a + x, 0);
    let at = b[i];
    for (let j = i; j < k - 1; j++) b[j + 1] = at += ((b[k] - b[i]) * lengths[j - i]) / total;
    i = k;
  }
  return text.map((t, j) => ({ ...t, t0Ms: Math.round(b[j]), t1Ms: Math.round(b[j + 1]) }));
}

/** How many words of `from` an alignment with `to` keeps: matched, in order. */
export function sharedWords(from: readonly string[], to: readonly string[]): number {
  return editCounts(from, to).hits;
}

/**
 * The longest run of consecutive words of `from` that an alignment of least edits to `to` deletes
 * (words of `from` with no counterpart in `to`; substitutions not counted), compared as given.
 */
export function longestDeletedRun(from: readonly string[], to: readonly string[]): number {
  let longest = 0;
  let run = 0;
  for (const step of alignTokens(from, to)) {
    if (step.op === "deletion") longest = Math.max(longest, ++run);
    else if (step.op !== "insertion") run = 0;
  }
  return longest;
}
