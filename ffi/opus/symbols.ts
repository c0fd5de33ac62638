/**
 * The libopus symbols and constants hum-helix uses, as data for `Deno.dlopen`. Every symbol carries
 * its C declaration; the constants are checked against `<opus/opus.h>` by `layout_test.ts`.
 *
 * Encoders and decoders are opaque pointers: the binding never reads their memory. The calls are
 * blocking: one 20 ms packet decodes in microseconds, far less than a worker-thread hop costs.
 *
 * `opus_encoder_ctl` is variadic in C. Deno cannot declare a variadic function, so it is declared
 * with one `opus_int32` argument, the shape of every setter used here. On x86-64 System V and
 * Linux aarch64 a variadic integer argument travels exactly like a fixed one.
 *
 * @module
 */

/** Values from `<opus/opus_defines.h>` (checked by `layout_test.ts`). */
export const CONSTANTS = {
  OPUS_OK: 0,
  OPUS_BAD_ARG: -1,
  OPUS_BUFFER_TOO_SMALL: -2,
  OPUS_INVALID_PACKET: -4,
  OPUS_APPLICATION_VOIP: 2048,
  OPUS_APPLICATION_AUDIO: 2049,
  OPUS_SET_BITRATE_REQUEST: 4002,
  OPUS_SET_INBAND_FEC_REQUEST: 4012,
  OPUS_SET_PACKET_LOSS_PERC_REQUEST: 4014,
} as const;

/** libopus's symbol table. */
export const OPUS_SYMBOLS = {
  /** const char *opus_get_version_string(void) */
  opus_get_version_string: { parameters: [], result: "pointer" },
  /** const char *opus_strerror(int error) */
  opus_strerror: { parameters: ["i32"], result: "pointer" },
  /** OpusDecoder *opus_decoder_create(opus_int32 Fs, int channels, int *error) */
  opus_decoder_create: { parameters: ["i32", "i32", "buffer"], result: "pointer" },
  /**
   * int opus_decode_float(OpusDecoder *st, const unsigned char *data, opus_int32 len, float *pcm,
   *   int frame_size, int decode_fec) — `data` NULL: conceal a lost packet
   */
  opus_decode_float: {
    parameters: ["pointer", "buffer", "i32", "buffer", "i32", "i32"],
    result: "i32",
  },
  /** void opus_decoder_destroy(OpusDecoder *st) */
  opus_decoder_destroy: { parameters: ["pointer"], result: "void" },
  /** int opus_packet_get_nb_samples(const unsigned char packet[], opus_int32 len, opus_int32 Fs) */
  opus_packet_get_nb_samples: { parameters: ["buffer", "i32", "i32"], result: "i32" },
  /** OpusEncoder *opus_encoder_create(opus_int32 Fs, int channels, int application, int *error) */
  opus_encoder_create: { parameters: ["i32", "i32", "i32", "buffer"], result: "pointer" },
  /**
   * opus_int32 opus_encode_float(OpusEncoder *st, const float *pcm, int frame_size,
   *   unsigned char *data, opus_int32 max_data_bytes)
   */
  opus_encode_float: {
    parameters: ["pointer", "buffer", "i32", "buffer", "i32"],
    result: "i32",
  },
  /** int opus_encoder_ctl(OpusEncoder *st, int request, ...) — declared with one opus_int32 */
  opus_encoder_ctl: { parameters: ["pointer", "i32", "i32"], result: "i32" },
  /** void opus_encoder_destroy(OpusEncoder *st) */
  opus_encoder_destroy: { parameters: ["pointer"], result: "void" },
} as const satisfies Deno.ForeignLibraryInterface;
