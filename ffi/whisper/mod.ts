/**
 * Typed Deno FFI binding over whisper.cpp's libwhisper: models, per-stream states, decoding,
 * Silero VAD. Only this folder touches libwhisper pointers.
 *
 * @module
 */

export { openWhisper } from "./library.ts";
export type { LogLevel, OpenOptions, WhisperLibrary, WhisperSymbols } from "./library.ts";
export { DTW_HEADS, dtwHeadsFor, WhisperModel, WhisperState } from "./context.ts";
export type {
  DecodedSegment,
  DecodedToken,
  DecodeResult,
  DtwHeads,
  ModelInfo,
  ModelOptions,
} from "./context.ts";
export type { DecodeOptions } from "./params.ts";
export { MAX_PREFIX_TOKENS } from "./patches.ts";
export { VadModel } from "./vad.ts";
export type { SpeechSpan, VadOptions } from "./vad.ts";
export { WhisperError, WhisperVersionError } from "./errors.ts";
export { WHISPER_VERSION } from "./build.ts";
