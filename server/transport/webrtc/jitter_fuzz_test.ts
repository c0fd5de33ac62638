import fc from "fast-check";
import { JitterBuffer, type RtpAudioPacket } from "./jitter.ts";
import type { JitterOutput } from "../../../decode/opus_stream.ts";
import { assert, assertEquals } from "../../../ffi/testing/assert.ts";
import { fuzz } from "../../../ffi/testing/fuzz.ts";

const STEP = 960; // 20 ms at 48 kHz
const CAPACITY = 200;
const MAX_HOLE = 480_000; // the default 10 s at 48 kHz

/** The packet's duration, as the buffer's `durationOf` sees it: 20 ms, or a corrupt payload. */
function durationOf(p: Uint8Array): number {
  if (p.length === 0 || p[0] === 0xff) throw new Error("corrupt");
  return STEP;
}

/** One step of a network's behaviour. */
type Op =
  | { op: "push"; seq: number; ts: number; corrupt: boolean; dt: number }
  | { op: "poll"; dt: number };

/** Sequence numbers and timestamps near the stream so far, or anywhere (jumps, wraps, garbage). */
const ops = fc.array(
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        op: fc.constant("push" as const),
        seq: fc.oneof(
          { weight: 8, arbitrary: fc.integer({ min: -5, max: 8 }) }, // relative: near the last
          { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }).map((s) => s + 0x10000) },
        ),
        ts: fc.oneof(
          { weight: 8, arbitrary: fc.integer({ min: -2, max: 20 }) }, // relative, in steps
          { weight: 1, arbitrary: fc.nat({ max: 0xffffffff }).map((t) => t + 0x1_0000_0000) },
        ),
        corrupt: fc.boolean(),
        dt: fc.integer({ min: 0, max: 100 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant("poll" as const),
        dt: fc.integer({ min: 0, max: 500 }),
      }),
    },
  ),
  { maxLength: 400 },
);

/** Plays `steps` into a buffer from `seq0`/`ts0`, checking invariants after every step. */
function play(seq0: number, ts0: number, steps: Op[]): { out: JitterOutput[]; pushed: number } {
  const jb = new JitterBuffer({ durationOf, waitMs: 60, capacity: CAPACITY });
  const out: JitterOutput[] = [];
  const emitted = new Set<RtpAudioPacket>();
  let now = 0, seq = seq0, ts = ts0, pushed = 0, lastSeq: number | null = null, lostBefore = 0;
  const take = (items: JitterOutput[]) => {
    for (const o of items) {
      out.push(o);
      if (o.kind === "packet") {
        // Each packet leaves once, in sequence order.
        const p = [...packets].find((x) => x.payload === o.payload)!;
        assert(p && !emitted.has(p), "a packet that was not pushed, or left twice");
        emitted.add(p);
        if (lastSeq !== null) {
          // Lost packets are reported with their media time; timestamps that did not advance
          // leave none to report, so an unreported step may be longer.
          const step = (p.seq - lastSeq + 0x10000) % 0x10000;
          if (lostBefore) assertEquals(step, (1 + lostBefore) % 0x10000, "order after a loss");
          else assert(step !== 0, "the same sequence number twice in a row");
        }
        lastSeq = p.seq;
        lostBefore = 0;
      } else {
        assert(o.duration > 0 && o.duration <= MAX_HOLE, `hole of ${o.duration}`);
        if (o.kind === "lost") (assert(o.packets >= 1, "lost 0 packets"), lostBefore += o.packets);
      }
    }
  };
  const packets = new Set<RtpAudioPacket>();
  for (const s of steps) {
    now += s.dt;
    if (s.op === "poll") {
      take(jb.poll(now));
    } else {
      seq = s.seq >= 0x10000 ? s.seq - 0x10000 : (seq + s.seq + 0x10000) & 0xffff;
      ts = s.ts >= 0x1_0000_0000
        ? s.ts - 0x1_0000_0000
        : (ts + s.ts * STEP + 0x1_0000_0000) % 0x1_0000_0000;
      const p: RtpAudioPacket = {
        seq,
        timestamp: ts,
        payload: Uint8Array.of(s.corrupt ? 0xff : 1, pushed & 0xff),
      };
      packets.add(p);
      pushed++;
      take(jb.push(p, now));
    }
    assert(jb.held <= CAPACITY, `holds ${jb.held}`);
    const c = jb.counters;
    assertEquals(c.received, pushed, "received");
    assertEquals(
      emitted.size + jb.held + c.late + c.duplicates,
      pushed,
      "every packet accounted for",
    );
  }
  take(jb.poll(now + 1e6));
  assertEquals(jb.held, 0, "held after the final poll");
  return { out, pushed };
}

Deno.test("JitterBuffer: any arrival order, duplicates, jumps and wraps keep its invariants", () => {
  fuzz(
    "jitter.push/poll(network)",
    fc.property(
      fc.nat(0xffff),
      fc.nat({ max: 0xffffffff }),
      ops,
      (s, t, steps) => void play(s, t, steps),
    ),
    { runs: 300 },
  );
});

Deno.test("JitterBuffer: packets reordered within the wait come out complete, in order, without holes", () => {
  fuzz(
    "jitter.reorder(round-trip)",
    fc.property(
      fc.oneof(fc.constantFrom(0xfff0, 0xffff, 0), fc.nat(0xffff)),
      fc.oneof(fc.constantFrom(0xffffffff - 5 * STEP, 0), fc.nat({ max: 0xffffffff })),
      fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 300 }),
      (seq0, ts0, delays) => {
        const jb = new JitterBuffer({ durationOf, waitMs: 60 });
        // The first packet starts the stream: it comes first; the others up to 50 ms late.
        const arrivals = delays.map((d, i) => ({
          at: i === 0 ? 0 : i * 20 + d,
          p: {
            seq: (seq0 + i) & 0xffff,
            timestamp: (ts0 + i * STEP) % 0x1_0000_0000,
            payload: Uint8Array.of(1, i & 0xff, i >> 8),
          },
        })).sort((a, b) => a.at - b.at);
        const out: JitterOutput[] = [];
        for (const a of arrivals) out.push(...jb.push(a.p, a.at));
        out.push(...jb.poll(1e9));
        assertEquals(
          out.map((o) => o.kind === "packet" ? o.payload[1] + 256 * o.payload[2] : o.kind),
          delays.map((_, i) => i),
        );
      },
    ),
    { runs: 300 },
  );
});

Deno.test("JitterBuffer: with losses and sender silences, output time equals media time", () => {
  fuzz(
    "jitter.media-time",
    fc.property(
      fc.nat(0xffff),
      fc.nat({ max: 0xffffffff }),
      fc.array(
        fc.record({
          lost: fc.boolean(),
          dtx: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 50 })),
        }),
        { minLength: 2, maxLength: 300 },
      ),
      (seq0, ts0, plan) => {
        plan[0].lost = plan[plan.length - 1].lost = false;
        const jb = new JitterBuffer({ durationOf, waitMs: 60 });
        let ts = 0;
        const out: JitterOutput[] = [];
        let lostWanted = 0;
        plan.forEach((x, i) => {
          ts += x.dtx * STEP; // the sender sent nothing for a while (DTX), without a sequence gap
          if (x.lost) lostWanted++;
          else {out.push(
              ...jb.push({
                seq: (seq0 + i) & 0xffff,
                timestamp: (ts0 + ts) % 0x1_0000_0000,
                payload: Uint8Array.of(1),
              }, i * 20 + ts / 48),
            );}
          ts += STEP;
        });
        out.push(...jb.poll(1e12));
        const time = out.reduce((n, o) => n + (o.kind === "packet" ? o.duration! : o.duration), 0);
        // The first packet's time starts the clock: everything after it, its own 20 ms included.
        assertEquals(time, ts - plan[0].dtx * STEP, "media time");
        assertEquals(
          out.filter((o) => o.kind === "lost").reduce(
            (n, o) => n + (o.kind === "lost" ? o.packets : 0),
            0,
          ),
          lostWanted,
          "lost packets",
        );
      },
    ),
    { runs: 300 },
  );
});

Deno.test("JitterBuffer: after a jump in sequence numbers (a sender restart), audio flows again", () => {
  fuzz(
    "jitter.restart",
    fc.property(
      fc.nat(0xffff),
      fc.integer({ min: 1, max: 0xffff }),
      fc.nat({ max: 0xffffffff }),
      fc.integer({ min: 1, max: 50 }),
      (seq0, jump, ts1, before) => {
        const jb = new JitterBuffer({ durationOf, waitMs: 60 });
        let now = 0;
        const packets = (n: number, seq: number, ts: number, tag: number) =>
          Array.from(
            { length: n },
            (_, i) => ({
              seq: (seq + i) & 0xffff,
              timestamp: (ts + i * STEP) % 0x1_0000_0000,
              payload: Uint8Array.of(tag),
            }),
          );
        for (const p of packets(before, seq0, 0, 1)) (jb.push(p, now), now += 20);
        const after = packets(400, seq0 + before + jump, ts1, 2);
        let got = 0;
        for (const p of after) {
          got += jb.push(p, now).filter((o) => o.kind === "packet" && o.payload[0] === 2).length;
          now += 20;
        }
        got += jb.poll(now + 1e6).filter((o) => o.kind === "packet" && o.payload[0] === 2).length;
        // A new numbering may be taken for old, late packets for a while, but not for long.
        assert(
          got >= after.length - CAPACITY,
          `${got} of ${after.length} packets after a jump of ${jump}`,
        );
      },
    ),
    { runs: 200 },
  );
});

/** Opus packet lengths (TOC), in 48 kHz units: 2.5 to 120 ms. */
const OPUS_LENGTHS = [120, 240, 480, 960, 1920, 2880, 3840, 4800, 5760];

Deno.test("JitterBuffer: whatever lengths the payloads claim, the clock follows the timestamps", () => {
  fuzz(
    "jitter.claims",
    fc.property(
      fc.nat(0xffff),
      fc.nat({ max: 0xffffffff }),
      fc.array(
        fc.record({
          claim: fc.constantFrom(...OPUS_LENGTHS),
          corrupt: fc.boolean(),
          step: fc.oneof(
            { weight: 6, arbitrary: fc.constant(STEP) },
            { weight: 2, arbitrary: fc.constantFrom(...OPUS_LENGTHS) },
            { weight: 1, arbitrary: fc.integer({ min: 0, max: 20 * STEP }) },
          ),
          lost: fc.boolean(),
        }),
        { minLength: 2, maxLength: 200 },
      ),
      (seq0, ts0, plan) => {
        plan[0].lost = plan[plan.length - 1].lost = false;
        const claimOf = new Map<Uint8Array, number>();
        const jb = new JitterBuffer({
          durationOf: (p) => {
            const c = claimOf.get(p)!;
            if (c < 0) throw new Error("corrupt");
            return c;
          },
        });
        const out: JitterOutput[] = [];
        let ts = 0, end = 0, now = 0;
        plan.forEach((x, i) => {
          if (i > 0) ts += x.step;
          // A sender at the speaker's pace: its silences take as long to pass here.
          now = Math.max(now + 1, ts / 48);
          if (x.lost) return;
          const payload = Uint8Array.of(i & 0xff);
          claimOf.set(payload, x.corrupt ? -1 : x.claim);
          end = Math.max(end, ts + (x.corrupt ? 0 : x.claim));
          out.push(
            ...jb.push(
              { seq: (seq0 + i) & 0xffff, timestamp: (ts0 + ts) % 0x1_0000_0000, payload },
              now,
            ),
          );
        });
        out.push(...jb.poll(now + 1e6));
        const time = out.reduce((n, o) => n + (o.kind === "packet" ? o.duration! : o.duration), 0);
        // From the first timestamp to the furthest payload end: at most the last timestamp and
        // one packet's 120 ms, however much more the payloads claimed.
        assertEquals(time, end, "media time");
        assert(time <= ts + 5760, `media time ${time} past ${ts} + 120 ms`);
        for (const o of out) {
          assert(o.kind !== "packet" || (o.duration! >= 0 && (o.skip ?? 0) >= 0), "lengths");
        }
      },
    ),
    { runs: 300 },
  );
});
