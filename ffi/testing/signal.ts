/**
 * Test helpers: test tones, a seeded PRNG and the measurements that show a resampler keeps what it
 * should (frequency, amplitude) and removes what it should (content above the new Nyquist).
 *
 * @module
 */

import { seededRandom } from "../../util/random.ts";

/** `seconds` of a sine at `freq` Hz sampled at `rate`, peak `amp`, starting at `phase` radians. */
export function sine(freq: number, rate: number, seconds: number, amp = 0.5, phase = 0) {
  const n = Math.round(rate * seconds);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = amp * Math.sin((2 * Math.PI * freq * i) / rate + phase);
  return out;
}

/** Root mean square of `x`. */
export function rms(x: Float32Array): number {
  let s = 0;
  for (const v of x) s += v * v;
  return Math.sqrt(s / Math.max(1, x.length));
}

/**
 * Fits `x ≈ a·sin(2πft/rate) + b·cos(2πft/rate)` by projection and returns the fitted amplitude
 * and the RMS of what the fit leaves over. A signal at another frequency fits with amplitude ≈ 0.
 */
export function fitSine(x: Float32Array, freq: number, rate: number) {
  let ss = 0, sc = 0, s2 = 0, c2 = 0;
  for (let i = 0; i < x.length; i++) {
    const w = (2 * Math.PI * freq * i) / rate;
    const s = Math.sin(w), c = Math.cos(w);
    ss += x[i] * s;
    sc += x[i] * c;
    s2 += s * s;
    c2 += c * c;
  }
  const a = ss / s2, b = sc / c2;
  const residual = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const w = (2 * Math.PI * freq * i) / rate;
    residual[i] = x[i] - (a * Math.sin(w) + b * Math.cos(w));
  }
  return { amplitude: Math.hypot(a, b), residualRms: rms(residual) };
}

/** A seeded PRNG (mulberry32): deterministic "random" sizes and bytes for the tests. */
export function prng(seed: number): () => number {
  return seededRandom(seed);
}
