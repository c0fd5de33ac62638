import { Pacer } from "./pacer.ts";
import { assertEquals, assertThrows } from "../ffi/testing/assert.ts";

/** The waits a pacer gives for packets sent at `times` (ms). */
function waits(pacer: Pacer, times: number[]): number[] {
  return times.map((t) => pacer.sent(t));
}

Deno.test("on time, each packet waits what is left of its interval", () => {
  const p = new Pacer({ intervalMs: 20, catchUp: true });
  assertEquals(waits(p, [100, 120, 141, 159]), [20, 20, 19, 21]);
});

Deno.test("at the speaker's pace, a held-up sender catches up, one turn of the loop apart", () => {
  const p = new Pacer({ intervalMs: 20, catchUp: true });
  // Held up for 100 ms after the first packet: the next four are due already (0: after a turn
  // of the event loop), then the schedule is the old one again.
  assertEquals(waits(p, [0, 100, 100.5, 101, 101.5, 102]), [20, 0, 0, 0, 0, 18]);
  assertEquals(p.slid, { times: 0, ms: 0 });
});

Deno.test("faster than real time, a held-up sender moves the schedule on instead of bursting", () => {
  const p = new Pacer({ intervalMs: 2, catchUp: false, slackMs: 20 });
  assertEquals(waits(p, [0, 2, 4]), [2, 2, 2]);
  // 100 ms late: the next packet is due one interval after this one, not at once.
  assertEquals(waits(p, [106, 108, 110]), [2, 2, 2]);
  assertEquals(p.slid, { times: 1, ms: 100 });
});

Deno.test("faster than real time, sleeps that overshoot are made up: the rate is kept", () => {
  const p = new Pacer({ intervalMs: 2, catchUp: false, slackMs: 20 });
  // Each sleep takes 1.5 ms longer than asked (timers on a busy machine).
  let t = 0;
  for (let i = 0; i < 100; i++) t += p.sent(t) + 1.5;
  assertEquals(p.slid.times, 0);
  assertEquals(t, 100 * 2 + 1.5);
});

Deno.test("an interval that is not positive is refused", () => {
  assertThrows(() => new Pacer({ intervalMs: 0, catchUp: true }), RangeError, "intervalMs");
  assertThrows(() => new Pacer({ intervalMs: NaN, catchUp: false }), RangeError, "intervalMs");
});
