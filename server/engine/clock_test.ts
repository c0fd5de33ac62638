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
