/**
 * WebM/Matroska audio (what browsers' MediaRecorder records) to 16 kHz mono: mediabunny demuxes
 * the container into Opus packets, libopus decodes them straight at 16 kHz (Opus decodes at any
 * of its rates natively, so nothing is resampled). The encoder's pre-skip is dropped; a hole in the
 * packet timestamps becomes silence, so word times stay where they were spoken. A packet libopus
 * rejects is concealed (packet-loss concealment) and counted; a file in which no packet decodes is
 * an error.
 *
 * @module
 */

import { EncodedPacketSink, FilePathSource, Input, MATROSKA, WEBM } from "mediabunny";
import { OpusDecoder, OpusError } from "../ffi/opus/codec.ts";
import { AudioDecodeError } from "./errors.ts";
import { SampleBuffer } from "./sample_buffer.ts";
import { SAMPLE_RATE_HZ } from "../protocol/audio.ts";

/** What a WebM file decoded to. */
export interface WebmAudio {
  samples: Float32Array<ArrayBuffer>;
  /** The track's sample rate as the container states it (Opus: 48000). */
  sourceRate: number;
  channels: number;
  /** E.g. "WebM, Opus". */
  format: string;
  /** Packets libopus rejected (concealed instead). */
  badPackets: number;
}

/** A hole in the timestamps longer than this is filled with silence, s. */
const GAP_S = 0.03;

/** Pre-skip (48 kHz samples) of an `OpusHead` (RFC 7845 §5.1), or 0 without one. */
export function opusPreSkip(head: Uint8Array | undefined): number {
  if (!head || head.length < 19) return 0;
  const magic = new TextDecoder().decode(head.subarray(0, 8));
  if (magic !== "OpusHead") return 0;
  return head[10] | (head[11] << 8);
}

/**
 * Decodes the WebM/Matroska file at `path`. Throws {@linkcode AudioDecodeError}: `unsupported`
 * when its audio is not Opus, `invalid` when it is malformed, has no audio track or no packet
 * decodes, `too_long` past `maxS` seconds.
 */
export async function decodeWebm(
  path: string,
  label: string,
  opts: { signal?: AbortSignal; maxS?: number } = {},
): Promise<WebmAudio> {
  const input = new Input({ source: new FilePathSource(path), formats: [WEBM, MATROSKA] });
  try {
    let track;
    try {
      track = await input.getPrimaryAudioTrack();
    } catch (err) {
      throw new AudioDecodeError(label, `is not a readable WebM/Matroska file (${msg(err)})`, {
        cause: err,
      });
    }
    if (!track) throw new AudioDecodeError(label, "has no audio track");
    const codec = await track.getCodec();
    if (codec !== "opus") {
      throw new AudioDecodeError(
        label,
        `holds ${codec ?? "an unknown codec"} audio; in WebM/Matroska only Opus is decoded`,
        { kind: "unsupported" },
      );
    }
    const channels = await track.getNumberOfChannels();
    const sourceRate = await track.getSampleRate();
    const config = await track.getDecoderConfig();
    const head = bytesOf(config?.description);
    const preSkip = Math.round(opusPreSkip(head) / 3);

    const out = new SampleBuffer(SAMPLE_RATE_HZ * 10);
    const maxSamples = (opts.maxS ?? Infinity) * SAMPLE_RATE_HZ;
    const push = (x: Float32Array) => {
      if (out.length + x.length > maxSamples) {
        throw new AudioDecodeError(label, `is longer than the ${opts.maxS} s allowed`, {
          kind: "too_long",
        });
      }
      out.push(x);
    };
    const decoder = new OpusDecoder(SAMPLE_RATE_HZ);
    let good = 0;
    let bad = 0;
    let firstTs: number | null = null;
    try {
      const sink = new EncodedPacketSink(track);
      let packets;
      try {
        packets = sink.packets();
        for await (const p of packets) {
          opts.signal?.throwIfAborted();
          firstTs ??= p.timestamp;
          const at = Math.round((p.timestamp - firstTs) * SAMPLE_RATE_HZ);
          if (at - out.length > GAP_S * SAMPLE_RATE_HZ) push(new Float32Array(at - out.length));
          let pcm: Float32Array;
          try {
            pcm = decoder.decode(p.data);
            good++;
          } catch (err) {
            if (!(err instanceof OpusError)) throw err;
            bad++;
            const n = Math.round(p.duration * SAMPLE_RATE_HZ / 40) * 40; // a multiple of 2.5 ms
            pcm = n > 0 && n <= SAMPLE_RATE_HZ * 0.12 ? decoder.conceal(n) : new Float32Array(0);
          }
          push(pcm);
        }
      } catch (err) {
        if (err instanceof AudioDecodeError || opts.signal?.aborted) throw err;
        if (good === 0) {
          throw new AudioDecodeError(label, `cannot be demuxed (${msg(err)})`, { cause: err });
        }
        // A file cut short mid-cluster: keep what decoded.
      }
    } finally {
      decoder.close();
    }
    opts.signal?.throwIfAborted();
    if (good === 0) {
      throw new AudioDecodeError(
        label,
        bad ? `has ${bad} Opus packets and none decodes` : "holds no audio packets",
      );
    }
    return {
      samples: out.take().subarray(Math.min(preSkip, out.length)),
      sourceRate,
      channels,
      format: `WebM/Matroska, Opus`,
      badPackets: bad,
    };
  } finally {
    input.dispose();
  }
}

function bytesOf(d: AllowSharedBufferSource | undefined): Uint8Array | undefined {
  if (!d) return undefined;
  if (ArrayBuffer.isView(d)) return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  return new Uint8Array(d);
}

function msg(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
