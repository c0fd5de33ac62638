/**
 * The libsndfile symbols and constants hum-helix uses, as data for `Deno.dlopen`. Every symbol
 * carries its C declaration; every constant is checked against `<sndfile.h>` by `layout_test.ts`.
 *
 * `sf_open` and `sf_readf_float` are `nonblocking`: opening an MP3 can scan the whole stream and
 * decoding a long FLAC takes a while, so both run on Deno's blocking pool and the event loop stays
 * free. A handle must never be used by two calls at once; {@linkcode SoundFile} serialises them.
 *
 * @module
 */

/** libsndfile's symbol table. */
export const SNDFILE_SYMBOLS = {
  /** const char * sf_version_string(void) */
  sf_version_string: { parameters: [], result: "pointer" },
  /** SNDFILE * sf_open(const char *path, int mode, SF_INFO *sfinfo) */
  sf_open: { parameters: ["buffer", "i32", "buffer"], result: "pointer", nonblocking: true },
  /** SNDFILE * sf_open(const char *path, int mode, SF_INFO *sfinfo) — blocking, for writing */
  sf_open_sync: { name: "sf_open", parameters: ["buffer", "i32", "buffer"], result: "pointer" },
  /** int sf_close(SNDFILE *sndfile) */
  sf_close: { parameters: ["pointer"], result: "i32" },
  /** int sf_error(SNDFILE *sndfile) */
  sf_error: { parameters: ["pointer"], result: "i32" },
  /** const char * sf_strerror(SNDFILE *sndfile) — with NULL: the last sf_open failure */
  sf_strerror: { parameters: ["pointer"], result: "pointer" },
  /** const char * sf_error_number(int errnum) */
  sf_error_number: { parameters: ["i32"], result: "pointer" },
  /** int sf_command(SNDFILE *sndfile, int command, void *data, int datasize) */
  sf_command: { parameters: ["pointer", "i32", "buffer", "i32"], result: "i32" },
  /** int sf_format_check(const SF_INFO *info) */
  sf_format_check: { parameters: ["buffer"], result: "i32" },
  /** sf_count_t sf_readf_float(SNDFILE *sndfile, float *ptr, sf_count_t frames) */
  sf_readf_float: { parameters: ["pointer", "buffer", "i64"], result: "i64", nonblocking: true },
  /** sf_count_t sf_writef_float(SNDFILE *sndfile, const float *ptr, sf_count_t frames) */
  sf_writef_float: { parameters: ["pointer", "buffer", "i64"], result: "i64" },
} as const satisfies Deno.ForeignLibraryInterface;

/** Open modes (`SFM_*`). */
export const SFM = { READ: 0x10, WRITE: 0x20 } as const;

/** `SF_TRUE` / `SF_FALSE`. */
export const SF_TRUE = 1;
/** `SF_FALSE`. */
export const SF_FALSE = 0;

/** The `sf_command` commands the binding sends (`SFC_*`). */
export const SFC = {
  GET_LOG_INFO: 0x1001,
  SET_NORM_FLOAT: 0x1013,
  SET_SCALE_FLOAT_INT_READ: 0x1014,
  GET_FORMAT_INFO: 0x1028,
} as const;

/** Major formats (containers), sub-formats (encodings) and masks (`SF_FORMAT_*`). */
export const SF_FORMAT = {
  WAV: 0x010000,
  AIFF: 0x020000,
  AU: 0x030000,
  RAW: 0x040000,
  W64: 0x0B0000,
  WAVEX: 0x130000,
  FLAC: 0x170000,
  CAF: 0x180000,
  OGG: 0x200000,
  RF64: 0x220000,
  MPEG: 0x230000,

  PCM_S8: 0x0001,
  PCM_16: 0x0002,
  PCM_24: 0x0003,
  PCM_32: 0x0004,
  PCM_U8: 0x0005,
  FLOAT: 0x0006,
  DOUBLE: 0x0007,
  VORBIS: 0x0060,
  OPUS: 0x0064,
  MPEG_LAYER_III: 0x0082,

  SUBMASK: 0x0000FFFF,
  TYPEMASK: 0x0FFF0000,
  ENDMASK: 0x30000000,
} as const;

/** `SF_ERR_*`: the public error numbers `sf_error` returns. */
export const SF_ERR = {
  NO_ERROR: 0,
  UNRECOGNISED_FORMAT: 1,
  SYSTEM: 2,
  MALFORMED_FILE: 3,
  UNSUPPORTED_ENCODING: 4,
} as const;

/** Every constant group, keyed as `layout_probe.c` prints them (for `layout_test.ts`). */
export const CONSTANTS: Record<string, number> = {
  ...prefixed("SFM_", SFM),
  SF_TRUE,
  SF_FALSE,
  ...prefixed("SFC_", SFC),
  ...prefixed("SF_FORMAT_", SF_FORMAT),
  ...prefixed("SF_ERR_", SF_ERR),
};

function prefixed(prefix: string, group: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(group).map(([k, v]) => [prefix + k, v]));
}
