import { VadModel } from "../../ffi/whisper/mod.ts";
import { hasShared, sharedPath } from "../../ffi/testing/shared.ts";
import { decodeAudioFile } from "../../decode/audio_file.ts";
import { type VadChange, VadStream } from "./vad_stream.ts";
import { assert } from "../../ffi/testing/assert.ts";

const VAD = "models/ggml-silero-v5.1.2.bin";
const ready = hasShared(VAD, "speech/jfk/jfk.wav");

async function run(stream: VadStream, samples: Float32Array, chunk: number): Promise<VadChange[]> {
  const out: VadChange[] = [];
  for (let i = 0; i < samples.length; i += chunk) {
    out.push(...await stream.push(samples.subarray(i, i + chunk)));
  }
  return [...out, ...stream.end()];
}

Deno.test({
  name: "speech in jfk.wav starts near its onset and ends near its end, whatever the frame size",
  ignore: !ready,
  fn: async () => {
    using vad = await VadModel.load(sharedPath(VAD));
    const audio = await decodeAudioFile(sharedPath("speech/jfk/jfk.wav"));
    let first: VadChange[] | null = null;
    for (const chunk of [320, 960, 4096]) {
      const changes = await run(new VadStream(vad, { endSilenceMs: 1500 }), audio.samples, chunk);
      assert(changes.length >= 2 && changes[0].state === "speech", JSON.stringify(changes));
      assert(changes[0].audioMs >= 100 && changes[0].audioMs <= 600, `onset ${changes[0].audioMs}`);
      const last = changes[changes.length - 1];
      assert(last.state === "silence" && last.audioMs > 9_500, `end ${JSON.stringify(last)}`);
      for (let i = 1; i < changes.length; i++) {
        assert(changes[i].state !== changes[i - 1].state, "changes alternate");
        assert(changes[i].audioMs >= changes[i - 1].audioMs, "in order");
      }
      // The result does not depend on how the audio was framed.
      first ??= changes;
      assert(
        JSON.stringify(changes) === JSON.stringify(first),
        `framing ${chunk} changed the result`,
      );
    }
  },
});

Deno.test({
  name: "digital silence and low noise are not speech; silence skips the model",
  ignore: !ready,
  fn: async () => {
    using vad = await VadModel.load(sharedPath(VAD));
    const silent = new VadStream(vad);
    assert((await run(silent, new Float32Array(16_000 * 10), 1600)).length === 0, "silence");
    assert(silent.modelWindows === 0, "energy gate kept the model idle");
    let seed = 11;
    const noise = new Float32Array(16_000 * 10).map(() => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return (seed / 2 ** 31 - 0.5) * 0.02;
    });
    const changes = await run(new VadStream(vad), noise, 1600);
    assert(changes.length === 0, `noise: ${JSON.stringify(changes)}`);
  },
});
