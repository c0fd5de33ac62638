/**
 * `whisper_full_params` built from typed options: whisper.cpp's own defaults are copied from
 * `whisper_full_default_params_by_ref`, then the requested fields are patched at the offsets that
 * `layout.ts` records (and `layout_test.ts` proves against the header).
 *
 * @module
 */

import { FULL_PARAMS } from "./layout.ts";
import type { WhisperSymbols } from "./library.ts";
import { addressOf, cString } from "../native/cstring.ts";

/** Decoding options for one `whisper_full_with_state` call. Units are in the names. */
export interface DecodeOptions {
  /** `greedy` or `beam` (beam search, accuracy default). */
  strategy?: "greedy" | "beam";
  /** Beam width for `beam`; default 5. */
  beamSize?: number;
  /** Candidates sampled at temperature > 0 in `greedy`; default 5. */
  bestOf?: number;
  /** CPU threads; default 4 capped by the cores available. */
  threads?: number;
  /**
   * The decode's nice value (1–19; Linux, a library built here; a value below the process's own is
   * refused by the kernel without privilege, and the decode keeps the process's): it runs on a
   * thread of its own at that lower CPU priority, so that decodes beside it take the cores
   * first. 0 (default): the caller's thread, as `whisper_full_with_state`.
   */
  nice?: number;
  /** ISO 639-1 code, or `auto` to detect; default `en`. */
  language?: string;
  /** Only detect the language, do not transcribe. */
  detectLanguage?: boolean;
  /** Translate to English. */
  translate?: boolean;
  /** Do not condition on text decoded earlier in the same call. */
  noContext?: boolean;
  /** Force the whole input into one segment. */
  singleSegment?: boolean;
  /** Decode without timestamp tokens. */
  noTimestamps?: boolean;
  /** Encoder window in frames (0 = the model's 1500); smaller is faster for short input. */
  audioCtx?: number;
  /** Text that conditions the decoder (Whisper's "previous text"). */
  initialPrompt?: string;
  /** Keep `initialPrompt` in front of every internal 30 s window. */
  carryInitialPrompt?: boolean;
  /**
   * Tokens the decode is forced to begin with, after the task tokens (OpenAI Whisper's `prefix`):
   * the text it continues, read in one pass and not in the result. At most `MAX_PREFIX_TOKENS`;
   * only with a library that `forcesPrefix` (decision 026). Not a field of `whisper_full_params`:
   * the state holds it for the call.
   */
  prefix?: Int32Array;
  /**
   * On a model loaded with `dtwHeads`: whether this decode runs DTW's alignment pass (default
   * true). False saves that pass when no word times are wanted; the tokens' `tDtwMs` are then -10.
   * Needs the `dtw-flash` patch (a library without it aligns every decode). Not a field of
   * `whisper_full_params`: the state holds it for the call.
   */
  dtw?: boolean;
  /** Prompt as token ids (prepended to any initial prompt). */
  promptTokens?: Int32Array;
  /** First decoding temperature; default 0. */
  temperature?: number;
  /** Temperature step for fallback decoding; 0 disables fallback. Default 0.2. */
  temperatureInc?: number;
  /** Fallback when the compression-like entropy is below this; default 2.4. */
  entropyThold?: number;
  /** Fallback when the average log probability is below this; default -1. */
  logprobThold?: number;
  /** A segment counts as silence above this no-speech probability (with a low logprob). */
  noSpeechThold?: number;
  /** Suppress a blank at the start of sampling; default true. */
  suppressBlank?: boolean;
  /** Suppress non-speech tokens (music notes, brackets); default false. */
  suppressNst?: boolean;
  /** Compute per-token timestamps (needed for word timings). */
  tokenTimestamps?: boolean;
  /** Maximum segment length in characters (0 = none). */
  maxLen?: number;
  /** Split segments on words rather than tokens (with `maxLen`). */
  splitOnWord?: boolean;
  /** Maximum tokens per segment (0 = none). */
  maxTokens?: number;
  /** Start offset into the samples, ms. */
  offsetMs?: number;
  /** Duration to process, ms (0 = all). */
  durationMs?: number;
  /** Maximum initial timestamp, s. */
  maxInitialTs?: number;
  /** Length penalty (-1 = none). */
  lengthPenalty?: number;
  /** Tokens of past text kept as the decoder prompt. */
  maxTextCtx?: number;
}

/** A built parameter block and the buffers its pointers refer to (keep both alive). */
export interface BuiltParams {
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly pinned: readonly BufferSource[];
}

const F = FULL_PARAMS.fields;
type FieldName = keyof typeof F;

/** Sampling strategies (`enum whisper_sampling_strategy`). */
export const STRATEGY = { greedy: 0, beam: 1 } as const;

function defaultThreads(): number {
  return Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1));
}

/** Builds the 304-byte `whisper_full_params` for `opts`. */
export function buildFullParams(sym: WhisperSymbols, opts: DecodeOptions = {}): BuiltParams {
  const strategy = opts.strategy ?? "beam";
  const ptr = sym.whisper_full_default_params_by_ref(STRATEGY[strategy]);
  if (ptr === null) throw new Error("Cannot build decode params: whisper returned no defaults");
  const bytes = new Uint8Array(
    new Deno.UnsafePointerView(ptr).getArrayBuffer(FULL_PARAMS.size).slice(0),
  );
  sym.whisper_free_params(ptr);
  const view = new DataView(bytes.buffer);
  const pinned: BufferSource[] = [];

  const i32 = (f: FieldName, v: number) => view.setInt32(F[f][0], v, true);
  const f32 = (f: FieldName, v: number) => view.setFloat32(F[f][0], v, true);
  const bool = (f: FieldName, v: boolean) => view.setUint8(F[f][0], v ? 1 : 0);
  const ptrTo = (f: FieldName, buf: BufferSource | null) => {
    if (buf) pinned.push(buf);
    view.setBigUint64(F[f][0], addressOf(buf), true);
  };
  const setInt = (f: FieldName, v: number | undefined, min: number, max: number) => {
    if (v === undefined) return;
    if (!Number.isInteger(v) || v < min || v > max) {
      throw new RangeError(
        `Cannot build decode params: ${f} must be an integer in ${min}..${max}, got ${v}`,
      );
    }
    i32(f, v);
  };

  setInt("n_threads", opts.threads ?? defaultThreads(), 1, 256);
  setInt("beam_search.beam_size", opts.beamSize ?? (strategy === "beam" ? 5 : undefined), 1, 16);
  // Candidates for temperature fallback; the beam defaults leave it at -1 (one candidate), whisper-cli uses 5.
  setInt("greedy.best_of", opts.bestOf ?? 5, 1, 16);
  setInt("audio_ctx", opts.audioCtx, 0, 1500);
  setInt("max_len", opts.maxLen, 0, 1 << 20);
  setInt("max_tokens", opts.maxTokens, 0, 1 << 20);
  setInt("offset_ms", opts.offsetMs, 0, 2 ** 31 - 1);
  setInt("duration_ms", opts.durationMs, 0, 2 ** 31 - 1);
  setInt("n_max_text_ctx", opts.maxTextCtx, 0, 1 << 16);

  // Never let whisper.cpp print from its worker threads.
  bool("print_progress", false);
  bool("print_realtime", false);
  bool("print_timestamps", false);
  bool("print_special", false);

  bool("translate", opts.translate ?? false);
  bool("no_context", opts.noContext ?? true);
  bool("single_segment", opts.singleSegment ?? false);
  bool("no_timestamps", opts.noTimestamps ?? false);
  bool("token_timestamps", opts.tokenTimestamps ?? false);
  bool("detect_language", opts.detectLanguage ?? false);
  bool("suppress_blank", opts.suppressBlank ?? true);
  bool("suppress_nst", opts.suppressNst ?? false);
  bool("split_on_word", opts.splitOnWord ?? false);
  bool("carry_initial_prompt", opts.carryInitialPrompt ?? false);
  // whisper_full_with_state ignores VAD; hum-helix drives VAD itself.
  bool("vad", false);

  for (
    const [f, v] of [
      ["temperature", opts.temperature],
      ["temperature_inc", opts.temperatureInc],
      ["entropy_thold", opts.entropyThold],
      ["logprob_thold", opts.logprobThold],
      ["no_speech_thold", opts.noSpeechThold],
      ["max_initial_ts", opts.maxInitialTs],
      ["length_penalty", opts.lengthPenalty],
    ] as const
  ) {
    if (v === undefined) continue;
    if (!Number.isFinite(v)) throw new RangeError(`Cannot build decode params: ${f} is ${v}`);
    f32(f, v);
  }

  const language = opts.language ?? "en";
  ptrTo("language", cString(language));
  if (opts.initialPrompt) ptrTo("initial_prompt", cString(opts.initialPrompt));
  if (opts.promptTokens && opts.promptTokens.length > 0) {
    ptrTo("prompt_tokens", opts.promptTokens as Int32Array<ArrayBuffer>);
    i32("prompt_n_tokens", opts.promptTokens.length);
  }
  return { bytes, pinned };
}
