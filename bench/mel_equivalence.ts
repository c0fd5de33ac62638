/**
 * `deno run -A bench/mel_equivalence.ts [SET] [raw|q] [BEAM]`: the privacy mode's accuracy cost.
 * Each utterance of a manifest set (default LibriSpeech test-other) is decoded twice, one window
 * each: from its samples, and from the log-mel frames a client computes (8-bit quantized as sent,
 * or `raw`). Prints both corpus WERs, how many texts came out identical and the decode times.
 *
 * @module
 */
import { WhisperModel } from "../ffi/whisper/mod.ts";
import { decodeAudioFile } from "../decode/audio_file.ts";
import { LogMel } from "../protocol/mel.ts";
import { melWindow } from "../server/engine/mel_window.ts";
import { melFrame, parseFrame } from "../protocol/audio_frames.ts";
import { dequantizeMel } from "../decode/mel_input.ts";
import { corpusWer } from "./metrics/wer.ts";
import { sharedPath } from "../ffi/testing/shared.ts";
const set = Deno.args[0] ?? "librispeech-test-other";
const quant = Deno.args[1] !== "raw";
const beam = Number(Deno.args[2] ?? 1);
const rows = Deno.readTextFileSync(sharedPath("speech/manifest.tsv")).trim().split("\n").slice(1)
  .map((l) => l.split("\t")).filter((r) => r[1] === set);
using model = await WhisperModel.load(sharedPath("models/ggml-tiny.en.bin"));
using st = await model.createState();
const p = {
  strategy: (beam > 1 ? "beam" : "greedy") as "beam" | "greedy",
  beamSize: beam,
  threads: 2,
  language: "en",
  noContext: true,
  noTimestamps: true,
};
const pcm: { ref: string; hyp: string }[] = [], mel: { ref: string; hyp: string }[] = [];
let same = 0;
let tp = 0, tm = 0;
for (const r of rows) {
  const audio = (await decodeAudioFile(sharedPath(`speech/${r[0]}`))).samples;
  let t0 = performance.now();
  const a = await st.full(audio, p);
  tp += performance.now() - t0;
  const lm = new LogMel();
  const parts: Float32Array[] = [];
  for (let i = 0; i < audio.length; i += 1600) {
    const m = lm.push(audio.subarray(i, i + 1600));
    if (!m.length) continue;
    if (!quant) {
      parts.push(m);
      continue;
    }
    const f = parseFrame(melFrame(0, m));
    if (f.kind === "mel") parts.push(dequantizeMel(f.bins, f.lo, f.hi));
  }
  const all = new Float32Array(parts.reduce((n, x) => n + x.length, 0));
  let o = 0;
  for (const x of parts) (all.set(x, o), o += x.length);
  t0 = performance.now();
  const { mel: w, nLen } = melWindow(all, 3000);
  const b = await st.fullFromMel(w, nLen, { ...p, durationMs: Math.round(audio.length / 16) });
  tm += performance.now() - t0;
  const ha = a.segments.map((x) => x.text).join(" "), hb = b.segments.map((x) => x.text).join(" ");
  if (ha.trim() === hb.trim()) same++;
  pcm.push({ ref: r[4], hyp: ha });
  mel.push({ ref: r[4], hyp: hb });
}
console.log(
  `${set}, ${rows.length} utterances, ${quant ? "8-bit" : "raw"} mel, beam ${beam}: WER samples ${
    (corpusWer(pcm).wer * 100).toFixed(2)
  } %, mel ${(corpusWer(mel).wer * 100).toFixed(2)} %; identical text ${same}; decode ms ${
    tp.toFixed(0)
  } vs ${tm.toFixed(0)}`,
);
