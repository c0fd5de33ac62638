import { Fft400, HOP, LogMel, melFilterbank, N_BINS, N_MELS } from "./mel.ts";
import { SAMPLE_RATE_HZ } from "./audio.ts";
import { hasShared, sharedPath } from "../ffi/testing/shared.ts";
import { assert, assertEquals, assertThrows } from "../ffi/testing/assert.ts";
import { sine } from "../ffi/testing/signal.ts";

const MODEL = "models/ggml-tiny.en.bin";

/** The mel filters a whisper.cpp model file carries after its 11 hyper-parameters. */
function filtersOf(path: string): { nMel: number; nFft: number; data: Float32Array } {
  const f = Deno.openSync(path);
  try {
    const head = new Uint8Array(56);
    f.readSync(head);
    const v = new DataView(head.buffer);
    const nMel = v.getInt32(48, true);
    const nFft = v.getInt32(52, true);
    const bytes = new Uint8Array(nMel * nFft * 4);
    let o = 0;
    while (o < bytes.length) o += f.readSync(bytes.subarray(o)) ?? 0;
    return { nMel, nFft, data: new Float32Array(bytes.buffer) };
  } finally {
    f.close();
  }
}

Deno.test({
  name: "the computed mel filterbank equals the one in the model file",
  ignore: !hasShared(MODEL),
  fn: () => {
    const stored = filtersOf(sharedPath(MODEL));
    assertEquals([stored.nMel, stored.nFft], [N_MELS, N_BINS]);
    const ours = melFilterbank();
    let worst = 0;
    for (let i = 0; i < ours.length; i++) {
      worst = Math.max(worst, Math.abs(ours[i] - stored.data[i]));
    }
    assert(worst < 1e-6, `largest difference ${worst}`);
  },
});

Deno.test("log-mel frames: 10 ms each, streamed in any chunking, a tone in its band", () => {
  const x = sine(1_000, SAMPLE_RATE_HZ, 1, 0.5);
  const whole = new LogMel().push(x);
  assertEquals(whole.length / N_MELS, Math.floor((x.length - 200) / HOP) + 1, "Whisper's count");
  const chunked = new LogMel();
  const parts: Float32Array[] = [];
  for (let i = 0; i < x.length; i += 333) parts.push(chunked.push(x.subarray(i, i + 333)));
  const joined = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) (joined.set(p, o), o += p.length);
  assertEquals(joined.length, whole.length);
  assert(joined.every((v, i) => Math.abs(v - whole[i]) < 1e-4), "chunking changes nothing");
  // The loudest bin of a 1 kHz tone is the filter centred nearest 1 kHz; silence is at the floor.
  const frame = whole.subarray(50 * N_MELS, 51 * N_MELS);
  const peak = frame.indexOf(Math.max(...frame));
  const fb = melFilterbank();
  const k1k = Math.round((1_000 * 400) / SAMPLE_RATE_HZ);
  let best = 0;
  for (let m = 1; m < N_MELS; m++) if (fb[m * N_BINS + k1k] > fb[best * N_BINS + k1k]) best = m;
  assertEquals(peak, best);
  const quiet = new LogMel().push(new Float32Array(800));
  assert(quiet.every((v) => v === -10), "digital silence sits at log10(1e-10)");
});

Deno.test("the 400-point FFT gives the plain DFT's power in every bin kept", () => {
  let seed = 7;
  const x = Float32Array.from({ length: 400 }, () => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647 - 0.5;
  });
  const fast = new Float64Array(N_BINS);
  new Fft400().power(x, fast);
  for (let k = 0; k < N_BINS; k++) {
    let re = 0, im = 0;
    for (let n = 0; n < 400; n++) {
      re += x[n] * Math.cos((2 * Math.PI * k * n) / 400);
      im -= x[n] * Math.sin((2 * Math.PI * k * n) / 400);
    }
    const plain = re * re + im * im;
    assert(
      Math.abs(fast[k] - plain) <= 1e-9 * Math.max(1, plain),
      `bin ${k}: ${fast[k]} ≠ ${plain}`,
    );
  }
  assertThrows(() => new Fft400().power(new Float32Array(399), fast), RangeError, "not 400");
});
