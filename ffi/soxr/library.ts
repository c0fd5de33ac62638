/**
 * Locates and opens libsoxr, once per process.
 *
 * Order: `HUM_SOXR_LIB` (a path to a `libsoxr.so`; when set it is the only candidate), then the
 * platform's soname, found by the dynamic loader: `libsoxr.so.0` on Linux, `libsoxr.0.dylib` on
 * macOS, `soxr.dll` on Windows.
 *
 * @module
 */

import { type SystemLibrary, systemLibrary } from "../native/locate.ts";
import { SOXR_SYMBOLS } from "./symbols.ts";

/** The typed symbols of an opened libsoxr. */
export type SoxrSymbols = Deno.DynamicLibrary<typeof SOXR_SYMBOLS>["symbols"];

/** An opened libsoxr; its `version` is `soxr_version()`, e.g. "libsoxr-0.1.3". */
export type SoxrLibrary = SystemLibrary<typeof SOXR_SYMBOLS>;

/** The environment variable naming a libsoxr to open instead of the system one. */
export const SOXR_LIB_ENV = "HUM_SOXR_LIB";

const loader = systemLibrary({
  what: "libsoxr",
  envVar: SOXR_LIB_ENV,
  installHint: "apt-get install libsoxr0",
  names: {
    linux: ["libsoxr.so.0"],
    darwin: ["libsoxr.0.dylib", "/opt/homebrew/lib/libsoxr.0.dylib"],
    windows: ["soxr.dll", "libsoxr.dll"],
  },
  symbols: SOXR_SYMBOLS,
  version: (s) => s.soxr_version(),
});

/** The names tried when `HUM_SOXR_LIB` is unset, for this platform. */
export const defaultSoxrNames: (os?: typeof Deno.build.os) => string[] = loader.defaultNames;

/** The candidates in the order they are tried: `HUM_SOXR_LIB` alone when set, else the defaults. */
export const soxrCandidates: () => string[] = loader.candidates;

/**
 * Opens libsoxr once per process and returns it; later calls return the same library. A failed
 * open is not cached. Throws an error listing every candidate tried and how to install one.
 */
export const openSoxr: () => SoxrLibrary = loader.open;
