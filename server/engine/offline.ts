/**
 * Offline (whole-recording) transcription with accuracy defaults: Silero VAD finds the speech,
 * {@linkcode planWindows} merges it into windows of at most 28 s cut in pauses, each window is
 * decoded on its own with beam search, and the timings are stitched back onto the recording.
 * whisper.cpp's own long-form decoding (one 30 s window sliding by its last timestamp) drops
 * whole stretches; decoding VAD windows one by one does not.
 *
 * @module
 */

import type { DecodeOptions, VadModel, VadOptions, WhisperState } from "../../ffi/whisper/mod.ts";
import { type DecodeWindow, planWindows, type WindowOptions } from "./windows.ts";
import { monotonicWords, wordsFromTokens } from "./words.ts";
import type { Transcript, TranscriptSegment } from "../../protocol/transcript.ts";
import { SAMPLE_RATE_HZ } from "../../protocol/audio.ts";

import { splitByWords } from "./segments.ts";

/** How word times are found: see {@linkcode OfflineOptions.wordTimes}. */
export type WordTimes = "timestamps" | "dtw" | "none";

/** Options for {@linkcode transcribeOffline}. */
export interface OfflineOptions {
  /** Decoder options (beam 5 unless set). Token timestamps are always on. */
  decode?: DecodeOptions;
  /** VAD model; without one the whole recording is decoded as whisper.cpp would. */
  vad?: VadModel | null;
  vadOptions?: VadOptions;
  window?: WindowOptions;
  /** Feed the previous window's text as the prompt of the next; default false (measured). */
  promptPrevious?: boolean;
  /**
   * How word times are found; default `timestamps`.
   * - `timestamps`: decode with timestamp tokens, word times from token timestamps.
   * - `dtw`: decode text only (more accurate, measured), word times from the cross-attention
   *   alignment (the model must be loaded with `dtwHeads` and `flashAttn: false`).
   * - `none`: decode text only; each window is one segment and words carry no times of their own.
   */
  wordTimes?: WordTimes;
  /** Called after each window with the fraction done (0..1). */
  onProgress?: (done: number) => void;
  /** Called after each window with the segments it added (in order). */
  onSegments?: (segments: TranscriptSegment[], window: number, windows: number) => void;
  /**
   * Waits for an inference slot before the VAD pass and before each window's decode, and
   * returns the slot's release (the service's scheduler); default: run at once.
   */
  slot?: () => Promise<() => void>;
  signal?: AbortSignal;
}

const PROMPT_CHARS = 600;

/** Transcribes 16 kHz mono samples with `state` (whose model is already loaded). */
export async function transcribeOffline(
  state: WhisperState,
  samples: Float32Array,
  opts: OfflineOptions = {},
): Promise<Transcript> {
  const durationMs = Math.round((samples.length / SAMPLE_RATE_HZ) * 1000);
  const maxWindowMs = opts.window?.maxWindowMs ?? 28_000;
  let windows: DecodeWindow[];
  const slot = opts.slot ?? (() => Promise.resolve(() => {}));
  if (opts.vad) {
    const release = await slot();
    let spans;
    try {
      spans = await opts.vad.segments(samples, {
        maxSpeechS: (maxWindowMs - 2 * (opts.window?.padMs ?? 200)) / 1000,
        ...opts.vadOptions,
      });
    } finally {
      release();
    }
    windows = durationMs <= maxWindowMs && spans.length > 0
      ? [{ startMs: 0, endMs: durationMs, spans }]
      : planWindows(spans, durationMs, opts.window);
  } else {
    windows = [{ startMs: 0, endMs: durationMs, spans: [] }];
  }

  const segments: TranscriptSegment[] = [];
  let language = opts.decode?.language ?? "en";
  let previous = "";
  const wordTimes = opts.wordTimes ?? "timestamps";
  for (let i = 0; i < windows.length; i++) {
    opts.signal?.throwIfAborted();
    const w = windows[i];
    const from = Math.floor((w.startMs / 1000) * SAMPLE_RATE_HZ);
    const to = Math.min(samples.length, Math.ceil((w.endMs / 1000) * SAMPLE_RATE_HZ));
    const decode: DecodeOptions = {
      ...opts.decode,
      noTimestamps: wordTimes !== "timestamps",
      tokenTimestamps: wordTimes === "timestamps",
      // The alignment pass only where its word times are read.
      dtw: wordTimes === "dtw",
    };
    if (opts.promptPrevious && previous) decode.initialPrompt = previous;
    opts.signal?.throwIfAborted();
    const release = await slot();
    let result;
    try {
      opts.signal?.throwIfAborted();
      result = await state.full(samples.subarray(from, to), decode);
    } finally {
      release();
    }
    const before = segments.length;
    language = result.language || language;
    for (const seg of result.segments) {
      const text = seg.text.trim();
      if (!text) continue;
      previous = `${previous} ${text}`.trim().slice(-PROMPT_CHARS);
      if (wordTimes === "none") {
        segments.push({
          startMs: w.startMs,
          endMs: w.endMs,
          text,
          words: [],
          noSpeechProb: seg.noSpeechProb,
        });
        continue;
      }
      const words = wordsFromTokens(seg.tokens, w.startMs, wordTimes === "dtw");
      const pieces = wordTimes === "dtw"
        ? splitByWords(words)
        : [{ startMs: seg.t0Ms + w.startMs, endMs: seg.t1Ms + w.startMs, text, words }];
      for (const piece of pieces) {
        segments.push({
          startMs: Math.min(w.endMs, piece.startMs),
          endMs: Math.min(w.endMs, piece.endMs),
          text: piece.text,
          words: piece.words,
          noSpeechProb: seg.noSpeechProb,
        });
      }
    }
    opts.onSegments?.(segments.slice(before), i, windows.length);
    opts.onProgress?.((i + 1) / windows.length);
  }

  // Word times monotonic and inside the recording across window seams.
  const allWords = monotonicWords(segments.flatMap((s) => s.words), 0, durationMs);
  let k = 0;
  for (const s of segments) {
    s.words = allWords.slice(k, k + s.words.length);
    k += s.words.length;
    if (s.words.length) {
      s.startMs = Math.min(s.startMs, s.words[0].startMs);
      s.endMs = Math.max(s.endMs, s.words[s.words.length - 1].endMs);
    }
  }
  return {
    text: segments.map((s) => s.text).join(" "),
    segments,
    language,
    durationMs,
    windows: windows.map(({ startMs, endMs }) => ({ startMs, endMs })),
  };
}
