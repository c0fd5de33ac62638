import { AudioBuffer, MEL_FORMAT, msToSample, sampleToMs } from "./audio_buffer.ts";
import { assertEquals, assertThrows } from "../../ffi/testing/assert.ts";

const ramp = (from: number, n: number) => Float32Array.from({ length: n }, (_, i) => from + i);

Deno.test("the audio buffer is addressed by absolute time and forgets its front", () => {
  const b = new AudioBuffer();
  b.append(ramp(0, 16_000));
  b.append(ramp(16_000, 200_000)); // grows past its first allocation
  assertEquals(b.endSample, 216_000);
  assertEquals(b.endMs, 13_500);
  assertEquals([...b.slice(1000, 1000.0625)], [16_000]);
  b.dropBefore(1000);
  assertEquals(b.startSample, 16_000);
  assertEquals(b.slice(0, 1000.0625)[0], 16_000, "what was dropped is clamped away");
  assertEquals(b.slice(2000, 1000).length, 0);
  b.append(ramp(216_000, 10));
  assertEquals(b.slice(13_500, 20_000).length, 10);
  assertEquals([msToSample(1000), sampleToMs(8000)], [16_000, 500]);
});

Deno.test("a slice is a copy: appending later does not change it", () => {
  const b = new AudioBuffer();
  b.append(ramp(0, 100));
  const s = b.slice(0, 10);
  b.dropBefore(2);
  b.append(ramp(500, 10));
  assertEquals(s[0], 0);
});

Deno.test("mel frames are buffered whole, 10 ms each", () => {
  const b = new AudioBuffer(MEL_FORMAT);
  b.append(ramp(0, 80 * 250));
  b.append(ramp(80 * 250, 80 * 600)); // grows past its first 8 s
  assertEquals(b.endMs, 8_500);
  assertEquals(b.valuesToMs(800), 100);
  const s = b.slice(20, 40);
  assertEquals([s.length, s[0], s[80]], [160, 160, 240]);
  b.dropBefore(1_000);
  assertEquals(b.startSample, 100);
  assertEquals(b.slice(0, 1_010)[0], 8_000);
  assertThrows(() => b.append(new Float32Array(81)), RangeError, "whole 80-value frames");
});
