/**
 * Voice activity from log-mel frames, for privacy-mode sessions that never send samples (Silero
 * needs samples). Each 10 ms frame's speech-band level (the mel power of ~100 Hz – 4 kHz, in dB)
 * is compared with the background: the lowest smoothed level of the last few seconds, but never
 * below an absolute floor (about −54 dBFS, the level of the sample path's energy gate). Speech
 * starts when most of the last 100 ms stand `onDb` above it and ends after `endSilenceMs` below
 * `onDb − hysteresisDb` (the same contract as {@linkcode VadStream}).
 *
 * @module
 */

import { type SpeechDetector, SpeechSpan, type VadChange } from "./vad_stream.ts";

/** Values per frame (Whisper's 80 mel bins). */
export const MEL_FRAME_BINS = 80;
const FRAME_MS = 10;
/** Mel bins summed for the level: about 100 Hz to 4 kHz. */
const BAND = [2, 56] as const;
/** Frames the onset vote looks at, and how many must be loud. */
const ONSET_FRAMES = 10;
const ONSET_VOTES = 7;
/** Frames the level is smoothed over (a moving average in the power domain). */
const SMOOTH_FRAMES = 5;

/** Options for {@linkcode MelVad}. */
export interface MelVadOptions {
  /** Silence that ends speech, ms; default 600. */
  endSilenceMs?: number;
  /** Level above the background that counts as speech, dB; default 12. */
  onDb?: number;
  /** Speech goes on while the level stays this much less above the background, dB; default 4. */
  hysteresisDb?: number;
  /** The background is the quietest smoothed frame of this long a window, ms; default 3000. */
  backgroundMs?: number;
  /** Level never counted as speech, dB (mel power sum of the band); default −30. */
  absoluteFloorDb?: number;
}

/** Incremental speech detection over log10-power mel frames (80 values each). */
export class MelVad implements SpeechDetector {
  readonly #span: SpeechSpan;
  readonly #onDb: number;
  readonly #hysteresisDb: number;
  readonly #absFloorDb: number;
  readonly #bgFrames: number;
  /** Smoothed levels of the background window, a ring. */
  readonly #history: Float64Array;
  readonly #recentPower: number[] = [];
  readonly #votes: boolean[] = [];
  #frames = 0;

  constructor(opts: MelVadOptions = {}) {
    this.#span = new SpeechSpan(opts.endSilenceMs ?? 600);
    this.#onDb = opts.onDb ?? 12;
    this.#hysteresisDb = opts.hysteresisDb ?? 4;
    this.#absFloorDb = opts.absoluteFloorDb ?? -30;
    this.#bgFrames = Math.max(1, Math.round((opts.backgroundMs ?? 3_000) / FRAME_MS));
    this.#history = new Float64Array(this.#bgFrames).fill(Infinity);
  }

  /** Changes the end-of-speech silence from the next frame on (the threshold is Silero's). */
  configure(opts: { endSilenceMs?: number }): void {
    this.#span.endSilenceMs = opts.endSilenceMs ?? this.#span.endSilenceMs;
  }

  /** Whether speech is going on after the frames pushed so far. */
  get speaking(): boolean {
    return this.#span.speaking;
  }

  /** Where the current quiet run inside ongoing speech began, ms, or -1. */
  get pauseSinceMs(): number {
    return this.#span.pauseSinceMs;
  }

  /** Pushes whole frames (frame-major log10 power); returns the changes they complete. */
  push(frames: Float32Array): VadChange[] {
    if (frames.length % MEL_FRAME_BINS) {
      throw new RangeError(`Cannot detect speech: ${frames.length} values is not whole frames`);
    }
    const changes: VadChange[] = [];
    for (let off = 0; off < frames.length; off += MEL_FRAME_BINS) {
      this.#step(bandPower(frames, off), changes);
    }
    return changes;
  }

  /** Ends the stream: open speech ends where the frames end. */
  end(): VadChange[] {
    return this.#span.end(this.#frames * FRAME_MS);
  }

  #step(power: number, changes: VadChange[]): void {
    const startMs = this.#frames * FRAME_MS;
    this.#recentPower.push(power);
    if (this.#recentPower.length > SMOOTH_FRAMES) this.#recentPower.shift();
    const level = db(this.#recentPower.reduce((a, b) => a + b, 0) / this.#recentPower.length);
    // The background window includes this frame: a steady sound from the first frame on, however
    // loud, is background, not speech.
    this.#history[this.#frames % this.#bgFrames] = level;
    this.#frames++;
    const background = Math.max(this.#absFloorDb, this.#background());
    const above = level - background;
    this.#votes.push(above >= this.#onDb);
    if (this.#votes.length > ONSET_FRAMES) this.#votes.shift();
    if (!this.#span.speaking) {
      if (this.#votes.filter(Boolean).length >= ONSET_VOTES) {
        // Speech began at the first loud frame of the vote.
        const first = this.#votes.indexOf(true);
        changes.push(
          this.#span.start(Math.max(0, startMs - (this.#votes.length - 1 - first) * FRAME_MS)),
        );
      }
      return;
    }
    const end = this.#span.frame(above >= this.#onDb - this.#hysteresisDb, startMs, FRAME_MS);
    if (end) {
      changes.push(end);
      this.#votes.length = 0;
    }
  }

  #background(): number {
    let min = Infinity;
    for (let i = 0; i < this.#history.length; i++) {
      if (this.#history[i] < min) min = this.#history[i];
    }
    return min;
  }
}

/** Mel power of the speech band in one frame. */
function bandPower(frames: Float32Array, off: number): number {
  let p = 0;
  for (let m = BAND[0]; m < BAND[1]; m++) p += 10 ** frames[off + m];
  return p;
}

function db(power: number): number {
  return 10 * Math.log10(Math.max(power, 1e-30));
}
