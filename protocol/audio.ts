/**
 * The audio every stage works at: Whisper's 16 kHz mono. Decoders resample to it, PCM frames on
 * the `audio` channel carry it, the browser's mel worklet computes its frames from it.
 *
 * @module
 */

/** Sample rate of all audio past the decoders, Hz (Whisper's `WHISPER_SAMPLE_RATE`). */
export const SAMPLE_RATE_HZ = 16_000;
