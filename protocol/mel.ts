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
  readonly #window = new Float32Array(N_FFT);
  readonly #cos = new Float32Array(N_BINS * N_FFT);
  readonly #sin = new Float32Array(N_BINS * N_FFT);
  readonly #power = new Float64Array(N_BINS);
  /**
   * Samples waiting for a whole window; the stream starts with half a window of zeros, so frame t
   * is centred on sample 160·t as in Whisper's own (centred) spectrogram.
   */
  #pending = new Float32Array(N_FFT / 2);

  constructor(filters: Float32Array = melFilterbank()) {
    if (filters.length !== N_MELS * N_BINS) {
      throw new RangeError(
        `Cannot compute log-mel: ${filters.length} filter weights, not ${N_MELS}×${N_BINS}`,
      );
    }
    this.#filters = filters;
    for (let i = 0; i < N_FFT; i++) {
      this.#window[i] = 0.5 * (1 - Math.cos((2 * Math.PI * i) / N_FFT));
    }
    for (let k = 0; k < N_BINS; k++) {
      for (let n = 0; n < N_FFT; n++) {
        const a = (2 * Math.PI * k * n) / N_FFT;
        this.#cos[k * N_FFT + n] = Math.cos(a);
        this.#sin[k * N_FFT + n] = Math.sin(a);
      }
    }
  }

  /** Frames (`N_MELS` values each, concatenated) completed by `samples`. */
  push(samples: Float32Array): Float32Array {
    const all = new Float32Array(this.#pending.length + samples.length);
    all.set(this.#pending);
    all.set(samples, this.#pending.length);
    const frames = all.length >= N_FFT ? Math.floor((all.length - N_FFT) / HOP) + 1 : 0;
    const out = new Float32Array(frames * N_MELS);
    const x = new Float32Array(N_FFT);
    for (let f = 0; f < frames; f++) {
      for (let n = 0; n < N_FFT; n++) x[n] = all[f * HOP + n] * this.#window[n];
      for (let k = 0; k < N_BINS; k++) {
        let re = 0, im = 0;
        const row = k * N_FFT;
        for (let n = 0; n < N_FFT; n++) {
          re += x[n] * this.#cos[row + n];
          im -= x[n] * this.#sin[row + n];
        }
        this.#power[k] = re * re + im * im;
      }
      for (let m = 0; m < N_MELS; m++) {
        let sum = 0;
        const row = m * N_BINS;
        for (let k = 0; k < N_BINS; k++) sum += this.#filters[row + k] * this.#power[k];
        out[f * N_MELS + m] = Math.log10(Math.max(sum, 1e-10));
      }
    }
    this.#pending = all.slice(frames * HOP);
    return out;
  }
}
