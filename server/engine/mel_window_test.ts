import { melWindow } from "./mel_window.ts";
import { dequantizeMel } from "../../decode/mel_input.ts";
import { LogMel } from "../../protocol/mel.ts";
import { melFrame, parseFrame } from "../../protocol/audio_frames.ts";
import { decodeAudioFile } from "../../decode/audio_file.ts";
import { WhisperModel } from "../../ffi/whisper/mod.ts";
import { corpusWer } from "../../bench/metrics/wer.ts";
import { hasShared, sharedPath } from "../../ffi/testing/shared.ts";
import { assert, assertEquals } from "../../ffi/testing/assert.ts";

Deno.test("a mel window is clamped to max − 8, scaled, padded and bin-major", () => {
  // Two frames: bin m of frame t holds t·10 − m/10 (so frame 1, bin 0 is the max, 10).
  const frames = Float32Array.from(
    { length: 160 },
    (_, i) => Math.floor(i / 80) * 10 - (i % 80) / 10,
  );
  const { mel, nLen } = melWindow(frames, 4);
  assertEquals(nLen, 4);
  const at = (m: number, t: number) => mel[m * nLen + t];
  assertEquals(at(0, 1), (10 + 4) / 4);
  assertEquals(at(0, 0), (2 + 4) / 4, "frame 0 (0 and below) is clamped at 10 − 8");
  assertEquals(at(5, 3), (2 + 4) / 4, "padding sits at the clamp floor");
  assert(Math.abs(at(10, 1) - (9 + 4) / 4) < 1e-6);
});

Deno.test({
  name: "privacy mode's path: client log-mel → 8-bit frames → server window → Whisper hears jfk",
  ignore: !hasShared("models/ggml-tiny.en.bin", "speech/jfk/jfk.wav"),
  fn: async () => {
    const audio = (await decodeAudioFile(sharedPath("speech/jfk/jfk.wav"))).samples;
    const logMel = new LogMel();
    const received: Float32Array[] = [];
    // The client: 100 ms chunks, each sent as one 8-bit frame message over a fixed range.
    for (let i = 0, seq = 0; i < audio.length; i += 1_600) {
      const frames = logMel.push(audio.subarray(i, i + 1_600));
      if (!frames.length) continue;
      const f = parseFrame(melFrame(seq++, frames, -10, 3));
      assert(f.kind === "mel");
      received.push(dequantizeMel(f.bins, f.lo, f.hi));
    }
    const all = new Float32Array(received.reduce((n, r) => n + r.length, 0));
    let o = 0;
    for (const r of received) (all.set(r, o), o += r.length);
    // The server: one window, padded to Whisper's 30 s as its own audio path is.
    const { mel, nLen } = melWindow(all, 3_000);
    using model = await WhisperModel.load(sharedPath("models/ggml-tiny.en.bin"));
    using state = await model.createState();
    const r = await state.fullFromMel(mel, nLen, {
      strategy: "beam",
      beamSize: 5,
      threads: 2,
      language: "en",
      noTimestamps: true,
    });
    const text = r.segments.map((s) => s.text).join(" ");
    const ref = Deno.readTextFileSync(sharedPath("speech/jfk/jfk.txt"));
    const wer = corpusWer([{ ref, hyp: text }]).wer;
    assert(wer < 0.1, `jfk from 8-bit mel frames: WER ${wer}: ${text}`);
    console.log(`jfk from 8-bit mel frames: WER ${(wer * 100).toFixed(1)} %: ${text.trim()}`);
  },
});
