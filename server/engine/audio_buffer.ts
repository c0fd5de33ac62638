/**
 * The audio a stream still needs, addressed by absolute time: samples are appended as they
 * arrive and dropped from the front once nothing will decode them again, so a session of any
 * length holds at most its open segment (≤ 30 s) plus a little pre-roll.
 *
 * @module
 */

import { SAMPLE_RATE as RATE } from "./offline.ts";

/** Converts ms to a sample index (floor). */
export function msToSample(ms: number): number {
  return Math.floor((ms * RATE) / 1000);
}

/** Converts a sample index to ms. */
export function sampleToMs(sample: number): number {
  return (sample * 1000) / RATE;
}

/** Growable sample store with absolute addressing from the first sample of the stream. */
export class AudioBuffer {
  #data = new Float32Array(RATE * 8);
  /** Absolute index of `#data[0]`. */
  #base = 0;
  /** Samples held. */
  #len = 0;

  /** Absolute index one past the last sample appended. */
  get endSample(): number {
    return this.#base + this.#len;
  }

  /** Absolute index of the first sample still held. */
  get startSample(): number {
    return this.#base;
  }

  /** End of the audio appended so far, ms. */
  get endMs(): number {
    return sampleToMs(this.endSample);
  }

  /** Appends samples. */
  append(samples: Float32Array): void {
    if (this.#len + samples.length > this.#data.length) {
      const grown = new Float32Array(Math.max(this.#data.length * 2, this.#len + samples.length));
      grown.set(this.#data.subarray(0, this.#len));
      this.#data = grown;
    }
    this.#data.set(samples, this.#len);
    this.#len += samples.length;
  }

  /**
   * A copy of the samples in [fromMs, toMs) (clamped to what is held): a copy, because native
   * calls read it off the event loop while more audio is appended.
   */
  slice(fromMs: number, toMs: number): Float32Array {
    const from = Math.max(this.#base, msToSample(fromMs)) - this.#base;
    const to = Math.min(this.endSample, msToSample(toMs)) - this.#base;
    return to > from ? this.#data.slice(from, to) : new Float32Array(0);
  }

  /** Drops everything before `ms`. */
  dropBefore(ms: number): void {
    const cut = Math.min(this.endSample, msToSample(ms)) - this.#base;
    if (cut <= 0) return;
    this.#data.copyWithin(0, cut, this.#len);
    this.#len -= cut;
    this.#base += cut;
  }
}
