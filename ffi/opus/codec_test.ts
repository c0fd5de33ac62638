import { OpusDecoder, OpusEncoder, OpusError, opusPacketSamples } from "./mod.ts";
import { assert, assertEquals, assertThrows } from "../testing/assert.ts";
import { fitSine, rms, sine } from "../testing/signal.ts";

const FRAME = 320; // 20 ms at 16 kHz

function encodeAll(enc: OpusEncoder, x: Float32Array): Uint8Array[] {
  const packets: Uint8Array[] = [];
  for (let i = 0; i + FRAME <= x.length; i += FRAME) {
    packets.push(enc.encode(x.subarray(i, i + FRAME)));
  }
  return packets;
}

Deno.test("a 440 Hz tone survives Opus encode → decode at 16 kHz", () => {
  using enc = new OpusEncoder({ rate: 16_000, application: "audio", bitrate: 32_000 });
  using dec = new OpusDecoder(16_000);
  const x = sine(440, 16_000, 1, 0.5);
  const packets = encodeAll(enc, x);
  assertEquals(packets.length, 50);
  assertEquals(dec.samplesIn(packets[0]), FRAME);
  const parts = packets.map((p) => dec.decode(p));
  assert(parts.every((p) => p.length === FRAME), "every packet decodes to 20 ms");
  const y = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) (y.set(p, o), o += p.length);
  // Past the codec's start-up delay the tone is there at about its amplitude, and little else.
  const tail = y.subarray(3200);
  const fit = fitSine(tail, 440, 16_000);
  assert(Math.abs(fit.amplitude - 0.5) < 0.1, `amplitude ${fit.amplitude}`);
  assert(fit.residualRms < 0.05, `residual ${fit.residualRms}`);
});

Deno.test("a decoder at 16 kHz reads packets made at 48 kHz (what browsers send)", () => {
  using enc = new OpusEncoder({ rate: 48_000 });
  using dec = new OpusDecoder(16_000);
  const x = sine(300, 48_000, 0.2, 0.4);
  const out: Float32Array[] = [];
  for (let i = 0; i + 960 <= x.length; i += 960) {
    out.push(dec.decode(enc.encode(x.subarray(i, i + 960))));
  }
  assert(out.every((p) => p.length === FRAME));
  const fit = fitSine(out[out.length - 1], 300, 16_000);
  assert(fit.amplitude > 0.25, `amplitude ${fit.amplitude}`);
});

Deno.test("lost packets are concealed, or recovered from in-band FEC", () => {
  using enc = new OpusEncoder({ rate: 16_000, packetLossPercent: 20, bitrate: 32_000 });
  using dec = new OpusDecoder(16_000);
  const packets = encodeAll(enc, sine(300, 16_000, 1, 0.5));
  for (const p of packets.slice(0, 20)) dec.decode(p);
  // Packet 20 is lost: 21 carries its FEC copy.
  const fec = dec.conceal(FRAME, packets[21]);
  assertEquals(fec.length, FRAME);
  assert(fitSine(fec, 300, 16_000).amplitude > 0.2, "the FEC copy holds the tone");
  dec.decode(packets[21]);
  // Two packets lost, nothing to recover from: concealment keeps the length and fades.
  const plc = dec.conceal(2 * FRAME);
  assertEquals(plc.length, 2 * FRAME);
  assert(rms(plc) < 0.5, "concealment is not louder than the signal");
  assertEquals(dec.decode(packets[24]).length, FRAME, "decoding goes on after a gap");
});

Deno.test("bad Opus input gets clear errors and the decoder lives on", () => {
  using enc = new OpusEncoder();
  using dec = new OpusDecoder();
  assertThrows(() => dec.decode(new Uint8Array(0)), OpusError, "empty");
  // TOC byte for a 'code 3' packet with a frame count of 0: invalid.
  assertThrows(() => dec.decode(new Uint8Array([0x03, 0x00])), OpusError, "corrupted");
  assertThrows(() => dec.conceal(100), RangeError, "2.5 ms");
  assertThrows(() => dec.conceal(16_000), RangeError, "120 ms");
  assertThrows(() => enc.encode(new Float32Array(123)), RangeError, "not an Opus frame");
  assertThrows(() => new OpusDecoder(44_100 as 16_000), RangeError, "44100");
  const ok = dec.decode(enc.encode(new Float32Array(FRAME)));
  assertEquals(ok.length, FRAME);
  dec.close();
  dec.close();
  assertThrows(() => dec.decode(new Uint8Array([1, 2])), Error, "closed");
});

Deno.test("a packet that states no frames has no duration: an OpusError (fuzz counterexample)", () => {
  // Code 3 (a frame count follows), count 0: libopus's packet reader said 0 samples.
  assertThrows(() => opusPacketSamples(Uint8Array.of(3, 0), 8_000), OpusError, "corrupted");
  using dec = new OpusDecoder(16_000);
  assertThrows(() => dec.samplesIn(Uint8Array.of(3, 0)), OpusError);
  assertThrows(() => dec.decode(Uint8Array.of(3, 0)), OpusError);
});
