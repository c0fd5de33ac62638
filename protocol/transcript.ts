/**
 * A finished transcript of a recording (an upload, `deno task transcribe`): what the engine
 * returns and the HTTP formats (`json`, `verbose_json`, `srt`, `vtt`, `text`) render. Times are
 * milliseconds from the start of the recording.
 *
 * @module
 */

/** A word with its times. */
export interface TimedWord {
  word: string;
  startMs: number;
  endMs: number;
  /** Mean token probability. */
  p: number;
}

/** A transcript segment. */
export interface TranscriptSegment {
  startMs: number;
  endMs: number;
  text: string;
  words: TimedWord[];
  /** Whisper's no-speech probability for the segment. */
  noSpeechProb: number;
}

/** The result of transcribing a whole recording. */
export interface Transcript {
  text: string;
  segments: TranscriptSegment[];
  language: string;
  durationMs: number;
  /** The windows that were decoded (empty when VAD found no speech). */
  windows: { startMs: number; endMs: number }[];
}
