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
import { libraryCandidates, openFirst } from "../native/locate.ts";
import { OPUS_SYMBOLS } from "./symbols.ts";

/** The typed symbols of an opened libopus. */
export type OpusSymbols = Deno.DynamicLibrary<typeof OPUS_SYMBOLS>["symbols"];

/** An opened libopus. */
export interface OpusLibrary {
  readonly symbols: OpusSymbols;
  /** The path or soname that was opened. */
  readonly path: string;
  /** `opus_get_version_string()`, e.g. "libopus 1.3.1". */
  readonly version: string;
}

/** The environment variable naming a libopus to open instead of the system one. */
export const OPUS_LIB_ENV = "HUM_OPUS_LIB";

/** The names tried when `HUM_OPUS_LIB` is unset, for this platform. */
export function defaultOpusNames(os: typeof Deno.build.os = Deno.build.os): string[] {
  switch (os) {
    case "darwin":
      return ["libopus.0.dylib", "/opt/homebrew/lib/libopus.0.dylib"];
    case "windows":
      return ["opus.dll", "libopus-0.dll"];
    default:
      return ["libopus.so.0"];
  }
}

let opened: OpusLibrary | null = null;

/**
 * Opens libopus once per process and returns it; later calls return the same library. A failed
 * open is not cached. Throws an error listing every candidate tried and how to install one.
 */
export function openOpus(): OpusLibrary {
  if (opened) return opened;
  const { lib, path } = openFirst(
    libraryCandidates(OPUS_LIB_ENV, defaultOpusNames()),
    OPUS_SYMBOLS,
    { what: "libopus", envVar: OPUS_LIB_ENV, installHint: "apt-get install libopus0" },
  );
  const version = readCString(lib.symbols.opus_get_version_string()) ?? "unknown";
  opened = { symbols: lib.symbols, path, version };
  return opened;
}

/** libopus's message for an error code, e.g. "invalid argument". */
export function opusErrorText(code: number): string {
  return readCString(openOpus().symbols.opus_strerror(code)) ?? `error ${code}`;
}
