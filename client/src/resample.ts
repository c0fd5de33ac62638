/**
 * Streaming downsampling to 16 kHz for the page's privacy mode (a microphone runs at 44.1 or
 * 48 kHz; Whisper's log-mel wants 16 kHz). Each output sample is a windowed-sinc (Blackman) low-pass
 * interpolation of the input at its exact position, so any ratio works and chunking changes
 * nothing. Plain TypeScript without DOM or Deno APIs: the AudioWorklet and the tests share it.
 *
 * @module
 */

import { SAMPLE_RATE_HZ } from "../../protocol/audio.ts";

/** Zero crossings of the low-pass kernel on each side. */
const ZERO_CROSSINGS = 16;
/**
 * Fractional positions the kernel is tabulated at (polyphase): an output's position is rounded
 * to 1/512 of an input sample, far below what 16 kHz speech can tell apart.
 */
const PHASES = 512;

/** A streaming resampler from `inRate` down to `outRate` (or a pass-through at equal rates). */
export class Downsampler {
  readonly inRate: number;
  readonly outRate: number;
  readonly #step: number;
  readonly #cutoff: number;
  readonly #half: number;
  /** Input kept for the kernel; `#buf[0]` is input sample `#base` (absolute, may be negative). */
  #buf: Float32Array;
  #base: number;
  /** The kernel at each phase: row p holds the 2·half taps for fractional position p / PHASES. */
  readonly #table: Float32Array;
  /** Absolute input position of the next output sample. */
  #next = 0;
  #produced = 0;

  constructor(inRate: number, outRate = SAMPLE_RATE_HZ) {
    if (!(inRate >= outRate) || !(outRate > 0)) {
      throw new RangeError(`Cannot resample ${inRate} Hz to ${outRate} Hz: only downsampling`);
    }
    this.inRate = inRate;
    this.outRate = outRate;
    this.#step = inRate / outRate;
    // Pass band to 0.475 of the output rate (7.6 kHz at 16 kHz), in cycles per input sample.
    this.#cutoff = (0.475 * outRate) / inRate;
    this.#half = Math.ceil(ZERO_CROSSINGS / (2 * this.#cutoff));
    // The stream is preceded by silence, so the first outputs need no special case.
    this.#buf = new Float32Array(this.#half);
    this.#base = -this.#half;
    const taps = 2 * this.#half;
    this.#table = new Float32Array((PHASES + 1) * taps);
    for (let p = 0; p <= PHASES; p++) {
      for (let k = 0; k < taps; k++) {
        // Tap k weighs input sample c − half + 1 + k for an output at c + p / PHASES.
        this.#table[p * taps + k] = this.#kernel(p / PHASES + this.#half - 1 - k);
      }
    }
  }

  /** Output samples made so far. */
  get produced(): number {
    return this.#produced;
  }

  /** Pushes input samples; returns the output samples they complete. */
  push(input: Float32Array): Float32Array {
    if (this.inRate === this.outRate) {
      this.#produced += input.length;
      return input.slice();
    }
    const all = new Float32Array(this.#buf.length + input.length);
    all.set(this.#buf);
    all.set(input, this.#buf.length);
    const end = this.#base + all.length;
    const out: number[] = [];
    while (Math.floor(this.#next) + this.#half < end) {
      out.push(this.#sample(all, this.#next));
      this.#produced++;
      this.#next = this.#produced * this.#step;
    }
    const keepFrom = Math.max(this.#base, Math.floor(this.#next) - this.#half + 1);
    this.#buf = all.slice(keepFrom - this.#base);
    this.#base = keepFrom;
    return Float32Array.from(out);
  }

  #sample(all: Float32Array, t: number): number {
    const h = this.#half;
    const taps = 2 * h;
    const center = Math.floor(t);
    const row = Math.round((t - center) * PHASES) * taps;
    const first = center - h + 1 - this.#base;
    let acc = 0;
    for (let k = 0; k < taps; k++) acc += all[first + k] * this.#table[row + k];
    return acc;
  }

  /** The windowed-sinc low-pass at distance `d` input samples (Blackman window over ±half). */
  #kernel(d: number): number {
    const x = d / this.#half;
    if (x <= -1 || x >= 1) return 0;
    const w = 0.42 + 0.5 * Math.cos(Math.PI * x) + 0.08 * Math.cos(2 * Math.PI * x);
    const c = this.#cutoff;
    return (d === 0 ? 2 * c : Math.sin(2 * Math.PI * c * d) / (Math.PI * d)) * w;
  }
}
