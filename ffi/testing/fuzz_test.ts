import fc from "fast-check";
import { expectContractError, fuzz, fuzzRuns, fuzzTally, mutated, thrown } from "./fuzz.ts";
import { assert, assertEquals, assertThrows } from "./assert.ts";

Deno.test("HUM_FUZZ_RUNS scales or replaces the default run counts", () => {
  assertEquals(fuzzRuns(100, ""), 100); // unset (undefined would read the environment)
  assertEquals(fuzzRuns(100, "20x"), 2000);
  assertEquals(fuzzRuns(100, "x0.5"), 50);
  assertEquals(fuzzRuns(3, "x0.01"), 1);
  assertEquals(fuzzRuns(100, "5000"), 5000);
  assertThrows(() => fuzzRuns(100, "lots"), Error, "HUM_FUZZ_RUNS=lots");
  assertThrows(() => fuzzRuns(100, "0"), Error, "HUM_FUZZ_RUNS=0");
});

Deno.test("fuzz counts its runs, and a failing property throws with its seed", () => {
  fuzz("fuzz_test.passes", fc.property(fc.nat(), (n) => n >= 0), { runs: 7 });
  const t = fuzzTally.get("fuzz_test.passes")!;
  assertEquals([t.runs, t.executed], [fuzzRuns(7), fuzzRuns(7)]);
  assertThrows(
    () => fuzz("fuzz_test.fails", fc.property(fc.nat(), (n) => n < 10), { runs: 200 }),
    Error,
    "seed",
  );
  assert(fuzzTally.get("fuzz_test.fails")!.shrinks >= 0);
});

Deno.test("a synchronous run over its time limit fails the property", () => {
  const slow = fc.property(fc.constant(0), () => {
    const end = performance.now() + 30;
    while (performance.now() < end) { /* busy */ }
  });
  const err = assertThrows(() => fuzz("fuzz_test.slow", slow, { runs: 1, timeoutMs: 5 }), Error);
  assert(/over the 5 ms limit/.test(String((err.cause as Error)?.message)), String(err.cause));
});

Deno.test("an asynchronous run that never settles fails at its time limit", async () => {
  let err: unknown;
  try {
    await fuzz(
      "fuzz_test.hangs",
      fc.asyncProperty(fc.constant(0), () => new Promise<void>(() => {})),
      { runs: 1, timeoutMs: 20 },
    );
  } catch (e) {
    err = e;
  }
  const cause = err instanceof Error ? String((err.cause as Error)?.message) : "";
  assert(/limit of 20 milliseconds/.test(cause), `${err}: ${cause}`);
});

Deno.test("expectContractError lets through only the documented errors", () => {
  expectContractError(undefined, [RangeError]);
  expectContractError(new RangeError("Cannot x"), [RangeError], "Cannot");
  assert(thrown(() => expectContractError(new TypeError("Cannot x"), [RangeError])));
  assert(thrown(() => expectContractError(new RangeError("oops"), [RangeError], "Cannot")));
});

Deno.test("mutated makes edited copies and leaves the seed alone", () => {
  const seed = new Uint8Array(64).fill(7);
  const samples = fc.sample(mutated(seed), { numRuns: 200, seed: 1 });
  assert(samples.some((s) => s.length !== seed.length), "no length changes");
  assert(samples.some((s) => s.length === seed.length && s.some((b) => b !== 7)), "no edits");
  assert(seed.every((b) => b === 7), "the seed was changed");
});

Deno.test("HUM_FUZZ_SEED replays the same values", () => {
  const before = Deno.env.get("HUM_FUZZ_SEED");
  const seen = (): number[] => {
    const xs: number[] = [];
    fuzz("fuzz_test.replay", fc.property(fc.nat(), (n) => void xs.push(n)), { runs: 20 });
    return xs;
  };
  try {
    Deno.env.set("HUM_FUZZ_SEED", "1234");
    const a = seen(), b = seen();
    assertEquals(a, b);
    Deno.env.set("HUM_FUZZ_SEED", "1235");
    assert(JSON.stringify(seen()) !== JSON.stringify(a), "another seed, the same values");
  } finally {
    if (before === undefined) Deno.env.delete("HUM_FUZZ_SEED");
    else Deno.env.set("HUM_FUZZ_SEED", before);
  }
});
