/**
 * Plans decoding windows for long audio: speech spans from VAD merged into windows of at most
 * `maxWindowMs`, cut only in pauses, so that each window is decoded on its own with as much
 * context as Whisper's 30 s input allows.
 *
 * @module
 */

import type { SpeechSpan } from "../../ffi/whisper/mod.ts";

/** A stretch of audio to decode on its own, ms from the start of the recording. */
export interface DecodeWindow {
  startMs: number;
  endMs: number;
  /** The speech spans inside it. */
  spans: SpeechSpan[];
}

/** Options for {@linkcode planWindows}. */
export interface WindowOptions {
  /** Longest window, ms (Whisper sees 30 s at most); default 28 000. */
  maxWindowMs?: number;
  /** Audio kept before the first and after the last span of a window, ms; default 200. */
  padMs?: number;
}

/**
 * Merges speech spans into windows of at most `maxWindowMs`, greedily, cutting between spans.
 * A span longer than the limit (VAD should be told to split those) becomes windows of its own.
 */
export function planWindows(
  spans: readonly SpeechSpan[],
  totalMs: number,
  opts: WindowOptions = {},
): DecodeWindow[] {
  const maxMs = opts.maxWindowMs ?? 28_000;
  const padMs = opts.padMs ?? 200;
  if (!(maxMs > 2 * padMs)) {
    throw new RangeError(`Cannot plan windows: maxWindowMs ${maxMs} must exceed twice padMs ${padMs}`);
  }
  const sorted = spans
    .map((s) => ({ startMs: Math.max(0, s.startMs), endMs: Math.min(totalMs, s.endMs) }))
    .filter((s) => s.endMs > s.startMs)
    .sort((a, b) => a.startMs - b.startMs);
  // Spans longer than a window are cut into equal pieces (there is no pause to cut at).
  const pieces: SpeechSpan[] = [];
  for (const span of sorted) {
    const n = Math.ceil((span.endMs - span.startMs) / (maxMs - 2 * padMs));
    const step = (span.endMs - span.startMs) / n;
    for (let i = 0; i < n; i++) {
      pieces.push({
        startMs: Math.round(span.startMs + i * step),
        endMs: Math.round(span.startMs + (i + 1) * step),
      });
    }
  }
  const windows: DecodeWindow[] = [];
  let cur: DecodeWindow | null = null;
  for (const piece of pieces) {
    if (cur && piece.endMs + padMs - cur.startMs <= maxMs) {
      cur.spans.push(piece);
      continue;
    }
    let startMs = Math.max(0, piece.startMs - padMs);
    if (cur) {
      // Cut in the pause: pad on both sides, or its middle when it is shorter than two pads.
      const lastEnd = cur.spans[cur.spans.length - 1].endMs;
      cur.endMs = Math.min(lastEnd + padMs, Math.max(lastEnd, (lastEnd + piece.startMs) / 2));
      windows.push(cur);
      startMs = Math.max(startMs, cur.endMs);
    }
    cur = { startMs, endMs: 0, spans: [piece] };
  }
  if (cur) {
    cur.endMs = Math.min(totalMs, cur.spans[cur.spans.length - 1].endMs + padMs);
    windows.push(cur);
  }
  return windows;
}
