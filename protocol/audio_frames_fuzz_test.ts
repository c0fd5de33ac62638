import fc from "fast-check";
import {
  type AudioFrame,
  FRAME_HEADER_BYTES,
  FRAME_VERSION,
  MAX_MEL_FRAMES,
  MAX_OPUS_BYTES,
  MAX_PCM_SAMPLES,
  MEL_BINS,
  melFrame,
  opusFrame,
  parseFrame,
  pcm16Frame,
} from "./audio_frames.ts";
import { assert, assertEquals } from "../ffi/testing/assert.ts";
import { bytes, expectContractError, fuzz, mutated, thrown } from "../ffi/testing/fuzz.ts";

const PREFIX = /^Cannot read (audio|PCM16|Opus|mel) frame: /;

/** A frame the parser returned, checked against the format's ranges and its own bytes. */
function checkFrame(f: AudioFrame, data: Uint8Array): void {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  assertEquals(f.seq, view.getUint32(4, true), "seq");
  const body = data.length - FRAME_HEADER_BYTES;
  switch (f.kind) {
    case "pcm16":
      assert(f.samples.length >= 1 && f.samples.length <= MAX_PCM_SAMPLES, "sample count");
      assertEquals(f.samples.length * 2, body, "samples × 2 = payload");
      assert(f.samples.every((s) => s >= -1 && s < 1), "a sample outside [-1, 1)");
      break;
    case "opus":
      assert(f.packet.length >= 1 && f.packet.length <= MAX_OPUS_BYTES, "packet length");
      assertEquals([...f.packet], [...data.subarray(FRAME_HEADER_BYTES)], "packet bytes");
      break;
    case "mel":
      assert(Number.isFinite(f.lo) && Number.isFinite(f.hi) && f.hi > f.lo, "range");
      assert(f.frames >= 1 && f.frames <= MAX_MEL_FRAMES, "frame count");
      assertEquals(f.bins.length, f.frames * MEL_BINS, "bins");
      assertEquals(f.bins.length + 8, body, "payload");
      break;
  }
}

/** What `parseFrame` must do with any bytes: a frame within the format, or a RangeError. */
function checkParse(data: Uint8Array): void {
  let f: AudioFrame | undefined;
  expectContractError(thrown(() => (f = parseFrame(data))), [RangeError], PREFIX);
  if (f) checkFrame(f, data);
}

/** A header (valid or not) followed by a payload, often of a plausible length. */
const framed = fc.record({
  version: fc.oneof(fc.constant(FRAME_VERSION), fc.nat(255)),
  kind: fc.oneof(fc.constantFrom(0, 1, 2), fc.nat(255)),
  reserved: fc.nat(0xffff),
  seq: fc.oneof(fc.constantFrom(0, 1, 0x7fffffff, 0xffffffff), fc.nat({ max: 0xffffffff })),
  payload: fc.oneof(
    bytes(512),
    fc.integer({ min: 0, max: MAX_PCM_SAMPLES + 2 }).map((n) => new Uint8Array(2 * n)),
    fc.integer({ min: 0, max: MAX_OPUS_BYTES + 2 }).map((n) => new Uint8Array(n).fill(0xfc)),
    fc.record({
      lo: fc.float(),
      hi: fc.float(),
      frames: fc.integer({ min: 0, max: MAX_MEL_FRAMES + 2 }),
      extra: fc.integer({ min: -1, max: 1 }),
    }).map(({ lo, hi, frames, extra }) => {
      const b = new Uint8Array(Math.max(0, 8 + frames * MEL_BINS + extra));
      const v = new DataView(b.buffer);
      if (b.length >= 8) (v.setFloat32(0, lo, true), v.setFloat32(4, hi, true));
      return b;
    }),
  ),
}).map(({ version, kind, reserved, seq, payload }) => {
  const out = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  const v = new DataView(out.buffer);
  v.setUint8(0, version);
  v.setUint8(1, kind);
  v.setUint16(2, reserved, true);
  v.setUint32(4, seq, true);
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
});

Deno.test("parseFrame: any bytes are a frame within the format, or a RangeError", () => {
  fuzz("audio_frames.parseFrame(bytes)", fc.property(bytes(1024), checkParse), { runs: 800 });
});

Deno.test("parseFrame: frames with random headers and payload sizes", () => {
  fuzz("audio_frames.parseFrame(framed)", fc.property(framed, checkParse), { runs: 800 });
});

Deno.test("parseFrame: a view into a larger buffer reads only its own bytes", () => {
  fuzz(
    "audio_frames.parseFrame(view)",
    fc.property(framed, bytes(16), bytes(16), (frame, before, after) => {
      const buf = new Uint8Array(before.length + frame.length + after.length);
      buf.set(before), buf.set(frame, before.length), buf.set(after, before.length + frame.length);
      const view = buf.subarray(before.length, before.length + frame.length);
      const a = thrown(() => parseFrame(frame)), b = thrown(() => parseFrame(view));
      assertEquals(String(a), String(b), "the same verdict");
      if (!a) assertEquals(parseFrame(view), parseFrame(frame), "the same frame");
      checkParse(view);
    }),
    { runs: 300 },
  );
});

Deno.test("parseFrame: anything that is not bytes is a TypeError", () => {
  fuzz(
    "audio_frames.parseFrame(not bytes)",
    fc.property(fc.oneof(fc.anything(), fc.string()), (x) => {
      fc.pre(!(x instanceof Uint8Array));
      expectContractError(thrown(() => parseFrame(x as Uint8Array)), [TypeError], PREFIX);
      assert(thrown(() => parseFrame(x as Uint8Array)), "accepted a non-binary value");
    }),
    { runs: 300 },
  );
});

Deno.test("parseFrame: mutations of valid frames", () => {
  const seeds = [
    pcm16Frame(5, Float32Array.from({ length: 320 }, (_, i) => Math.sin(i / 9))),
    opusFrame(7, Uint8Array.of(0x78, 1, 2, 3, 4, 5)),
    melFrame(9, Float32Array.from({ length: 3 * MEL_BINS }, (_, i) => -4 + (i % 17) / 5)),
  ];
  fuzz(
    "audio_frames.parseFrame(mutated)",
    fc.property(fc.constantFrom(...seeds).chain((s) => mutated(s, 4)), checkParse),
    { runs: 600 },
  );
});

const seqArb = fc.oneof(fc.constantFrom(0, 0xffffffff), fc.nat({ max: 0xffffffff }));

Deno.test("pcm16Frame → parseFrame round-trips within one quantization step", () => {
  fuzz(
    "audio_frames.pcm16 round-trip",
    fc.property(
      seqArb,
      fc.float32Array({ minLength: 1, maxLength: 2000 }),
      (seq, x) => {
        const f = parseFrame(pcm16Frame(seq, x));
        assert(f.kind === "pcm16" && f.seq === seq);
        assertEquals(f.samples.length, x.length);
        f.samples.forEach((s, i) => {
          const want = Number.isNaN(x[i]) ? 0 : Math.max(-1, Math.min(1, x[i]));
          assert(Math.abs(s - want) <= 1.5 / 32768, `sample ${i}: ${x[i]} came back as ${s}`);
        });
      },
    ),
    { runs: 300 },
  );
});

Deno.test("opusFrame → parseFrame returns the packet; the encoder refuses what the parser would", () => {
  fuzz(
    "audio_frames.opus round-trip",
    fc.property(seqArb, fc.oneof(bytes(64), bytes(MAX_OPUS_BYTES + 8)), (seq, packet) => {
      const made = thrown(() => opusFrame(seq, packet));
      const ok = packet.length >= 1 && packet.length <= MAX_OPUS_BYTES;
      if (!ok) {
        return expectContractError(made ?? new Error("made an unreadable frame"), [RangeError]);
      }
      assert(!made, String(made));
      const f = parseFrame(opusFrame(seq, packet));
      assert(f.kind === "opus" && f.seq === seq);
      assertEquals([...f.packet], [...packet]);
    }),
    { runs: 300 },
  );
});

Deno.test("melFrame → parseFrame round-trips within half a step; every frame it makes reads back", () => {
  const values = fc.oneof(
    fc.float({ min: -12, max: 4, noNaN: true }),
    fc.float({ noNaN: true }),
    fc.float(),
  );
  fuzz(
    "audio_frames.mel round-trip",
    fc.property(
      seqArb,
      fc.integer({ min: 0, max: MAX_MEL_FRAMES + 3 }).chain((n) =>
        fc.array(values, { minLength: n * MEL_BINS, maxLength: n * MEL_BINS })
      ),
      fc.option(fc.tuple(fc.double(), fc.double()), { nil: undefined }),
      (seq, vals, range) => {
        const mel = Float32Array.from(vals);
        let frame: Uint8Array | undefined;
        const err = thrown(
          () => (frame = range ? melFrame(seq, mel, ...range) : melFrame(seq, mel)),
        );
        expectContractError(err, [RangeError], /^Cannot (make mel frame|quantize mel): /);
        if (!frame) return;
        const f = parseFrame(frame); // what the encoder makes, the parser must take
        assert(f.kind === "mel" && f.seq === seq);
        assertEquals(f.frames * MEL_BINS, mel.length);
        const step = (f.hi - f.lo) / 255;
        f.bins.forEach((q, i) => {
          const x = mel[i];
          if (!Number.isFinite(x)) return;
          const want = Math.max(f.lo, Math.min(f.hi, x));
          const got = f.lo + q * step;
          assert(Math.abs(got - want) <= step / 2 + Math.abs(want) * 1e-6, `bin ${i}`);
        });
      },
    ),
    { runs: 300 },
  );
});
