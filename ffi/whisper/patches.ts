/**
 * Changes the build applies to the pinned whisper.cpp sources (a copy in the build's cache
 * folder; the sources themselves are never written). Each is an exact text edit that must match
 * once: against other sources (`HUM_WHISPER_SRC` of another release) a patch that does not match
 * is left out with a warning, and the binding finds out at run time what the library has
 * (`hum_whisper_patch_level`, an optional symbol: a user's own `libwhisper.so` has none).
 *
 * Every change is opt-in at run time (`hum_whisper_set_reseed`): until the binding turns it on,
 * the library (and `whisper-cli`, the baseline peer built beside it) decodes exactly as the
 * release does.
 *
 * @module
 */

import { join } from "node:path";

/** One exact edit: `find` must occur exactly once in the file. */
export interface SourceEdit {
  find: string;
  replace: string;
}

/** A change to one file of the sources. */
export interface SourcePatch {
  name: string;
  /** Path inside the source tree. */
  file: string;
  /** Why (for the build log and the cache stamp). */
  why: string;
  edits: SourceEdit[];
}

/** The level `hum_whisper_patch_level()` returns for the patches below. */
export const PATCH_LEVEL = 8;

/**
 * Reproducible decodes (decision 014). whisper.cpp 1.9.1 picks a beam's candidate tokens by
 * drawing `beam_size` times from the token distribution, even at temperature 0, and the first
 * decoder's generator is seeded only when a state is made (`whisper_init_state`; the other
 * decoders' at every `whisper_full`): the same audio decodes differently depending on what the
 * state decoded before (decision 013). Patched, the first decoder's generator also starts afresh
 * at every `whisper_full`, so a decode on a reused state gives what it gives on a new one. The
 * search itself is unchanged (an exact top-k beam was measured: no more accurate, 60 % slower).
 */
export const RESEED: SourcePatch = {
  name: "reseed",
  file: "src/whisper.cpp",
  why: "the first decoder's generator is reseeded at every whisper_full, as the others are",
  edits: [
    {
      find: "static std::vector<whisper_token_data> whisper_sample_token_topk(\n",
      replace:
        "// hum-helix patch (ffi/whisper/patches.ts): reproducible decodes, off until turned on.\n" +
        "static std::atomic<bool> hum_reseed{false};\n\n" +
        'extern "C" WHISPER_API void hum_whisper_set_reseed(bool on) {\n' +
        "    hum_reseed = on;\n" +
        "}\n\n" +
        'extern "C" WHISPER_API int hum_whisper_patch_level(void) {\n' +
        `    return ${PATCH_LEVEL};\n` +
        "}\n\n" +
        "static std::vector<whisper_token_data> whisper_sample_token_topk(\n",
    },
    {
      find: "        decoder.rng = std::mt19937(j);\n    }\n",
      replace: "        decoder.rng = std::mt19937(j);\n    }\n\n" +
        "    // hum-helix patch: the first decoder's generator starts afresh too.\n" +
        "    if (hum_reseed) {\n" +
        "        state->decoders[0].rng = std::mt19937(0);\n" +
        "    }\n",
    },
  ],
};

/**
 * Decodes at a lower CPU priority (decision 020). `hum_whisper_full_niced` runs
 * `whisper_full_with_state` on a thread of its own whose nice value is set to `nice` (Linux;
 * elsewhere, or with `nice` 0, it decodes on the caller's thread as `whisper_full_with_state`
 * does). The decode's worker threads (OpenMP's or ggml's pool, started from that thread) inherit
 * it, and go with the thread when it ends: the caller's thread and its pool keep their priority.
 * So a decode that may wait (a segment's closing decode) yields the cores to one that should not
 * (the next segment's first words) while both run. Raising a nice value needs no privilege; the
 * thread is never lowered back.
 */
export const NICED: SourcePatch = {
  name: "niced",
  file: "src/whisper.cpp",
  why: "hum_whisper_full_niced: a decode on a thread of lower CPU priority",
  edits: [
    {
      find: "int whisper_full_parallel(\n",
      replace: "// hum-helix patch (ffi/whisper/patches.ts): a decode at a lower CPU priority.\n" +
        "#if defined(__linux__)\n" +
        "#include <sys/resource.h>\n" +
        "#include <sys/syscall.h>\n" +
        "#include <unistd.h>\n" +
        "#endif\n\n" +
        'extern "C" WHISPER_API int hum_whisper_full_niced(\n' +
        "        struct whisper_context * ctx,\n" +
        "          struct whisper_state * state,\n" +
        "    struct whisper_full_params   params,\n" +
        "                   const float * samples,\n" +
        "                             int n_samples,\n" +
        "                             int nice) {\n" +
        "#if defined(__linux__)\n" +
        "    if (nice > 0) {\n" +
        "        int rc = -1;\n" +
        "        std::thread worker([&]() {\n" +
        "            setpriority(PRIO_PROCESS, (id_t) syscall(SYS_gettid), nice);\n" +
        "            rc = whisper_full_with_state(ctx, state, params, samples, n_samples);\n" +
        "        });\n" +
        "        worker.join();\n" +
        "        return rc;\n" +
        "    }\n" +
        "#else\n" +
        "    (void) nice;\n" +
        "#endif\n" +
        "    return whisper_full_with_state(ctx, state, params, samples, n_samples);\n" +
        "}\n\n" +
        "int whisper_full_parallel(\n",
    },
  ],
};

/**
 * Flash attention that attends only the audio (decision 021). whisper.cpp 1.9.1's flash-attention
 * path views the encoder's self-attention K/V and the decoder's cross-attention K/V padded to a
 * multiple of 256 frames but writes only the frames of the call and passes no mask, so the
 * padding rows (zeros on a fresh state, another call's leftovers later: decision 007) are attended
 * like audio. Patched, both calls get a mask of −∞ over the padding, so a decode with flash
 * attention does not depend on what its state decoded before. Off until
 * `hum_whisper_set_mask_pad(true)`, which must come before the states it should serve are made
 * (their compute buffers are sized for the masks then).
 */
export const MASK_PAD: SourcePatch = {
  name: "mask-pad",
  file: "src/whisper.cpp",
  why: "flash attention masks the K/V padding of the encoder and the cross-attention",
  edits: [
    {
      find: "static struct ggml_cgraph * whisper_build_graph_encoder(\n",
      replace:
        "// hum-helix patch (ffi/whisper/patches.ts): flash attention masks the K/V padding.\n" +
        "static std::atomic<bool> hum_mask_pad{false};\n\n" +
        'extern "C" WHISPER_API void hum_whisper_set_mask_pad(bool on) {\n' +
        "    hum_mask_pad = on;\n" +
        "}\n\n" +
        "// A mask of ne[1] rows over ne[0] K/V frames: 0 for the first n_valid, -inf after.\n" +
        "static void hum_fill_pad_mask(struct ggml_tensor * mask, int n_valid) {\n" +
        "    thread_local std::vector<ggml_fp16_t> buf;\n" +
        "    const int64_t n_kv = mask->ne[0];\n" +
        "    const int64_t n_rows = mask->ne[1];\n" +
        "    buf.resize(n_kv*n_rows);\n" +
        "    const ggml_fp16_t zero = ggml_fp32_to_fp16(0.0f);\n" +
        "    const ggml_fp16_t ninf = ggml_fp32_to_fp16(-INFINITY);\n" +
        "    for (int64_t j = 0; j < n_rows; ++j) {\n" +
        "        for (int64_t i = 0; i < n_kv; ++i) {\n" +
        "            buf[j*n_kv + i] = i < n_valid ? zero : ninf;\n" +
        "        }\n" +
        "    }\n" +
        "    ggml_backend_tensor_set(mask, buf.data(), 0, ggml_nbytes(mask));\n" +
        "}\n\n" +
        "static struct ggml_cgraph * whisper_build_graph_encoder(\n",
    },
    {
      find: "    const float KQscale = 1.0f/sqrtf(float(n_state_head));\n",
      replace: "    const float KQscale = 1.0f/sqrtf(float(n_state_head));\n\n" +
        "    // hum-helix patch: the padding frames [n_ctx, n_ctx_pad) are masked out.\n" +
        "    struct ggml_tensor * hum_enc_mask = nullptr;\n" +
        "    if (wctx.params.flash_attn && hum_mask_pad && n_ctx_pad > n_ctx) {\n" +
        "        hum_enc_mask = ggml_new_tensor_2d(ctx0, GGML_TYPE_F16, n_ctx_pad, n_ctx);\n" +
        '        ggml_set_name(hum_enc_mask, "hum_enc_mask");\n' +
        "        ggml_set_input(hum_enc_mask);\n" +
        "    }\n",
    },
    {
      find: "cur = ggml_flash_attn_ext(ctx0, Q, K, V, nullptr, KQscale, 0.0f, 0.0f);",
      replace: "cur = ggml_flash_attn_ext(ctx0, Q, K, V, hum_enc_mask, KQscale, 0.0f, 0.0f);",
    },
    {
      find: "        ggml_cgraph * gf = whisper_build_graph_encoder(wctx, wstate);\n\n" +
        "        if (!ggml_backend_sched_alloc_graph(sched, gf)) {\n" +
        "            // should never happen as we pre-allocate the memory\n" +
        "            return false;\n" +
        "        }\n",
      replace: "        ggml_cgraph * gf = whisper_build_graph_encoder(wctx, wstate);\n\n" +
        "        if (!ggml_backend_sched_alloc_graph(sched, gf)) {\n" +
        "            // should never happen as we pre-allocate the memory\n" +
        "            return false;\n" +
        "        }\n\n" +
        "        // hum-helix patch: the padding mask, when the graph has one.\n" +
        '        if (struct ggml_tensor * m = ggml_graph_get_tensor(gf, "hum_enc_mask")) {\n' +
        "            hum_fill_pad_mask(m, wstate.exp_n_audio_ctx > 0 ? wstate.exp_n_audio_ctx : wctx.model.hparams.n_audio_ctx);\n" +
        "        }\n",
    },
    {
      find: "    struct ggml_tensor * KQ_mask_f16 = ggml_cast(ctx0, KQ_mask, GGML_TYPE_F16);\n",
      replace:
        "    struct ggml_tensor * KQ_mask_f16 = ggml_cast(ctx0, KQ_mask, GGML_TYPE_F16);\n\n" +
        "    // hum-helix patch: the cross-attention's padding frames are masked out.\n" +
        "    struct ggml_tensor * hum_cross_mask = nullptr;\n" +
        "    if (wctx.params.flash_attn && hum_mask_pad && n_audio_ctx_pad > n_audio_ctx) {\n" +
        "        hum_cross_mask = ggml_new_tensor_2d(ctx0, GGML_TYPE_F16, n_audio_ctx_pad, n_tokens);\n" +
        '        ggml_set_name(hum_cross_mask, "hum_cross_mask");\n' +
        "        ggml_set_input(hum_cross_mask);\n" +
        "    }\n",
    },
    {
      find: "cur = ggml_flash_attn_ext(ctx0, Q, Kcross, Vcross, nullptr, KQscale, 0.0f, 0.0f);",
      replace:
        "cur = ggml_flash_attn_ext(ctx0, Q, Kcross, Vcross, hum_cross_mask, KQscale, 0.0f, 0.0f);",
    },
    {
      find: "        logits = ggml_graph_node(gf, -1);\n",
      replace:
        "        // hum-helix patch: the cross-attention's padding mask, when the graph has one.\n" +
        '        if (struct ggml_tensor * m = ggml_graph_get_tensor(gf, "hum_cross_mask")) {\n' +
        "            hum_fill_pad_mask(m, wstate.exp_n_audio_ctx > 0 ? wstate.exp_n_audio_ctx : wctx.model.hparams.n_audio_ctx);\n" +
        "        }\n\n" +
        "        logits = ggml_graph_node(gf, -1);\n",
    },
  ],
};

/**
 * One-token decoder passes on fewer threads than the rest of a decode (decision 025). whisper.cpp
 * 1.9.1 runs every graph of a decode on `n_threads`. The encoder's large matrix products gain from
 * a second thread, and so does a beam search's pass of five tokens; but a pass of one token (a
 * greedy decode's every step: hundreds of small operations, a barrier after each) is slower on two
 * threads than on one on a small CPU. Patched, `hum_whisper_set_decoder_threads(threads)` runs a
 * decoder pass of one token on at most `threads` threads (0: every pass as the call says, the
 * release's behaviour and the default until the binding sets it).
 */
export const DECODER_THREADS: SourcePatch = {
  name: "decoder-threads",
  file: "src/whisper.cpp",
  why: "hum_whisper_set_decoder_threads: one-token decoder passes on fewer threads",
  edits: [
    {
      find: "static bool whisper_decode_internal(\n",
      replace:
        "// hum-helix patch (ffi/whisper/patches.ts): one-token decoder passes on fewer threads.\n" +
        "static std::atomic<int> hum_token_pass_threads{0};\n\n" +
        'extern "C" WHISPER_API void hum_whisper_set_decoder_threads(int threads) {\n' +
        "    hum_token_pass_threads = threads > 0 ? threads : 0;\n" +
        "}\n\n" +
        "static bool whisper_decode_internal(\n",
    },
    {
      find: "        logits = ggml_graph_node(gf, -1);\n\n" +
        "        if (!ggml_graph_compute_helper(sched, gf, n_threads)) {\n",
      replace: "        logits = ggml_graph_node(gf, -1);\n\n" +
        "        const int hum_cap = n_tokens == 1 ? hum_token_pass_threads.load() : 0;\n" +
        "        if (!ggml_graph_compute_helper(sched, gf, hum_cap > 0 ? std::min(n_threads, hum_cap) : n_threads)) {\n",
    },
  ],
};

/** The most tokens `hum_whisper_state_set_prefix` takes (over a quarter of the text context). */
export const MAX_PREFIX_TOKENS = 128;

/**
 * A decode that continues given text (decision 026). whisper.cpp 1.9.1 can condition a decode on
 * earlier text (the prompt, after `<|startofprev|>`) but not force its first words: a closing
 * decode that hears the segments before it (`finalContextMs`) decodes their words again, token by
 * token with a beam of five, to drop them afterwards. Patched, `hum_whisper_state_set_prefix(state,
 * tokens, n)` gives a state tokens that its decodes place after the task tokens, as OpenAI
 * Whisper's `prefix` does: the decoder reads them in the prompt's one pass and samples only what
 * follows. They are not in the result. The prompt's budget shrinks by as many tokens, so the
 * text context still holds the decode; and the no-speech probability is read at
 * `<|startoftranscript|>`, where Whisper reads it, rather than at the prompt's first token (1.9.1
 * reads row 0 of the logits, which only a one-token prompt computes). A state without a prefix (the
 * default; 0 tokens clears it) decodes as the release does.
 */
export const PREFIX: SourcePatch = {
  name: "prefix",
  file: "src/whisper.cpp",
  why: "hum_whisper_state_set_prefix: decodes that continue given tokens",
  edits: [
    {
      find:
        "    std::vector<whisper_token>   prompt_past1; // dynamic context from decoded output\n",
      replace:
        "    std::vector<whisper_token>   prompt_past1; // dynamic context from decoded output\n\n" +
        "    // hum-helix patch (ffi/whisper/patches.ts): tokens every decode is forced to begin with.\n" +
        "    std::vector<whisper_token>   hum_prefix;\n",
    },
    {
      find: "int whisper_full_with_state(\n",
      replace:
        "// hum-helix patch (ffi/whisper/patches.ts): decodes that continue given tokens.\n" +
        `static constexpr int HUM_MAX_PREFIX_TOKENS = ${MAX_PREFIX_TOKENS};\n\n` +
        'extern "C" WHISPER_API int hum_whisper_state_set_prefix(\n' +
        "        struct whisper_state * state,\n" +
        "         const whisper_token * tokens,\n" +
        "                           int n_tokens) {\n" +
        "    if (state == nullptr || n_tokens < 0 || (n_tokens > 0 && tokens == nullptr)) {\n" +
        "        return -1;\n" +
        "    }\n" +
        "    if (n_tokens > HUM_MAX_PREFIX_TOKENS) {\n" +
        "        return -2;\n" +
        "    }\n" +
        "    state->hum_prefix.assign(tokens, tokens + n_tokens);\n" +
        "    return 0;\n" +
        "}\n\n" +
        "int whisper_full_with_state(\n",
    },
    {
      find:
        "    const int max_prompt_ctx = std::min(params.n_max_text_ctx, whisper_n_text_ctx(ctx)/2);\n",
      replace:
        "    // hum-helix patch: the forced prefix takes its tokens from the prompt's budget.\n" +
        "    const int max_prompt_ctx = std::min(params.n_max_text_ctx, whisper_n_text_ctx(ctx)/2 - (int) state->hum_prefix.size());\n",
    },
    {
      find: "    if (params.no_timestamps) {\n" +
        "        prompt_init.push_back(whisper_token_not(ctx));\n" +
        "    }\n",
      replace: "    if (params.no_timestamps) {\n" +
        "        prompt_init.push_back(whisper_token_not(ctx));\n" +
        "    }\n\n" +
        "    // hum-helix patch: the forced prefix follows the task tokens.\n" +
        "    prompt_init.insert(prompt_init.end(), state->hum_prefix.begin(), state->hum_prefix.end());\n",
    },
    {
      find:
        "                whisper_batch_prep_legacy(state->batch, prompt.data(), prompt.size(), 0, 0);\n",
      replace:
        "                whisper_batch_prep_legacy(state->batch, prompt.data(), prompt.size(), 0, 0);\n\n" +
        "                // hum-helix patch: with a prefix, the no-speech probability is read at\n" +
        "                // <|startoftranscript|> (the first token of prompt_init).\n" +
        "                const int hum_sot_row = state->hum_prefix.empty() ? -1 : (int) (prompt.size() - prompt_init.size());\n" +
        "                if (hum_sot_row >= 0) {\n" +
        "                    state->batch.logits[hum_sot_row] = 1;\n" +
        "                }\n",
    },
    {
      find: "                    whisper_compute_logprobs(state->logits, n_logits, logprobs);\n" +
        "                    whisper_compute_probs(state->logits, n_logits, logprobs, probs);\n",
      replace: "                    std::vector<float> hum_sot_logits;\n" +
        "                    if (hum_sot_row >= 0) {\n" +
        "                        hum_sot_logits.assign(state->logits.begin() + (size_t) hum_sot_row*n_logits,\n" +
        "                                              state->logits.begin() + (size_t) (hum_sot_row + 1)*n_logits);\n" +
        "                    }\n" +
        "                    const std::vector<float> & hum_nosp_logits = hum_sot_row >= 0 ? hum_sot_logits : state->logits;\n" +
        "                    whisper_compute_logprobs(hum_nosp_logits, n_logits, logprobs);\n" +
        "                    whisper_compute_probs(hum_nosp_logits, n_logits, logprobs, probs);\n",
    },
  ],
};

/**
 * The no-speech probability of every decode read where Whisper reads it. whisper.cpp 1.9.1 takes
 * it from row 0 of the logits after the prompt's pass, and that pass keeps only its last row, so
 * only a one-token prompt (`<|startoftranscript|>` alone) has it: a decode with earlier text
 * (`initial_prompt`, the carried context) or with `<|notimestamps|>` reads whatever an earlier
 * pass left there. Its own silence test (`no_speech_thold`, with `logprob_thold`) and its
 * temperature fallback then use a stale number, and so does the engine's hallucination guard.
 * Patched, and turned on (`hum_whisper_set_no_speech_at_sot`), every decode keeps the logits of
 * the `<|startoftranscript|>` row and reads the probability there, as the `prefix` patch's decodes
 * do (it builds on that patch's edits). Off, a decode without a prefix reads row 0 as the release
 * does.
 */
export const NO_SPEECH_AT_SOT: SourcePatch = {
  name: "no-speech-at-sot",
  file: "src/whisper.cpp",
  why: "hum_whisper_set_no_speech_at_sot: the no-speech probability read at <|startoftranscript|>",
  edits: [
    {
      find: "int whisper_full_with_state(\n",
      replace: "// hum-helix patch (ffi/whisper/patches.ts): the no-speech probability read at\n" +
        "// <|startoftranscript|> in every decode, off until turned on.\n" +
        "static std::atomic<bool> hum_nosp_at_sot{false};\n\n" +
        'extern "C" WHISPER_API void hum_whisper_set_no_speech_at_sot(bool on) {\n' +
        "    hum_nosp_at_sot = on;\n" +
        "}\n\n" +
        "int whisper_full_with_state(\n",
    },
    {
      find:
        "                const int hum_sot_row = state->hum_prefix.empty() ? -1 : (int) (prompt.size() - prompt_init.size());\n",
      replace:
        "                const int hum_sot_row = state->hum_prefix.empty() && !hum_nosp_at_sot ? -1 : (int) (prompt.size() - prompt_init.size());\n",
    },
  ],
};

/**
 * DTW token times with flash attention (AlignAtt's word ends, issue 16). whisper.cpp 1.9.1 reads
 * the alignment heads' cross-attention weights (`dtw_token_timestamps`) only on its exact-attention
 * path, and turns DTW off when flash attention is on; exact attention costs this CPU about twice the
 * server time (decision 021). Patched, the alignment pass that DTW runs after a decode (one batched
 * decoder pass over the decoded text) also computes, beside flash attention, the softmax of K·Q for
 * the layers that hold alignment heads, over the audio's frames only (not the padding); every other
 * pass is unchanged. And a decode too short for DTW's median filter, or longer than its audio
 * context, gets no DTW times (-1) instead of aborting the process (decision 002). Opt-in: only a
 * model loaded with `dtw_token_timestamps` runs any of it, and `hum_whisper_state_set_dtw(state,
 * false)` skips the alignment pass for a state's decodes (a decode that needs no word times).
 */
export const DTW_FLASH: SourcePatch = {
  name: "dtw-flash",
  file: "src/whisper.cpp",
  why:
    "DTW token times with flash attention; a decode too short for DTW gets no times, not an abort",
  edits: [
    {
      find: "    if (params.flash_attn && params.dtw_token_timestamps) {\n" +
        '        WHISPER_LOG_WARN("%s: dtw_token_timestamps is not supported with flash_attn - disabling\\n", __func__);\n' +
        "        params.dtw_token_timestamps = false;\n" +
        "    }\n",
      replace:
        "    // hum-helix patch (ffi/whisper/patches.ts): DTW works with flash attention, see below.\n",
    },
    {
      find: "                cur = ggml_reshape_2d(ctx0, cur, n_state, n_tokens);\n" +
        "            } else {\n" +
        "                struct ggml_tensor * Kcross =\n" +
        "                    ggml_view_3d(ctx0, wstate.kv_cross.k,\n" +
        "                            n_state_head, n_audio_ctx, n_head,\n",
      replace: "                cur = ggml_reshape_2d(ctx0, cur, n_state, n_tokens);\n\n" +
        "                // hum-helix patch: in DTW's alignment pass, the alignment heads' attention\n" +
        "                // weights over the audio's frames, beside flash attention.\n" +
        "                if (save_alignment_heads_QKs && wctx.params.dtw_token_timestamps && wstate.aheads_masks.m[il] != nullptr) {\n" +
        "                    struct ggml_tensor * hum_K =\n" +
        "                        ggml_view_3d(ctx0, wstate.kv_cross.k,\n" +
        "                                n_state_head, n_audio_ctx, n_head,\n" +
        "                                ggml_element_size(wstate.kv_cross.k)*n_state,\n" +
        "                                ggml_element_size(wstate.kv_cross.k)*n_state_head,\n" +
        "                                ggml_element_size(wstate.kv_cross.k)*n_state*n_audio_ctx_pad*il);\n" +
        "                    struct ggml_tensor * hum_KQ = ggml_soft_max_ext(ctx0, ggml_mul_mat(ctx0, hum_K, Q), nullptr, KQscale, 0.0f);\n" +
        "                    struct ggml_tensor * aheads_KQs = ggml_reshape_2d(ctx0, hum_KQ, hum_KQ->ne[0] * hum_KQ->ne[1], hum_KQ->ne[2]);\n" +
        "                    aheads_KQs = ggml_cont(ctx0, ggml_transpose(ctx0, aheads_KQs));\n" +
        "                    aheads_KQs = ggml_mul_mat(ctx0, wstate.aheads_masks.m[il], aheads_KQs);\n" +
        "                    aheads_KQs = ggml_cont(ctx0, ggml_transpose(ctx0, aheads_KQs));\n" +
        "                    aheads_KQs = ggml_reshape_3d(ctx0, aheads_KQs, hum_KQ->ne[0], hum_KQ->ne[1], wstate.aheads_masks.m[il]->ne[1]);\n" +
        "                    aheads_cross_QKs = aheads_cross_QKs == nullptr ? aheads_KQs : ggml_concat(ctx0, aheads_cross_QKs, aheads_KQs, 2);\n" +
        "                }\n" +
        "            } else {\n" +
        "                struct ggml_tensor * Kcross =\n" +
        "                    ggml_view_3d(ctx0, wstate.kv_cross.k,\n" +
        "                            n_state_head, n_audio_ctx, n_head,\n",
    },
    {
      find: "    std::vector<whisper_token>   hum_prefix;\n",
      replace: "    std::vector<whisper_token>   hum_prefix;\n\n" +
        "    // hum-helix patch (ffi/whisper/patches.ts): whether this state's decodes run DTW.\n" +
        "    bool                         hum_dtw = true;\n",
    },
    {
      find: "// dtw + backtrace to return found path\n",
      replace:
        "// hum-helix patch (ffi/whisper/patches.ts): DTW with flash attention, and per state.\n" +
        'extern "C" WHISPER_API bool hum_whisper_dtw_with_flash(void) {\n' +
        "    return true;\n" +
        "}\n\n" +
        'extern "C" WHISPER_API void hum_whisper_state_set_dtw(struct whisper_state * state, bool on) {\n' +
        "    if (state != nullptr) {\n" +
        "        state->hum_dtw = on;\n" +
        "    }\n" +
        "}\n\n" +
        "// dtw + backtrace to return found path\n",
    },
    {
      find: "                if (ctx->params.dtw_token_timestamps && n_segments) {\n",
      replace:
        "                if (ctx->params.dtw_token_timestamps && state->hum_dtw && n_segments) {\n",
    },
    {
      find: "    WHISPER_ASSERT(medfilt_width % 2);\n" +
        "    WHISPER_ASSERT(n_frames <= n_audio_ctx * 2);\n",
      replace: "    WHISPER_ASSERT(medfilt_width % 2);\n\n" +
        "    // hum-helix patch: a decode DTW cannot align keeps no DTW times (-1) rather than aborting.\n" +
        "    if (n_frames/2 <= medfilt_width || n_frames > n_audio_ctx * 2) {\n" +
        "        return;\n" +
        "    }\n" +
        "    WHISPER_ASSERT(n_frames <= n_audio_ctx * 2);\n",
    },
  ],
};

/** The patches the build applies, in order. */
export const PATCHES: readonly SourcePatch[] = [
  RESEED,
  NICED,
  MASK_PAD,
  DECODER_THREADS,
  PREFIX,
  NO_SPEECH_AT_SOT,
  DTW_FLASH,
];

/** What applying the patches did. */
export interface PatchReport {
  applied: string[];
  /** Patches left out, and why (an edit that did not match exactly once). */
  skipped: { name: string; reason: string }[];
}

/**
 * Applies `patches` to the source tree at `dir` (a copy: it is written in place). A patch whose
 * edits do not all match exactly once is left out whole, and said so.
 */
export function applyPatches(dir: string, patches: readonly SourcePatch[] = PATCHES): PatchReport {
  const report: PatchReport = { applied: [], skipped: [] };
  for (const p of patches) {
    const path = join(dir, p.file);
    let text: string;
    try {
      text = Deno.readTextFileSync(path);
    } catch (err) {
      report.skipped.push({ name: p.name, reason: `${p.file}: ${(err as Error).message}` });
      continue;
    }
    let next = text;
    let failed: string | null = null;
    for (const [i, e] of p.edits.entries()) {
      const count = next.split(e.find).length - 1;
      if (count !== 1) {
        failed = `edit ${i + 1} of ${p.edits.length} matches ${count} times in ${p.file}, not once`;
        break;
      }
      next = next.replace(e.find, () => e.replace);
    }
    if (failed) {
      report.skipped.push({ name: p.name, reason: failed });
      continue;
    }
    Deno.writeTextFileSync(path, next);
    report.applied.push(p.name);
  }
  return report;
}
