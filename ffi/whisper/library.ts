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
  /**
   * The most threads a decoder pass of one token runs on (the `decoder-threads` patch: 1 unless
   * `HUM_DECODER_THREADS` says otherwise); 0: every pass on the threads its decode asks for, as
   * in a library without the patch. A greedy decode's steps are such passes; a beam search's and
   * a prompt's are not (decision 025).
   */
  readonly singleTokenThreads: number;
  /**
   * Whether a decode may be forced to begin with given tokens (`DecodeOptions.prefix`; the
   * `prefix` patch, decision 026; off with `HUM_PREFIX=0`). Without it such a decode is an error,
   * and the engine's closing decodes decode their context again instead.
   */
  readonly forcesPrefix: boolean;
  /**
   * Whether every decode reads its no-speech probability at `<|startoftranscript|>`, as Whisper
   * does (the `no-speech-at-sot` patch; off with `HUM_NO_SPEECH_AT_SOT=0`). Otherwise a decode
   * with a prompt or without timestamps reads a row of the logits that its prompt's pass did not
   * keep (whisper.cpp 1.9.1), unless it has a prefix.
   */
  readonly noSpeechAtSot: boolean;
  /**
   * Whether a model loaded with flash attention can still give DTW token times (`dtwHeads`; the
   * `dtw-flash` patch). Without it whisper.cpp turns DTW off under flash attention, so such a
   * load is refused.
   */
  readonly alignsWithFlash: boolean;
}

/**
 * `HUM_DECODER_THREADS`: the threads of a one-token decoder pass, 1 when unset; `0` turns the
 * cap off. Anything else is an error naming the variable.
 */
export function singleTokenThreadsFromEnv(value: string | undefined): number {
  if (value === undefined || value === "") return 1;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 64) {
    throw new RangeError(
      `Cannot open libwhisper: HUM_DECODER_THREADS must be an integer 0–64, not "${value}"`,
    );
  }
  return n;
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
  const setDecoderThreads = lib.symbols.hum_whisper_set_decoder_threads;
  const singleTokenThreads = patchLevel >= 5 && setDecoderThreads !== null
    ? singleTokenThreadsFromEnv(Deno.env.get("HUM_DECODER_THREADS"))
    : 0;
  if (singleTokenThreads > 0) setDecoderThreads?.(singleTokenThreads);
  const forcesPrefix = patchLevel >= 6 && lib.symbols.hum_whisper_state_set_prefix !== null &&
    Deno.env.get("HUM_PREFIX") !== "0";
  const setNoSpeechAtSot = lib.symbols.hum_whisper_set_no_speech_at_sot;
  const noSpeechAtSot = patchLevel >= 7 && setNoSpeechAtSot !== null &&
    Deno.env.get("HUM_NO_SPEECH_AT_SOT") !== "0";
  if (noSpeechAtSot) setNoSpeechAtSot(true);
  const alignsWithFlash = patchLevel >= 8 && (lib.symbols.hum_whisper_dtw_with_flash?.() ?? false);
  return {
    alignsWithFlash,
    patchLevel,
    forcesPrefix,
    noSpeechAtSot,
    reseeds,
    masksPadding,
    singleTokenThreads,
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
