/**
 * A loaded Whisper model (one `whisper_context`, shared) and its decoding states (one
 * `whisper_state` per stream). Both own native memory and free it deterministically through
 * `close()` / `using`.
 *
 * @module
 */

import { cString, readCBytes, readCString, utf8 } from "../native/cstring.ts";
import { CONTEXT_PARAMS, TOKEN_DATA } from "./layout.ts";
import { openWhisper, type WhisperLibrary, type WhisperSymbols } from "./library.ts";
import { WhisperError } from "./errors.ts";
import { buildFullParams, type DecodeOptions } from "./params.ts";
import { MAX_PREFIX_TOKENS } from "./patches.ts";

/** Options for loading a model. */
export interface ModelOptions {
  /** Use the GPU backend when the library has one; default true. */
  useGpu?: boolean;
  /** Flash attention; default true (whisper.cpp's default since 1.8). */
  flashAttn?: boolean;
  /** GPU index; default 0. */
  gpuDevice?: number;
  /**
   * Token times from cross-attention alignment (DTW) with the model's alignment heads, e.g.
   * `tiny.en`; needs `flashAttn: false` unless the library `alignsWithFlash` (whisper.cpp 1.9.1
   * turns DTW off under flash attention).
   */
  dtwHeads?: DtwHeads;
}

/** Alignment-head presets (`enum whisper_alignment_heads_preset`) by model name. */
export const DTW_HEADS = {
  "tiny.en": 3,
  tiny: 4,
  "base.en": 5,
  base: 6,
  "small.en": 7,
  small: 8,
  "medium.en": 9,
  medium: 10,
  "large-v1": 11,
  "large-v2": 12,
  "large-v3": 13,
  "large-v3-turbo": 14,
} as const;
/** A model name with alignment heads known to whisper.cpp. */
export type DtwHeads = keyof typeof DTW_HEADS;

/**
 * The alignment-head preset for a ggml model file named the usual way (`ggml-tiny.en-q5_1.bin`
 * → `tiny.en`), or null when the name says nothing known.
 */
export function dtwHeadsFor(path: string): DtwHeads | null {
  const m = path.match(
    /ggml-(tiny|base|small|medium|large-v1|large-v2|large-v3-turbo|large-v3)(\.en)?[-.]/,
  );
  if (!m) return null;
  const name = m[1] + (m[2] ?? "");
  return name in DTW_HEADS ? name as DtwHeads : null;
}

/** One decoded token. Times are in ms from the start of the samples passed in. */
export interface DecodedToken {
  id: number;
  text: string;
  /** Raw bytes of the token text (a token can hold part of a UTF-8 character). */
  bytes: Uint8Array;
  p: number;
  plog: number;
  t0Ms: number;
  t1Ms: number;
  /** Time from DTW alignment, ms (-10 when the model was loaded without `dtwHeads`). */
  tDtwMs: number;
  /**
   * The decoder's best guess of a timestamp at this token, ms from the window start (from the
   * most likely timestamp token, `tid`), or -1 when it is not confident (`pt` or `ptsum` ≤ 0.01,
   * whisper.cpp's own thresholds). Word times for input without samples (mel) come from these.
   */
  hintMs: number;
  /** A control token (<|endoftext|>, timestamps, language, ...). */
  special: boolean;
}

/** One decoded segment. */
export interface DecodedSegment {
  t0Ms: number;
  t1Ms: number;
  text: string;
  noSpeechProb: number;
  tokens: DecodedToken[];
}

/** What one `whisper_full_with_state` call returned. */
export interface DecodeResult {
  segments: DecodedSegment[];
  /** Language the model used (detected when `language: "auto"`). */
  language: string;
}

/** Facts about a loaded model. */
export interface ModelInfo {
  type: string;
  multilingual: boolean;
  nMels: number;
  nAudioCtx: number;
  nTextCtx: number;
  nVocab: number;
  /** Id of the first timestamp token, `<|0.00|>` (each next id is 20 ms later). */
  tokenBeg: number;
}

function fileCheck(path: string): void {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new WhisperError("whisper_init", `Cannot load model: ${path} does not exist`);
    }
    throw new WhisperError("whisper_init", `Cannot load model: ${path}: ${(err as Error).message}`);
  }
  if (!info.isFile) {
    throw new WhisperError("whisper_init", `Cannot load model: ${path} is not a file`);
  }
  const head = new Uint8Array(4);
  const f = Deno.openSync(path);
  try {
    f.readSync(head);
  } finally {
    f.close();
  }
  // ggml model files start with the magic 0x67676d6c ("ggml" as a little-endian u32: "lmgg").
  const magic = new DataView(head.buffer).getUint32(0, true);
  if (magic !== 0x67676d6c) {
    throw new WhisperError(
      "whisper_init",
      `Cannot load model: ${path} is not a whisper.cpp ggml model (bad magic 0x${
        magic.toString(16).padStart(8, "0")
      })`,
    );
  }
}

/** A loaded model: weights shared by any number of {@linkcode WhisperState}s. */
export class WhisperModel implements Disposable {
  readonly path: string;
  readonly info: ModelInfo;
  readonly library: WhisperLibrary;
  /** Whether decodes can give DTW token times (the model was loaded with `dtwHeads`). */
  readonly aligns: boolean;
  #ctx: Deno.PointerValue;
  #states = new Set<WhisperState>();
  #closing = false;

  private constructor(
    lib: WhisperLibrary,
    path: string,
    ctx: Deno.PointerObject,
    aligns: boolean,
  ) {
    this.library = lib;
    this.path = path;
    this.aligns = aligns;
    this.#ctx = ctx;
    const s = lib.symbols;
    this.info = {
      type: readCString(s.whisper_model_type_readable(ctx)) ?? "unknown",
      multilingual: s.whisper_is_multilingual(ctx) !== 0,
      nMels: s.whisper_model_n_mels(ctx),
      nAudioCtx: s.whisper_n_audio_ctx(ctx),
      nTextCtx: s.whisper_n_text_ctx(ctx),
      nVocab: s.whisper_n_vocab(ctx),
      tokenBeg: s.whisper_token_beg(ctx),
    };
  }

  /** Loads a ggml model file (off the event loop). */
  static async load(path: string, opts: ModelOptions = {}): Promise<WhisperModel> {
    fileCheck(path);
    const lib = await openWhisper();
    const s = lib.symbols;
    const defaults = s.whisper_context_default_params_by_ref();
    if (defaults === null) throw new WhisperError("whisper_init", "Cannot load model: no defaults");
    const params = new Uint8Array(
      new Deno.UnsafePointerView(defaults).getArrayBuffer(CONTEXT_PARAMS.size).slice(0),
    );
    s.whisper_free_context_params(defaults);
    const v = new DataView(params.buffer);
    const f = CONTEXT_PARAMS.fields;
    if (opts.useGpu !== undefined) v.setUint8(f.use_gpu[0], opts.useGpu ? 1 : 0);
    if (opts.flashAttn !== undefined) v.setUint8(f.flash_attn[0], opts.flashAttn ? 1 : 0);
    if (opts.gpuDevice !== undefined) v.setInt32(f.gpu_device[0], opts.gpuDevice, true);
    if (opts.dtwHeads !== undefined) {
      const preset = DTW_HEADS[opts.dtwHeads];
      if (preset === undefined) {
        throw new RangeError(`Cannot load model: no DTW heads for "${opts.dtwHeads}"`);
      }
      if (opts.flashAttn !== false && !lib.alignsWithFlash) {
        throw new RangeError(
          "Cannot load model: DTW token times need flashAttn: false with this libwhisper " +
            "(it has no dtw-flash patch)",
        );
      }
      v.setUint8(f.dtw_token_timestamps[0], 1);
      v.setInt32(f.dtw_aheads_preset[0], preset, true);
    }
    const cpath = cString(path);
    const ctx = await s.whisper_init_from_file_with_params_no_state(cpath, params);
    if (ctx === null) {
      throw new WhisperError(
        "whisper_init_from_file_with_params_no_state",
        `Cannot load model: ${path} could not be read as a Whisper model (corrupt or unsupported)`,
      );
    }
    return new WhisperModel(lib, path, ctx, opts.dtwHeads !== undefined);
  }

  /** The native context; throws after close. */
  get ctx(): Deno.PointerObject {
    if (this.#ctx === null || this.#closing) {
      throw new WhisperError("whisper_context", "Cannot use model: it is closed");
    }
    return this.#ctx;
  }

  /** Symbols of the library the model was loaded with. */
  get symbols(): WhisperSymbols {
    return this.library.symbols;
  }

  /** Allocates a decoding state (tens of MB for tiny; reuse it). */
  async createState(): Promise<WhisperState> {
    const st = await this.symbols.whisper_init_state(this.ctx);
    if (st === null) {
      throw new WhisperError("whisper_init_state", "Cannot allocate a whisper state");
    }
    const state = new WhisperState(this, st);
    this.#states.add(state);
    return state;
  }

  /** Tokenizes text with the model's vocabulary. */
  tokenize(text: string): Int32Array {
    const ctext = cString(text);
    let cap = Math.max(16, ctext.length + 8);
    for (;;) {
      const out = new Int32Array(cap);
      const n = this.symbols.whisper_tokenize(this.ctx, ctext, out, cap);
      if (n >= 0) return out.slice(0, n);
      cap = -n;
    }
  }

  /** The language id of an ISO code or name, or -1. */
  languageId(code: string): number {
    return this.symbols.whisper_lang_id(cString(code));
  }

  /** The English name of a language code ("en" → "english"), or null when whisper knows none. */
  languageName(code: string): string | null {
    const id = this.languageId(code);
    return id < 0 ? null : readCString(this.symbols.whisper_lang_str_full(id));
  }

  /** @internal Called by a state when it is freed. */
  _forget(state: WhisperState): void {
    this.#states.delete(state);
    this.#maybeFree();
  }

  #maybeFree(): void {
    if (!this.#closing || this.#ctx === null || this.#states.size > 0) return;
    this.library.symbols.whisper_free(this.#ctx);
    this.#ctx = null;
  }

  /** Frees the model and every idle state; busy states are freed when their call ends. */
  close(): void {
    if (this.#closing) return;
    for (const st of [...this.#states]) st.close();
    this.#closing = true;
    this.#maybeFree();
  }

  /** Whether the native context has been freed. */
  get closed(): boolean {
    return this.#ctx === null;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** One decoding state: never two calls on it at once. */
export class WhisperState implements Disposable {
  readonly model: WhisperModel;
  #st: Deno.PointerValue;
  #busy = false;
  #closeRequested = false;

  /** @internal use {@linkcode WhisperModel.createState}. */
  constructor(model: WhisperModel, st: Deno.PointerObject) {
    this.model = model;
    this.#st = st;
  }

  #begin(op: string): Deno.PointerObject {
    if (this.#st === null || this.#closeRequested) {
      throw new WhisperError(op, "Cannot decode: the whisper state is closed");
    }
    if (this.#busy) throw new WhisperError(op, "Cannot decode: the whisper state is busy");
    this.#busy = true;
    return this.#st;
  }

  #end(): void {
    this.#busy = false;
    if (this.#closeRequested) this.#free();
  }

  /**
   * Runs the full decoder on 16 kHz mono samples (off the event loop) and returns segments and
   * tokens. Inputs under 100 ms decode to nothing.
   */
  async full(samples: Float32Array, opts: DecodeOptions = {}): Promise<DecodeResult> {
    const ctx = this.model.ctx;
    const st = this.#begin("whisper_full_with_state");
    try {
      return await this.#decode(ctx, st, opts, samples as Float32Array<ArrayBuffer>, "audio");
    } finally {
      this.#end();
    }
  }

  /**
   * Decodes a caller-supplied log-mel spectrogram (`n_mel` × `nLen` frames, row-major by mel
   * bin) with `whisper_set_mel_with_state` then `whisper_full_with_state` on no samples.
   */
  async fullFromMel(
    mel: Float32Array,
    nLen: number,
    opts: DecodeOptions = {},
  ): Promise<DecodeResult> {
    const s = this.model.symbols;
    const ctx = this.model.ctx;
    const nMel = this.model.info.nMels;
    if (mel.length !== nLen * nMel) {
      throw new RangeError(`Cannot set mel: expected ${nLen} × ${nMel} values, got ${mel.length}`);
    }
    const st = this.#begin("whisper_set_mel_with_state");
    try {
      const rc = await s.whisper_set_mel_with_state(
        ctx,
        st,
        mel as Float32Array<ArrayBuffer>,
        nLen,
        nMel,
      );
      if (rc !== 0) throw new WhisperError("whisper_set_mel_with_state", "Cannot set mel", rc);
      return await this.#decode(ctx, st, opts, null, "mel");
    } finally {
      this.#end();
    }
  }

  /** Detects the spoken language of the first 30 s of `samples`. */
  async detectLanguage(
    samples: Float32Array,
    threads = 2,
  ): Promise<{ language: string; probability: number; probs: Map<string, number> }> {
    const s = this.model.symbols;
    const ctx = this.model.ctx;
    if (!this.model.info.multilingual) {
      return { language: "en", probability: 1, probs: new Map([["en", 1]]) };
    }
    const st = this.#begin("whisper_lang_auto_detect_with_state");
    try {
      const input = samples as Float32Array<ArrayBuffer>;
      const rc = await s.whisper_pcm_to_mel_with_state(ctx, st, input, input.length, threads);
      if (rc !== 0) {
        throw new WhisperError("whisper_pcm_to_mel_with_state", "Cannot compute mel", rc);
      }
      const n = s.whisper_lang_max_id() + 1;
      const probs = new Float32Array(n);
      const id = await s.whisper_lang_auto_detect_with_state(ctx, st, 0, threads, probs);
      if (id < 0) {
        throw new WhisperError("whisper_lang_auto_detect_with_state", "Cannot detect language", id);
      }
      const map = new Map<string, number>();
      for (let i = 0; i < n; i++) {
        map.set(readCString(s.whisper_lang_str(i)) ?? String(i), probs[i]);
      }
      return {
        language: readCString(s.whisper_lang_str(id)) ?? "",
        probability: probs[id],
        probs: map,
      };
    } finally {
      this.#end();
    }
  }

  /**
   * Runs `whisper_full_with_state` on `samples`, or on the mel already set when `null`, and
   * collects the result; `what` names the input in the error.
   */
  async #decode(
    ctx: Deno.PointerObject,
    st: Deno.PointerObject,
    opts: DecodeOptions,
    samples: Float32Array<ArrayBuffer> | null,
    what: string,
  ): Promise<DecodeResult> {
    const s = this.model.symbols;
    const params = buildFullParams(s, opts);
    const nice = Math.max(0, Math.min(19, Math.trunc(opts.nice ?? 0)));
    const niced = nice > 0 ? s.hum_whisper_full_niced : null;
    const prefix = opts.prefix?.length ? opts.prefix : null;
    if (prefix) this.#setPrefix(st, prefix);
    // Each decode says whether it runs the alignment pass: the state keeps the last setting.
    if (this.model.aligns) s.hum_whisper_state_set_dtw?.(st, opts.dtw ?? true);
    let rc: number;
    try {
      rc = niced
        ? await niced(ctx, st, params.bytes, samples, samples?.length ?? 0, nice)
        : await s.whisper_full_with_state(ctx, st, params.bytes, samples, samples?.length ?? 0);
    } finally {
      // The prefix was this call's: the state's next decode begins afresh.
      if (prefix) this.#setPrefix(st, null);
    }
    // Keep what the params point to alive until the call has returned.
    void params.pinned.length;
    if (rc !== 0) throw new WhisperError("whisper_full_with_state", `Cannot decode ${what}`, rc);
    return this.#collect(ctx, st);
  }

  /** Gives the state the tokens its decodes begin with (`null`: none). */
  #setPrefix(st: Deno.PointerObject, tokens: Int32Array | null): void {
    const set = this.model.library.forcesPrefix
      ? this.model.symbols.hum_whisper_state_set_prefix
      : null;
    if (!set) {
      throw new WhisperError(
        "hum_whisper_state_set_prefix",
        "Cannot force a prefix: the library lacks the prefix patch (build it with `./hum build:whisper`)",
      );
    }
    if (tokens && tokens.length > MAX_PREFIX_TOKENS) {
      throw new RangeError(
        `Cannot force a prefix of ${tokens.length} tokens: at most ${MAX_PREFIX_TOKENS}`,
      );
    }
    const rc = set(st, tokens as Int32Array<ArrayBuffer> | null, tokens?.length ?? 0);
    if (rc !== 0) throw new WhisperError("hum_whisper_state_set_prefix", "Cannot set prefix", rc);
  }

  #collect(ctx: Deno.PointerObject, st: Deno.PointerObject): DecodeResult {
    const s = this.model.symbols;
    const eot = s.whisper_token_eot(ctx);
    const beg = s.whisper_token_beg(ctx);
    const segments: DecodedSegment[] = [];
    const n = s.whisper_full_n_segments_from_state(st);
    for (let i = 0; i < n; i++) {
      const tokens: DecodedToken[] = [];
      const nt = s.whisper_full_n_tokens_from_state(st, i);
      for (let j = 0; j < nt; j++) {
        const raw = s.whisper_full_get_token_data_from_state(st, i, j);
        const d = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
        const T = TOKEN_DATA.fields;
        const id = d.getInt32(T.id[0], true);
        const bytes = readCBytes(s.whisper_full_get_token_text_from_state(ctx, st, i, j));
        tokens.push({
          id,
          text: utf8(bytes),
          bytes,
          p: d.getFloat32(T.p[0], true),
          plog: d.getFloat32(T.plog[0], true),
          t0Ms: Number(d.getBigInt64(T.t0[0], true)) * 10,
          t1Ms: Number(d.getBigInt64(T.t1[0], true)) * 10,
          tDtwMs: Number(d.getBigInt64(T.t_dtw[0], true)) * 10,
          hintMs: timestampHint(d, beg),
          special: id >= eot,
        });
      }
      segments.push({
        t0Ms: Number(s.whisper_full_get_segment_t0_from_state(st, i)) * 10,
        t1Ms: Number(s.whisper_full_get_segment_t1_from_state(st, i)) * 10,
        text: utf8(readCBytes(s.whisper_full_get_segment_text_from_state(st, i))),
        noSpeechProb: s.whisper_full_get_segment_no_speech_prob_from_state(st, i),
        tokens,
      });
    }
    const langId = s.whisper_full_lang_id_from_state(st);
    return { segments, language: readCString(s.whisper_lang_str(langId)) ?? "" };
  }

  #free(): void {
    if (this.#st === null) return;
    this.model.symbols.whisper_free_state(this.#st);
    this.#st = null;
    this.model._forget(this);
  }

  /** Whether a call is in flight. */
  get busy(): boolean {
    return this.#busy;
  }

  /** Whether the native state has been freed. */
  get closed(): boolean {
    return this.#st === null;
  }

  /** Frees the state now, or when the call in flight ends. Idempotent. */
  close(): void {
    this.#closeRequested = true;
    if (!this.#busy) this.#free();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** Confidence below which whisper.cpp ignores a token's timestamp guess (`thold_pt`, `thold_ptsum`). */
const HINT_THRESHOLD = 0.01;

/** A token's timestamp guess in ms (timestamp tokens are 20 ms apart), or -1. */
function timestampHint(d: DataView, beg: number): number {
  const T = TOKEN_DATA.fields;
  const tid = d.getInt32(T.tid[0], true);
  const pt = d.getFloat32(T.pt[0], true);
  const ptsum = d.getFloat32(T.ptsum[0], true);
  return tid >= beg && pt > HINT_THRESHOLD && ptsum > HINT_THRESHOLD ? (tid - beg) * 20 : -1;
}
