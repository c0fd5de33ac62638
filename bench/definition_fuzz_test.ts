import fc from "fast-check";
import process from "node:process";
import { stringify } from "yaml";
import { cells, type Definition, parseAnyDefinition, parseDefinition } from "./definition.ts";
import { assert, assertEquals } from "../ffi/testing/assert.ts";
import { expectContractError, fuzz, mutated, thrown } from "../ffi/testing/fuzz.ts";

// The YAML parser warns about odd input through process.emitWarning: not this test's concern.
process.emitWarning = () => {};

const enc = new TextEncoder(), dec = new TextDecoder();
// The matrix definitions (soak definitions have no matrix; definition_test.ts covers them).
const REAL = [...Deno.readDirSync(new URL("./definitions", import.meta.url))]
  .filter((e) => e.name.endsWith(".yaml"))
  .map((e) => Deno.readTextFileSync(new URL(`./definitions/${e.name}`, import.meta.url)))
  .filter((t) => parseAnyDefinition(t).kind === "matrix");

/** What parseDefinition must do with any text: a definition whose matrix resolves, or its documented error. */
function checkText(text: string): Definition | undefined {
  let def: Definition | undefined;
  const err = thrown(() => (def = parseDefinition(text, "fuzz.yaml")));
  expectContractError(err, [SyntaxError, TypeError], "Cannot read fuzz.yaml: ");
  if (!def) return;
  const cs = cells(def, "fuzz.yaml");
  assert(cs.length >= 1, "a definition with no cells");
  assert(def.trials >= 1 && def.warmups >= 0, "trials/warm-ups");
  return def;
}

const junk = fc.jsonValue({ maxDepth: 1 });
const NAMES = ["a", "b", "jfk", "x.y-z"];

/**
 * Definitions built field by field. With `wrong`, any field may hold anything, names may be
 * malformed and values out of range; without, every field is valid (names may still clash or
 * refer to nothing, which parseDefinition must catch).
 */
function definitions(wrong: boolean) {
  const pick = <T>(good: fc.Arbitrary<T>, bad?: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> =>
    wrong ? fc.oneof({ weight: 6, arbitrary: good }, { weight: 1, arbitrary: bad ?? junk }) : good;
  const name = pick(fc.constantFrom(...NAMES), fc.string({ maxLength: 6 }));
  // Lists whose names clash are refused: keep them apart, mostly.
  const unique = <T extends { name: unknown }>(item: fc.Arbitrary<T>) =>
    pick(
      fc.uniqueArray(item, { minLength: 1, maxLength: 3, selector: (x) => x.name }),
      fc.array(item, { minLength: 1, maxLength: 3 }),
    );
  const dataset = fc.record({
    name,
    source: pick(fc.constantFrom("../speech/jfk", "x")),
    limit: pick(fc.integer({ min: 1, max: 5 }), fc.integer({ min: -2, max: 0 })),
  }, { requiredKeys: ["name", "source"] });
  const synthetic = fc.record({
    name,
    synthetic: fc.record({
      kind: pick(fc.constantFrom("silence", "noise", "concat")),
      seconds: pick(fc.double({ min: 0.1, max: 600, noNaN: true }), fc.double()),
      of: name,
    }, { requiredKeys: ["kind"] }),
  });
  const sut = fc.oneof(
    fc.record({ name, kind: fc.constantFrom("offline", "whisper-cli") }),
    fc.record({ name, kind: fc.constant("stream"), realtime: pick(fc.boolean()) }, {
      requiredKeys: ["name", "kind"],
    }),
    fc.record({
      name,
      kind: fc.constant("webrtc"),
      transport: pick(fc.constantFrom("media", "audio", "mel", "ws")),
      url: pick(fc.constant("http://127.0.0.1:8000"), fc.constant("not a url")),
    }, { requiredKeys: ["name", "kind"] }),
    fc.record({
      name,
      kind: fc.constant("command"),
      command: pick(
        fc.array(fc.string({ minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 2 }),
      ),
    }),
    ...(wrong
      ? [fc.record({ // fields of one kind on another, unknown kinds
        name,
        kind: fc.constantFrom("offline", "stream", "webrtc", "command", "fast"),
        command: fc.array(fc.string({ maxLength: 5 }), { maxLength: 2 }),
        realtime: fc.boolean(),
      }, { requiredKeys: ["name", "kind"] })]
      : []),
  );
  const runConfig = fc.record({
    name,
    threads: pick(fc.integer({ min: 1, max: 64 }), fc.integer({ min: -1, max: 100 })),
    mode: pick(fc.constantFrom("latency", "balanced", "accuracy")),
    overrides: pick(
      fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.integer(), fc.boolean(), fc.string())),
    ),
  }, { requiredKeys: ["name"] });
  return fc.record({
    benchmark: name,
    workloads: pick(unique(fc.oneof(dataset, synthetic))),
    suts: pick(unique(sut)),
    run_configs: pick(unique(runConfig)),
    matrix: pick(
      fc.array(fc.record({ sut: name, run_config: name, workload: name }), {
        minLength: 1,
        maxLength: 3,
      }),
    ),
    trials: pick(fc.integer({ min: 1, max: 30 }), fc.integer({ min: -1, max: 200 })),
    tolerances: pick(
      fc.dictionary(
        fc.string({ maxLength: 6 }),
        fc.oneof(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.constant("10%")),
        { maxKeys: 2 },
      ),
      fc.dictionary(
        fc.string({ maxLength: 6 }),
        fc.oneof(fc.double(), fc.constantFrom("x%", "5", "-1%")),
      ),
    ),
  }, { requiredKeys: ["benchmark", "workloads", "suts", "run_configs"] });
}

const doc = fc.oneof(definitions(false), definitions(true));

Deno.test("parseDefinition: any text (random, or a real definition mutated) is a definition or its documented error", () => {
  fuzz(
    "bench.parseDefinition(text)",
    fc.property(
      fc.oneof(
        fc.string({ maxLength: 200 }),
        fc.constantFrom(...REAL).chain((t) => mutated(enc.encode(t), 4)).map((b) => dec.decode(b)),
      ),
      (t) => void checkText(t),
    ),
    { runs: 300 },
  );
});

Deno.test("parseDefinition: definitions with fields right and wrong", () => {
  fuzz(
    "bench.parseDefinition(near-valid)",
    fc.property(doc, (d) => void checkText(stringify(d))),
    { runs: 400 },
  );
});

Deno.test("parseDefinition: every real definition parses, and round-trips through YAML", () => {
  for (const t of REAL) {
    const def = checkText(t);
    assert(def, "a real definition was refused");
    assertEquals(parseDefinition(stringify(def)), def);
  }
});

const SOAKS = [...Deno.readDirSync(new URL("./definitions", import.meta.url))]
  .filter((e) => e.name.startsWith("soak") && e.name.endsWith(".yaml"))
  .map((e) => Deno.readTextFileSync(new URL(`./definitions/${e.name}`, import.meta.url)));

Deno.test("parseAnyDefinition: a soak definition mutated is a soak, a matrix or its documented error", () => {
  assert(SOAKS.length >= 2, "the soak definitions are there");
  fuzz(
    "bench.parseAnyDefinition(soak text)",
    fc.property(
      fc.constantFrom(...SOAKS).chain((t) => mutated(enc.encode(t), 4)).map((b) => dec.decode(b)),
      (t) => {
        let any: ReturnType<typeof parseAnyDefinition> | undefined;
        const err = thrown(() => (any = parseAnyDefinition(t, "fuzz.yaml")));
        expectContractError(err, [SyntaxError, TypeError], "Cannot read fuzz.yaml: ");
        if (any?.kind === "soak") {
          const { soak } = any.def;
          assert(soak.duration_s > 0 && soak.honest.sessions >= 1, "duration and sessions");
          assert(soak.variants.length >= 1, "a variant");
        }
      },
    ),
    { runs: 300 },
  );
});
