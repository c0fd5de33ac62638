import { openWhisper, VadModel, WhisperModel } from "../../ffi/whisper/mod.ts";
import { hasShared, sharedPath } from "../../ffi/testing/shared.ts";
import { decodeAudioFile } from "../../decode/audio_file.ts";
import { corpusWer } from "../../bench/metrics/wer.ts";
import { normalizeEnglish } from "../../bench/metrics/normalize_en.ts";
import { loadDataset } from "../../bench/workloads/dataset.ts";
import { quantile, readAlignment, timingErrors } from "../../bench/metrics/word_timing.ts";
import { transcribeOffline } from "./offline.ts";
import type { Transcript } from "../../protocol/transcript.ts";
import { assert } from "../../ffi/testing/assert.ts";
import { SAMPLE_RATE_HZ } from "../../protocol/audio.ts";

const MODEL = "models/ggml-tiny.en.bin";
const VAD = "models/ggml-silero-v5.1.2.bin";
const ready = hasShared(MODEL, VAD, "speech/jfk/jfk.wav", "speech/manifest.tsv");

function checkTimings(t: Transcript): void {
  let prev = 0;
  for (const s of t.segments) {
    for (const w of s.words) {
      assert(w.startMs >= prev, `word "${w.word}" starts at ${w.startMs} before ${prev}`);
      assert(w.endMs >= w.startMs, `word "${w.word}" ends before it starts`);
      assert(w.endMs <= t.durationMs, `word "${w.word}" ends at ${w.endMs} after ${t.durationMs}`);
      prev = w.endMs;
    }
  }
}

async function withModel(fn: (m: WhisperModel, vad: VadModel) => Promise<void>): Promise<void> {
  using model = await WhisperModel.load(sharedPath(MODEL));
  using vad = await VadModel.load(sharedPath(VAD));
  await fn(model, vad);
}

const DECODE = { threads: 2, beamSize: 5 } as const;

Deno.test({
  name: "jfk.wav transcribes to the known sentence with monotonic word times",
  ignore: !ready,
  fn: () =>
    withModel(async (model, vad) => {
      using state = await model.createState();
      const audio = await decodeAudioFile(sharedPath("speech/jfk/jfk.wav"));
      const t = await transcribeOffline(state, audio.samples, { vad, decode: DECODE });
      const known = "And so my fellow Americans, ask not what your country can do for you, " +
        "ask what you can do for your country.";
      assert(normalizeEnglish(t.text) === normalizeEnglish(known), `got "${t.text}"`);
      checkTimings(t);
      const words = t.segments.flatMap((s) => s.words.map((w) => w.word)).join(" ");
      assert(normalizeEnglish(words) === normalizeEnglish(known), `words: ${words}`);
      assert(t.durationMs === 11_000, `duration ${t.durationMs}`);
    }),
});

Deno.test({
  name: "LibriSpeech test-other utterances stay under a WER bound",
  ignore: !ready,
  fn: () =>
    withModel(async (model, vad) => {
      using state = await model.createState();
      const items = loadDataset(sharedPath("speech/librispeech/test-other"), { limit: 4 });
      const pairs = [];
      for (const item of items) {
        const audio = await decodeAudioFile(item.audioPath);
        const t = await transcribeOffline(state, audio.samples, { vad, decode: DECODE });
        checkTimings(t);
        pairs.push({ ref: item.reference, hyp: t.text });
      }
      const wer = corpusWer(pairs);
      // whisper.cpp's own whisper-cli scores 12.4 % over all 101 utterances with tiny.en.
      assert(wer.wer < 0.2, `WER ${(wer.wer * 100).toFixed(1)} % over ${pairs.length} utterances`);
    }),
});

Deno.test({
  name: "long audio is decoded in VAD windows without losing text or time order",
  ignore: !ready,
  fn: () =>
    withModel(async (model, vad) => {
      using state = await model.createState();
      const items = loadDataset(sharedPath("speech/librispeech/test-other"), {
        match: /1688-142285-000[0-4]/,
      });
      const gap = new Float32Array(SAMPLE_RATE_HZ * 0.8);
      const parts: Float32Array[] = [];
      for (const item of items) parts.push((await decodeAudioFile(item.audioPath)).samples, gap);
      const joined = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
      let offset = 0;
      for (const p of parts) {
        joined.set(p, offset);
        offset += p.length;
      }
      assert(joined.length / SAMPLE_RATE_HZ > 35, "longer than one window");
      const t = await transcribeOffline(state, joined, { vad, decode: DECODE });
      assert(t.windows.length >= 2, `${t.windows.length} windows`);
      for (const w of t.windows) {
        assert(w.endMs - w.startMs <= 28_000, `window ${JSON.stringify(w)}`);
      }
      checkTimings(t);
      const wer = corpusWer([{ ref: items.map((i) => i.reference).join(" "), hyp: t.text }]);
      assert(wer.wer < 0.2, `WER ${(wer.wer * 100).toFixed(1)} %: ${t.text}`);
      assert(
        wer.deletions / wer.refWords < 0.08,
        `deleted ${wer.deletions} of ${wer.refWords} words`,
      );
    }),
});

Deno.test({
  name: "silence and noise give no text",
  ignore: !ready,
  fn: () =>
    withModel(async (model, vad) => {
      using state = await model.createState();
      const silence = await transcribeOffline(state, new Float32Array(SAMPLE_RATE_HZ * 8), {
        vad,
        decode: DECODE,
      });
      assert(silence.text === "" && silence.windows.length === 0, `silence: "${silence.text}"`);
      let seed = 7;
      const noise = new Float32Array(SAMPLE_RATE_HZ * 6).map(() => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return (seed / 2 ** 31 - 0.5) * 0.02;
      });
      const n = await transcribeOffline(state, noise, { vad, decode: DECODE });
      assert(n.text === "", `noise: "${n.text}"`);
    }),
});

Deno.test({
  name: "word times from DTW and from timestamp tokens land near a forced alignment",
  ignore: !ready ||
    !hasShared("speech/librivox-sense/sense_and_sensibility_01_austen_64kb-0870.wav"),
  fn: async () => {
    const items = loadDataset(sharedPath("speech/librivox-sense"), { limit: 3 });
    using vad = await VadModel.load(sharedPath(VAD));
    // DTW keeps flash attention where the library aligns under it (the dtw-flash patch).
    const flashAttn = (await openWhisper()).alignsWithFlash;
    const modes = [
      { wordTimes: "timestamps", load: {} },
      { wordTimes: "dtw", load: { flashAttn, dtwHeads: "tiny.en" } },
    ] as const;
    for (const mode of modes) {
      using model = await WhisperModel.load(sharedPath(MODEL), mode.load);
      using state = await model.createState();
      const ends: number[] = [];
      for (const item of items) {
        const audio = await decodeAudioFile(item.audioPath);
        const t = await transcribeOffline(state, audio.samples, {
          vad,
          decode: DECODE,
          wordTimes: mode.wordTimes,
        });
        checkTimings(t);
        const e = timingErrors(readAlignment(item.alignPath!), t.segments.flatMap((s) => s.words));
        assert(e.matched > 0.7 * t.segments.flatMap((s) => s.words).length, "most words matched");
        ends.push(...e.endErrorsMs);
      }
      const p50 = quantile(ends, 0.5);
      assert(p50 < 250, `${mode.wordTimes}: median word-end error ${p50} ms`);
    }
  },
});
