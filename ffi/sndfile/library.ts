/**
 * Locates and opens libsndfile, once per process.
 *
 * Order: `HUM_SNDFILE_LIB` (a path to a `libsndfile.so`; when set it is the only candidate, so a
 * mistyped path fails loudly instead of silently loading another copy), then the platform's
 * soname, found by the dynamic loader: `libsndfile.so.1` on Linux, `libsndfile.1.dylib` on macOS,
 * `sndfile.dll` on Windows.
 *
 * @module
 */

import { readCString } from "../native/cstring.ts";
import { libraryCandidates, openFirst } from "../native/locate.ts";
import { SNDFILE_SYMBOLS } from "./symbols.ts";

/** The typed symbols of an opened libsndfile. */
export type SndfileSymbols = Deno.DynamicLibrary<typeof SNDFILE_SYMBOLS>["symbols"];

/** An opened libsndfile. */
export interface SndfileLibrary {
  readonly symbols: SndfileSymbols;
  /** The path or soname that was opened. */
  readonly path: string;
  /** `sf_version_string()`, e.g. "libsndfile-1.2.0". */
  readonly version: string;
}

/** The environment variable naming a libsndfile to open instead of the system one. */
export const SNDFILE_LIB_ENV = "HUM_SNDFILE_LIB";

/** The names tried when `HUM_SNDFILE_LIB` is unset, for this platform. */
export function defaultSndfileNames(os: typeof Deno.build.os = Deno.build.os): string[] {
  switch (os) {
    case "darwin":
      return ["libsndfile.1.dylib", "/opt/homebrew/lib/libsndfile.1.dylib"];
    case "windows":
      return ["sndfile.dll", "libsndfile-1.dll"];
    default:
      return ["libsndfile.so.1"];
  }
}

/** The candidates in the order they are tried: `HUM_SNDFILE_LIB` alone when set, else the defaults. */
export function sndfileCandidates(): string[] {
  return libraryCandidates(SNDFILE_LIB_ENV, defaultSndfileNames());
}

let opened: SndfileLibrary | null = null;

/**
 * Opens libsndfile once per process and returns it; later calls return the same library. A failed
 * open is not cached. Throws an error listing every candidate tried and how to install one.
 */
export function openSndfile(): SndfileLibrary {
  if (opened) return opened;
  const { lib, path } = openFirst(sndfileCandidates(), SNDFILE_SYMBOLS, {
    what: "libsndfile",
    envVar: SNDFILE_LIB_ENV,
    installHint: "apt-get install libsndfile1",
  });
  const version = readCString(lib.symbols.sf_version_string()) ?? "unknown";
  opened = { symbols: lib.symbols, path, version };
  return opened;
}
