/**
 * The libwhisper symbols hum-helix uses, as data for `Deno.dlopen`. Every entry carries its C
 * declaration. Structs passed by value are declared with their real size and alignment (see
 * `layout.ts`); calls that run the model are `nonblocking` so the event loop keeps serving audio.
 *
 * @module
 */

const U64X = (n: number): Deno.NativeType[] => Array.from({ length: n }, () => "u64" as const);

/** `struct whisper_context_params`, 48 bytes, 8-aligned: passed in memory like 6 × u64. */
export const CONTEXT_PARAMS_T = { struct: U64X(6) } as const;
/** `struct whisper_full_params`, 304 bytes, 8-aligned: passed in memory like 38 × u64. */
export const FULL_PARAMS_T = { struct: U64X(38) } as const;
/** `whisper_token_data`, 56 bytes. */
export const TOKEN_DATA_T = {
  struct: ["i32", "i32", "f32", "f32", "f32", "f32", "i64", "i64", "i64", "f32"],
} as const;
/** `whisper_vad_params`, 24 bytes. */
export const VAD_PARAMS_T = { struct: ["f32", "i32", "i32", "f32", "i32", "f32"] } as const;
/** `struct whisper_vad_context_params`, 12 bytes. */
export const VAD_CONTEXT_PARAMS_T = { struct: ["i32", "u8", "i32"] } as const;

/** libwhisper's symbol table. */
export const WHISPER_SYMBOLS = {
  /** const char * whisper_version(void) */
  whisper_version: { parameters: [], result: "pointer" },
  /** const char * whisper_print_system_info(void) */
  whisper_print_system_info: { parameters: [], result: "pointer" },
  /** void whisper_log_set(ggml_log_callback log_callback, void * user_data) */
  whisper_log_set: { parameters: ["pointer", "pointer"], result: "void" },

  /** struct whisper_context_params * whisper_context_default_params_by_ref(void) */
  whisper_context_default_params_by_ref: { parameters: [], result: "pointer" },
  /** void whisper_free_context_params(struct whisper_context_params * params) */
  whisper_free_context_params: { parameters: ["pointer"], result: "void" },
  /** struct whisper_full_params * whisper_full_default_params_by_ref(enum whisper_sampling_strategy) */
  whisper_full_default_params_by_ref: { parameters: ["i32"], result: "pointer" },
  /** void whisper_free_params(struct whisper_full_params * params) */
  whisper_free_params: { parameters: ["pointer"], result: "void" },

  /** struct whisper_context * whisper_init_from_file_with_params_no_state(const char * path, struct whisper_context_params) */
  whisper_init_from_file_with_params_no_state: {
    parameters: ["buffer", CONTEXT_PARAMS_T],
    result: "pointer",
    nonblocking: true,
  },
  /** struct whisper_state * whisper_init_state(struct whisper_context * ctx) */
  whisper_init_state: { parameters: ["pointer"], result: "pointer", nonblocking: true },
  /** void whisper_free(struct whisper_context * ctx) */
  whisper_free: { parameters: ["pointer"], result: "void" },
  /** void whisper_free_state(struct whisper_state * state) */
  whisper_free_state: { parameters: ["pointer"], result: "void" },

  /** int whisper_full_with_state(ctx, state, struct whisper_full_params, const float * samples, int n_samples) */
  whisper_full_with_state: {
    parameters: ["pointer", "pointer", FULL_PARAMS_T, "buffer", "i32"],
    result: "i32",
    nonblocking: true,
  },
  /** int whisper_pcm_to_mel_with_state(ctx, state, const float * samples, int n_samples, int n_threads) */
  whisper_pcm_to_mel_with_state: {
    parameters: ["pointer", "pointer", "buffer", "i32", "i32"],
    result: "i32",
    nonblocking: true,
  },
  /** int whisper_set_mel_with_state(ctx, state, const float * data, int n_len, int n_mel) */
  whisper_set_mel_with_state: {
    parameters: ["pointer", "pointer", "buffer", "i32", "i32"],
    result: "i32",
    nonblocking: true,
  },
  /** int whisper_lang_auto_detect_with_state(ctx, state, int offset_ms, int n_threads, float * lang_probs) */
  whisper_lang_auto_detect_with_state: {
    parameters: ["pointer", "pointer", "i32", "i32", "buffer"],
    result: "i32",
    nonblocking: true,
  },
  /** int whisper_tokenize(ctx, const char * text, whisper_token * tokens, int n_max_tokens) */
  whisper_tokenize: { parameters: ["pointer", "buffer", "buffer", "i32"], result: "i32" },

  /** int whisper_lang_max_id(void) */
  whisper_lang_max_id: { parameters: [], result: "i32" },
  /** int whisper_lang_id(const char * lang) */
  whisper_lang_id: { parameters: ["buffer"], result: "i32" },
  /** const char * whisper_lang_str(int id) */
  whisper_lang_str: { parameters: ["i32"], result: "pointer" },
  /** const char * whisper_lang_str_full(int id) */
  whisper_lang_str_full: { parameters: ["i32"], result: "pointer" },
  /** int whisper_is_multilingual(ctx) */
  whisper_is_multilingual: { parameters: ["pointer"], result: "i32" },
  /** int whisper_model_n_mels(ctx) */
  whisper_model_n_mels: { parameters: ["pointer"], result: "i32" },
  /** int whisper_n_audio_ctx(ctx) */
  whisper_n_audio_ctx: { parameters: ["pointer"], result: "i32" },
  /** int whisper_n_text_ctx(ctx) */
  whisper_n_text_ctx: { parameters: ["pointer"], result: "i32" },
  /** int whisper_n_vocab(ctx) */
  whisper_n_vocab: { parameters: ["pointer"], result: "i32" },
  /** const char * whisper_model_type_readable(ctx) */
  whisper_model_type_readable: { parameters: ["pointer"], result: "pointer" },
  /** whisper_token whisper_token_eot(ctx) */
  whisper_token_eot: { parameters: ["pointer"], result: "i32" },
  /** whisper_token whisper_token_beg(ctx) */
  whisper_token_beg: { parameters: ["pointer"], result: "i32" },
  /** const char * whisper_token_to_str(ctx, whisper_token token) */
  whisper_token_to_str: { parameters: ["pointer", "i32"], result: "pointer" },

  /** int whisper_full_n_segments_from_state(state) */
  whisper_full_n_segments_from_state: { parameters: ["pointer"], result: "i32" },
  /** int whisper_full_lang_id_from_state(state) */
  whisper_full_lang_id_from_state: { parameters: ["pointer"], result: "i32" },
  /** int64_t whisper_full_get_segment_t0_from_state(state, int i_segment) */
  whisper_full_get_segment_t0_from_state: { parameters: ["pointer", "i32"], result: "i64" },
  /** int64_t whisper_full_get_segment_t1_from_state(state, int i_segment) */
  whisper_full_get_segment_t1_from_state: { parameters: ["pointer", "i32"], result: "i64" },
  /** const char * whisper_full_get_segment_text_from_state(state, int i_segment) */
  whisper_full_get_segment_text_from_state: { parameters: ["pointer", "i32"], result: "pointer" },
  /** float whisper_full_get_segment_no_speech_prob_from_state(state, int i_segment) */
  whisper_full_get_segment_no_speech_prob_from_state: {
    parameters: ["pointer", "i32"],
    result: "f32",
  },
  /** int whisper_full_n_tokens_from_state(state, int i_segment) */
  whisper_full_n_tokens_from_state: { parameters: ["pointer", "i32"], result: "i32" },
  /** const char * whisper_full_get_token_text_from_state(ctx, state, int i_segment, int i_token) */
  whisper_full_get_token_text_from_state: {
    parameters: ["pointer", "pointer", "i32", "i32"],
    result: "pointer",
  },
  /** whisper_token_data whisper_full_get_token_data_from_state(state, int i_segment, int i_token) */
  whisper_full_get_token_data_from_state: {
    parameters: ["pointer", "i32", "i32"],
    result: TOKEN_DATA_T,
  },

  /** struct whisper_vad_params whisper_vad_default_params(void) */
  whisper_vad_default_params: { parameters: [], result: VAD_PARAMS_T },
  /** struct whisper_vad_context_params whisper_vad_default_context_params(void) */
  whisper_vad_default_context_params: { parameters: [], result: VAD_CONTEXT_PARAMS_T },
  /** struct whisper_vad_context * whisper_vad_init_from_file_with_params(const char * path, struct whisper_vad_context_params) */
  whisper_vad_init_from_file_with_params: {
    parameters: ["buffer", VAD_CONTEXT_PARAMS_T],
    result: "pointer",
    nonblocking: true,
  },
  /** bool whisper_vad_detect_speech(vctx, const float * samples, int n_samples) */
  whisper_vad_detect_speech: {
    parameters: ["pointer", "buffer", "i32"],
    result: "bool",
    nonblocking: true,
  },
  /** bool whisper_vad_detect_speech_no_reset(vctx, const float * samples, int n_samples) */
  whisper_vad_detect_speech_no_reset: {
    parameters: ["pointer", "buffer", "i32"],
    result: "bool",
    nonblocking: true,
  },
  /** void whisper_vad_reset_state(vctx) */
  whisper_vad_reset_state: { parameters: ["pointer"], result: "void" },
  /** int whisper_vad_n_probs(vctx) */
  whisper_vad_n_probs: { parameters: ["pointer"], result: "i32" },
  /** float * whisper_vad_probs(vctx) */
  whisper_vad_probs: { parameters: ["pointer"], result: "pointer" },
  /** struct whisper_vad_segments * whisper_vad_segments_from_probs(vctx, struct whisper_vad_params) */
  whisper_vad_segments_from_probs: {
    parameters: ["pointer", VAD_PARAMS_T],
    result: "pointer",
  },
  /** int whisper_vad_segments_n_segments(segments) */
  whisper_vad_segments_n_segments: { parameters: ["pointer"], result: "i32" },
  /** float whisper_vad_segments_get_segment_t0(segments, int i) — centiseconds */
  whisper_vad_segments_get_segment_t0: { parameters: ["pointer", "i32"], result: "f32" },
  /** float whisper_vad_segments_get_segment_t1(segments, int i) — centiseconds */
  whisper_vad_segments_get_segment_t1: { parameters: ["pointer", "i32"], result: "f32" },
  /** void whisper_vad_free_segments(segments) */
  whisper_vad_free_segments: { parameters: ["pointer"], result: "void" },
  /** void whisper_vad_free(vctx) */
  whisper_vad_free: { parameters: ["pointer"], result: "void" },
  /**
   * int hum_whisper_patch_level(void) — only in a library built here with `patches.ts` applied
   * (optional: null in a user's own library)
   */
  hum_whisper_patch_level: { parameters: [], result: "i32", optional: true },
  /** void hum_whisper_set_reseed(bool on) — `patches.ts` (optional, as above) */
  hum_whisper_set_reseed: { parameters: ["bool"], result: "void", optional: true },
  /**
   * void hum_whisper_set_mask_pad(bool on) — flash attention masks the K/V padding (`patches.ts`;
   * optional, as above)
   */
  hum_whisper_set_mask_pad: { parameters: ["bool"], result: "void", optional: true },
  /**
   * void hum_whisper_set_decoder_threads(int threads) — a decoder pass of one token runs on at
   * most `threads` threads; 0: as each call says (`patches.ts`; optional, as above)
   */
  hum_whisper_set_decoder_threads: { parameters: ["i32"], result: "void", optional: true },
  /**
   * void hum_whisper_set_no_speech_at_sot(bool on) — every decode reads its no-speech probability
   * at `<|startoftranscript|>` (`patches.ts`; optional, as above)
   */
  hum_whisper_set_no_speech_at_sot: { parameters: ["bool"], result: "void", optional: true },
  /**
   * int hum_whisper_full_niced(ctx, state, struct whisper_full_params, const float * samples,
   * int n_samples, int nice) — `whisper_full_with_state` on a thread of lower CPU priority
   * (`patches.ts`; optional, as above)
   */
  hum_whisper_full_niced: {
    parameters: ["pointer", "pointer", FULL_PARAMS_T, "buffer", "i32", "i32"],
    result: "i32",
    nonblocking: true,
    optional: true,
  },
  /**
   * int hum_whisper_state_set_prefix(state, const whisper_token * tokens, int n_tokens) — the
   * state's decodes begin with these tokens (0 clears); -2 past `MAX_PREFIX_TOKENS`
   * (`patches.ts`; optional, as above)
   */
  hum_whisper_state_set_prefix: {
    parameters: ["pointer", "buffer", "i32"],
    result: "i32",
    optional: true,
  },
  /**
   * bool hum_whisper_dtw_with_flash(void) — DTW token times work with flash attention on (the
   * `dtw-flash` patch of `patches.ts`; optional, as above)
   */
  hum_whisper_dtw_with_flash: { parameters: [], result: "bool", optional: true },
  /**
   * void hum_whisper_state_set_dtw(state, bool on) — whether the state's decodes run DTW's
   * alignment pass, on a model loaded with DTW heads (`dtw-flash`; optional, as above)
   */
  hum_whisper_state_set_dtw: { parameters: ["pointer", "bool"], result: "void", optional: true },
} as const satisfies Deno.ForeignLibraryInterface;

/** The log shim's symbol table (`native/log_shim.c`). */
export const LOG_SHIM_SYMBOLS = {
  /** void hum_log_set_min_level(int level) */
  hum_log_set_min_level: { parameters: ["i32"], result: "void" },
  /** void * hum_log_callback_ptr(void) */
  hum_log_callback_ptr: { parameters: [], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;
