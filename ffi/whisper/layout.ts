/**
 * Byte offsets of the whisper.h struct fields the binding reads or writes (whisper.cpp 1.9.x,
 * x86-64 / aarch64 LP64). `layout_test.ts` compiles `native/layout_probe.c` against the very
 * `whisper.h` the library was built from and checks every entry here, offset and size.
 *
 * @module
 */

import type { StructLayout } from "../native/layout.ts";

/** `struct whisper_context_params` (passed by value to `whisper_init_from_file_with_params`). */
export const CONTEXT_PARAMS = {
  size: 48,
  fields: {
    use_gpu: [0, 1],
    flash_attn: [1, 1],
    gpu_device: [4, 4],
    dtw_token_timestamps: [8, 1],
    dtw_aheads_preset: [12, 4],
    dtw_n_top: [16, 4],
  },
} as const satisfies StructLayout;

/** `struct whisper_full_params` (304 bytes since 1.8.2; passed by value to `whisper_full*`). */
export const FULL_PARAMS = {
  size: 304,
  fields: {
    strategy: [0, 4],
    n_threads: [4, 4],
    n_max_text_ctx: [8, 4],
    offset_ms: [12, 4],
    duration_ms: [16, 4],
    translate: [20, 1],
    no_context: [21, 1],
    no_timestamps: [22, 1],
    single_segment: [23, 1],
    print_special: [24, 1],
    print_progress: [25, 1],
    print_realtime: [26, 1],
    print_timestamps: [27, 1],
    token_timestamps: [28, 1],
    thold_pt: [32, 4],
    thold_ptsum: [36, 4],
    max_len: [40, 4],
    split_on_word: [44, 1],
    max_tokens: [48, 4],
    debug_mode: [52, 1],
    audio_ctx: [56, 4],
    tdrz_enable: [60, 1],
    suppress_regex: [64, 8],
    initial_prompt: [72, 8],
    carry_initial_prompt: [80, 1],
    prompt_tokens: [88, 8],
    prompt_n_tokens: [96, 4],
    language: [104, 8],
    detect_language: [112, 1],
    suppress_blank: [113, 1],
    suppress_nst: [114, 1],
    temperature: [116, 4],
    max_initial_ts: [120, 4],
    length_penalty: [124, 4],
    temperature_inc: [128, 4],
    entropy_thold: [132, 4],
    logprob_thold: [136, 4],
    no_speech_thold: [140, 4],
    "greedy.best_of": [144, 4],
    "beam_search.beam_size": [148, 4],
    "beam_search.patience": [152, 4],
    new_segment_callback: [160, 8],
    progress_callback: [176, 8],
    encoder_begin_callback: [192, 8],
    abort_callback: [208, 8],
    abort_callback_user_data: [216, 8],
    logits_filter_callback: [224, 8],
    grammar_rules: [240, 8],
    n_grammar_rules: [248, 8],
    vad: [268, 1],
    vad_model_path: [272, 8],
  },
} as const satisfies StructLayout;

/** `whisper_token_data` (returned by value from `whisper_full_get_token_data_from_state`). */
export const TOKEN_DATA = {
  size: 56,
  fields: {
    id: [0, 4],
    tid: [4, 4],
    p: [8, 4],
    plog: [12, 4],
    pt: [16, 4],
    ptsum: [20, 4],
    t0: [24, 8],
    t1: [32, 8],
    t_dtw: [40, 8],
    vlen: [48, 4],
  },
} as const satisfies StructLayout;

/** `whisper_vad_params` (passed by value to `whisper_vad_segments_from_*`). */
export const VAD_PARAMS = {
  size: 24,
  fields: {
    threshold: [0, 4],
    min_speech_duration_ms: [4, 4],
    min_silence_duration_ms: [8, 4],
    max_speech_duration_s: [12, 4],
    speech_pad_ms: [16, 4],
    samples_overlap: [20, 4],
  },
} as const satisfies StructLayout;

/** `struct whisper_vad_context_params` (passed by value to `whisper_vad_init_from_file_with_params`). */
export const VAD_CONTEXT_PARAMS = {
  size: 12,
  fields: {
    n_threads: [0, 4],
    use_gpu: [4, 1],
    gpu_device: [8, 4],
  },
} as const satisfies StructLayout;

/** Every layout the binding relies on, by C struct name (what the probe prints). */
export const LAYOUTS: Readonly<Record<string, StructLayout>> = {
  whisper_context_params: CONTEXT_PARAMS,
  whisper_full_params: FULL_PARAMS,
  whisper_token_data: TOKEN_DATA,
  whisper_vad_params: VAD_PARAMS,
  whisper_vad_context_params: VAD_CONTEXT_PARAMS,
};
