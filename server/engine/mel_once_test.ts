/**
 * `melOnce` against the real model: a session of samples that computes its log-mel frames once
 * and decodes from them transcribes what the same session decoding from samples does, in every
 * mode (issue 19: "a test that the transcripts equal today's within noise"). The clock charges no
 * time for work, so both sessions decode at the same points on any machine.
 */
import { Engine } from "./engine.ts";
import { streamFinals } from "./testing.ts";
import { decodeAudioFile } from "../../decode/audio_file.ts";
import { corpusWer } from "../../bench/metrics/wer.ts";
import { hasShared, sharedPath } from "../../ffi/testing/shared.ts";
import { assert } from "../../ffi/testing/assert.ts";
import { MODE_NAMES, type ModeName } from "../../protocol/modes.ts";

const MODEL = "models/ggml-tiny.en.bin";
const VAD = "models/ggml-silero-v5.1.2.bin";
const JFK = "speech/jfk/jfk.wav";

async function finals(
  e: Engine,
  samples: Float32Array,
  mode: ModeName,
  melOnce: boolean,
): Promise<string> {
  return (await streamFinals(e, samples, { mode, overrides: { melOnce } })).join(" ");
}

Deno.test({
  name:
    "melOnce: jfk's finals from log-mel frames computed once are as accurate as from samples, " +
    "in every mode",
  ignore: !hasShared(MODEL, VAD, JFK),
  fn: async () => {
    const jfk = (await decodeAudioFile(sharedPath(JFK))).samples;
    const ref = Deno.readTextFileSync(sharedPath("speech/jfk/jfk.txt"));
    const e = new Engine({ model: sharedPath(MODEL), vadModel: sharedPath(VAD), intents: null });
    try {
      for (const mode of MODE_NAMES) {
        const fromSamples = await finals(e, jfk, mode, false);
        const fromMel = await finals(e, jfk, mode, true);
        const wer = (hyp: string) => corpusWer([{ ref, hyp }]).wer * 100;
        const [a, b] = [wer(fromSamples), wer(fromMel)];
        console.log(`${mode}: samples ${a.toFixed(1)} %, mel frames ${b.toFixed(1)} %: ${fromMel}`);
        // jfk is 22 words: one word is 4.5 points.
        assert(
          b <= Math.max(a, 5),
          `${mode}: ${b} % from mel frames (${fromMel}), ${a} % from samples`,
        );
        assert(corpusWer([{ ref: fromSamples, hyp: fromMel }]).wer <= 0.1, `${mode}: ${fromMel}`);
      }
    } finally {
      await e.close();
    }
  },
});
