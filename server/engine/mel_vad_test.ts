import { LogMel } from "../../protocol/mel.ts";
import { decodeAudioFile } from "../../decode/audio_file.ts";
import { MelVad } from "./mel_vad.ts";
import type { VadChange } from "./vad_stream.ts";
import { hasShared, sharedPath } from "../../ffi/testing/shared.ts";
import { assert, assertEquals, assertThrows } from "../../ffi/testing/assert.ts";

function run(vad: MelVad, samples: Float32Array): VadChange[] {
  const mel = new LogMel();
  const out: VadChange[] = [];
  for (let i = 0; i < samples.length; i += 1_600) {
    out.push(...vad.push(mel.push(samples.subarray(i, i + 1_600))));
  }
  return [...out, ...vad.end()];
}

function noise(seconds: number, amplitude: number, seed = 11): Float32Array {
  return new Float32Array(16_000 * seconds).map(() => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return (seed / 2 ** 31 - 0.5) * amplitude;
  });
}

Deno.test({
  name: "mel VAD: speech in jfk.wav starts near its onset and ends near its end",
  ignore: !hasShared("speech/jfk/jfk.wav"),
  fn: async () => {
    const audio = (await decodeAudioFile(sharedPath("speech/jfk/jfk.wav"))).samples;
    const changes = run(new MelVad({ endSilenceMs: 1500 }), audio);
    assert(changes.length >= 2 && changes[0].state === "speech", JSON.stringify(changes));
    assert(changes[0].audioMs <= 600, `onset ${changes[0].audioMs}`);
    const last = changes[changes.length - 1];
    assert(last.state === "silence" && last.audioMs > 9_500, `end ${JSON.stringify(last)}`);
    for (let i = 1; i < changes.length; i++) {
      assert(changes[i].state !== changes[i - 1].state, "changes alternate");
      assert(changes[i].audioMs >= changes[i - 1].audioMs, "in order");
    }
  },
});

Deno.test("mel VAD: digital silence and steady noise, quiet or loud, are not speech", () => {
  assertEquals(run(new MelVad(), new Float32Array(16_000 * 10)), []);
  for (const amplitude of [0.02, 0.2]) {
    assertEquals(run(new MelVad(), noise(10, amplitude)), [], `noise ±${amplitude / 2}`);
  }
});

Deno.test("mel VAD: a burst after quiet noise is speech, and its end comes after endSilenceMs", () => {
  const x = noise(6, 0.01);
  for (let i = 16_000 * 2; i < 16_000 * 3; i++) {
    x[i] += 0.3 * Math.sin((2 * Math.PI * 300 * i) / 16_000);
  }
  const vad = new MelVad({ endSilenceMs: 500 });
  const changes = run(vad, x);
  assertEquals(changes.map((c) => c.state), ["speech", "silence"]);
  assert(Math.abs(changes[0].audioMs - 2_000) <= 60, `onset ${changes[0].audioMs}`);
  assert(Math.abs(changes[1].audioMs - 3_000) <= 60, `end ${changes[1].audioMs}`);
  assertThrows(() => vad.push(new Float32Array(81)), RangeError, /whole frames/);
});
