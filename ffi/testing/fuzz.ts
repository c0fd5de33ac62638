/**
 * Shared settings of the property-based fuzz tests (`*_fuzz_test.ts`, fast-check): how many runs
 * each property gets, which seed, a per-run time limit, and a tally of the runs executed.
 *
 * Environment:
 * - `HUM_FUZZ_RUNS`: `20x` (or `x20`) multiplies every property's default run count; a plain
 *   number (`5000`) sets every property's count. Unset: the modest defaults, sized so the whole
 *   fuzz set stays cheap in the ordinary suite.
 * - `HUM_FUZZ_SEED` (and `HUM_FUZZ_PATH`): replay a failure. fast-check prints both in its
 *   report (`seed: …, path: "…"`); select the property with `deno test --filter`.
 * - `HUM_FUZZ_TALLY`: a file each property appends one JSON line to when it completes,
 *   `{"name", "runs", "shrinks", "executed", "ms", "failed"}` (`executed`: every run of the
 *   predicate, shrinking included), for counting a campaign's iterations.
 *
 * Importing this module makes fast-check spread lengths up to the `maxLength` an arbitrary is
 * given (`defaultSizeToMaxWhenMaxSpecified`), rather than keep them near ten.
 *
 * Every run is timed: an asynchronous one that does not settle within its limit fails at once (the
 * fast-check `timeout` plugin); a synchronous one cannot be interrupted, so one that took longer
 * than its limit fails when it returns (a pathologically slow input, such as a regex blow-up,
 * is caught; a true infinite loop would still hang the test).
 *
 * @module
 */

import fc from "fast-check";

// A `maxLength` (or `maxDepth`) given to an arbitrary is what the property wants explored:
// lengths spread up to it, not fast-check's default of about ten.
fc.configureGlobal({ ...fc.readConfigureGlobal(), defaultSizeToMaxWhenMaxSpecified: true });

/** How one property is run. */
export interface FuzzOptions {
  /** Runs by default (scaled or replaced by `HUM_FUZZ_RUNS`). */
  runs: number;
  /** The longest one run may take, ms (default 3000 for synchronous, 20000 for asynchronous runs). */
  timeoutMs?: number;
}

/** The run count for a property whose default is `defaultRuns`, after `HUM_FUZZ_RUNS`. */
export function fuzzRuns(defaultRuns: number, setting = Deno.env.get("HUM_FUZZ_RUNS")): number {
  if (setting === undefined || setting.trim() === "") return defaultRuns;
  const s = setting.trim();
  const times = /^(?:x(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)x)$/i.exec(s);
  if (times) return Math.max(1, Math.round(defaultRuns * Number(times[1] ?? times[2])));
  if (/^\d+$/.test(s) && Number(s) > 0) return Number(s);
  throw new Error(
    `HUM_FUZZ_RUNS=${setting}: expected a multiplier such as 20x, or a run count such as 5000`,
  );
}

function envInt(key: string): number | undefined {
  const v = Deno.env.get(key);
  if (v === undefined || v.trim() === "") return undefined;
  if (!/^-?\d+$/.test(v.trim())) throw new Error(`${key}=${v}: expected an integer`);
  return Number(v);
}

/** What one property did: runs passed, shrink steps, predicate executions in all. */
export interface FuzzCount {
  runs: number;
  shrinks: number;
  executed: number;
}

/** What every property did so far in this process, by name. */
export const fuzzTally: Map<string, FuzzCount> = new Map();

/** Counts each execution of the predicate and fails runs that take longer than `limitMs`. */
function timed<Ts>(count: FuzzCount, limitMs: number): fc.Plugin<Ts> {
  return () => ({
    decorateRun: (nested) => (value) => {
      count.executed++;
      const t0 = performance.now();
      const over = () => {
        const ms = performance.now() - t0;
        return ms > limitMs
          ? { error: new Error(`one run took ${ms.toFixed(0)} ms, over the ${limitMs} ms limit`) }
          : null;
      };
      const out = nested(value);
      if (out instanceof Promise) return out.then((r) => r ?? over());
      return (out ?? over()) as ReturnType<typeof nested>;
    },
  });
}

function tallied<Ts>(name: string, count: FuzzCount, t0: number): fc.Plugin<Ts> {
  return () => ({
    onAllRunsComplete: (d) => {
      count.runs = d.numRuns;
      count.shrinks = d.numShrinks;
      const entry = fuzzTally.get(name) ?? { runs: 0, shrinks: 0, executed: 0 };
      entry.runs += count.runs;
      entry.shrinks += count.shrinks;
      entry.executed += count.executed;
      fuzzTally.set(name, entry);
      const file = Deno.env.get("HUM_FUZZ_TALLY");
      if (file) {
        const line = {
          name,
          runs: d.numRuns,
          shrinks: d.numShrinks,
          executed: count.executed,
          ms: Math.round(performance.now() - t0),
          failed: d.failed,
        };
        Deno.writeTextFileSync(file, JSON.stringify(line) + "\n", { append: true });
      }
    },
  });
}

/** fast-check parameters for the property `name`: runs, seed, path, time limit and tally. */
export function fuzzParams<Ts>(
  name: string,
  opts: FuzzOptions,
  isAsync: boolean,
): fc.Parameters<Ts> {
  const limit = opts.timeoutMs ?? (isAsync ? 20_000 : 3_000);
  const seed = envInt("HUM_FUZZ_SEED");
  const path = Deno.env.get("HUM_FUZZ_PATH") || undefined;
  const count: FuzzCount = { runs: 0, shrinks: 0, executed: 0 };
  return {
    numRuns: fuzzRuns(opts.runs),
    ...(seed !== undefined ? { seed } : {}),
    ...(seed !== undefined && path ? { path } : {}),
    plugins: [
      ...(isAsync ? [fc.timeout(limit) as fc.Plugin<Ts>] : []),
      timed<Ts>(count, limit),
      tallied<Ts>(name, count, performance.now()),
    ],
  };
}

/**
 * Checks `property` (named `name` in the tally and errors) with the shared settings; throws
 * fast-check's report, seed and counterexample included, when it fails.
 */
export function fuzz<Ts>(name: string, property: fc.IProperty<Ts>, opts: FuzzOptions): void;
/** The asynchronous form: resolves when every run passed. */
export function fuzz<Ts>(
  name: string,
  property: fc.IAsyncProperty<Ts>,
  opts: FuzzOptions,
): Promise<void>;
export function fuzz<Ts>(
  name: string,
  property: fc.IProperty<Ts> | fc.IAsyncProperty<Ts>,
  opts: FuzzOptions,
): void | Promise<void> {
  const params = fuzzParams<Ts>(name, opts, property.isAsync());
  return fc.assert(property as fc.IRawProperty<Ts>, params);
}

/**
 * Runs `fn` and returns what it threw (`undefined` when it did not): for properties of the form
 * "returns a valid value, or throws its documented error".
 */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

/** The asynchronous {@linkcode thrown}. */
export async function rejected(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

/**
 * Fails unless `err` is undefined or an instance of one of `types` whose message starts with
 * `prefix` (when given): an error outside a parser's contract is rethrown as is, so its stack shows.
 */
export function expectContractError(
  err: unknown,
  types: readonly (abstract new (...args: never[]) => Error)[],
  prefix?: string | RegExp,
): void {
  if (err === undefined) return;
  if (!types.some((t) => err instanceof t)) throw err;
  const msg = (err as Error).message;
  if (
    prefix !== undefined &&
    !(typeof prefix === "string" ? msg.startsWith(prefix) : prefix.test(msg))
  ) {
    throw new Error(`error message outside the contract: "${msg}"`, { cause: err });
  }
}

/** Bytes: mostly small, sometimes up to `max` (fast-check biases sizes towards the small). */
export function bytes(max = 4096): fc.Arbitrary<Uint8Array> {
  return fc.uint8Array({ maxLength: max, size: "max" });
}

/**
 * Mutations of `seed` bytes: bit flips, byte overwrites, insertions, deletions, truncation and
 * extension — what a corrupted upload or a hostile client sends in place of a real file.
 */
export function mutated(seed: Uint8Array, maxEdits = 8): fc.Arbitrary<Uint8Array> {
  const n = Math.max(1, seed.length);
  const edit = fc.oneof(
    fc.record({ op: fc.constant("flip" as const), at: fc.nat(n - 1), bit: fc.nat(7) }),
    fc.record({ op: fc.constant("set" as const), at: fc.nat(n - 1), value: fc.nat(255) }),
    fc.record({
      op: fc.constant("insert" as const),
      at: fc.nat(n),
      data: fc.uint8Array({ minLength: 1, maxLength: 64 }),
    }),
    fc.record({
      op: fc.constant("delete" as const),
      at: fc.nat(n - 1),
      len: fc.integer({ min: 1, max: 256 }),
    }),
    fc.record({ op: fc.constant("truncate" as const), at: fc.nat(n) }),
    fc.record({
      op: fc.constant("extend" as const),
      data: fc.uint8Array({ minLength: 1, maxLength: 512 }),
    }),
    fc.record({
      op: fc.constant("word" as const),
      at: fc.nat(Math.max(0, n - 4)),
      value: fc.constantFrom(0, 1, 2, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff),
    }),
  );
  return fc.array(edit, { minLength: 1, maxLength: maxEdits }).map((edits) => {
    let b: Uint8Array = seed.slice();
    for (const e of edits) {
      const at = "at" in e ? Math.min(e.at, b.length) : b.length;
      switch (e.op) {
        case "flip":
          if (at < b.length) b[at] ^= 1 << e.bit;
          break;
        case "set":
          if (at < b.length) b[at] = e.value;
          break;
        case "insert":
          b = concat(b.subarray(0, at), e.data, b.subarray(at));
          break;
        case "delete":
          b = concat(b.subarray(0, at), b.subarray(at + e.len));
          break;
        case "truncate":
          b = b.slice(0, at);
          break;
        case "extend":
          b = concat(b, e.data);
          break;
        case "word":
          if (at + 4 <= b.length) new DataView(b.buffer, b.byteOffset).setUint32(at, e.value, true);
          break;
      }
    }
    return b;
  });
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) (out.set(p, o), o += p.length);
  return out;
}
