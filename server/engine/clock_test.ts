import { audioCtxFor, RealClock, SimulatedClock } from "./clock.ts";
import { assertEquals } from "../../ffi/testing/assert.ts";

Deno.test("the real clock counts from the first sample", () => {
  let t = 1000;
  const c = new RealClock(() => t);
  assertEquals(c.now(), 0);
  c.start();
  t = 1250;
  c.start(); // idempotent
  assertEquals(c.now(), 250);
});

Deno.test("the simulated clock waits for audio and charges compute", async () => {
  const c = new SimulatedClock();
  c.waitForAudio(1000);
  c.spend(300);
  assertEquals(c.now(), 1300);
  c.waitForAudio(1200); // already there: no waiting
  assertEquals(c.now(), 1300);
  c.waitForAudio(2000);
  assertEquals(c.now(), 2000);
  await c.measure(() => Promise.resolve());
  assertEquals(c.now() >= 2000, true);
  let threw = false;
  try {
    c.spend(-1);
  } catch {
    threw = true;
  }
  assertEquals(threw, true);
});

Deno.test("a simulated clock may charge a fixed cost for work, whatever it took", async () => {
  const c = new SimulatedClock({ charge: () => 40 });
  c.waitForAudio(1000);
  await c.measure(() => new Promise((r) => setTimeout(r, 30)));
  await c.measure(() => Promise.resolve());
  assertEquals(c.now(), 1080);
  const free = new SimulatedClock({ charge: () => 0 });
  await free.measure(() => new Promise((r) => setTimeout(r, 20)));
  assertEquals(free.now(), 0);
});

Deno.test("audio_ctx scales with the buffer, keeps a margin and caps at 1500", () => {
  assertEquals(audioCtxFor(0), 128);
  assertEquals(audioCtxFor(6_000), 448); // 300 frames + 128 = 428, rounded up to 7 × 64
  assertEquals(audioCtxFor(10_000, 0), 512); // 500 → 8 × 64
  assertEquals(audioCtxFor(30_000), 1500);
});

Deno.test("background work ties the simulated clock to the wall; work beside it is not charged twice", async () => {
  let wall = 0;
  const c = new SimulatedClock({ wallNow: () => wall });
  c.waitForAudio(1000);
  let finish = () => {};
  const bg = c.background(() => new Promise<void>((r) => finish = r));
  // Tied: the clock moves with the wall, and jumping to audio is refused.
  wall = 150;
  assertEquals(c.now(), 1150);
  let refused = false;
  try {
    c.waitForAudio(5000);
  } catch {
    refused = true;
  }
  assertEquals(refused, true);
  // Work beside it: 100 ms of wall time, all of it tied, charges nothing more.
  await c.measure(() => {
    wall = 250;
    return Promise.resolve();
  });
  assertEquals(c.now(), 1250);
  // Audio due at 1300 arrives when the wall says so; the background ends before 2000 does.
  const arrived = c.arrival(1300);
  wall = 300;
  await arrived;
  assertEquals(c.now(), 1300);
  const later = c.arrival(2000);
  wall = 400;
  finish();
  await bg;
  await later;
  // Untied at 1400: the clock jumps to the audio again.
  assertEquals(c.now(), 2000);
  // Work that ran across the end of a tie is charged only for its untied part.
  const bg2 = c.background(() => {
    wall = 450;
    return Promise.resolve();
  });
  await bg2;
  assertEquals(c.now(), 2050);
  await c.measure(() => {
    wall = 500;
    return Promise.resolve();
  });
  assertEquals(c.now(), 2100);
});

Deno.test("a clock charging a fixed cost does not overlap: background work just runs", async () => {
  const c = new SimulatedClock({ charge: () => 0 });
  assertEquals(c.overlaps, false);
  c.waitForAudio(500);
  assertEquals(await c.background(() => Promise.resolve(7)), 7);
  c.waitForAudio(900); // never tied
  assertEquals(c.now(), 900);
  assertEquals(new SimulatedClock().overlaps, true);
  assertEquals(new RealClock().overlaps, true);
});
