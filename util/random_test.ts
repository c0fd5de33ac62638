import { SeededRandom, seededRandom } from "./random.ts";
import { assertEquals } from "../ffi/testing/assert.ts";

// The numbers the generators gave before they became one module (client/impair.ts,
// ffi/testing/signal.ts, the server's inbound loss, the bench's noise, the model tests' bytes).
Deno.test("mulberry32 gives the numbers it always gave", () => {
  const r = new SeededRandom(7);
  assertEquals(Array.from({ length: 5 }, () => r.next()), [
    0.011704753153026104,
    0.06195825757458806,
    0.97690763277933,
    0.6990287057124078,
    0.5214452685322613,
  ]);
  const f = seededRandom(7);
  assertEquals(f(), 0.011704753153026104);
});

Deno.test("xorshift32 gives the numbers it always gave; seed 0 starts at 1", () => {
  const r = new SeededRandom(0x9e3779b9, "xorshift32");
  assertEquals(Array.from({ length: 4 }, () => r.next()), [
    0.31659353361465037,
    0.8757069851271808,
    0.4833001629449427,
    0.005915207089856267,
  ]);
  const bytes = (seed: number, n: number) => {
    const g = new SeededRandom(seed, "xorshift32");
    return Array.from({ length: n }, () => g.nextUint32() & 0xff);
  };
  assertEquals(bytes(3, 8), [99, 3, 71, 73, 203, 243, 67, 4]);
  assertEquals(bytes(0, 8), [33, 1, 197, 79, 209, 208, 26, 178]);
  assertEquals(bytes(0, 8), bytes(1, 8));
});
