/**
 * The input a stream still needs, addressed by absolute time: frames are appended as they arrive
 * and dropped from the front once nothing will decode them again, so a session of any length holds
 * at most its open segment (≤ 30 s) plus a little pre-roll. A frame is one 16 kHz sample for audio
 * sessions, or one 10 ms log-mel frame of 80 values for privacy-mode sessions.
 *
 * @module
 */

import { SAMPLE_RATE_HZ } from "../../protocol/audio.ts";

/** Converts ms to a sample index (floor). */
export function msToSample(ms: number): number {
  return Math.floor((ms * SAMPLE_RATE_HZ) / 1000);
}

/** Converts a sample index to ms. */
export function sampleToMs(sample: number): number {
  return (sample * 1000) / SAMPLE_RATE_HZ;
}

/** How the buffer's frames are timed. */
export interface FrameFormat {
  /** Frames per second of audio: 16 000 samples, or 100 mel frames. */
  framesPerSecond: number;
  /** Values per frame: 1 for samples, 80 for mel frames. */
  frameSize: number;
}

/** 16 kHz mono samples. */
export const PCM_FORMAT: FrameFormat = { framesPerSecond: SAMPLE_RATE_HZ, frameSize: 1 };
/** Whisper's 10 ms log-mel frames of 80 bins. */
export const MEL_FORMAT: FrameFormat = { framesPerSecond: 100, frameSize: 80 };

/** Growable frame store with absolute addressing from the first frame of the stream. */
export class AudioBuffer {
  readonly format: FrameFormat;
  #data: Float32Array;
  /** Absolute frame index of `#data[0]`. */
  #base = 0;
  /** Frames held. */
  #len = 0;

  constructor(format: FrameFormat = PCM_FORMAT) {
    this.format = format;
    this.#data = new Float32Array(format.framesPerSecond * format.frameSize * 8);
  }

  /** Absolute index one past the last frame appended. */
  get endSample(): number {
    return this.#base + this.#len;
  }

  /** Absolute index of the first frame still held. */
  get startSample(): number {
    return this.#base;
  }

  /** Start of the input still held, ms. */
  get startMs(): number {
    return this.#toMs(this.#base);
  }

  /** End of the input appended so far, ms. */
  get endMs(): number {
    return this.#toMs(this.endSample);
  }

  /** Converts a duration in values (as pushed) to ms. */
  valuesToMs(values: number): number {
    return this.#toMs(values / this.format.frameSize);
  }

  /** Values (as pushed) in `ms` of input: whole frames. */
  msToValues(ms: number): number {
    return Math.max(1, this.#toFrame(ms)) * this.format.frameSize;
  }

  /** Appends whole frames. */
  append(values: Float32Array): void {
    const size = this.format.frameSize;
    if (values.length % size) {
      throw new RangeError(`Cannot buffer ${values.length} values: not whole ${size}-value frames`);
    }
    const used = this.#len * size;
    if (used + values.length > this.#data.length) {
      const grown = new Float32Array(Math.max(this.#data.length * 2, used + values.length));
      grown.set(this.#data.subarray(0, used));
      this.#data = grown;
    }
    this.#data.set(values, used);
    this.#len += values.length / size;
  }

  /**
   * A copy of the frames in [fromMs, toMs) (clamped to what is held): a copy, because native
   * calls read it off the event loop while more input is appended.
   */
  slice(fromMs: number, toMs: number): Float32Array {
    const size = this.format.frameSize;
    const from = Math.max(this.#base, this.#toFrame(fromMs)) - this.#base;
    const to = Math.min(this.endSample, this.#toFrame(toMs)) - this.#base;
    return to > from ? this.#data.slice(from * size, to * size) : new Float32Array(0);
  }

  /** Drops everything before `ms`. */
  dropBefore(ms: number): void {
    const cut = Math.min(this.endSample, this.#toFrame(ms)) - this.#base;
    if (cut <= 0) return;
    const size = this.format.frameSize;
    this.#data.copyWithin(0, cut * size, this.#len * size);
    this.#len -= cut;
    this.#base += cut;
  }

  #toFrame(ms: number): number {
    return Math.floor((ms * this.format.framesPerSecond) / 1000);
  }

  #toMs(frame: number): number {
    return (frame * 1000) / this.format.framesPerSecond;
  }
}
