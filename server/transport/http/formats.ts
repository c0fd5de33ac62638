/**
 * Renders a transcript as plain text, JSON, SubRip (SRT) or WebVTT.
 *
 * @module
 */

import { deflateSync } from "node:zlib";
import type { Transcript } from "../../../protocol/transcript.ts";

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

/** `response_format`s of the OpenAI-compatible `POST /v1/audio/transcriptions`. */
export const UPLOAD_FORMATS = ["json", "text", "srt", "vtt", "verbose_json"] as const;
/** One of {@linkcode UPLOAD_FORMATS}. */
export type UploadFormat = typeof UPLOAD_FORMATS[number];

/** What {@linkcode renderUploadResponse} needs besides the transcript. */
export interface UploadRenderOptions {
  /** `word` and/or `segment`: what `verbose_json` carries (default segment). */
  granularities?: readonly ("word" | "segment")[];
  /** The language's full name, as OpenAI reports it ("english"). */
  languageName?: string;
  /** The decoding temperature used. */
  temperature?: number;
}

/** Whisper's compression ratio of a text: its UTF-8 length over its zlib-compressed length. */
export function compressionRatio(text: string): number {
  const bytes = new TextEncoder().encode(text);
  if (!bytes.length) return 0;
  return bytes.length / deflateSync(bytes).length;
}

/**
 * The body and content type of a transcription answer in an OpenAI `response_format`:
 * `json` `{text}`, `text`, `srt`, `vtt`, or `verbose_json` (task, language, duration, text,
 * `segments` and/or `words` in seconds). Segments carry OpenAI's fields; `tokens` is empty (token
 * ids are not kept) and `avg_logprob` is the mean log probability of the segment's words.
 */
export function renderUploadResponse(
  t: Transcript,
  format: UploadFormat,
  opts: UploadRenderOptions = {},
): { body: string; contentType: string } {
  switch (format) {
    case "json":
      return { body: JSON.stringify({ text: t.text }), contentType: "application/json" };
    case "text":
      return { body: renderTranscript(t, "text"), contentType: "text/plain; charset=utf-8" };
    case "srt":
      return { body: renderTranscript(t, "srt"), contentType: "application/x-subrip" };
    case "vtt":
      return { body: renderTranscript(t, "vtt"), contentType: "text/vtt; charset=utf-8" };
    case "verbose_json": {
      const g = opts.granularities ?? ["segment"];
      const body: Record<string, unknown> = {
        task: "transcribe",
        language: opts.languageName ?? t.language,
        duration: t.durationMs / 1000,
        text: t.text,
      };
      if (g.includes("segment")) {
        body.segments = t.segments.map((s, id) => ({
          id,
          seek: Math.round(s.startMs / 10),
          start: s.startMs / 1000,
          end: s.endMs / 1000,
          text: s.text,
          tokens: [],
          temperature: opts.temperature ?? 0,
          avg_logprob: round(
            s.words.length
              ? s.words.reduce((sum, w) => sum + Math.log(Math.max(1e-9, w.p)), 0) / s.words.length
              : 0,
            4,
          ),
          compression_ratio: round(compressionRatio(s.text), 4),
          no_speech_prob: round(s.noSpeechProb, 4),
        }));
      }
      if (g.includes("word")) {
        body.words = t.segments.flatMap((s) =>
          s.words.map((w) => ({ word: w.word, start: w.startMs / 1000, end: w.endMs / 1000 }))
        );
      }
      return { body: JSON.stringify(body), contentType: "application/json" };
    }
  }
}
