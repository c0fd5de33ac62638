import fc from "fast-check";
import { OpusStream } from "./opus_stream.ts";
import { JitterBuffer } from "../server/transport/webrtc/jitter.ts";
import type { JitterOutput } from "./opus_stream.ts";
import { OpusEncoder, opusPacketSamples } from "../ffi/opus/mod.ts";
import { assert, assertEquals } from "../ffi/testing/assert.ts";
import { bytes, fuzz, mutated } from "../ffi/testing/fuzz.ts";
import { prng, sine } from "../ffi/testing/signal.ts";

/** 3 s of real packets as a browser sends them: 48 kHz, 20 ms, in-band FEC on. */
function browserPackets(): Uint8Array[] {
  using enc = new OpusEncoder({ rate: 48_000, packetLossPercent: 15, bitrate: 24_000 });
  const x = sine(240, 48_000, 3, 0.4);
  const rnd = prng(3);
  for (let i = 0; i < x.length; i++) x[i] += 0.1 * (rnd() - 0.5);
  const out: Uint8Array[] = [];
  for (let i = 0; i + 960 <= x.length; i += 960) out.push(enc.encode(x.subarray(i, i + 960)));
  return out;
}

const PACKETS = browserPackets();
const payload = fc.oneof(
  fc.constantFrom(...PACKETS),
  fc.constantFrom(...PACKETS).chain((p) => mutated(p, 3)),
  bytes(400),
);
const duration = fc.oneof(
  fc.integer({ min: 0, max: 4 }).map((k) => k * 960),
  fc.integer({ min: 0, max: 480_000 }), // up to the jitter buffer's 10 s cap, any value
);
const item: fc.Arbitrary<JitterOutput> = fc.oneof(
  fc.record({ kind: fc.constant("packet" as const), payload, timestamp: fc.nat() }),
  fc.record({
    kind: fc.constant("lost" as const),
    duration,
    packets: fc.integer({ min: 1, max: 500 }),
    next: payload,
  }),
  fc.record({ kind: fc.constant("silence" as const), duration }),
);

const total = (xs: Float32Array[]) => xs.reduce((n, x) => n + x.length, 0);

Deno.test("OpusStream.take: any jitter output becomes exactly its media time of finite samples", () => {
  fuzz(
    "opus_stream.take",
    fc.property(fc.array(item, { minLength: 1, maxLength: 40 }), (items) => {
      using os = new OpusStream();
      for (const it of items) {
        const corrupt = os.counters.corrupt;
        const pcm = os.take(it);
        const n = total(pcm);
        for (const p of pcm) {
          for (let i = 0; i < p.length; i++) assert(Number.isFinite(p[i]), `sample ${p[i]}`);
        }
        if (it.kind === "packet") {
          if (os.counters.corrupt > corrupt) assertEquals(n, 0, "a corrupt packet's samples");
          else assertEquals(n, opusPacketSamples(it.payload, 16_000), "a packet's samples");
        } else {
          assertEquals(n, Math.round(it.duration / 3), `${it.kind} of ${it.duration}`);
        }
      }
      const c = os.counters;
      assert([c.fecMs, c.concealedMs, c.silenceMs].every((x) => x >= 0 && Number.isFinite(x)));
    }),
    { runs: 150 },
  );
});

Deno.test("jitter buffer → OpusStream: whatever the network does to real packets, the samples are the sender's media time", () => {
  fuzz(
    "opus_stream.network",
    fc.property(
      fc.nat(0xffff),
      fc.nat({ max: 0xffffffff }),
      fc.array(
        fc.record({
          lost: fc.boolean(),
          dup: fc.boolean(),
          delay: fc.integer({ min: 0, max: 150 }), // past the 60 ms wait: lost, then late
          dtx: fc.oneof({ weight: 9, arbitrary: fc.constant(0) }, {
            weight: 1,
            arbitrary: fc.integer({ min: 1, max: 100 }),
          }),
        }),
        { minLength: 2, maxLength: PACKETS.length },
      ),
      (seq0, ts0, plan) => {
        plan[0] = { ...plan[0], lost: false, delay: 0, dtx: 0 };
        plan[plan.length - 1].lost = false;
        const jb = new JitterBuffer({
          durationOf: (p) => opusPacketSamples(p, 48_000),
          waitMs: 60,
        });
        using os = new OpusStream();
        let ts = 0;
        const arrivals: { at: number; seq: number; timestamp: number; payload: Uint8Array }[] = [];
        plan.forEach((x, i) => {
          ts += x.dtx * 960;
          const p = {
            seq: (seq0 + i) & 0xffff,
            timestamp: (ts0 + ts) % 0x1_0000_0000,
            payload: PACKETS[i],
          };
          const at = ts / 48 + x.delay;
          if (!x.lost) arrivals.push({ at, ...p });
          if (x.dup) arrivals.push({ at: at + 30, ...p });
          ts += 960;
        });
        arrivals.sort((a, b) => a.at - b.at || (a.seq - b.seq));
        // The first packet sent must arrive first (it starts the stream).
        const first = arrivals.findIndex((a) =>
          a.seq === (seq0 & 0xffff) && a.timestamp === ts0 % 0x1_0000_0000
        );
        arrivals.unshift(...arrivals.splice(first, 1));
        let samples = 0;
        const feed = (out: JitterOutput[]) => {
          for (const o of out) for (const p of os.take(o)) samples += p.length;
        };
        for (const a of arrivals) feed(jb.push(a, a.at));
        feed(jb.poll(1e12));
        // From the first packet's start to the last one's end, at 16 kHz.
        assertEquals(samples, ts / 3, "samples = media time");
        assertEquals(os.counters.corrupt, 0);
      },
    ),
    { runs: 200 },
  );
});
