/**
 * Whisper's log-mel spectrogram, computed where the audio is (the privacy mode: only these frames
 * leave the device). 16 kHz mono in; one frame of 80 log10-power mel values per 10 ms out:
 * a 400-sample periodic Hann window every 160 samples, the power of its 201 DFT bins, Whisper's
 * mel filterbank (librosa's Slaney-style filters, the same numbers whisper.cpp's model files
 * carry), then `log10(max(power, 1e-10))`. Whisper's clamp (max − 8) and scaling ((x + 4) / 4)
 * depend on the window decoded, so the server applies them (see `docs/protocol.md`).
 *
 * Plain TypeScript without DOM or Deno APIs: the page's AudioWorklet and the CLI client share it.
 *
 * @module
 */

import { SAMPLE_RATE_HZ } from "./audio.ts";

/** Window length (n_fft). */
export const N_FFT = 400;
/** Hop between frames: 10 ms. */
export const HOP = 160;
/** Mel bins. */
export const N_MELS = 80;
/** DFT bins kept: n_fft / 2 + 1. */
export const N_BINS = N_FFT / 2 + 1;

function hzToMel(f: number): number {
  const fSp = 200 / 3;
  const minLogHz = 1000;
  const minLogMel = minLogHz / fSp;
  const logStep = Math.log(6.4) / 27;
  return f < minLogHz ? f / fSp : minLogMel + Math.log(f / minLogHz) / logStep;
}

function melToHz(m: number): number {
  const fSp = 200 / 3;
  const minLogHz = 1000;
  const minLogMel = minLogHz / fSp;
  const logStep = Math.log(6.4) / 27;
  return m < minLogMel ? fSp * m : minLogHz * Math.exp(logStep * (m - minLogMel));
}

/**
 * The mel filterbank as `nMels × (nFft / 2 + 1)` weights, row by row: triangular filters evenly
 * spaced on the Slaney mel scale from 0 Hz to rate / 2, each normalized to unit area.
 */
export function melFilterbank(nMels = N_MELS, nFft = N_FFT, rate = SAMPLE_RATE_HZ): Float32Array {
  const bins = nFft / 2 + 1;
  const fftFreqs = Array.from({ length: bins }, (_, i) => (i * rate) / nFft);
  const lo = hzToMel(0);
  const hi = hzToMel(rate / 2);
  const hz = Array.from(
    { length: nMels + 2 },
    (_, i) => melToHz(lo + ((hi - lo) * i) / (nMels + 1)),
  );
  const out = new Float32Array(nMels * bins);
  for (let m = 0; m < nMels; m++) {
    const norm = 2 / (hz[m + 2] - hz[m]);
    for (let k = 0; k < bins; k++) {
      const lower = (fftFreqs[k] - hz[m]) / (hz[m + 1] - hz[m]);
      const upper = (hz[m + 2] - fftFreqs[k]) / (hz[m + 2] - hz[m + 1]);
      out[m * bins + k] = Math.max(0, Math.min(lower, upper)) * norm;
    }
  }
  return out;
}

/**
 * Streaming log-mel: push 16 kHz samples of any length, get whole 10 ms frames back. Frame t is
 * centred on sample 160·t (Whisper's timing: n samples give 1 + ⌊(n − 200) / 160⌋ frames).
 */
export class LogMel {
  readonly #filters: Float32Array;
  readonly #tables: DftTables;
  readonly #power = new Float64Array(N_BINS);
  /** Each filter's non-zero weights: bins [from, to). */
  readonly #from = new Int32Array(N_MELS);
  readonly #to = new Int32Array(N_MELS);
  /**
   * Samples waiting for a whole window; the stream starts with half a window of zeros, so frame t
   * is centred on sample 160·t as in Whisper's own (centred) spectrogram.
   */
  #pending = new Float32Array(N_FFT / 2);

  /** A stream of its own; the window and DFT tables are shared by every stream (0.6 MB). */
  constructor(filters: Float32Array = defaultFilters()) {
    if (filters.length !== N_MELS * N_BINS) {
      throw new RangeError(
        `Cannot compute log-mel: ${filters.length} filter weights, not ${N_MELS}×${N_BINS}`,
      );
    }
    this.#filters = filters;
    for (let m = 0; m < N_MELS; m++) {
      const row = filters.subarray(m * N_BINS, (m + 1) * N_BINS);
      const first = row.findIndex((w) => w !== 0);
      this.#from[m] = first < 0 ? 0 : first;
      this.#to[m] = first < 0 ? 0 : N_BINS - [...row].reverse().findIndex((w) => w !== 0);
    }
    this.#tables = dftTables();
  }

  /** Frames (`N_MELS` values each, concatenated) completed by `samples`. */
  push(samples: Float32Array): Float32Array {
    const all = new Float32Array(this.#pending.length + samples.length);
    all.set(this.#pending);
    all.set(samples, this.#pending.length);
    const frames = all.length >= N_FFT ? Math.floor((all.length - N_FFT) / HOP) + 1 : 0;
    const out = new Float32Array(frames * N_MELS);
    const x = new Float32Array(N_FFT);
    const { window, fft } = this.#tables;
    const power = this.#power;
    for (let f = 0; f < frames; f++) {
      for (let n = 0; n < N_FFT; n++) x[n] = all[f * HOP + n] * window[n];
      fft.power(x, power);
      for (let m = 0; m < N_MELS; m++) {
        let sum = 0;
        const row = m * N_BINS;
        // Only a filter's non-zero weights: a triangle a few bins wide.
        for (let k = this.#from[m]; k < this.#to[m]; k++) sum += this.#filters[row + k] * power[k];
        out[f * N_MELS + m] = Math.log10(Math.max(sum, 1e-10));
      }
    }
    this.#pending = all.slice(frames * HOP);
    return out;
  }
}

/** The Hann window and the FFT (shared by every stream). */
interface DftTables {
  window: Float32Array;
  fft: Fft400;
}

let sharedTables: DftTables | null = null;
let sharedFilters: Float32Array | null = null;

function defaultFilters(): Float32Array {
  return sharedFilters ??= melFilterbank();
}

function dftTables(): DftTables {
  if (sharedTables) return sharedTables;
  const window = new Float32Array(N_FFT);
  for (let i = 0; i < N_FFT; i++) window[i] = 0.5 * (1 - Math.cos((2 * Math.PI * i) / N_FFT));
  return sharedTables = { window, fft: new Fft400() };
}

/**
 * A mixed-radix (2, 2, 2, 2, 5, 5) decimation-in-time FFT of `N_FFT` = 400 points: about 7 200
 * complex multiply-adds a frame where the plain DFT of the 201 bins kept takes 80 400, and the
 * same numbers to float rounding (`mel_test.ts` checks it against the plain sum).
 */
export class Fft400 {
  /** cos and −sin of 2π·t / 400. */
  readonly #cos = new Float64Array(N_FFT);
  readonly #sin = new Float64Array(N_FFT);
  /** Per recursion depth: the transforms of that depth's sub-sequences, back to back. */
  readonly #subRe: Float64Array[] = [];
  readonly #subIm: Float64Array[] = [];
  readonly #re = new Float64Array(N_FFT);
  readonly #im = new Float64Array(N_FFT);

  constructor() {
    for (let t = 0; t < N_FFT; t++) {
      this.#cos[t] = Math.cos((2 * Math.PI * t) / N_FFT);
      this.#sin[t] = -Math.sin((2 * Math.PI * t) / N_FFT);
    }
    for (let n = N_FFT, d = 0; n > 1; n /= radixOf(n), d++) {
      this.#subRe[d] = new Float64Array(n);
      this.#subIm[d] = new Float64Array(n);
    }
  }

  /** `|X[k]|²` for k = 0 … 200 of the real frame `x` (400 values) into `out`. */
  power(x: Float32Array, out: Float64Array): void {
    if (x.length !== N_FFT) throw new RangeError(`Cannot transform ${x.length} values, not 400`);
    const re = this.#re, im = this.#im;
    this.#transform(x, 0, 1, N_FFT, 0, re, im, 0);
    for (let k = 0; k < N_BINS; k++) out[k] = re[k] * re[k] + im[k] * im[k];
  }

  /** The DFT of x[off], x[off + stride], … (n values) into dstRe/dstIm from `at`. */
  #transform(
    x: Float32Array,
    off: number,
    stride: number,
    n: number,
    depth: number,
    dstRe: Float64Array,
    dstIm: Float64Array,
    at: number,
  ): void {
    if (n === 1) {
      dstRe[at] = x[off];
      dstIm[at] = 0;
      return;
    }
    const p = radixOf(n);
    const m = n / p;
    const subRe = this.#subRe[depth], subIm = this.#subIm[depth];
    for (let q = 0; q < p; q++) {
      this.#transform(x, off + q * stride, stride * p, m, depth + 1, subRe, subIm, q * m);
    }
    // X[k] = Σ_q W_n^(q·k) · Y_q[k mod m], with W_n^e = W_400^(e · 400 / n).
    const step = N_FFT / n;
    const cos = this.#cos, sin = this.#sin;
    if (p === 2) {
      for (let k = 0; k < m; k++) {
        const c = cos[k * step], s = sin[k * step];
        const a = subRe[m + k], b = subIm[m + k];
        const wr = a * c - b * s, wi = a * s + b * c;
        dstRe[at + k] = subRe[k] + wr;
        dstIm[at + k] = subIm[k] + wi;
        dstRe[at + k + m] = subRe[k] - wr;
        dstIm[at + k + m] = subIm[k] - wi;
      }
      return;
    }
    for (let k = 0, km = 0; k < n; k++, km = km + 1 === m ? 0 : km + 1) {
      const tk = k * step;
      let re = 0, im = 0;
      for (let q = 0, t = 0; q < p; q++, t = (t + tk) % N_FFT) {
        const c = cos[t], s = sin[t];
        const a = subRe[q * m + km], b = subIm[q * m + km];
        re += a * c - b * s;
        im += a * s + b * c;
      }
      dstRe[at + k] = re;
      dstIm[at + k] = im;
    }
  }
}

/** The radix a length of 400's factorisation is split by first. */
function radixOf(n: number): number {
  return n % 2 === 0 ? 2 : 5;
}
