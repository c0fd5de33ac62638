/**
 * Binary frames as a live session receives them on a data channel (`protocol/audio_frames.ts`:
 * PCM16 or Opus on `audio`, 8-bit log-mel on `mel`), decoded to what the engine takes: 16 kHz PCM
 * or log10-power mel frames. Frames missing before one (a gap in the frame numbers) are filled so
 * the session's clock stays true: silence for PCM16, libopus's concealment for Opus, digital
 * silence's log-mel for mel frames. This module and `opus_stream.ts` are the server's one way to
 * libopus: the WebRTC peer also reads a packet's duration here for its jitter buffer.
 *
 * @module
 */

import type { AudioFrame } from "../protocol/audio_frames.ts";
import { MEL_BINS } from "../protocol/audio_frames.ts";
import { SAMPLE_RATE_HZ } from "../protocol/audio.ts";
import { opusPacketSamples } from "../ffi/opus/mod.ts";
import { OpusStream } from "./opus_stream.ts";
import { dequantizeMel } from "./mel_input.ts";

export { opusPacketSamples } from "../ffi/opus/mod.ts";

/** log10 of the power floor: what digital silence's mel frames hold. */
export const SILENT_MEL = -10;
/** A gap in a channel's frame numbers longer than this is filled with this much, ms. */
export const MAX_GAP_MS = 10_000;

/** A frame decoded: PCM chunks (16 kHz) or mel chunks (`MEL_BINS` values a 10 ms frame), in order. */
export type DecodedFrame =
  | { kind: "pcm"; chunks: Float32Array[] }
  | { kind: "mel"; chunks: Float32Array[] };

/** Decodes one channel's frames in order; holds the Opus decoder state between them. */
export class FrameDecoder implements Disposable {
  #opus: OpusStream | null = null;

  /**
   * Decodes `frame`, with the `lost` frames before it filled in first.
   *
   * @throws {import("../ffi/opus/mod.ts").OpusError} when an Opus frame's packet is malformed
   */
  decode(frame: AudioFrame, lost = 0): DecodedFrame {
    switch (frame.kind) {
      case "pcm16":
        return {
          kind: "pcm",
          chunks: lost
            ? [new Float32Array(gapSamples(lost, frame.samples.length)), frame.samples]
            : [frame.samples],
        };
      case "opus": {
        const dur48 = opusPacketSamples(frame.packet, 48_000);
        this.#opus ??= new OpusStream();
        const filled = lost
          ? this.#opus.take({
            kind: "lost",
            duration: gapSamples(lost, dur48 / 3) * 3,
            packets: lost,
            next: frame.packet,
          })
          : [];
        const decoded = this.#opus.take({ kind: "packet", payload: frame.packet, timestamp: 0 });
        return { kind: "pcm", chunks: [...filled, ...decoded] };
      }
      case "mel": {
        const mel = dequantizeMel(frame.bins, frame.lo, frame.hi);
        if (!lost) return { kind: "mel", chunks: [mel] };
        const n = Math.min(lost * frame.frames, MAX_GAP_MS / 10) * MEL_BINS;
        return { kind: "mel", chunks: [new Float32Array(n).fill(SILENT_MEL), mel] };
      }
    }
  }

  /** Frees the Opus decoder; idempotent. */
  close(): void {
    this.#opus?.close();
    this.#opus = null;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** Samples standing in for `gap` lost frames of `frameSamples` each (capped at `MAX_GAP_MS`). */
function gapSamples(gap: number, frameSamples: number): number {
  return Math.min(gap * frameSamples, (MAX_GAP_MS * SAMPLE_RATE_HZ) / 1000);
}
