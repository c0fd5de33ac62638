import { OpusStream } from "./opus_stream.ts";
import { JitterBuffer } from "../server/transport/webrtc/jitter.ts";
import type { JitterOutput } from "./opus_stream.ts";
import { OpusDecoder, OpusEncoder } from "../ffi/opus/mod.ts";
import { assert, assertEquals } from "../ffi/testing/assert.ts";
import { fitSine, sine } from "../ffi/testing/signal.ts";

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
