import {
  MAX_PCM_SAMPLES,
  MEL_BINS,
  melFrame,
  opusFrame,
  parseFrame,
  pcm16Frame,
} from "./audio_frames.ts";
import { assert, assertEquals, assertThrows } from "../ffi/testing/assert.ts";

Deno.test("PCM16 frames round-trip within one quantization step", () => {
  const x = Float32Array.from({ length: 320 }, (_, i) => Math.sin(i / 7) * 0.9);
  const f = parseFrame(pcm16Frame(42, x));
  assert(f.kind === "pcm16");
  assertEquals(f.seq, 42);
  assertEquals(f.samples.length, 320);
  assert(f.samples.every((s, i) => Math.abs(s - x[i]) < 1 / 16_000), "within a step");
});

Deno.test("Opus and mel frames round-trip", () => {
  const o = parseFrame(opusFrame(0xffffffff, Uint8Array.of(1, 2, 3)));
  assert(o.kind === "opus");
  assertEquals([o.seq, [...o.packet]], [0xffffffff, [1, 2, 3]]);
  const mel = Float32Array.from({ length: 2 * MEL_BINS }, (_, i) => -6 + (i % 50) / 10);
  const m = parseFrame(melFrame(3, mel, -8, 2));
  assert(m.kind === "mel");
  assertEquals([m.seq, m.frames, m.lo, m.hi], [3, 2, -8, 2]);
  m.bins.forEach((q, i) => {
    const x = m.lo + (q * (m.hi - m.lo)) / 255;
    assert(Math.abs(x - mel[i]) <= (m.hi - m.lo) / 255 / 2 + 1e-6, `bin ${i}`);
  });
});

Deno.test("bad frames get clear errors", () => {
  const ok = pcm16Frame(1, new Float32Array(10));
  assertThrows(() => parseFrame(ok.subarray(0, 5)), RangeError, "header");
  assertThrows(
    () => parseFrame(Uint8Array.of(9, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
    RangeError,
    "version 9",
  );
  assertThrows(() => parseFrame(Uint8Array.of(1, 7, 0, 0, 0, 0, 0, 0, 0, 0)), RangeError, "kind 7");
  assertThrows(() => parseFrame(ok.subarray(0, 11)), RangeError, "odd");
  assertThrows(() => parseFrame(ok.subarray(0, 8)), RangeError, "0 samples");
  const big = new Uint8Array(8 + 2 * (MAX_PCM_SAMPLES + 1));
  big[0] = 1;
  assertThrows(() => parseFrame(big), RangeError, "samples");
  assertThrows(() => parseFrame(Uint8Array.of(1, 1, 0, 0, 0, 0, 0, 0)), RangeError, "Opus");
  const mel = melFrame(0, new Float32Array(MEL_BINS), 0, 1);
  assertThrows(() => parseFrame(mel.subarray(0, mel.length - 1)), RangeError, "whole number");
  new DataView(mel.buffer).setFloat32(12, -1, true);
  assertThrows(() => parseFrame(mel), RangeError, "rising");
  assertThrows(() => parseFrame("text" as unknown as Uint8Array), TypeError, "text");
});

Deno.test("the encoders refuse what the parser would refuse (fuzz counterexamples)", () => {
  // Each of these used to make a frame that parseFrame then refused.
  assertThrows(() => opusFrame(0, new Uint8Array(0)), RangeError, "0 bytes, 1 to 4000");
  assertThrows(() => opusFrame(0, new Uint8Array(4001)), RangeError, "4001 bytes");
  const one = new Float32Array(MEL_BINS);
  assertThrows(() => melFrame(0, one, 0, 0), RangeError, "range [0, 0]");
  assertThrows(() => melFrame(0, one, 1, 1 + 1e-9), RangeError, "as 32-bit floats");
  assertThrows(() => melFrame(0, one.fill(3e38)), RangeError, "not finite and rising");
  assertThrows(() => melFrame(0, new Float32Array(101 * MEL_BINS)), RangeError, "101 frames");
  assertEquals(parseFrame(melFrame(0, new Float32Array(100 * MEL_BINS), -1, 0)).kind, "mel");
});
