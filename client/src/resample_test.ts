import { Downsampler } from "./resample.ts";
import { sine } from "../../ffi/testing/signal.ts";
import { assert, assertEquals, assertThrows } from "../../ffi/testing/assert.ts";

function rms(x: Float32Array, from = 0, to = x.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i] * x[i];
  return Math.sqrt(s / (to - from));
}

function run(d: Downsampler, x: Float32Array, chunk: number): Float32Array {
  const parts: number[] = [];
  for (let i = 0; i < x.length; i += chunk) parts.push(...d.push(x.subarray(i, i + chunk)));
  return Float32Array.from(parts);
}

Deno.test("downsampling keeps speech frequencies, removes what would alias, at any ratio", () => {
  for (const rate of [48_000, 44_100, 22_050]) {
    const pass = run(new Downsampler(rate), sine(1_000, rate, 1, 0.5), 128);
    // One second in: about 16 000 samples out (less the kernel's look-ahead).
    assert(pass.length > 15_900 && pass.length <= 16_000, `${rate}: ${pass.length} samples`);
    const kept = rms(pass, 1_000, 15_000) / (0.5 / Math.SQRT2);
    assert(Math.abs(kept - 1) < 0.01, `${rate}: 1 kHz kept at ${kept}`);
    // And it is still a 1 kHz sine at 16 kHz: compare with one made there.
    const ref = sine(1_000, 16_000, 1, 0.5);
    let err = 0;
    for (let i = 1_000; i < 15_000; i++) err = Math.max(err, Math.abs(pass[i] - ref[i]));
    assert(err < 0.01, `${rate}: largest difference ${err}`);
    if (rate > 20_000) {
      const stop = run(new Downsampler(rate), sine(9_500, rate, 1, 0.5), 128);
      const left = rms(stop, 1_000, 15_000) / (0.5 / Math.SQRT2);
      assert(left < 0.01, `${rate}: 9.5 kHz left at ${left} (would alias to 6.5 kHz)`);
    }
  }
});

Deno.test("downsampling does not depend on chunking; equal rates pass through", () => {
  const x = sine(440, 48_000, 0.5, 0.3);
  const a = run(new Downsampler(48_000), x, 128);
  const b = run(new Downsampler(48_000), x, 1_000);
  assertEquals(a.length, b.length);
  assert(a.every((v, i) => Math.abs(v - b[i]) < 1e-6));
  const same = new Downsampler(16_000);
  assertEquals([...same.push(Float32Array.of(1, 2))], [1, 2]);
  assertThrows(() => new Downsampler(8_000), RangeError, "only downsampling");
});
