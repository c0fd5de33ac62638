/**
 * A window of log-mel frames → Whisper's input: clamped to (window max − 8), scaled as
 * (x + 4) / 4 — what whisper.cpp does to the spectrogram it computes from samples — and laid out
 * bin by bin, as `whisper_set_mel_with_state` wants them. A window shorter than `minFrames` is
 * padded with the clamp floor, which is what Whisper's zero-padded audio turns into (the encoder
 * itself would pad with zeros, which are not silence after scaling).
 *
 * @module
 */

import { MEL_BINS } from "../../protocol/audio_frames.ts";

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
