/**
 * Binary frames on the `audio` and `mel` data channels, shared with the clients. Every frame starts
 * with an 8-byte header, little-endian:
 *
 * | byte | field    | value                                                           |
 * | ---- | -------- | --------------------------------------------------------------- |
 * | 0    | version  | 1                                                               |
 * | 1    | kind     | 0 = PCM16LE 16 kHz mono, 1 = one Opus packet, 2 = log-mel (u8)  |
 * | 2–3  | reserved | 0                                                               |
 * | 4–7  | seq      | u32, the frame's number in its channel, from 0, +1 per frame    |
 *
 * Then the payload:
 * - kind 0: samples, 2 bytes each, at most {@linkcode MAX_PCM_SAMPLES} (1 s);
 * - kind 1: one Opus packet (any rate the encoder used; decoded at 16 kHz);
 * - kind 2: `lo` f32, `hi` f32, then N frames of {@linkcode MEL_BINS} bytes: Whisper's log-mel
 *   frames (16 kHz, n_fft 400 Hann, hop 160 = 10 ms, the model's 80 mel filters, log10 of power),
 *   each value quantized as `q = round(255 · (x − lo) / (hi − lo))`, so `x = lo + q · (hi − lo) / 255`.
 *   Whisper's own clamp (max − 8) and scaling ((x + 4) / 4) are applied by the server per decode.
 *
 * A gap in `seq` is audio lost in transit (an unreliable channel): the server fills it with
 * silence or concealment of the right length, so the audio clock stays true.
 *
 * @module
 */

import { pcm16Bytes } from "./audio.ts";

/** The frame format version. */
export const FRAME_VERSION = 1;
/** Header length, bytes. */
export const FRAME_HEADER_BYTES = 8;
/** Payload kinds. */
export const FRAME_KINDS = { pcm16: 0, opus: 1, mel: 2 } as const;
/** A payload kind name. */
export type FrameKind = keyof typeof FRAME_KINDS;
/** Most samples in one PCM frame (1 s at 16 kHz). */
export const MAX_PCM_SAMPLES = 16_000;
/** Mel bins per frame (Whisper's 80; large-v3's 128 is not supported on this channel). */
export const MEL_BINS = 80;
/** Most mel frames in one message (1 s). */
export const MAX_MEL_FRAMES = 100;
/** Longest Opus packet accepted, bytes (RFC 6716: 1275 per frame, up to 3 frames + header). */
export const MAX_OPUS_BYTES = 4_000;

/** A parsed frame. */
export type AudioFrame =
  | { kind: "pcm16"; seq: number; samples: Float32Array }
  | { kind: "opus"; seq: number; packet: Uint8Array }
  | { kind: "mel"; seq: number; lo: number; hi: number; frames: number; bins: Uint8Array };

const KIND_NAMES = Object.fromEntries(
  Object.entries(FRAME_KINDS).map(([k, v]) => [v, k]),
) as Record<number, FrameKind>;

/** Parses one binary frame. Errors name what is wrong; nothing of a bad frame is used. */
export function parseFrame(data: Uint8Array): AudioFrame {
  if (!(data instanceof Uint8Array)) {
    throw new TypeError("Cannot read audio frame: expected binary data, got text");
  }
  if (data.length < FRAME_HEADER_BYTES) {
    throw new RangeError(
      `Cannot read audio frame: ${data.length} bytes, shorter than the ${FRAME_HEADER_BYTES}-byte header`,
    );
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const version = view.getUint8(0);
  if (version !== FRAME_VERSION) {
    throw new RangeError(
      `Cannot read audio frame: version ${version}, this server speaks ${FRAME_VERSION}`,
    );
  }
  const kind = KIND_NAMES[view.getUint8(1)];
  if (!kind) throw new RangeError(`Cannot read audio frame: unknown kind ${view.getUint8(1)}`);
  const seq = view.getUint32(4, true);
  const body = data.subarray(FRAME_HEADER_BYTES);
  switch (kind) {
    case "pcm16": {
      if (body.length % 2) {
        throw new RangeError(`Cannot read PCM16 frame: odd payload length ${body.length}`);
      }
      const n = body.length / 2;
      if (n === 0 || n > MAX_PCM_SAMPLES) {
        throw new RangeError(`Cannot read PCM16 frame: ${n} samples, 1 to ${MAX_PCM_SAMPLES}`);
      }
      const samples = new Float32Array(n);
      const b = new DataView(body.buffer, body.byteOffset, body.byteLength);
      for (let i = 0; i < n; i++) samples[i] = b.getInt16(2 * i, true) / 32768;
      return { kind, seq, samples };
    }
    case "opus": {
      if (body.length === 0 || body.length > MAX_OPUS_BYTES) {
        throw new RangeError(
          `Cannot read Opus frame: ${body.length} bytes, 1 to ${MAX_OPUS_BYTES}`,
        );
      }
      return { kind, seq, packet: body.slice() };
    }
    case "mel": {
      if (body.length < 8) throw new RangeError("Cannot read mel frame: no lo/hi range");
      const b = new DataView(body.buffer, body.byteOffset, body.byteLength);
      const lo = b.getFloat32(0, true);
      const hi = b.getFloat32(4, true);
      if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(hi > lo)) {
        throw new RangeError(
          `Cannot read mel frame: range [${lo}, ${hi}] is not finite and rising`,
        );
      }
      const bins = body.slice(8);
      if (bins.length === 0 || bins.length % MEL_BINS) {
        throw new RangeError(
          `Cannot read mel frame: ${bins.length} bytes is not a whole number of ${MEL_BINS}-bin frames`,
        );
      }
      const frames = bins.length / MEL_BINS;
      if (frames > MAX_MEL_FRAMES) {
        throw new RangeError(`Cannot read mel frame: ${frames} frames, at most ${MAX_MEL_FRAMES}`);
      }
      return { kind, seq, lo, hi, frames, bins };
    }
  }
}

function header(kind: FrameKind, seq: number, payloadBytes: number): [Uint8Array, DataView] {
  if (!Number.isInteger(seq) || seq < 0 || seq > 0xffffffff) {
    throw new RangeError(`Cannot make audio frame: seq ${seq} is not a u32`);
  }
  const out = new Uint8Array(FRAME_HEADER_BYTES + payloadBytes);
  const view = new DataView(out.buffer);
  view.setUint8(0, FRAME_VERSION);
  view.setUint8(1, FRAME_KINDS[kind]);
  view.setUint32(4, seq, true);
  return [out, view];
}

/** A PCM16 frame of `samples` (16 kHz mono, clipped to [-1, 1]). */
export function pcm16Frame(seq: number, samples: Float32Array): Uint8Array {
  if (samples.length === 0 || samples.length > MAX_PCM_SAMPLES) {
    throw new RangeError(
      `Cannot make PCM16 frame: ${samples.length} samples, 1 to ${MAX_PCM_SAMPLES}`,
    );
  }
  const [out] = header("pcm16", seq, samples.length * 2);
  out.set(pcm16Bytes(samples), FRAME_HEADER_BYTES);
  return out;
}

/** An Opus frame carrying `packet` (1 to {@linkcode MAX_OPUS_BYTES} bytes). */
export function opusFrame(seq: number, packet: Uint8Array): Uint8Array {
  if (packet.length === 0 || packet.length > MAX_OPUS_BYTES) {
    throw new RangeError(
      `Cannot make Opus frame: ${packet.length} bytes, 1 to ${MAX_OPUS_BYTES}`,
    );
  }
  const [out] = header("opus", seq, packet.length);
  out.set(packet, FRAME_HEADER_BYTES);
  return out;
}

/**
 * The range a client quantizes a mel message over: [max − 8, max] of its values. Whisper clamps
 * each decoded window at (window max − 8), and a message's max is at most its window's, so
 * nothing Whisper keeps is lost; the 255 steps are 0.03 apart (0.3 dB).
 */
export function melRange(mel: Float32Array): [number, number] {
  let max = -Infinity;
  for (let i = 0; i < mel.length; i++) if (mel[i] > max) max = mel[i];
  if (!Number.isFinite(max)) throw new RangeError("Cannot quantize mel: no finite values");
  return [max - 8, max];
}

/**
 * A mel frame: `mel` holds `frames × 80` log10-power values (at most {@linkcode MAX_MEL_FRAMES}
 * frames), quantized over [lo, hi] — by default the message's own {@linkcode melRange}, as
 * clients send them. Throws a RangeError for what the frame cannot carry (a range that is not
 * finite and rising as 32-bit floats, too many frames), rather than make a frame the server refuses.
 */
export function melFrame(
  seq: number,
  mel: Float32Array,
  ...[lo, hi]: [number, number] | []
): Uint8Array {
  if (lo === undefined || hi === undefined) [lo, hi] = melRange(mel);
  if (mel.length === 0 || mel.length % MEL_BINS) {
    throw new RangeError(`Cannot make mel frame: ${mel.length} values is not whole frames`);
  }
  if (mel.length / MEL_BINS > MAX_MEL_FRAMES) {
    throw new RangeError(
      `Cannot make mel frame: ${mel.length / MEL_BINS} frames, at most ${MAX_MEL_FRAMES}`,
    );
  }
  // The range travels as 32-bit floats: quantize over what the receiver will read.
  [lo, hi] = [Math.fround(lo), Math.fround(hi)];
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(hi > lo)) {
    throw new RangeError(
      `Cannot make mel frame: range [${lo}, ${hi}] is not finite and rising as 32-bit floats`,
    );
  }
  const [out, view] = header("mel", seq, 8 + mel.length);
  view.setFloat32(FRAME_HEADER_BYTES, lo, true);
  view.setFloat32(FRAME_HEADER_BYTES + 4, hi, true);
  const scale = 255 / (hi - lo);
  for (let i = 0; i < mel.length; i++) {
    const q = Math.round((mel[i] - lo) * scale);
    out[FRAME_HEADER_BYTES + 8 + i] = Math.max(0, Math.min(255, q));
  }
  return out;
}
