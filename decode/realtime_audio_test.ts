import { aLawToFloat, fromBase64, muLawToFloat, RealtimeAudioDecoder } from "./realtime_audio.ts";
import { assert, assertEquals, assertThrows } from "../ffi/testing/assert.ts";

Deno.test("G.711: the code points ITU-T G.711 fixes decode to their linear values", () => {
  // μ-law: 0xFF and 0x7F are the two zeros; 0x80 and 0x00 the extremes (±32 124 of 32 768).
  assertEquals(muLawToFloat(0xff), 0);
  assertEquals(muLawToFloat(0x7f), 0);
  assertEquals(muLawToFloat(0x80), 32_124 / 32_768);
  assertEquals(muLawToFloat(0x00), -32_124 / 32_768);
  // A-law: 0xD5 / 0x55 are ±8 (the smallest step), 0xAA / 0x2A the extremes (±32 256).
  assertEquals(aLawToFloat(0xd5), 8 / 32_768);
  assertEquals(aLawToFloat(0x55), -8 / 32_768);
  assertEquals(aLawToFloat(0xaa), 32_256 / 32_768);
  assertEquals(aLawToFloat(0x2a), -32_256 / 32_768);
  // Both are monotonic within a sign: a larger code magnitude is a larger value.
  for (let b = 0x80; b < 0xff; b++) assert(muLawToFloat(b) > muLawToFloat(b + 1), `μ ${b}`);
});

Deno.test("fromBase64: bytes back, and a clear error for text that is not base64", () => {
  assertEquals([...fromBase64(btoa("\x00\x01\xff"))], [0, 1, 255]);
  assertThrows(() => fromBase64("***"), RangeError, "not base64");
});

/** `n` samples of a `hz` sine at `rate`, as PCM16LE bytes. */
function sinePcm16(hz: number, rate: number, n: number): Uint8Array {
  const b = new Uint8Array(n * 2);
  const v = new DataView(b.buffer);
  for (let i = 0; i < n; i++) {
    v.setInt16(i * 2, Math.round(Math.sin((2 * Math.PI * hz * i) / rate) * 16_000), true);
  }
  return b;
}

/** Zero crossings per second of `x` at 16 kHz (twice the frequency of a sine). */
const crossingsPerS = (x: Float32Array) => {
  let n = 0;
  for (let i = 1; i < x.length; i++) if ((x[i - 1] < 0) !== (x[i] < 0)) n++;
  return (n * 16_000) / x.length;
};

Deno.test("RealtimeAudioDecoder: 24 kHz PCM16 in odd-sized chunks → 16 kHz, the tone kept", () => {
  using dec = new RealtimeAudioDecoder("audio/pcm");
  const bytes = sinePcm16(440, 24_000, 24_000);
  const parts: Float32Array[] = [];
  // Chunks of odd byte counts: a sample split across two appends is joined.
  for (let i = 0; i < bytes.length; i += 999) parts.push(dec.push(bytes.subarray(i, i + 999)));
  parts.push(dec.flush());
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) (out.set(p, o), o += p.length);
  assert(Math.abs(out.length - 16_000) <= 2, `16 kHz length ${out.length}`);
  assertEquals(Math.round(dec.takenMs), 1_000);
  const mid = out.subarray(1_000, 15_000);
  assert(Math.abs(crossingsPerS(mid) - 880) < 5, `crossings ${crossingsPerS(mid)}`);
  const peak = mid.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
  assert(Math.abs(peak - 16_000 / 32_768) < 0.01, `amplitude ${peak}`);
});

Deno.test("RealtimeAudioDecoder: 8 kHz μ-law and A-law → 16 kHz, the tone kept", () => {
  for (const type of ["audio/pcmu", "audio/pcma"] as const) {
    using dec = new RealtimeAudioDecoder(type);
    // A 300 Hz tone: the code nearest each sample value.
    const table = Array.from(
      { length: 256 },
      (_, b) => type === "audio/pcmu" ? muLawToFloat(b) : aLawToFloat(b),
    );
    const code = (x: number) => {
      let best = 0;
      for (let b = 1; b < 256; b++) {
        if (Math.abs(table[b] - x) < Math.abs(table[best] - x)) best = b;
      }
      return best;
    };
    const bytes = Uint8Array.from(
      { length: 8_000 },
      (_, i) => code(0.4 * Math.sin((2 * Math.PI * 300 * i) / 8_000)),
    );
    const out = [dec.push(bytes), dec.flush()];
    const all = new Float32Array(out[0].length + out[1].length);
    all.set(out[0]);
    all.set(out[1], out[0].length);
    assert(Math.abs(all.length - 16_000) <= 2, `${type}: length ${all.length}`);
    const mid = all.subarray(1_000, 15_000);
    assert(Math.abs(crossingsPerS(mid) - 600) < 5, `${type}: ${crossingsPerS(mid)}`);
  }
});
