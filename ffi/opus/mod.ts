/**
 * libopus through Deno FFI: decode WebRTC / data-channel Opus packets to 16 kHz PCM (with loss
 * concealment and FEC), and encode packets for the CLI client.
 *
 * @module
 */

export {
  MAX_PACKET_MS,
  OPUS_RATES,
  OpusDecoder,
  OpusEncoder,
  OpusError,
  opusPacketSamples,
} from "./codec.ts";
export type { OpusEncoderOptions, OpusRate } from "./codec.ts";
export { openOpus, OPUS_LIB_ENV } from "./library.ts";
