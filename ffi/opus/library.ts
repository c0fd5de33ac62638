/**
 * Locates and opens libopus, once per process.
 *
 * Order: `HUM_OPUS_LIB` (a path to a `libopus.so`; when set it is the only candidate), then the
 * platform's soname, found by the dynamic loader: `libopus.so.0` on Linux, `libopus.0.dylib` on
 * macOS, `opus.dll` on Windows.
 *
 * @module
 */

import { readCString } from "../native/cstring.ts";
import { type SystemLibrary, systemLibrary } from "../native/locate.ts";
import { OPUS_SYMBOLS } from "./symbols.ts";

/** The typed symbols of an opened libopus. */
export type OpusSymbols = Deno.DynamicLibrary<typeof OPUS_SYMBOLS>["symbols"];

/** An opened libopus; its `version` is `opus_get_version_string()`, e.g. "libopus 1.3.1". */
export type OpusLibrary = SystemLibrary<typeof OPUS_SYMBOLS>;

/** The environment variable naming a libopus to open instead of the system one. */
export const OPUS_LIB_ENV = "HUM_OPUS_LIB";

const loader = systemLibrary({
  what: "libopus",
  envVar: OPUS_LIB_ENV,
  installHint: "apt-get install libopus0",
  names: {
    linux: ["libopus.so.0"],
    darwin: ["libopus.0.dylib", "/opt/homebrew/lib/libopus.0.dylib"],
    windows: ["opus.dll", "libopus-0.dll"],
  },
  symbols: OPUS_SYMBOLS,
  version: (s) => s.opus_get_version_string(),
});

/** The names tried when `HUM_OPUS_LIB` is unset, for this platform. */
export const defaultOpusNames: (os?: typeof Deno.build.os) => string[] = loader.defaultNames;

/**
 * Opens libopus once per process and returns it; later calls return the same library. A failed
 * open is not cached. Throws an error listing every candidate tried and how to install one.
 */
export const openOpus: () => OpusLibrary = loader.open;

/** libopus's message for an error code, e.g. "invalid argument". */
export function opusErrorText(code: number): string {
  return readCString(openOpus().symbols.opus_strerror(code)) ?? `error ${code}`;
}
