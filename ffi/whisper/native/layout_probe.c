// Prints the offset and size of every whisper.h struct field the Deno binding touches, as JSON.
// Compiled against the same whisper.h by ffi/whisper/layout_test.ts and compared with layout.ts.
#include "whisper.h"
#include "layout_probe.h"

int main(void) {
    PROBE_BEGIN();

    STRUCT_BEGIN("whisper_context_params", struct whisper_context_params);
    F(struct whisper_context_params, use_gpu);
    F(struct whisper_context_params, flash_attn);
    F(struct whisper_context_params, gpu_device);
    F(struct whisper_context_params, dtw_token_timestamps);
    F(struct whisper_context_params, dtw_aheads_preset);
    F(struct whisper_context_params, dtw_n_top);
    STRUCT_END();

    STRUCT_BEGIN("whisper_full_params", struct whisper_full_params);
    F(struct whisper_full_params, strategy);
    F(struct whisper_full_params, n_threads);
    F(struct whisper_full_params, n_max_text_ctx);
    F(struct whisper_full_params, offset_ms);
    F(struct whisper_full_params, duration_ms);
    F(struct whisper_full_params, translate);
    F(struct whisper_full_params, no_context);
    F(struct whisper_full_params, no_timestamps);
    F(struct whisper_full_params, single_segment);
    F(struct whisper_full_params, print_special);
    F(struct whisper_full_params, print_progress);
    F(struct whisper_full_params, print_realtime);
    F(struct whisper_full_params, print_timestamps);
    F(struct whisper_full_params, token_timestamps);
    F(struct whisper_full_params, thold_pt);
    F(struct whisper_full_params, thold_ptsum);
    F(struct whisper_full_params, max_len);
    F(struct whisper_full_params, split_on_word);
    F(struct whisper_full_params, max_tokens);
    F(struct whisper_full_params, debug_mode);
    F(struct whisper_full_params, audio_ctx);
    F(struct whisper_full_params, tdrz_enable);
    F(struct whisper_full_params, suppress_regex);
    F(struct whisper_full_params, initial_prompt);
    F(struct whisper_full_params, carry_initial_prompt);
    F(struct whisper_full_params, prompt_tokens);
    F(struct whisper_full_params, prompt_n_tokens);
    F(struct whisper_full_params, language);
    F(struct whisper_full_params, detect_language);
    F(struct whisper_full_params, suppress_blank);
    F(struct whisper_full_params, suppress_nst);
    F(struct whisper_full_params, temperature);
    F(struct whisper_full_params, max_initial_ts);
    F(struct whisper_full_params, length_penalty);
    F(struct whisper_full_params, temperature_inc);
    F(struct whisper_full_params, entropy_thold);
    F(struct whisper_full_params, logprob_thold);
    F(struct whisper_full_params, no_speech_thold);
    F(struct whisper_full_params, greedy.best_of);
    F(struct whisper_full_params, beam_search.beam_size);
    F(struct whisper_full_params, beam_search.patience);
    F(struct whisper_full_params, new_segment_callback);
    F(struct whisper_full_params, progress_callback);
    F(struct whisper_full_params, encoder_begin_callback);
    F(struct whisper_full_params, abort_callback);
    F(struct whisper_full_params, abort_callback_user_data);
    F(struct whisper_full_params, logits_filter_callback);
    F(struct whisper_full_params, grammar_rules);
    F(struct whisper_full_params, n_grammar_rules);
    F(struct whisper_full_params, vad);
    F(struct whisper_full_params, vad_model_path);
    STRUCT_END();

    STRUCT_BEGIN("whisper_token_data", whisper_token_data);
    F(whisper_token_data, id);
    F(whisper_token_data, tid);
    F(whisper_token_data, p);
    F(whisper_token_data, plog);
    F(whisper_token_data, pt);
    F(whisper_token_data, ptsum);
    F(whisper_token_data, t0);
    F(whisper_token_data, t1);
    F(whisper_token_data, t_dtw);
    F(whisper_token_data, vlen);
    STRUCT_END();

    STRUCT_BEGIN("whisper_vad_params", whisper_vad_params);
    F(whisper_vad_params, threshold);
    F(whisper_vad_params, min_speech_duration_ms);
    F(whisper_vad_params, min_silence_duration_ms);
    F(whisper_vad_params, max_speech_duration_s);
    F(whisper_vad_params, speech_pad_ms);
    F(whisper_vad_params, samples_overlap);
    STRUCT_END();

    STRUCT_BEGIN("whisper_vad_context_params", struct whisper_vad_context_params);
    F(struct whisper_vad_context_params, n_threads);
    F(struct whisper_vad_context_params, use_gpu);
    F(struct whisper_vad_context_params, gpu_device);
    STRUCT_END();

    PROBE_END();
    return 0;
}
