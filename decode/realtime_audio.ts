/**
 * The OpenAI Realtime API's input audio → 16 kHz mono Float32, chunk by chunk as
 * `input_audio_buffer.append` brings it (base64): `audio/pcm` (PCM16LE, 24 kHz, mono),
 * `audio/pcmu` (G.711 μ-law, 8 kHz) and `audio/pcma` (G.711 A-law, 8 kHz). Rates are converted by
 * libsoxr as a stream, so chunk boundaries leave no clicks; a PCM16 chunk of an odd length keeps
 * its last byte for the next.
 *
 * @module
 */

import { Resampler } from "../ffi/soxr/mod.ts";

/** An input format's name. */
export type RealtimeAudioType = "audio/pcm" | "audio/pcmu" | "audio/pcma";

/** The input rate of each format, Hz. */
export const REALTIME_RATES: Readonly<Record<RealtimeAudioType, number>> = {
  "audio/pcm": 24_000,
  "audio/pcmu": 8_000,
  "audio/pcma": 8_000,
};

/** G.711 μ-law byte → linear sample in [-1, 1) (ITU-T G.711, 14-bit magnitude). */
export function muLawToFloat(byte: number): number {
  const u = ~byte & 0xff;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  const magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
  return ((u & 0x80) ? -magnitude : magnitude) / 32_768;
}

/** G.711 A-law byte → linear sample in [-1, 1) (ITU-T G.711, 13-bit magnitude). */
export function aLawToFloat(byte: number): number {
  const a = byte ^ 0x55;
  const exponent = (a >> 4) & 0x07;
  const mantissa = a & 0x0f;
  let magnitude = exponent === 0
    ? (mantissa << 4) + 8
    : ((mantissa << 4) + 0x108) << (exponent - 1);
  magnitude = (a & 0x80) ? magnitude : -magnitude;
  return magnitude / 32_768;
}

const MU_LAW = Float32Array.from({ length: 256 }, (_, b) => muLawToFloat(b));
const A_LAW = Float32Array.from({ length: 256 }, (_, b) => aLawToFloat(b));

/** Base64 text → bytes; a `RangeError` names what is wrong. */
export function fromBase64(text: string): Uint8Array {
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    throw new RangeError("the audio is not base64");
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** One session's input audio decoder; see the module doc. Close it when done. */
export class RealtimeAudioDecoder {
  readonly type: RealtimeAudioType;
  readonly #resampler: Resampler;
  /** A PCM16 byte left over from an odd-length chunk. */
  #carry: number | null = null;
  /** Input samples taken so far (at the input rate). */
  #taken = 0;

  constructor(type: RealtimeAudioType) {
    this.type = type;
    this.#resampler = new Resampler({ inputRate: REALTIME_RATES[type], outputRate: 16_000 });
  }

  /** Input audio taken so far, ms. */
  get takenMs(): number {
    return (this.#taken * 1000) / REALTIME_RATES[this.type];
  }

  /** Decodes one chunk of the format's bytes; returns the 16 kHz samples it completes. */
  push(bytes: Uint8Array): Float32Array {
    const samples = this.type === "audio/pcm" ? this.#pcm16(bytes) : this.#g711(bytes);
    this.#taken += samples.length;
    return samples.length ? this.#resampler.process(samples) : new Float32Array(0);
  }

  /** The samples the resampler still holds (at the end of a turn); it then starts afresh. */
  flush(): Float32Array {
    const out = this.#resampler.flush();
    this.#resampler.reset();
    return out;
  }

  close(): void {
    this.#resampler.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #pcm16(bytes: Uint8Array): Float32Array {
    let src = bytes;
    if (this.#carry !== null) {
      src = new Uint8Array(bytes.length + 1);
      src[0] = this.#carry;
      src.set(bytes, 1);
      this.#carry = null;
    }
    const n = src.length >> 1;
    if (src.length & 1) this.#carry = src[src.length - 1];
    const view = new DataView(src.buffer, src.byteOffset, n * 2);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = view.getInt16(i * 2, true) / 32_768;
    return out;
  }

  #g711(bytes: Uint8Array): Float32Array {
    const table = this.type === "audio/pcmu" ? MU_LAW : A_LAW;
    const out = new Float32Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) out[i] = table[bytes[i]];
    return out;
  }
}
