/**
 * Opus packets as transports and sessions receive them — an RTP payload from a WebRTC track, or
 * an Opus frame from the `audio` data channel: the one seam between the server and libopus
 * (`ffi/opus`) for frames. The WebRTC peer reads a packet's duration here for its jitter buffer,
 * a live session here for the gaps in its frame numbers; `OpusStream`
 * (`opus_stream.ts`) decodes a stream of them to 16 kHz PCM. PCM16 frames need no codec:
 * `parseFrame` (`protocol/audio_frames.ts`) already gives their samples.
 *
 * @module
 */

export { OpusError, opusPacketSamples } from "../ffi/opus/mod.ts";
export type { OpusRate } from "../ffi/opus/mod.ts";
