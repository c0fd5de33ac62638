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
 * Merges speech spans into windows of at most `maxWindowMs`, cutting only between spans: as few
 * windows as possible, as even in length as possible, cut preferably in long pauses (a short
 * trailing window decodes worse than one with more context). A span longer than the limit (VAD
 * should be told to split those) is cut into equal pieces.
 */
export function planWindows(
  spans: readonly SpeechSpan[],
  totalMs: number,
  opts: WindowOptions = {},
): DecodeWindow[] {
  const maxMs = opts.maxWindowMs ?? 28_000;
  const padMs = opts.padMs ?? 200;
  if (!(maxMs > 2 * padMs)) {
    throw new RangeError(
      `Cannot plan windows: maxWindowMs ${maxMs} must exceed twice padMs ${padMs}`,
    );
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
  const groups = balancedGroups(pieces, maxMs, padMs);
  const windows: DecodeWindow[] = [];
  for (const spansIn of groups) {
    const first = spansIn[0];
    const last = spansIn[spansIn.length - 1];
    const prev = windows[windows.length - 1];
    let startMs = Math.max(0, first.startMs - padMs);
    if (prev) {
      // Cut in the pause: pad on both sides, or its middle when it is shorter than two pads.
      const prevLast = prev.spans[prev.spans.length - 1].endMs;
      prev.endMs = Math.min(prevLast + padMs, Math.max(prevLast, (prevLast + first.startMs) / 2));
      startMs = Math.max(startMs, prev.endMs);
    }
    windows.push({ startMs, endMs: Math.min(totalMs, last.endMs + padMs), spans: spansIn });
  }
  return windows;
}

/** Pauses at least this long are as good a cut as any (ms). */
const GOOD_PAUSE_MS = 500;

/**
 * Splits consecutive pieces into groups whose padded extent fits `maxMs`, by dynamic programming:
 * fewest groups first, then the least cost, where a group costs its squared shortfall from
 * `maxMs` (seconds²) and a cut costs more the shorter its pause.
 */
function balancedGroups(
  pieces: readonly SpeechSpan[],
  maxMs: number,
  padMs: number,
): SpeechSpan[][] {
  const n = pieces.length;
  // best[j]: [groups, cost, start of the last group] for pieces[0..j).
  const best: [number, number, number][] = [[0, 0, 0]];
  for (let j = 1; j <= n; j++) {
    best.push([Infinity, Infinity, -1]);
    for (let i = j - 1; i >= 0; i--) {
      const extent = pieces[j - 1].endMs - pieces[i].startMs + 2 * padMs;
      if (extent > maxMs && i < j - 1) break;
      const shortfallS = Math.max(0, maxMs - extent) / 1000;
      const pause = i > 0 ? pieces[i].startMs - pieces[i - 1].endMs : GOOD_PAUSE_MS;
      const cutCost = ((Math.max(0, GOOD_PAUSE_MS - pause)) / 100) ** 2;
      const groups = best[i][0] + 1;
      const cost = best[i][1] + shortfallS * shortfallS + cutCost;
      if (groups < best[j][0] || (groups === best[j][0] && cost < best[j][1])) {
        best[j] = [groups, cost, i];
      }
    }
  }
  const out: SpeechSpan[][] = [];
  for (let j = n; j > 0; j = best[j][2]) out.unshift(pieces.slice(best[j][2], j));
  return out;
}
