/**
 * Hallucination guard for decoded text: Whisper invents text on silence and noise ("Thank you.",
 * "Thanks for watching!") and loops on short or unstable input ("you you you", a sentence said
 * twice). These checks run on a hypothesis before anything from it is shown or committed.
 *
 * @module
 */

/** What the guard looks at for one decoded stretch. */
export interface GuardInput {
  text: string;
  /** Whisper's no-speech probability for the stretch (0..1). */
  noSpeechProb: number;
  /** Mean token log probability of the stretch. */
  avgLogprob: number;
}

/** Thresholds; Whisper's own defaults where it has them. */
export interface GuardOptions {
  /** Silence when noSpeechProb exceeds this and the text is unsure; default 0.6. */
  noSpeechThold?: number;
  /** "Unsure": avgLogprob below this; default -1.0. */
  logprobThold?: number;
  /** Longest run of one short n-gram allowed (repeated back to back); default 3. */
  maxRepeats?: number;
  /** A phrase of this many words or more said twice back to back is a loop; default 4. */
  minLoopPhrase?: number;
}

/** Why a stretch was rejected, or null when it passes. */
export type GuardVerdict = null | "no-speech" | "known-phrase" | "repetition";

// Phrases Whisper is known to produce from silence or noise when they stand alone.
const KNOWN_PHRASES = [
  "thank you",
  "thanks for watching",
  "thank you for watching",
  "please subscribe",
  "subscribe to my channel",
  "you",
  "bye",
  "so",
  "okay",
].map((p) => p.split(" "));

/** The comparable words of a text: lower case, letters and digits. */
function words(text: string): string[] {
  return text.toLowerCase().replace(/[’']/g, "").replace(/[^\p{L}\p{N}]+/gu, " ").trim().split(" ")
    .filter(Boolean);
}

/**
 * The longest back-to-back repetition of any n-gram (n = 1..8) in `ws`: "you you you" → 3,
 * "a b c a b c" → 2.
 */
export function maxRepetition(ws: readonly string[]): number {
  let best = ws.length ? 1 : 0;
  for (let n = 1; n <= 8 && n * 2 <= ws.length; n++) {
    for (let i = 0; i + 2 * n <= ws.length; i++) {
      let reps = 1;
      while (
        i + (reps + 1) * n <= ws.length &&
        ws.slice(i + reps * n, i + (reps + 1) * n).join(" ") === ws.slice(i, i + n).join(" ")
      ) reps++;
      if (reps > best) best = reps;
    }
  }
  return best;
}

/** A back-to-back repetition: `reps` copies of the `n` words starting at `start`. */
export interface Loop {
  start: number;
  n: number;
  reps: number;
}

const MAX_PHRASE = 24;

/**
 * The loops in `ws`, left to right, not overlapping: an n-gram of fewer than `minLoopPhrase`
 * words repeated more than `maxRepeats` times, or a longer phrase repeated at all ("it might have
 * been there. it might have been there.") — the way Whisper loops when its window is cut short.
 */
export function findLoops(
  ws: readonly string[],
  opts: Pick<GuardOptions, "maxRepeats" | "minLoopPhrase"> = {},
): Loop[] {
  const maxRepeats = opts.maxRepeats ?? 3;
  const minPhrase = opts.minLoopPhrase ?? 4;
  const loops: Loop[] = [];
  const same = (i: number, j: number, n: number) => {
    for (let k = 0; k < n; k++) if (ws[i + k] !== ws[j + k]) return false;
    return true;
  };
  // Copies of the n words at i back to back from i.
  const repsAt = (i: number, n: number) => {
    let reps = 1;
    while (i + (reps + 1) * n <= ws.length && same(i, i + reps * n, n)) reps++;
    return reps;
  };
  let i = 0;
  while (i < ws.length) {
    let found: Loop | null = null;
    for (let n = Math.min(MAX_PHRASE, Math.floor((ws.length - i) / 2)); n >= 1; n--) {
      const reps = repsAt(i, n);
      if (reps > (n >= minPhrase ? 1 : maxRepeats)) {
        // A phrase that is itself a shorter one said over ("unknown unknown unknown unknown"
        // twice) loops on the shorter one: its first copy is what was said.
        const p = period(ws, i, n);
        found = { start: i, n: p, reps: p < n ? repsAt(i, p) : reps };
        break;
      }
    }
    if (found) {
      loops.push(found);
      i += found.n * found.reps;
    } else i++;
  }
  return loops;
}

/** The shortest p dividing `n` such that `ws[i, i + n)` is a phrase of p words said over. */
function period(ws: readonly string[], i: number, n: number): number {
  for (let p = 1; p < n; p++) {
    if (n % p !== 0) continue;
    let ok = true;
    for (let k = p; k < n && ok; k++) ok = ws[i + k] === ws[i + k - p];
    if (ok) return p;
  }
  return n;
}

/** `items` with every loop cut to its first copy (`key` gives an item's comparable word). */
export function dropLoops<T>(
  items: readonly T[],
  key: (item: T) => string,
  opts: Pick<GuardOptions, "maxRepeats" | "minLoopPhrase"> = {},
): T[] {
  const loops = findLoops(items.map(key), opts);
  if (!loops.length) return items.slice();
  const out: T[] = [];
  let i = 0;
  for (const l of loops) {
    out.push(...items.slice(i, l.start + l.n));
    i = l.start + l.n * l.reps;
  }
  out.push(...items.slice(i));
  return out;
}

/**
 * Where, at or after `from`, `ws` starts saying again what it just said: the first word of a
 * loop's second copy ({@linkcode findLoops}), or of a trailing restart — the last `minStart` or
 * more words repeating the start of the phrase of `minLoopPhrase` or more words before them ("and
 * so my fellow Americans and so my fellow", a loop whose second copy the decode has not finished).
 * `ws.length` when there is none. A restart that began before `from` makes `from` the answer.
 */
export function repeatsFrom(
  ws: readonly string[],
  from: number,
  opts: Pick<GuardOptions, "maxRepeats" | "minLoopPhrase"> = {},
  minStart = 3,
): number {
  const minPhrase = opts.minLoopPhrase ?? 4;
  if (from >= ws.length) return ws.length;
  let at = ws.length;
  for (const l of findLoops(ws, opts)) {
    const copiesEnd = l.start + l.n * l.reps;
    if (copiesEnd > from) at = Math.min(at, Math.max(from, l.start + l.n));
  }
  const end = ws.length;
  for (let n = minPhrase; n <= MAX_PHRASE; n++) {
    for (let k = n - 1; k >= minStart; k--) {
      if (end - k - n < 0) continue;
      let same = true;
      for (let i = 0; i < k && same; i++) same = ws[end - k - n + i] === ws[end - k + i];
      if (same) at = Math.min(at, Math.max(from, end - k));
    }
  }
  return at;
}

/**
 * Judges a decoded stretch. A known filler phrase is rejected only when it is all the text and
 * the decoder was not sure (so a real "thank you" spoken clearly passes).
 */
export function judge(input: GuardInput, opts: GuardOptions = {}): GuardVerdict {
  const noSpeech = opts.noSpeechThold ?? 0.6;
  const logprob = opts.logprobThold ?? -1.0;
  const ws = words(input.text);
  if (ws.length === 0) return null;
  const unsure = input.avgLogprob < logprob;
  if (input.noSpeechProb > noSpeech && unsure) return "no-speech";
  if ((unsure || input.noSpeechProb > noSpeech / 2) && isKnownPhrase(ws)) return "known-phrase";
  if (findLoops(ws, opts).length) return "repetition";
  return null;
}

/**
 * Whether `text` is all one of the phrases Whisper invents on silence and noise ("Thank you."),
 * however sure the decoder was: for decodes of a fraction of a second, where such a phrase is far
 * more often invented than said.
 */
export function isFillerPhrase(text: string): boolean {
  const ws = words(text);
  return ws.length > 0 && isKnownPhrase(ws);
}

function isKnownPhrase(ws: readonly string[]): boolean {
  // A known phrase, possibly said a few times over ("thank you thank you").
  return KNOWN_PHRASES.some((p) => {
    if (ws.length % p.length !== 0) return false;
    for (let i = 0; i < ws.length; i++) if (ws[i] !== p[i % p.length]) return false;
    return true;
  });
}

/** Levenshtein distance between two short strings. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/** Longest phrase {@linkcode hasNearRepeat} looks for a copy of, words. */
const MAX_NEAR_PHRASE = 16;

/**
 * Whether a phrase is said twice back to back, nearly: a phrase of 2–`maxPhrase` words whose
 * copy differs by at most one letter a word ("as not. Ask not!"), or a longer one (up to 16
 * words) whose copy has at least four words in five the same ("you would not be rid of his
 * affliction. You will not be rid of his affliction."). Whisper repeats itself with small
 * changes, which exact loop finding misses. `keys` are normalised words.
 */
export function hasNearRepeat(keys: readonly string[], maxPhrase = 4): boolean {
  for (let n = 2; n <= MAX_NEAR_PHRASE; n++) {
    for (let i = 0; i + 2 * n <= keys.length; i++) {
      let exact = 0;
      let near = true;
      for (let k = 0; k < n && near; k++) {
        const d = editDistance(keys[i + k], keys[i + n + k]);
        if (d === 0) exact++;
        near = n > maxPhrase ? (k + 1 - exact) * 5 <= n : d <= 1;
      }
      if (near && exact >= (n > maxPhrase ? Math.ceil(n * 0.8) : 1)) return true;
    }
  }
  return false;
}

/**
 * `words` without Whisper's non-speech annotations: a bracketed or parenthesised stretch such as
 * `[BLANK_AUDIO]`, `[Music]` or `(upbeat music)`, one word or several, is a description of sound,
 * not something said, and is never shown or committed.
 */
export function dropAnnotations<T>(items: readonly T[], word: (item: T) => string): T[] {
  const out: T[] = [];
  let closer = "";
  for (const item of items) {
    const w = word(item).trim();
    if (!closer && (w.startsWith("[") || w.startsWith("("))) closer = w[0] === "[" ? "]" : ")";
    if (closer) {
      // The stretch ends with the word that closes it (trailing punctuation allowed).
      if (w.replace(/[.,!?;:]+$/, "").endsWith(closer)) closer = "";
      continue;
    }
    out.push(item);
  }
  return out;
}
