/**
 * Renders a transcript as plain text, JSON, SubRip (SRT) or WebVTT.
 *
 * @module
 */

import type { Transcript } from "../engine/offline.ts";

/** Output formats of a transcript. */
export const TRANSCRIPT_FORMATS = ["text", "json", "srt", "vtt"] as const;
/** One of {@linkcode TRANSCRIPT_FORMATS}. */
export type TranscriptFormat = typeof TRANSCRIPT_FORMATS[number];

function clock(ms: number, sep: "," | "."): string {
  const t = Math.max(0, Math.round(ms));
  const h = Math.floor(t / 3_600_000);
  const m = Math.floor((t % 3_600_000) / 60_000);
  const s = Math.floor((t % 60_000) / 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${pad(h)}:${pad(m)}:${pad(s)}${sep}${pad(t % 1000, 3)}`;
}

/** Renders `t` in `format`; every format ends with a newline. */
export function renderTranscript(t: Transcript, format: TranscriptFormat): string {
  switch (format) {
    case "text":
      return t.text + "\n";
    case "json":
      return JSON.stringify(
        {
          text: t.text,
          language: t.language,
          duration_s: t.durationMs / 1000,
          segments: t.segments.map((s) => ({
            start_s: s.startMs / 1000,
            end_s: s.endMs / 1000,
            text: s.text,
            no_speech_prob: round(s.noSpeechProb, 4),
            words: s.words.map((w) => ({
              word: w.word,
              start_s: w.startMs / 1000,
              end_s: w.endMs / 1000,
              p: round(w.p, 4),
            })),
          })),
        },
        null,
        2,
      ) + "\n";
    case "srt":
      return t.segments
        .map((s, i) => `${i + 1}\n${clock(s.startMs, ",")} --> ${clock(s.endMs, ",")}\n${s.text}\n`)
        .join("\n");
    case "vtt":
      return "WEBVTT\n\n" + t.segments
        .map((s) => `${clock(s.startMs, ".")} --> ${clock(s.endMs, ".")}\n${s.text}\n`)
        .join("\n");
  }
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
