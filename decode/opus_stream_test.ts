import { OpusStream } from "./opus_stream.ts";
import { JitterBuffer } from "../server/transport/webrtc/jitter.ts";
import type { JitterOutput } from "./opus_stream.ts";
import { OpusDecoder, OpusEncoder, opusPacketSamples } from "../ffi/opus/mod.ts";
import { assert, assertEquals } from "../ffi/testing/assert.ts";
import { fitSine, prng, sine } from "../ffi/testing/signal.ts";

const total = (xs: Float32Array[]) => xs.reduce((n, x) => n + x.length, 0);

Deno.test("packets, losses and silences all keep the sample count equal to media time", () => {
  using enc = new OpusEncoder({ rate: 48_000, packetLossPercent: 10 });
  const dur = new OpusDecoder(48_000);
  const x = sine(300, 48_000, 2, 0.4);
  const packets: Uint8Array[] = [];
  for (let i = 0; i + 960 <= x.length; i += 960) packets.push(enc.encode(x.subarray(i, i + 960)));
  const jb = new JitterBuffer({ durationOf: (p) => dur.samplesIn(p), waitMs: 40 });
  using os = new OpusStream();
  const outs: Float32Array[] = [];
  let t = 0;
  packets.forEach((payload, i) => {
    t += 20;
    // Packets 10–12 never arrive; 30 arrives after 31; a 1 s pause (DTX) after packet 60.
    if (i >= 10 && i <= 12) return;
    const ts = i * 960 + (i > 60 ? 48_000 : 0);
    const items: JitterOutput[] = [];
    if (i === 30) return;
    items.push(...jb.push({ seq: i, timestamp: ts, payload }, t));
    if (i === 31) items.push(...jb.push({ seq: 30, timestamp: 30 * 960, payload: packets[30] }, t));
    for (const it of items) outs.push(...os.take(it));
  });
  for (const it of jb.poll(t + 1000)) outs.push(...os.take(it));
  dur.close();
  // 100 packets of 20 ms plus the 1 s pause = 3 s at 16 kHz, none lost from the clock.
  assertEquals(total(outs), 3 * 16_000);
  assertEquals(os.counters.packets, 97);
  assertEquals(os.counters.fecMs, 20);
  assertEquals(os.counters.concealedMs, 40);
  assertEquals(os.counters.silenceMs, 1000);
  const all = new Float32Array(total(outs));
  let o = 0;
  for (const p of outs) (all.set(p, o), o += p.length);
  assert(fitSine(all.subarray(4_800, 8_800), 300, 16_000).amplitude > 0.2, "the tone is there");
});

Deno.test("a corrupt packet decodes to nothing and the next hole carries its length", () => {
  using os = new OpusStream();
  assertEquals(os.take({ kind: "packet", payload: Uint8Array.of(3, 0), timestamp: 0 }), []);
  assertEquals(os.counters.corrupt, 1);
  // A long loss: 120 ms concealment cap per call, 200 ms concealed at most, the rest zeros.
  using enc = new OpusEncoder();
  const next = enc.encode(new Float32Array(320));
  const filled = os.take({ kind: "lost", duration: 48_000, packets: 50, next });
  assertEquals(total(filled), 16_000);
  assertEquals([os.counters.concealedMs, os.counters.fecMs, os.counters.silenceMs], [200, 20, 780]);
});

/** Random bytes behind a TOC that says 120 ms (six 20 ms CELT frames, code 3, CBR). */
function junk120(rng: () => number): Uint8Array {
  const p = new Uint8Array(2 + 6 * 20);
  for (let i = 2; i < p.length; i++) p[i] = Math.floor(rng() * 256);
  p[0] = 0xfb;
  p[1] = 6;
  return p;
}

Deno.test("junk payloads that claim 120 ms on packets 20 ms apart move the clock 20 ms each", () => {
  const rng = prng(7);
  const jb = new JitterBuffer({ durationOf: (p) => opusPacketSamples(p, 48_000) });
  using os = new OpusStream();
  const samples: number[] = [];
  let n = 0;
  for (let i = 0; i < 200; i++) {
    const payload = junk120(rng);
    for (
      const it of jb.push({ seq: i, timestamp: (0xffff0000 + i * 960) >>> 0, payload }, i * 20)
    ) {
      n += total(os.take(it));
    }
    samples.push(n);
  }
  assertEquals(opusPacketSamples(junk120(rng), 48_000), 5_760, "the TOC claims 120 ms");
  assertEquals(os.counters.packets, 200, "libopus decodes them (to 120 ms each)");
  // The first is taken at its word; every later one moves the clock by its timestamp step.
  assertEquals(samples[0], 1_920);
  for (let i = 1; i < samples.length; i++) assertEquals(samples[i] - samples[i - 1], 320);
  assertEquals([jb.counters.mismatched, jb.counters.mismatchedTime], [199, 199 * 4_800]);
});

Deno.test("a packet is fitted to the length the timestamps give it; a corrupt one to zeros", () => {
  using enc = new OpusEncoder({ rate: 16_000 });
  using os = new OpusStream();
  const p = enc.encode(sine(300, 16_000, 0.02, 0.4));
  assertEquals(total(os.take({ kind: "packet", payload: p, timestamp: 0, duration: 480 })), 160);
  assertEquals(
    total(os.take({ kind: "packet", payload: p, timestamp: 0, duration: 480, skip: 480 })),
    160,
  );
  assertEquals(total(os.take({ kind: "packet", payload: p, timestamp: 0, duration: 0 })), 0);
  assertEquals(total(os.take({ kind: "packet", payload: p, timestamp: 0, duration: 1920 })), 640);
  // A payload whose TOC parses but whose body does not decode: zeros of its length.
  const bad = os.take({
    kind: "packet",
    payload: Uint8Array.of(3, 0),
    timestamp: 0,
    duration: 960,
  });
  assertEquals(bad.map((x) => [x.length, x.every((v) => v === 0)]), [[320, true]]);
  assertEquals(os.counters.corrupt, 1);
});
