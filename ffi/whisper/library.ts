/**
 * Locates, opens and version-checks libwhisper, once per process.
 *
 * Order: an explicit path, then `HUM_WHISPER_LIB` (a user's own `libwhisper.so`), then the build
 * cache (building it on first use from the pinned sources, or from `HUM_WHISPER_SRC`).
 *
 * @module
 */

import { ensureLogShim, ensureWhisperBuild, WHISPER_VERSION } from "./build.ts";
import { WhisperVersionError } from "./errors.ts";
import { LOG_SHIM_SYMBOLS, WHISPER_SYMBOLS } from "./symbols.ts";
import { readCString } from "../native/cstring.ts";

/** The typed symbols of an opened libwhisper. */
export type WhisperSymbols = Deno.DynamicLibrary<typeof WHISPER_SYMBOLS>["symbols"];

/** Levels of whisper.cpp's log, lowest first; `none` silences it. */
export type LogLevel = "debug" | "info" | "warn" | "error" | "none";
const LOG_LEVELS: Record<LogLevel, number> = { debug: 1, info: 2, warn: 3, error: 4, none: 99 };

/** An opened libwhisper. */
export interface WhisperLibrary {
  readonly symbols: WhisperSymbols;
  /** Absolute path of the opened library. */
  readonly path: string;
  /** `whisper_version()`, e.g. "1.9.1". */
  readonly version: string;
  /** `whisper_print_system_info()`: the CPU features and backends compiled in. */
  readonly systemInfo: string;
  /** Changes the lowest whisper.cpp log level printed to stderr. */
  setLogLevel(level: LogLevel): void;
  /** `hum_whisper_patch_level()`: 0 for a library without this project's patches (`patches.ts`). */
  readonly patchLevel: number;
  /**
   * Whether no decode depends on what its state decoded before (the `reseed` patch, turned on
   * unless `HUM_RESEED=0`): then a state that ran a beam search or sampled may be reused.
   * Otherwise such a state is freed after its decode (decisions 013, 014).
   */
  readonly reseeds: boolean;
  /**
   * Whether flash attention attends only the audio (the `mask-pad` patch, turned on unless
   * `HUM_MASK_PAD=0`): then a decode with flash attention does not depend on what its state
   * decoded before, and the server may load its models with it (decisions 007, 021).
   */
  readonly masksPadding: boolean;
}

/** Options for {@linkcode openWhisper}. */
export interface OpenOptions {
  /** A `libwhisper.so` to open instead of the located one. */
  path?: string;
  /** Lowest whisper.cpp log level printed; default `HUM_WHISPER_LOG` or `error`. */
  logLevel?: LogLevel;
}

let opened: Promise<WhisperLibrary> | null = null;

/** The `major.minor` part of a version string. */
export function majorMinor(version: string): string {
  return version.split(".").slice(0, 2).join(".");
}

async function locate(path?: string): Promise<string> {
  if (path) return path;
  const fromEnv = Deno.env.get("HUM_WHISPER_LIB");
  if (fromEnv) return fromEnv;
  return (await ensureWhisperBuild({ quiet: !Deno.stderr.isTerminal() })).library;
}

async function open(opts: OpenOptions): Promise<WhisperLibrary> {
  const path = await locate(opts.path);
  let lib: Deno.DynamicLibrary<typeof WHISPER_SYMBOLS>;
  try {
    lib = Deno.dlopen(path, WHISPER_SYMBOLS);
  } catch (err) {
    throw new Error(
      `Cannot open libwhisper: ${path}: ${(err as Error).message} ` +
        `(set HUM_WHISPER_LIB to a libwhisper.so ${WHISPER_VERSION}, or unset it to build one)`,
    );
  }
  const version = readCString(lib.symbols.whisper_version()) ?? "unknown";
  if (majorMinor(version) !== majorMinor(WHISPER_VERSION)) {
    lib.close();
    throw new WhisperVersionError(path, version, majorMinor(WHISPER_VERSION));
  }
  const shim = Deno.dlopen(await ensureLogShim(), LOG_SHIM_SYMBOLS);
  lib.symbols.whisper_log_set(shim.symbols.hum_log_callback_ptr(), null);
  const setLogLevel = (level: LogLevel) => {
    const n = LOG_LEVELS[level];
    if (n === undefined) {
      throw new RangeError(`Cannot set whisper log level: "${level}" is unknown`);
    }
    shim.symbols.hum_log_set_min_level(n);
  };
  setLogLevel(opts.logLevel ?? (Deno.env.get("HUM_WHISPER_LOG") as LogLevel) ?? "error");
  const patchLevel = lib.symbols.hum_whisper_patch_level?.() ?? 0;
  const setReseed = lib.symbols.hum_whisper_set_reseed;
  const reseeds = patchLevel >= 2 && setReseed !== null && Deno.env.get("HUM_RESEED") !== "0";
  if (reseeds) setReseed(true);
  const setMaskPad = lib.symbols.hum_whisper_set_mask_pad;
  const masksPadding = patchLevel >= 4 && setMaskPad !== null &&
    Deno.env.get("HUM_MASK_PAD") !== "0";
  if (masksPadding) setMaskPad(true);
  return {
    patchLevel,
    reseeds,
    masksPadding,
    symbols: lib.symbols,
    path,
    version,
    systemInfo: (readCString(lib.symbols.whisper_print_system_info()) ?? "").trim(),
    setLogLevel,
  };
}

/**
 * Opens libwhisper once per process and returns it; later calls return the same library (their
 * options are ignored). A failed open is not cached, so a later call can try again.
 */
export function openWhisper(opts: OpenOptions = {}): Promise<WhisperLibrary> {
  if (!opened) {
    opened = open(opts);
    opened.catch(() => (opened = null));
  }
  return opened;
}
