/**
 * Opus decoding and encoding through libopus: {@linkcode OpusDecoder} turns packets (WebRTC's
 * RTP payloads, or packets a data-channel client sends) into mono Float32 PCM at the rate asked for
 * — libopus decodes straight to 16 kHz — with packet-loss concealment and in-band FEC recovery;
 * {@linkcode OpusEncoder} makes packets (the CLI client's media track, tests).
 *
 * Both own a native object: free it with `close()` or `using`.
 *
 * @module
 */

import { openOpus, opusErrorText } from "./library.ts";
import { CONSTANTS } from "./symbols.ts";

/** Sample rates libopus decodes to and encodes from. */
export const OPUS_RATES = [8_000, 12_000, 16_000, 24_000, 48_000] as const;
/** One of {@linkcode OPUS_RATES}. */
export type OpusRate = typeof OPUS_RATES[number];

/** The longest Opus packet's duration: 120 ms. */
export const MAX_PACKET_MS = 120;

/** A libopus call failed; `code` is libopus's error code. */
export class OpusError extends Error {
  /** libopus's error code (negative). */
  readonly code: number;
  constructor(what: string, code: number) {
    super(`${what}: ${opusErrorText(code)} (opus error ${code})`);
    this.name = "OpusError";
    this.code = code;
  }
}

function checkRate(rate: number, what: string): void {
  if (!(OPUS_RATES as readonly number[]).includes(rate)) {
    throw new RangeError(`${what}: sample rate ${rate} is not one of ${OPUS_RATES.join(", ")}`);
  }
}

/**
 * Samples `packet` holds at `rate` (for RTP durations: 48 000), read from its header without a
 * decoder. Throws {@linkcode OpusError} on an empty or malformed packet.
 */
export function opusPacketSamples(packet: Uint8Array, rate: OpusRate): number {
  if (packet.length === 0) throw new OpusError("Cannot read an empty Opus packet", -4);
  const n = openOpus().symbols.opus_packet_get_nb_samples(
    packet as Uint8Array<ArrayBuffer>,
    packet.length,
    rate,
  );
  // A packet holds at least one frame: 0 is a malformed one (a code 3 packet of 0 frames).
  if (n <= 0) {
    throw new OpusError("Cannot read an Opus packet", n < 0 ? n : CONSTANTS.OPUS_INVALID_PACKET);
  }
  return n;
}

/** A mono Opus decoder. */
export class OpusDecoder {
  /** The output sample rate. */
  readonly rate: OpusRate;
  #ptr: Deno.PointerValue;
  readonly #pcm: Float32Array<ArrayBuffer>;

  /** A decoder producing mono samples at `rate` (default 16 kHz, Whisper's rate). */
  constructor(rate: OpusRate = 16_000) {
    checkRate(rate, "Cannot create an Opus decoder");
    this.rate = rate;
    const err = new Int32Array(1);
    this.#ptr = openOpus().symbols.opus_decoder_create(rate, 1, new Uint8Array(err.buffer));
    if (!this.#ptr || err[0] !== CONSTANTS.OPUS_OK) {
      throw new OpusError("Cannot create an Opus decoder", err[0]);
    }
    this.#pcm = new Float32Array((rate * MAX_PACKET_MS) / 1000);
  }

  #live(what: string): Deno.PointerObject {
    if (!this.#ptr) throw new Error(`${what}: the Opus decoder is closed`);
    return this.#ptr;
  }

  /** Samples (at this decoder's rate) that `packet` holds, without decoding it. */
  samplesIn(packet: Uint8Array): number {
    this.#live("Cannot read an Opus packet");
    return opusPacketSamples(packet, this.rate);
  }

  /** Decodes one packet. Throws {@linkcode OpusError} on a corrupt packet (the decoder lives on). */
  decode(packet: Uint8Array): Float32Array {
    if (packet.length === 0) throw new OpusError("Cannot decode an empty Opus packet", -4);
    return this.#run("Cannot decode an Opus packet", packet, this.#pcm.length, 0);
  }

  /**
   * Audio for `samples` lost samples (a multiple of 2.5 ms, at most 120 ms): the previous packet's
   * in-band FEC copy when `next` (the packet after the gap) carries one, else concealment.
   */
  conceal(samples: number, next?: Uint8Array): Float32Array {
    const step = this.rate / 400;
    if (!Number.isInteger(samples) || samples <= 0 || samples % step !== 0) {
      throw new RangeError(`Cannot conceal ${samples} samples: not a positive multiple of 2.5 ms`);
    }
    if (samples > this.#pcm.length) {
      throw new RangeError(
        `Cannot conceal ${samples} samples: at most ${MAX_PACKET_MS} ms at once`,
      );
    }
    if (next && next.length > 0) {
      return this.#run("Cannot recover an Opus packet from FEC", next, samples, 1);
    }
    return this.#run("Cannot conceal lost Opus audio", null, samples, 0);
  }

  #run(what: string, data: Uint8Array | null, frame: number, fec: number): Float32Array {
    const ptr = this.#live(what);
    const n = openOpus().symbols.opus_decode_float(
      ptr,
      data as Uint8Array<ArrayBuffer> | null,
      data ? data.length : 0,
      this.#pcm,
      frame,
      fec,
    );
    if (n < 0) throw new OpusError(what, n);
    return this.#pcm.slice(0, n);
  }

  /** Frees the native decoder; idempotent. */
  close(): void {
    if (!this.#ptr) return;
    openOpus().symbols.opus_decoder_destroy(this.#ptr);
    this.#ptr = null;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** How an {@linkcode OpusEncoder} is set up. */
export interface OpusEncoderOptions {
  /** Input sample rate (default 16 kHz). */
  rate?: OpusRate;
  /** `voip` (default; speech) or `audio`. */
  application?: "voip" | "audio";
  /** Target bit rate, bits/s (default: libopus's choice). */
  bitrate?: number;
  /** Expected packet loss, percent: turns on in-band FEC when above 0 (default 0). */
  packetLossPercent?: number;
}

/** A mono Opus encoder. */
export class OpusEncoder {
  /** The input sample rate. */
  readonly rate: OpusRate;
  #ptr: Deno.PointerValue;
  readonly #out = new Uint8Array(4000);

  constructor(opts: OpusEncoderOptions = {}) {
    const rate = opts.rate ?? 16_000;
    checkRate(rate, "Cannot create an Opus encoder");
    this.rate = rate;
    const app = opts.application === "audio"
      ? CONSTANTS.OPUS_APPLICATION_AUDIO
      : CONSTANTS.OPUS_APPLICATION_VOIP;
    const err = new Int32Array(1);
    const opus = openOpus().symbols;
    this.#ptr = opus.opus_encoder_create(rate, 1, app, new Uint8Array(err.buffer));
    if (!this.#ptr || err[0] !== CONSTANTS.OPUS_OK) {
      throw new OpusError("Cannot create an Opus encoder", err[0]);
    }
    try {
      if (opts.bitrate !== undefined) this.#ctl(CONSTANTS.OPUS_SET_BITRATE_REQUEST, opts.bitrate);
      const loss = opts.packetLossPercent ?? 0;
      if (loss > 0) {
        this.#ctl(CONSTANTS.OPUS_SET_INBAND_FEC_REQUEST, 1);
        this.#ctl(CONSTANTS.OPUS_SET_PACKET_LOSS_PERC_REQUEST, loss);
      }
    } catch (err) {
      this.close();
      throw err;
    }
  }

  #ctl(request: number, value: number): void {
    if (!Number.isInteger(value)) {
      throw new RangeError(`Cannot set Opus encoder option ${request}: ${value} is not an integer`);
    }
    const r = openOpus().symbols.opus_encoder_ctl(this.#ptr, request, value);
    if (r !== CONSTANTS.OPUS_OK) {
      throw new OpusError(`Cannot set Opus encoder option ${request}`, r);
    }
  }

  /**
   * Encodes one frame of mono samples (2.5, 5, 10, 20, 40 or 60 ms at this encoder's rate) into
   * one packet.
   */
  encode(frame: Float32Array): Uint8Array {
    if (!this.#ptr) throw new Error("Cannot encode: the Opus encoder is closed");
    const ms = (frame.length * 1000) / this.rate;
    if (![2.5, 5, 10, 20, 40, 60].includes(ms)) {
      throw new RangeError(`Cannot encode ${frame.length} samples: ${ms} ms is not an Opus frame`);
    }
    const n = openOpus().symbols.opus_encode_float(
      this.#ptr,
      frame as Float32Array<ArrayBuffer>,
      frame.length,
      this.#out,
      this.#out.length,
    );
    if (n < 0) throw new OpusError("Cannot encode an Opus frame", n);
    return this.#out.slice(0, n);
  }

  /** Frees the native encoder; idempotent. */
  close(): void {
    if (!this.#ptr) return;
    openOpus().symbols.opus_encoder_destroy(this.#ptr);
    this.#ptr = null;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
