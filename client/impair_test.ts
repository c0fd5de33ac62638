import { Impairment } from "./impair.ts";
import { SeededRandom } from "../util/random.ts";
import { assert, assertEquals, assertThrows } from "../ffi/testing/assert.ts";

/** Puts packets 0…n−1 through an impairment; returns what came out, in order. */
function run(n: number, opts: ConstructorParameters<typeof Impairment>[0]) {
  const imp = new Impairment<number>(opts);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(...imp.push(i));
  out.push(...imp.flush());
  return { out, counts: imp.counts };
}

Deno.test("seeded random: uniform in [0, 1) and the same sequence for the same seed", () => {
  const a = new SeededRandom(7), b = new SeededRandom(7), c = new SeededRandom(8);
  const xs = Array.from({ length: 100_000 }, () => a.next());
  assert(xs.every((x) => x >= 0 && x < 1));
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  // The mean of 100 000 uniforms has a standard deviation of 0.0009.
  assert(Math.abs(mean - 0.5) < 0.005, `mean ${mean}`);
  const deciles = new Array(10).fill(0);
  for (const x of xs) deciles[Math.floor(x * 10)]++;
  assert(deciles.every((d) => Math.abs(d - 10_000) < 500), `deciles ${deciles}`);
  assertEquals(xs.slice(0, 5), Array.from({ length: 5 }, () => b.next()));
  assert(xs[0] !== c.next(), "another seed, another sequence");
});

Deno.test("no impairment: every packet goes out at once, in order", () => {
  const imp = new Impairment<number>();
  assertEquals(imp.active, false);
  for (let i = 0; i < 100; i++) assertEquals(imp.push(i), [i]);
  assertEquals(imp.flush(), []);
  assertEquals(imp.counts, { offered: 100, dropped: 0, reordered: 0, sent: 100 });
});

Deno.test("5 % loss and 5 % reordering: the shares asked for, within binomial noise", () => {
  const n = 100_000;
  const { out, counts } = run(n, { loss: 0.05, reorder: 0.05, seed: 42 });
  // Binomial standard deviations: 69 dropped of 100 000, 67 reordered of 95 000; ±5 of them.
  assert(Math.abs(counts.dropped - 5_000) < 350, `dropped ${counts.dropped}`);
  assert(
    Math.abs(counts.reordered - 0.05 * (n - counts.dropped)) < 340,
    `late ${counts.reordered}`,
  );
  assertEquals(counts.offered, n);
  assertEquals(counts.sent, out.length);
  assertEquals(counts.sent + counts.dropped, n);
  // Each packet that was not dropped goes out exactly once.
  assertEquals(new Set(out).size, out.length);
  // The receiver sees a packet as reordered when a later one came before it: exactly the late ones.
  let late = 0;
  for (let i = 0, highest = -1; i < out.length; i++) {
    if (out[i] < highest) late++;
    highest = Math.max(highest, out[i]);
  }
  assertEquals(late, counts.reordered);
  // Losses are independent: runs of drops are as long as a coin's (mean 1 / (1 − p)).
  const dropped = new Set(Array.from({ length: n }, (_, i) => i));
  for (const p of out) dropped.delete(p);
  let runs = 0;
  for (const p of dropped) if (!dropped.has(p - 1)) runs++;
  const meanRun = dropped.size / runs;
  assert(Math.abs(meanRun - 1 / 0.95) < 0.02, `mean run of drops ${meanRun}`);
});

Deno.test("depth: a late packet goes out after that many later packets", () => {
  const { out, counts } = run(10_000, { reorder: 0.1, depth: 3, seed: 3 });
  assertEquals(counts.dropped, 0);
  // Where each packet went out against where it was sent: late ones by 3 places (fewer at the
  // end of the stream, when nothing follows), none early by more than the late ones around it.
  const shift = out.map((p, i) => i - p);
  assert(shift.some((s) => s === 3), "late by 3");
  assert(shift.every((s) => s <= 3), `late by ${Math.max(...shift)}`);
  assertEquals(out.length, 10_000);
});

Deno.test("the same seed impairs the same way; another seed differently", () => {
  const a = run(2_000, { loss: 0.05, reorder: 0.05, seed: 9 }).out;
  const b = run(2_000, { loss: 0.05, reorder: 0.05, seed: 9 }).out;
  const c = run(2_000, { loss: 0.05, reorder: 0.05, seed: 10 }).out;
  assertEquals(a, b);
  assert(JSON.stringify(a) !== JSON.stringify(c));
});

Deno.test("out-of-range shares and depths are refused", () => {
  assertThrows(() => new Impairment({ loss: 1 }), RangeError, "loss");
  assertThrows(() => new Impairment({ loss: -0.1 }), RangeError, "loss");
  assertThrows(() => new Impairment({ reorder: Number.NaN }), RangeError, "reorder");
  assertThrows(() => new Impairment({ depth: 0 }), RangeError, "depth");
  assertThrows(() => new Impairment({ depth: 1.5 }), RangeError, "depth");
});
