/**
 * Mel frames from a privacy-mode client → the decoder's input: the quantized log10-power frames
 * (see `server/events/audio_frames.ts`) are dequantized, then given Whisper's own treatment over
 * the window to decode — clamped to (window max − 8), scaled as (x + 4) / 4 — and laid out bin by
 * bin, as `whisper_set_mel_with_state` wants them. A window shorter than `minFrames` is padded
 * with the clamp floor, which is what Whisper's zero-padded audio turns into.
 *
 * @module
 */

import { MEL_BINS } from "../events/audio_frames.ts";

/** Dequantizes `frames × 80` bytes over [lo, hi] into log10-power values (frame-major). */
export function dequantizeMel(bins: Uint8Array, lo: number, hi: number): Float32Array {
  const out = new Float32Array(bins.length);
  const step = (hi - lo) / 255;
  for (let i = 0; i < bins.length; i++) out[i] = lo + bins[i] * step;
  return out;
}

/**
 * Whisper's input for a window of log10-power frames (frame-major, 80 per frame): clamped,
 * scaled, padded to at least `minFrames`, bin-major. Returns the values and the frame count.
 */
export function melWindow(
  frames: Float32Array,
  minFrames = 0,
): { mel: Float32Array; nLen: number } {
  if (frames.length % MEL_BINS) {
    throw new RangeError(`Cannot build a mel window: ${frames.length} values is not whole frames`);
  }
  const n = frames.length / MEL_BINS;
  const nLen = Math.max(n, minFrames);
  let max = -Infinity;
  for (let i = 0; i < frames.length; i++) if (frames[i] > max) max = frames[i];
  if (!Number.isFinite(max)) max = -10 + 8;
  const floor = max - 8;
  const mel = new Float32Array(nLen * MEL_BINS).fill((floor + 4) / 4);
  for (let t = 0; t < n; t++) {
    for (let m = 0; m < MEL_BINS; m++) {
      mel[m * nLen + t] = (Math.max(frames[t * MEL_BINS + m], floor) + 4) / 4;
    }
  }
  return { mel, nLen };
}
