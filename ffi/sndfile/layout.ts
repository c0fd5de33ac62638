/**
 * Byte offsets of the sndfile.h structs the binding reads or writes (x86-64 / aarch64 LP64).
 * `layout_test.ts` compiles `layout_probe.c` against the system `<sndfile.h>` and checks every
 * entry here, offset and size, so none of these numbers is taken on trust.
 *
 * @module
 */

import type { StructLayout } from "../native/layout.ts";

/**
 * `SF_INFO`: `{ sf_count_t frames; int samplerate; int channels; int format; int sections;
 * int seekable; }` — `sf_count_t` is `int64_t`, so 8 + 5 × 4 = 28 bytes, padded to 32.
 */
export const SF_INFO = {
  size: 32,
  fields: {
    frames: [0, 8],
    samplerate: [8, 4],
    channels: [12, 4],
    format: [16, 4],
    sections: [20, 4],
    seekable: [24, 4],
  },
} as const satisfies StructLayout;

/** `SF_FORMAT_INFO`: `{ int format; const char *name; const char *extension; }`. */
export const SF_FORMAT_INFO = {
  size: 24,
  fields: {
    format: [0, 4],
    name: [8, 8],
    extension: [16, 8],
  },
} as const satisfies StructLayout;

/** Every layout, keyed by the C type name the probe prints. */
export const LAYOUTS = { SF_INFO, SF_FORMAT_INFO } as const satisfies Record<string, StructLayout>;
