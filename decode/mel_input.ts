/**
 * Mel frames from a privacy-mode client → the engine's input: the quantized log10-power frames
 * (see `protocol/audio_frames.ts`) are dequantized. The engine then gives each window it
 * decodes Whisper's own treatment (`server/engine/mel_window.ts`).
 *
 * @module
 */

/** Dequantizes `frames × 80` bytes over [lo, hi] into log10-power values (frame-major). */
export function dequantizeMel(bins: Uint8Array, lo: number, hi: number): Float32Array {
  const out = new Float32Array(bins.length);
  const step = (hi - lo) / 255;
  for (let i = 0; i < bins.length; i++) out[i] = lo + bins[i] * step;
  return out;
}
