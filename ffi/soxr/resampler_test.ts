import { defaultSoxrNames, openSoxr } from "./library.ts";
import { qualitySpec, resample, Resampler } from "./resampler.ts";
import { SOXR_QUALITY_SPEC } from "./layout.ts";
import {
  assert,
  assertEquals,
  assertNear,
  assertRejects,
  assertThrows,
} from "../testing/assert.ts";
import { fitSine, prng, rms, sine } from "../testing/signal.ts";

/** Feeds `x` to `r` in chunks of seeded random sizes (1 … `max` frames), then flushes. */
function streamed(r: Resampler, x: Float32Array, seed: number, max: number): Float32Array {
  const next = prng(seed);
  const parts: Float32Array[] = [];
  for (let at = 0; at < x.length;) {
    const frames = 1 + Math.floor(next() * max);
    const end = Math.min(x.length, at + frames * r.channels);
    parts.push(r.process(x.subarray(at, end)));
    at = end;
  }
  parts.push(r.flush());
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** A test signal: two tones and a little seeded noise. */
function signal(rate: number, seconds: number, seed = 1): Float32Array {
  const a = sine(440, rate, seconds, 0.4), b = sine(3100, rate, seconds, 0.2, 1);
  const next = prng(seed);
  return a.map((v, i) => v + b[i] + 0.01 * (next() - 0.5));
}

Deno.test("openSoxr reports the library it opened", () => {
  assert(openSoxr().version.startsWith("libsoxr-0."), openSoxr().version);
  assertEquals(defaultSoxrNames("linux"), ["libsoxr.so.0"]);
});

Deno.test("a bad HUM_SOXR_LIB fails with what was tried and how to install", async () => {
  const code = `import { openSoxr } from ${JSON.stringify(import.meta.resolve("./library.ts"))};
try { openSoxr(); } catch (e) { console.log(e.message); }`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    env: { HUM_SOXR_LIB: "/nonexistent/libsoxr.so" },
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert(text.startsWith("Cannot open libsoxr: tried /nonexistent/libsoxr.so ("), text);
  assert(text.includes("apt-get install libsoxr0"), text);
});

Deno.test("qualitySpec comes from soxr_quality_spec: SOXR_HQ is 20-bit, linear phase", () => {
  const spec = qualitySpec("high");
  assertEquals(spec.length, SOXR_QUALITY_SPEC.size);
  const v = new DataView(spec.buffer);
  assertEquals(v.getFloat64(SOXR_QUALITY_SPEC.fields.precision[0], true), 20);
  assertEquals(v.getFloat64(SOXR_QUALITY_SPEC.fields.phase_response[0], true), 50);
  assertEquals(new DataView(qualitySpec("very-high").buffer).getFloat64(0, true), 28);
  assertThrows(() => qualitySpec("best" as never), RangeError, "unknown");
});

Deno.test("resample (one shot) gives round(n × ratio) frames for several ratios", async () => {
  for (const [from, to] of [[48000, 16000], [44100, 16000], [8000, 16000], [22050, 16000]]) {
    const x = signal(from, 1.2345);
    const y = await resample(x, { inputRate: from, outputRate: to });
    assertNear(y.length, (x.length * to) / from, 1, `${from} → ${to} length`);
  }
});

Deno.test("a 1 kHz tone at 48 kHz keeps its frequency and amplitude at 16 kHz", async () => {
  const y = await resample(sine(1000, 48000, 2, 0.5), { inputRate: 48000, outputRate: 16000 });
  assertEquals(y.length, 32000);
  const mid = y.subarray(1600, 30400); // skip the filter's edges
  const fit = fitSine(mid, 1000, 16000);
  assertNear(fit.amplitude, 0.5, 0.005, "amplitude");
  assert(fit.residualRms < 0.002, `residual ${fit.residualRms}`);
  // It stays a tone at 1 kHz: next to nothing at 1.1 kHz.
  assert(fitSine(mid, 1100, 16000).amplitude < 0.01, "energy leaked to 1.1 kHz");
});

Deno.test("a 12 kHz tone at 48 kHz is removed by the anti-alias filter at 16 kHz", async () => {
  const x = sine(12000, 48000, 2, 0.5);
  const y = await resample(x, { inputRate: 48000, outputRate: 16000 });
  // 12 kHz is above the new 8 kHz Nyquist: a naive decimator would alias it to 4 kHz.
  assert(rms(y) < 0.01 * rms(x), `rms after ${rms(y)} vs before ${rms(x)}`);
});

Deno.test("streaming in random-sized chunks equals one shot after flush (mono and stereo)", async () => {
  for (const [from, to, channels] of [[48000, 16000, 1], [44100, 16000, 1], [8000, 16000, 2]]) {
    const mono = signal(from, 3.01, from);
    const x = channels === 1
      ? mono
      : Float32Array.from({ length: mono.length * 2 }, (_, i) =>
        i % 2 ? -0.5 * mono[i >> 1] + ((i >> 1) % 7) * 1e-3 : mono[i >> 1]);
    const one = await resample(x, { inputRate: from, outputRate: to, channels });
    for (const [seed, max] of [[1, 37], [2, 4000], [3, 20000]]) {
      using r = new Resampler({ inputRate: from, outputRate: to, channels });
      const s = streamed(r, x, seed, max);
      assertEquals(s.length, one.length, `${from}→${to}×${channels} seed ${seed} length`);
      const d = maxDiff(s, one);
      assert(d < 1e-4, `${from}→${to}×${channels} seed ${seed}: max difference ${d}`);
    }
  }
});

Deno.test("flush is explicit and once; reset starts a fresh stream; close is idempotent", () => {
  const x = signal(48000, 0.5);
  const r = new Resampler({ inputRate: 48000, outputRate: 16000 });
  assertEquals(r.quality, "high");
  assert(r.engine.length > 0);
  const first = streamed(r, x, 9, 500);
  assert(r.flushed);
  assertThrows(() => r.process(x), Error, "flushed");
  assertThrows(() => r.flush(), Error, "already flushed");
  r.reset();
  assert(!r.flushed);
  const again = streamed(r, x, 10, 3000);
  assertEquals(again.length, first.length);
  assert(maxDiff(again, first) < 1e-6, "reset did not start afresh");
  r.close();
  r.close();
  r[Symbol.dispose]();
  assert(r.closed);
  assertThrows(() => r.process(x), Error, "Cannot process: the resampler is closed");
  assertThrows(() => r.delay, Error, "closed");
});

Deno.test("empty input gives empty output; without flush, output lags by the filter delay", () => {
  using r = new Resampler({ inputRate: 48000, outputRate: 16000 });
  assertEquals(r.process(new Float32Array(0)).length, 0);
  const got = r.process(signal(48000, 1)).length;
  assert(got < 16000, `got ${got} frames before flush`);
  assertEquals(got + r.flush().length, 16000);
});

Deno.test("bad arguments are rejected with clear errors", async () => {
  assertThrows(
    () => new Resampler({ inputRate: 0, outputRate: 16000 }),
    RangeError,
    "input rate 0",
  );
  assertThrows(
    () => new Resampler({ inputRate: 8000, outputRate: NaN }),
    RangeError,
    "output rate NaN",
  );
  assertThrows(
    () => new Resampler({ inputRate: 8000, outputRate: 16000, channels: 0 }),
    RangeError,
    "0 channels",
  );
  using r = new Resampler({ inputRate: 8000, outputRate: 16000, channels: 2 });
  assertThrows(() => r.process(new Float32Array(3)), RangeError, "multiple of 2 channels");
  await assertRejects(
    () => resample(new Float32Array(5), { inputRate: 8000, outputRate: 16000, channels: 2 }),
    RangeError,
    "multiple of 2 channels",
  );
  assertThrows(
    () => new Resampler({ inputRate: 1e12, outputRate: 1 }),
    RangeError,
    "is a ratio beyond 1:256",
  );
});

Deno.test("resample at equal rates returns a copy", async () => {
  const x = signal(16000, 0.1);
  const y = await resample(x, { inputRate: 16000, outputRate: 16000 });
  assertEquals(Array.from(y), Array.from(x));
  assert(y.buffer !== x.buffer);
});
