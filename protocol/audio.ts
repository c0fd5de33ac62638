/**
 * The audio every stage works at: Whisper's 16 kHz mono. Decoders resample to it, PCM frames on
 * the `audio` channel carry it, the browser's mel worklet computes its frames from it.
 *
 * @module
 */

/** Sample rate of all audio past the decoders, Hz (Whisper's `WHISPER_SAMPLE_RATE`). */
export const SAMPLE_RATE_HZ = 16_000;

/** Samples as PCM16 little-endian bytes, clipped to [-1, 1] (any rate: the bytes carry none). */
export function pcm16Bytes(samples: Float32Array): Uint8Array {
  const out = new Uint8Array(samples.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < samples.length; i++) {
    view.setInt16(2 * i, Math.round(Math.max(-1, Math.min(1, samples[i])) * 32767), true);
  }
  return out;
}
