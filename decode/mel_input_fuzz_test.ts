import fc from "fast-check";
import { dequantizeMel } from "./mel_input.ts";
import { MAX_MEL_FRAMES, MEL_BINS, parseFrame } from "../protocol/audio_frames.ts";
import { assert } from "../ffi/testing/assert.ts";
import { fuzz } from "../ffi/testing/fuzz.ts";

/** A mel frame's range as parseFrame lets it through: finite 32-bit floats, rising. */
const range = fc.tuple(
  fc.float({ noNaN: true, noDefaultInfinity: true }),
  fc.float({ noNaN: true, noDefaultInfinity: true }),
)
  .filter(([a, b]) => a !== b)
  .map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const);

Deno.test("dequantizeMel: every value of an accepted frame is finite, in [lo, hi] and rising with q", () => {
  fuzz(
    "mel_input.dequantizeMel",
    fc.property(
      range,
      fc.integer({ min: 1, max: MAX_MEL_FRAMES }).chain((n) =>
        fc.uint8Array({ minLength: n * MEL_BINS, maxLength: n * MEL_BINS })
      ),
      ([lo, hi], bins) => {
        // Through the parser, as the session does.
        const frame = new Uint8Array(16 + bins.length);
        const v = new DataView(frame.buffer);
        frame[0] = 1, frame[1] = 2;
        v.setFloat32(8, lo, true), v.setFloat32(12, hi, true);
        frame.set(bins, 16);
        const f = parseFrame(frame);
        assert(f.kind === "mel");
        const out = dequantizeMel(f.bins, f.lo, f.hi);
        assert(out.length === bins.length, "one value per bin");
        // Float32 storage may round a value by half an ulp past the range's ends.
        const slack = Math.max(Math.abs(lo), Math.abs(hi)) * 2 ** -23;
        out.forEach((x, i) => {
          assert(Number.isFinite(x), `value ${i} is ${x}`);
          assert(x >= lo - slack && x <= hi + slack, `value ${i}: ${x} outside [${lo}, ${hi}]`);
        });
        // The mapping from q is monotone: each of the 256 levels at or above the one below.
        const levels = dequantizeMel(Uint8Array.from({ length: 256 }, (_, q) => q), lo, hi);
        for (let q = 1; q < 256; q++) assert(levels[q] >= levels[q - 1], `level ${q} falls`);
      },
    ),
    { runs: 300 },
  );
});
