import { JitterBuffer, type RtpAudioPacket } from "./jitter.ts";
import type { JitterOutput } from "../../../decode/opus_stream.ts";
import { assertEquals } from "../../../ffi/testing/assert.ts";

const STEP = 960; // 20 ms at 48 kHz
const durationOf = () => STEP;

function pkt(seq: number, ts = seq * STEP, tag = seq): RtpAudioPacket {
  return { seq: seq & 0xffff, timestamp: ts >>> 0, payload: new Uint8Array([tag & 0xff]) };
}

/** Outputs in a compact form: packets by tag, holes by kind and duration. */
function show(out: JitterOutput[]): string[] {
  return out.map((o) =>
    o.kind === "packet"
      ? `p${o.payload[0]}`
      : o.kind === "lost"
      ? `lost${o.packets}:${o.duration}:next${o.next[0]}`
      : `silence:${o.duration}`
  );
}

Deno.test("in-order packets come straight out", () => {
  const jb = new JitterBuffer({ durationOf });
  const out = [0, 1, 2].flatMap((s) => jb.push(pkt(s), s * 20));
  assertEquals(show(out), ["p0", "p1", "p2"]);
  assertEquals(jb.held, 0);
});

Deno.test("a reordered packet is waited for and put back in place", () => {
  const jb = new JitterBuffer({ durationOf, waitMs: 60 });
  const out = [
    ...jb.push(pkt(0), 0),
    ...jb.push(pkt(2), 40),
    ...jb.push(pkt(1), 50),
    ...jb.push(pkt(3), 60),
  ];
  assertEquals(show(out), ["p0", "p1", "p2", "p3"]);
  assertEquals(jb.counters.reordered, 1);
});

Deno.test("a packet missing past the wait is reported lost with its duration and the next packet", () => {
  const jb = new JitterBuffer({ durationOf, waitMs: 60 });
  const out = [...jb.push(pkt(0), 0), ...jb.push(pkt(3), 60), ...jb.poll(100)];
  assertEquals(show(out), ["p0"]);
  assertEquals(show(jb.poll(121)), [`lost2:${2 * STEP}:next3`, "p3"]);
  // The lost one arriving afterwards is late and dropped.
  assertEquals(show(jb.push(pkt(1), 130)), []);
  assertEquals(jb.counters, {
    received: 3,
    duplicates: 0,
    late: 1,
    lost: 2,
    reordered: 0,
    mismatched: 0,
    mismatchedTime: 0,
  });
});

Deno.test("a timestamp jump without a sequence gap is the sender's silence (DTX)", () => {
  const jb = new JitterBuffer({ durationOf });
  const out = [...jb.push(pkt(0, 0), 0), ...jb.push(pkt(1, 10 * STEP), 200)];
  assertEquals(show(out), ["p0", `silence:${9 * STEP}`, "p1"]);
});

Deno.test("duplicates are dropped", () => {
  const jb = new JitterBuffer({ durationOf });
  const out = [...jb.push(pkt(0), 0), ...jb.push(pkt(2), 10), ...jb.push(pkt(2), 11)];
  assertEquals(show(out), ["p0"]);
  assertEquals(jb.counters.duplicates, 1);
});

Deno.test("sequence numbers and timestamps wrap", () => {
  const jb = new JitterBuffer({ durationOf });
  const ts0 = 0xffffffff - STEP; // the timestamp wraps after the first packet
  const seqs = [65534, 65535, 0, 1];
  const out = seqs.flatMap((s, i) => jb.push(pkt(s, ts0 + i * STEP, i), i * 20));
  assertEquals(show(out), ["p0", "p1", "p2", "p3"]);
  // A reorder across the wrap.
  const jb2 = new JitterBuffer({ durationOf });
  const out2 = [
    ...jb2.push(pkt(65535, 0, 0), 0),
    ...jb2.push(pkt(1, 2 * STEP, 2), 10),
    ...jb2.push(pkt(0, STEP, 1), 20),
  ];
  assertEquals(show(out2), ["p0", "p1", "p2"]);
});

Deno.test("a huge timestamp jump is capped, and a sender far ahead is flushed as loss", () => {
  const jb = new JitterBuffer({ durationOf, maxHoleMs: 1000 });
  const out = [...jb.push(pkt(0, 0), 0), ...jb.push(pkt(1, 1_000_000_000), 20)];
  assertEquals(show(out), ["p0", "silence:48000", "p1"]);
  const jb2 = new JitterBuffer({ durationOf, capacity: 3, waitMs: 10_000 });
  const out2 = [0, 2, 3, 4].flatMap((s) => jb2.push(pkt(s), s));
  assertEquals(show(out2), ["p0", `lost1:${STEP}:next2`, "p2", "p3", "p4"]);
});

Deno.test("a corrupt payload's unknown length becomes a hole before the next packet", () => {
  const jb = new JitterBuffer({
    durationOf: (p) => {
      if (p[0] === 1) throw new Error("corrupt");
      return STEP;
    },
  });
  const out = [0, 1, 2].flatMap((s) => jb.push(pkt(s), s * 20));
  assertEquals(show(out), ["p0", "p1", `silence:${STEP}`, "p2"]);
});

Deno.test("a timestamp that goes back resyncs the clock instead of hiding later silences", () => {
  const jb = new JitterBuffer({ durationOf });
  const out = [
    ...jb.push(pkt(0, 100 * STEP), 0),
    ...jb.push(pkt(1, 5 * STEP), 20),
    ...jb.push(pkt(2, 8 * STEP), 40),
  ];
  assertEquals(show(out), ["p0", "p1", `silence:${2 * STEP}`, "p2"]);
});

Deno.test("a second hole is waited for from when it was known, not after the first (fuzz counterexample)", () => {
  // 0 arrives, then 4 and 2 at once: 1 and 3 are both missing from t = 0, and both are given up
  // on together once the wait is over (the second used to wait a further 60 ms from then).
  const jb = new JitterBuffer({ durationOf, waitMs: 60 });
  const out = [...jb.push(pkt(0), 0), ...jb.push(pkt(4), 0), ...jb.push(pkt(2), 0)];
  assertEquals(show(out), ["p0"]);
  assertEquals(show(jb.poll(59)), []);
  assertEquals(show(jb.poll(60)), [
    `lost1:${STEP}:next2`,
    "p2",
    `lost1:${STEP}:next4`,
    "p4",
  ]);
  assertEquals(jb.held, 0);
});

Deno.test("a sender that restarts its numbering far behind is followed (fuzz counterexample)", () => {
  // After 0, the sender jumps to 40000 (25536 behind): every packet used to be "late", until
  // the numbers caught up 25536 packets (8.5 minutes) later.
  const jb = new JitterBuffer({ durationOf });
  const out = [...jb.push(pkt(0, 0, 0), 0)];
  for (let i = 0; i < 4; i++) out.push(...jb.push(pkt(40000 + i, 5000 + i * STEP, 10 + i), 20 * i));
  // One stray packet from far behind is dropped; the second in sequence is a restart.
  assertEquals(show(out), ["p0", "p10", "p11", "p12", "p13"]);
  assertEquals(jb.counters.late, 0);
  // A single stray old packet does not restart the stream.
  const jb2 = new JitterBuffer({ durationOf });
  const out2 = [0, 1, 2].flatMap((s) => jb2.push(pkt(s), s * 20));
  out2.push(...jb2.push(pkt(40000, 0, 99), 60), ...jb2.push(pkt(3), 80));
  assertEquals(show(out2), ["p0", "p1", "p2", "p3"]);
  assertEquals(jb2.counters.late, 1);
});

/** Media time put out: each packet's duration (what the timestamps give it) and each hole's. */
function mediaTime(out: JitterOutput[]): number {
  return out.reduce((n, o) => n + (o.kind === "packet" ? o.duration ?? 0 : o.duration), 0);
}

Deno.test("payloads claiming more than the timestamp step move the clock by the step, counted", () => {
  // Junk whose TOC says 120 ms, on packets 20 ms apart: the first is taken at its word (nothing
  // says otherwise yet), each later one cuts what the one before overlapped.
  const jb = new JitterBuffer({ durationOf: () => 6 * STEP });
  const out: JitterOutput[] = [];
  const times: number[] = [];
  for (let s = 0; s < 50; s++) {
    out.push(...jb.push(pkt(s), s * 20));
    times.push(mediaTime(out));
  }
  assertEquals(times[0], 6 * STEP);
  for (let i = 1; i < times.length; i++) assertEquals(times[i] - times[i - 1], STEP, `packet ${i}`);
  assertEquals(out.every((o) => o.kind === "packet"), true, "no holes");
  assertEquals(jb.counters.mismatched, 49);
  assertEquals(jb.counters.mismatchedTime, 49 * 5 * STEP);
  const p1 = out[1];
  assertEquals(p1.kind === "packet" && [p1.skip, p1.duration], [5 * STEP, STEP]);
});

Deno.test("the timestamp step is the clock across a wrap, a step of 0, and a mix of claims", () => {
  const claims = [6, 1, 3, 6, 0.5, 2].map((k) => k * STEP);
  const jb = new JitterBuffer({ durationOf: (p) => claims[p[0] % claims.length] });
  const ts0 = 0xffffffff - 2 * STEP; // wraps after the third packet
  const steps = [0, 1, 2, 2, 3, 4, 5, 5, 6, 8]; // in STEPs: one step of 0, one of 2 (DTX)
  const out = steps.flatMap((k, i) => jb.push(pkt(i, ts0 + k * STEP, i), i * 20));
  // The clock ends where the furthest payload end lies, from the first timestamp: never more
  // than the last timestamp plus one packet's 120 ms, whatever the payloads claim.
  const ends = steps.map((k, i) => k * STEP + claims[i % claims.length]);
  assertEquals(mediaTime(out), Math.max(...ends));
  assertEquals(out.filter((o) => o.kind === "packet").length, steps.length);
});

Deno.test("a payload shorter than the step is followed by the sender's silence, not counted", () => {
  const jb = new JitterBuffer({ durationOf: () => STEP / 2 });
  const out = [0, 1, 2].flatMap((s) => jb.push(pkt(s), s * 20));
  assertEquals(show(out), ["p0", `silence:${STEP / 2}`, "p1", `silence:${STEP / 2}`, "p2"]);
  assertEquals(mediaTime(out), 2 * STEP + STEP / 2);
  assertEquals(jb.counters.mismatched, 0);
});

Deno.test("an absurd claim is capped at 120 ms, and a timestamp going back starts the clock afresh", () => {
  const jb = new JitterBuffer({ durationOf: () => 1_000_000 });
  const out = [...jb.push(pkt(0, 50 * STEP), 0), ...jb.push(pkt(1, 0), 20)];
  assertEquals(mediaTime(out), 12 * STEP, "two packets of 120 ms at most, nothing cut");
  assertEquals(jb.counters.mismatched, 0);
});

Deno.test("timestamp jumps cannot run the clock ahead of the time that passed, nor past the packets lost", () => {
  // Packets in sequence, 20 ms apart, each claiming a 10 s silence before it: the silences may
  // not outrun the time passing here by more than 2 s.
  const jb = new JitterBuffer({ durationOf });
  const out: JitterOutput[] = [];
  for (let s = 0; s < 100; s++) out.push(...jb.push(pkt(s, s * 500 * STEP), s * 20));
  const silence = out.reduce((n, o) => n + (o.kind === "silence" ? o.duration : 0), 0);
  assertEquals(silence, 48 * (2_000 + 99 * 20), "2 s of slack, then the 20 ms that passed each");
  // A sender at the speaker's pace keeps its silences (DTX): 1 s of it, 1 s later.
  const jb2 = new JitterBuffer({ durationOf });
  const out2 = [...jb2.push(pkt(0, 0), 0), ...jb2.push(pkt(1, 51 * STEP), 5_000)];
  assertEquals(show(out2), ["p0", `silence:${50 * STEP}`, "p1"]);
  // One lost packet stands for at most 120 ms, whatever the timestamps say; the rest of the gap
  // is the sender's silence, as above (2 s of slack and the 40 ms that passed).
  const jb3 = new JitterBuffer({ durationOf, waitMs: 10 });
  const out3 = [...jb3.push(pkt(0, 0), 0), ...jb3.push(pkt(2, 1_000 * STEP), 20), ...jb3.poll(40)];
  assertEquals(show(out3), ["p0", `lost1:${6 * STEP + 48 * 2_040}:next2`, "p2"]);
});
