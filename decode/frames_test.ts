import { FrameDecoder, MAX_GAP_MS, SILENT_MEL } from "./frames.ts";
import { MEL_BINS, melFrame, opusFrame, parseFrame, pcm16Frame } from "../protocol/audio_frames.ts";
import { OpusEncoder, OpusError } from "../ffi/opus/mod.ts";
import { assert, assertEquals, assertThrows } from "../ffi/testing/assert.ts";
import { sine } from "../ffi/testing/signal.ts";

const total = (chunks: Float32Array[]) => chunks.reduce((n, c) => n + c.length, 0);

Deno.test("PCM16 frames: the samples, after silence for the frames lost before them (capped)", () => {
  using dec = new FrameDecoder();
  const samples = sine(440, 16_000, 0.02, 0.5);
  const frame = parseFrame(pcm16Frame(7, samples));
  const plain = dec.decode(frame);
  assertEquals(plain.kind, "pcm");
  assertEquals(plain.chunks.length, 1);
  assertEquals(plain.chunks[0], (frame as { samples: Float32Array }).samples);
  const after2 = dec.decode(frame, 2);
  assertEquals(after2.chunks.map((c) => c.length), [640, 320]);
  assert(after2.chunks[0].every((x) => x === 0), "silence");
  const afterMany = dec.decode(frame, 1_000_000);
  assertEquals(afterMany.chunks[0].length, MAX_GAP_MS * 16, "capped at MAX_GAP_MS");
});

Deno.test("Opus frames: decoded at 16 kHz; lost ones concealed first; a bad packet throws", () => {
  using enc = new OpusEncoder({ rate: 16_000 });
  using dec = new FrameDecoder();
  const tone = sine(300, 16_000, 0.2, 0.4);
  const packets = Array.from(
    { length: 10 },
    (_, i) => enc.encode(tone.subarray(i * 320, i * 320 + 320)),
  );
  const first = dec.decode(parseFrame(opusFrame(0, packets[0])));
  assertEquals(first.kind, "pcm");
  assertEquals(total(first.chunks), 320, "20 ms");
  const afterLoss = dec.decode(parseFrame(opusFrame(4, packets[4])), 3);
  assertEquals(total(afterLoss.chunks), 4 * 320, "3 lost frames concealed, then this one");
  assertThrows(
    () => dec.decode(parseFrame(opusFrame(5, new Uint8Array([0xff, 0xff, 0xff])))),
    OpusError,
  );
});

Deno.test("mel frames: dequantized; lost ones stand in as digital silence's log-mel (capped)", () => {
  using dec = new FrameDecoder();
  const mel = new Float32Array(2 * MEL_BINS).map((_, i) => -4 + (i % 7) / 2);
  const frame = parseFrame(melFrame(3, mel));
  const plain = dec.decode(frame);
  assertEquals(plain.kind, "mel");
  assertEquals(plain.chunks.length, 1);
  assertEquals(plain.chunks[0].length, 2 * MEL_BINS);
  assert(plain.chunks[0].every((x, i) => Math.abs(x - mel[i]) < 0.02), "within one 8-bit step");
  const after = dec.decode(frame, 2);
  assertEquals(after.chunks[0].length, 2 * 2 * MEL_BINS);
  assert(after.chunks[0].every((x) => x === SILENT_MEL));
  assertEquals(dec.decode(frame, 1e9).chunks[0].length, (MAX_GAP_MS / 10) * MEL_BINS);
});
