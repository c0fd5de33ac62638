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
import { type SystemLibrary, systemLibrary } from "../native/locate.ts";
import { tidyReason } from "./errors.ts";
import { SNDFILE_SYMBOLS } from "./symbols.ts";

/** The typed symbols of an opened libsndfile. */
export type SndfileSymbols = Deno.DynamicLibrary<typeof SNDFILE_SYMBOLS>["symbols"];

/** An opened libsndfile; its `version` is `sf_version_string()`, e.g. "libsndfile-1.2.0". */
export type SndfileLibrary = SystemLibrary<typeof SNDFILE_SYMBOLS>;

/** The environment variable naming a libsndfile to open instead of the system one. */
export const SNDFILE_LIB_ENV = "HUM_SNDFILE_LIB";

const loader = systemLibrary({
  what: "libsndfile",
  envVar: SNDFILE_LIB_ENV,
  installHint: "apt-get install libsndfile1",
  names: {
    linux: ["libsndfile.so.1"],
    darwin: ["libsndfile.1.dylib", "/opt/homebrew/lib/libsndfile.1.dylib"],
    windows: ["sndfile.dll", "libsndfile-1.dll"],
  },
  symbols: SNDFILE_SYMBOLS,
  version: (s) => s.sf_version_string(),
});

/** The names tried when `HUM_SNDFILE_LIB` is unset, for this platform. */
export const defaultSndfileNames: (os?: typeof Deno.build.os) => string[] = loader.defaultNames;

/** The candidates in the order they are tried: `HUM_SNDFILE_LIB` alone when set, else the defaults. */
export const sndfileCandidates: () => string[] = loader.candidates;

/**
 * Opens libsndfile once per process and returns it; later calls return the same library. A failed
 * open is not cached. Throws an error listing every candidate tried and how to install one.
 */
export const openSndfile: () => SndfileLibrary = loader.open;

/** `SFE_SYSTEM`: the C library's error; its text is only in libsndfile's process-wide global. */
const SFE_SYSTEM = 2;

/**
 * Why the `sf_open` that just failed failed: its error number, read once from libsndfile's
 * process-wide global, and the text for that number (`sf_error_number`, a fixed table), so that
 * another thread's open between the two reads cannot swap the text ("No Error" for a failure). A
 * system error's text ("No such file or directory") exists only in the global and is read from it.
 */
export function openFailure(symbols: SndfileSymbols): { code: number; reason: string } {
  const code = symbols.sf_error(null);
  const text = code === SFE_SYSTEM
    ? readCString(symbols.sf_strerror(null))
    : readCString(symbols.sf_error_number(code));
  return { code, reason: tidyReason(text ?? `error ${code}`) };
}
