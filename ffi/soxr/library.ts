/**
 * Locates and opens libsoxr, once per process.
 *
 * Order: `HUM_SOXR_LIB` (a path to a `libsoxr.so`; when set it is the only candidate), then the
 * platform's soname, found by the dynamic loader: `libsoxr.so.0` on Linux, `libsoxr.0.dylib` on
 * macOS, `soxr.dll` on Windows.
 *
 * @module
 */

import { readCString } from "../native/cstring.ts";
import { libraryCandidates, openFirst } from "../native/locate.ts";
import { SOXR_SYMBOLS } from "./symbols.ts";

/** The typed symbols of an opened libsoxr. */
export type SoxrSymbols = Deno.DynamicLibrary<typeof SOXR_SYMBOLS>["symbols"];

/** An opened libsoxr. */
export interface SoxrLibrary {
  readonly symbols: SoxrSymbols;
  /** The path or soname that was opened. */
  readonly path: string;
  /** `soxr_version()`, e.g. "libsoxr-0.1.3". */
  readonly version: string;
}

/** The environment variable naming a libsoxr to open instead of the system one. */
export const SOXR_LIB_ENV = "HUM_SOXR_LIB";

/** The names tried when `HUM_SOXR_LIB` is unset, for this platform. */
export function defaultSoxrNames(os: typeof Deno.build.os = Deno.build.os): string[] {
  switch (os) {
    case "darwin":
      return ["libsoxr.0.dylib", "/opt/homebrew/lib/libsoxr.0.dylib"];
    case "windows":
      return ["soxr.dll", "libsoxr.dll"];
    default:
      return ["libsoxr.so.0"];
  }
}

/** The candidates in the order they are tried: `HUM_SOXR_LIB` alone when set, else the defaults. */
export function soxrCandidates(): string[] {
  return libraryCandidates(SOXR_LIB_ENV, defaultSoxrNames());
}

let opened: SoxrLibrary | null = null;

/**
 * Opens libsoxr once per process and returns it; later calls return the same library. A failed
 * open is not cached. Throws an error listing every candidate tried and how to install one.
 */
export function openSoxr(): SoxrLibrary {
  if (opened) return opened;
  const { lib, path } = openFirst(soxrCandidates(), SOXR_SYMBOLS, {
    what: "libsoxr",
    envVar: SOXR_LIB_ENV,
    installHint: "apt-get install libsoxr0",
  });
  const version = readCString(lib.symbols.soxr_version()) ?? "unknown";
  opened = { symbols: lib.symbols, path, version };
  return opened;
}
