import { join } from "node:path";
import {
  applyPatches,
  DECODER_THREADS,
  DTW_FLASH,
  MASK_PAD,
  NICED,
  NO_SPEECH_AT_SOT,
  PATCH_LEVEL,
  PREFIX,
  RESEED,
  type SourcePatch,
} from "./patches.ts";
import { whisperSourceDir } from "./build.ts";
import { openWhisper, singleTokenThreadsFromEnv } from "./library.ts";
import { assert, assertEquals } from "../testing/assert.ts";

/** A temporary tree holding a copy of the pinned sources' `src/whisper.cpp`. */
function withSourceCopy(fn: (dir: string) => void, edit: (text: string) => string = (t) => t) {
  const dir = Deno.makeTempDirSync({ prefix: "hum-patch-" });
  try {
    Deno.mkdirSync(join(dir, "src"));
    const text = Deno.readTextFileSync(join(whisperSourceDir(), "src", "whisper.cpp"));
    Deno.writeTextFileSync(join(dir, "src", "whisper.cpp"), edit(text));
    fn(dir);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

Deno.test("the patches match the pinned sources once per edit and change only them", () => {
  withSourceCopy((dir) => {
    const before = Deno.readTextFileSync(join(dir, "src", "whisper.cpp"));
    assertEquals(applyPatches(dir), {
      applied: [
        "reseed",
        "niced",
        "mask-pad",
        "decoder-threads",
        "prefix",
        "no-speech-at-sot",
        "dtw-flash",
      ],
      skipped: [],
    });
    const after = Deno.readTextFileSync(join(dir, "src", "whisper.cpp"));
    let expected = before;
    for (
      const e of [
        ...RESEED.edits,
        ...NICED.edits,
        ...MASK_PAD.edits,
        ...DECODER_THREADS.edits,
        ...PREFIX.edits,
        ...NO_SPEECH_AT_SOT.edits,
        ...DTW_FLASH.edits,
      ]
    ) {
      expected = expected.replace(e.find, () => e.replace);
    }
    assertEquals(after, expected);
    assert(after.includes(`return ${PATCH_LEVEL};`));
    assert(after.includes("state->decoders[0].rng = std::mt19937(0);\n    }\n"));
    // Both flash-attention calls take the padding mask, and neither is left without one.
    assert(after.includes("ggml_flash_attn_ext(ctx0, Q, K, V, hum_enc_mask,"));
    assert(after.includes("ggml_flash_attn_ext(ctx0, Q, Kcross, Vcross, hum_cross_mask,"));
    assert(!/ggml_flash_attn_ext\([^)]*nullptr/.test(after));
    // The decoder's graph runs on the capped count; the encoder's on the call's.
    assert(
      after.includes(
        "ggml_graph_compute_helper(sched, gf, hum_cap > 0 ? std::min(n_threads, hum_cap) : n_threads)",
      ),
    );
    assertEquals(after.split("hum_cap > 0 ?").length - 1, 1);
    // The prefix follows the task tokens, and the no-speech probability reads its own row.
    assert(after.includes("prompt_init.insert(prompt_init.end(), state->hum_prefix.begin()"));
    assert(after.includes("whisper_compute_probs(hum_nosp_logits, n_logits, logprobs, probs);"));
    // Turned on, every decode reads it at <|startoftranscript|>, with a prefix or not.
    assert(after.includes("state->hum_prefix.empty() && !hum_nosp_at_sot ? -1 :"));
    // DTW is no longer turned off under flash attention; its alignment pass reads the heads'
    // weights beside flash attention, only in that pass; a decode it cannot align returns.
    assert(!after.includes("dtw_token_timestamps is not supported with flash_attn"));
    assert(
      after.includes(
        "if (save_alignment_heads_QKs && wctx.params.dtw_token_timestamps && wstate.aheads_masks.m[il] != nullptr) {",
      ),
    );
    assert(after.includes("if (n_frames/2 <= medfilt_width || n_frames > n_audio_ctx * 2) {"));
    assert(after.includes("ctx->params.dtw_token_timestamps && state->hum_dtw && n_segments"));
  });
});

Deno.test("a patch that does not match other sources is left out whole, and says why", () => {
  withSourceCopy(
    (dir) => {
      const before = Deno.readTextFileSync(join(dir, "src", "whisper.cpp"));
      const report = applyPatches(dir, [RESEED]);
      assertEquals(report.applied, []);
      assertEquals(report.skipped.map((s) => s.name), ["reseed"]);
      assert(/edit 2 of 2 matches 0 times in src\/whisper.cpp/.test(report.skipped[0].reason));
      assertEquals(Deno.readTextFileSync(join(dir, "src", "whisper.cpp")), before, "untouched");
    },
    (text) => text.replace("decoder.rng = std::mt19937(j);", "decoder.rng = std::mt19937(j + 1);"),
  );
  const missing: SourcePatch = { ...RESEED, name: "elsewhere", file: "src/none.cpp" };
  withSourceCopy((dir) => {
    const report = applyPatches(dir, [missing]);
    assertEquals(report.skipped[0].name, "elsewhere");
    assert(report.skipped[0].reason.startsWith("src/none.cpp: "), report.skipped[0].reason);
  });
});

Deno.test({
  name: "the library built here has the patches, and reseeding, padding masks, one-thread " +
    "token passes, prefixes, no-speech at <|startoftranscript|> and DTW under flash attention " +
    "are on",
  ignore: Deno.env.get("HUM_WHISPER_LIB") !== undefined || Deno.env.get("HUM_RESEED") === "0" ||
    Deno.env.get("HUM_MASK_PAD") === "0" || Deno.env.get("HUM_DECODER_THREADS") !== undefined ||
    Deno.env.get("HUM_PREFIX") === "0" || Deno.env.get("HUM_NO_SPEECH_AT_SOT") === "0",
  fn: async () => {
    const lib = await openWhisper();
    assertEquals(lib.patchLevel, PATCH_LEVEL);
    assertEquals(lib.reseeds, true);
    assertEquals(lib.masksPadding, true);
    assertEquals(lib.singleTokenThreads, 1);
    assertEquals(lib.forcesPrefix, true);
    assertEquals(lib.noSpeechAtSot, true);
    assertEquals(lib.alignsWithFlash, true);
  },
});

Deno.test("HUM_DECODER_THREADS: unset is 1, 0 turns the cap off, junk is an error naming it", () => {
  assertEquals(singleTokenThreadsFromEnv(undefined), 1);
  assertEquals(singleTokenThreadsFromEnv(""), 1);
  assertEquals(singleTokenThreadsFromEnv("0"), 0);
  assertEquals(singleTokenThreadsFromEnv("2"), 2);
  for (const bad of ["-1", "1.5", "two", "65"]) {
    let message = "";
    try {
      singleTokenThreadsFromEnv(bad);
    } catch (err) {
      message = (err as Error).message;
    }
    assert(message.includes("HUM_DECODER_THREADS") && message.includes(bad), message);
  }
});
