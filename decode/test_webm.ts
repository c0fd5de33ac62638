/**
 * Test fixtures: WebM files holding Opus, muxed by mediabunny's WebM writer from packets libopus
 * encoded here (the browser test checks files made by a real MediaRecorder).
 *
 * @module
 */

import {
  BufferTarget,
  EncodedAudioPacketSource,
  EncodedPacket,
  Output,
  WebMOutputFormat,
} from "mediabunny";
import { OpusEncoder } from "../ffi/opus/codec.ts";

/** How {@linkcode makeWebmOpus} lays out its packets. */
export interface WebmSpec {
  /** Pre-skip written in the OpusHead, 48 kHz samples (default 312). */
  preSkip?: number;
  /** Packet indices left out, keeping the later packets' timestamps (a hole in the stream). */
  drop?: Set<number>;
  /** Codec written in the track header (default opus): anything else fakes another codec. */
  codec?: "opus" | "vorbis";
}

/** An RFC 7845 `OpusHead` for mono 16 kHz input. */
export function opusHead(preSkip: number): Uint8Array<ArrayBuffer> {
  const h = new Uint8Array(19);
  h.set(new TextEncoder().encode("OpusHead"));
  const v = new DataView(h.buffer);
  v.setUint8(8, 1); // version
  v.setUint8(9, 1); // channels
  v.setUint16(10, preSkip, true);
  v.setUint32(12, 16_000, true); // input rate
  v.setInt16(16, 0, true); // gain
  v.setUint8(18, 0); // mapping family
  return h;
}

/** A WebM file of `samples` (16 kHz mono) as 20 ms Opus packets. */
export async function makeWebmOpus(
  samples: Float32Array,
  spec: WebmSpec = {},
): Promise<Uint8Array<ArrayBuffer>> {
  const preSkip = spec.preSkip ?? 312;
  const target = new BufferTarget();
  const output = new Output({ format: new WebMOutputFormat(), target });
  const source = new EncodedAudioPacketSource(spec.codec ?? "opus");
  output.addAudioTrack(source);
  await output.start();
  const enc = new OpusEncoder({ rate: 16_000 });
  try {
    const frame = 320;
    const n = Math.ceil(samples.length / frame);
    for (let i = 0; i < n; i++) {
      const block = new Float32Array(frame);
      block.set(samples.subarray(i * frame, (i + 1) * frame));
      const data = enc.encode(block);
      if (spec.drop?.has(i)) continue;
      const packet = new EncodedPacket(data, "key", i * 0.02, 0.02);
      await source.add(
        packet,
        i === 0
          ? {
            decoderConfig: {
              codec: spec.codec ?? "opus",
              numberOfChannels: 1,
              sampleRate: 48_000,
              description: opusHead(preSkip),
            },
          }
          : undefined,
      );
    }
  } finally {
    enc.close();
  }
  await output.finalize();
  return new Uint8Array(target.buffer!);
}
