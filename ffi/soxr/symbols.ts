/**
 * The libsoxr symbols and constants hum-helix uses, as data for `Deno.dlopen`. Every symbol carries
 * its C declaration; the constants are checked against `<soxr.h>` by `layout_test.ts`.
 *
 * `soxr_error_t` is `const char *`: NULL means success, anything else is the error text, owned by
 * the library. `soxr_oneshot` is `nonblocking` (a whole file's worth of samples); the streaming
 * calls are blocking because they handle small blocks and a `soxr_t` must not be touched from two
 * threads at once.
 *
 * @module
 */

import { SOXR_QUALITY_SPEC } from "./layout.ts";

/**
 * `soxr_quality_spec_t` returned by value: four doubles, a pointer and an unsigned long (see
 * `layout.ts`; 48 bytes, so the C ABI returns it through memory and Deno hands back its bytes).
 */
export const QUALITY_SPEC_T = {
  struct: ["f64", "f64", "f64", "f64", "pointer", "u64"],
} as const;

/** Size the struct type above must have (checked against the probe by `layout_test.ts`). */
export const QUALITY_SPEC_SIZE = SOXR_QUALITY_SPEC.size;

/** libsoxr's symbol table. */
export const SOXR_SYMBOLS = {
  /** const char * soxr_version(void) */
  soxr_version: { parameters: [], result: "pointer" },
  /** soxr_quality_spec_t soxr_quality_spec(unsigned long recipe, unsigned long flags) */
  soxr_quality_spec: { parameters: ["u64", "u64"], result: QUALITY_SPEC_T },
  /**
   * soxr_t soxr_create(double input_rate, double output_rate, unsigned num_channels,
   *   soxr_error_t *error, const soxr_io_spec_t *io, const soxr_quality_spec_t *quality,
   *   const soxr_runtime_spec_t *runtime)
   */
  soxr_create: {
    parameters: ["f64", "f64", "u32", "buffer", "pointer", "buffer", "pointer"],
    result: "pointer",
  },
  /**
   * soxr_error_t soxr_process(soxr_t resampler, soxr_in_t in, size_t ilen, size_t *idone,
   *   soxr_out_t out, size_t olen, size_t *odone) — `in` NULL: end of input, drain the filter
   */
  soxr_process: {
    parameters: ["pointer", "buffer", "usize", "buffer", "buffer", "usize", "buffer"],
    result: "pointer",
  },
  /** soxr_error_t soxr_error(soxr_t resampler) */
  soxr_error: { parameters: ["pointer"], result: "pointer" },
  /** double soxr_delay(soxr_t resampler) — output samples still held in the filter */
  soxr_delay: { parameters: ["pointer"], result: "f64" },
  /** const char * soxr_engine(soxr_t resampler) */
  soxr_engine: { parameters: ["pointer"], result: "pointer" },
  /** soxr_error_t soxr_clear(soxr_t resampler) — ready for a fresh signal, same configuration */
  soxr_clear: { parameters: ["pointer"], result: "pointer" },
  /** void soxr_delete(soxr_t resampler) */
  soxr_delete: { parameters: ["pointer"], result: "void" },
  /**
   * soxr_error_t soxr_oneshot(double input_rate, double output_rate, unsigned num_channels,
   *   soxr_in_t in, size_t ilen, size_t *idone, soxr_out_t out, size_t olen, size_t *odone,
   *   const soxr_io_spec_t *io, const soxr_quality_spec_t *quality,
   *   const soxr_runtime_spec_t *runtime)
   */
  soxr_oneshot: {
    parameters: [
      "f64",
      "f64",
      "u32",
      "buffer",
      "usize",
      "buffer",
      "buffer",
      "usize",
      "buffer",
      "pointer",
      "buffer",
      "pointer",
    ],
    result: "pointer",
    nonblocking: true,
  },
} as const satisfies Deno.ForeignLibraryInterface;

/** The quality recipes of `soxr_quality_spec` (`SOXR_QQ` … `SOXR_VHQ`). */
export const SOXR_RECIPE = {
  /** `SOXR_QQ`: cubic interpolation. */
  quick: 0,
  /** `SOXR_LQ`: 16-bit, large roll-off (what `soxr_oneshot` uses when given NULL). */
  low: 1,
  /** `SOXR_MQ`: 16-bit, medium roll-off. */
  medium: 2,
  /** `SOXR_HQ` = `SOXR_20_BITQ`: 20-bit precision (what `soxr_create` uses when given NULL). */
  high: 4,
  /** `SOXR_VHQ` = `SOXR_28_BITQ`: 28-bit precision. */
  "very-high": 6,
} as const;

/** `SOXR_FLOAT32_I`: interleaved 32-bit float, the default I/O type (io_spec NULL). */
export const SOXR_FLOAT32_I = 0;

/** Every constant, keyed as `layout_probe.c` prints them (for `layout_test.ts`). */
export const CONSTANTS: Record<string, number> = {
  SOXR_QQ: SOXR_RECIPE.quick,
  SOXR_LQ: SOXR_RECIPE.low,
  SOXR_MQ: SOXR_RECIPE.medium,
  SOXR_HQ: SOXR_RECIPE.high,
  SOXR_VHQ: SOXR_RECIPE["very-high"],
  SOXR_FLOAT32_I,
};
