/**
 * Byte layout of the soxr.h struct the binding handles (libsoxr 0.1.x, x86-64 / aarch64 LP64).
 * `layout_test.ts` compiles `layout_probe.c` against the system `<soxr.h>` and checks it.
 *
 * The binding never fills this struct itself: `soxr_quality_spec()` — the library's own
 * constructor — returns it by value, and the bytes are passed back by pointer unchanged. The layout
 * matters because Deno must be told the struct's shape to receive it by value.
 *
 * @module
 */

import type { StructLayout } from "../native/layout.ts";

/**
 * `soxr_quality_spec_t`: `{ double precision, phase_response, passband_end, stopband_begin;
 * void *e; unsigned long flags; }` — 48 bytes.
 */
export const SOXR_QUALITY_SPEC = {
  size: 48,
  fields: {
    precision: [0, 8],
    phase_response: [8, 8],
    passband_end: [16, 8],
    stopband_begin: [24, 8],
    e: [32, 8],
    flags: [40, 8],
  },
} as const satisfies StructLayout;

/** Every layout, keyed by the C type name the probe prints. */
export const LAYOUTS = { soxr_quality_spec_t: SOXR_QUALITY_SPEC } as const satisfies Record<
  string,
  StructLayout
>;
