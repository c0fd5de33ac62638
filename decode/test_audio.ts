/**
 * Test fixtures: sine tones and hand-built WAV files (the header written byte by byte here, so the
 * tests do not trust the code under test to make their inputs). Signal helpers come from
 * `ffi/testing/signal.ts`.
 *
 * @module
 */

export { fitSine, prng, rms, sine } from "../ffi/testing/signal.ts";

/** A WAV sample encoding. */
export type WavEncoding = "pcm16" | "pcm24" | "pcm32" | "float32";

/** How to build a WAV file. */
export interface WavSpec {
  sampleRate: number;
  channels: number;
  encoding: WavEncoding;
  /** Overrides the data chunk size written in the header (to fake a truncated file). */
  declaredDataBytes?: number;
}

const BYTES: Record<WavEncoding, number> = { pcm16: 2, pcm24: 3, pcm32: 4, float32: 4 };

/** Interleaves equal-length channels into frames. */
export function interleave(...channels: Float32Array[]): Float32Array {
  const n = channels[0].length;
  const out = new Float32Array(n * channels.length);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < channels.length; c++) out[i * channels.length + c] = channels[c][i];
  }
  return out;
}

/**
 * A RIFF/WAVE file holding the interleaved `samples` (in [-1, 1]). Integers are scaled by 2^(bits-1),
 * the inverse of libsndfile's normalisation, so a decoded sample is within half a step of its input.
 */
export function makeWav(samples: Float32Array, spec: WavSpec): Uint8Array<ArrayBuffer> {
  const width = BYTES[spec.encoding];
  const dataBytes = samples.length * width;
  const buf = new ArrayBuffer(44 + dataBytes);
  const v = new DataView(buf);
  const ascii = (at: number, s: string) => {
    for (let i = 0; i < s.length; i++) v.setUint8(at + i, s.charCodeAt(i));
  };
  ascii(0, "RIFF");
  v.setUint32(4, 36 + (spec.declaredDataBytes ?? dataBytes), true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  v.setUint32(16, 16, true);
  v.setUint16(20, spec.encoding === "float32" ? 3 : 1, true); // WAVE_FORMAT_IEEE_FLOAT : PCM
  v.setUint16(22, spec.channels, true);
  v.setUint32(24, spec.sampleRate, true);
  v.setUint32(28, spec.sampleRate * spec.channels * width, true);
  v.setUint16(32, spec.channels * width, true);
  v.setUint16(34, width * 8, true);
  ascii(36, "data");
  v.setUint32(40, spec.declaredDataBytes ?? dataBytes, true);
  let at = 44;
  for (const x of samples) {
    const c = Math.max(-1, Math.min(1, x));
    switch (spec.encoding) {
      case "pcm16":
        v.setInt16(at, Math.min(32767, Math.round(c * 32768)), true);
        break;
      case "pcm24": {
        const i = Math.min(8388607, Math.round(c * 8388608));
        v.setUint8(at, i & 0xff);
        v.setUint8(at + 1, (i >> 8) & 0xff);
        v.setUint8(at + 2, (i >> 16) & 0xff);
        break;
      }
      case "pcm32":
        v.setInt32(at, Math.min(2147483647, Math.round(c * 2147483648)), true);
        break;
      case "float32":
        v.setFloat32(at, x, true);
        break;
    }
    at += width;
  }
  return new Uint8Array(buf);
}
