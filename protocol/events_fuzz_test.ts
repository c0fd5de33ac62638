import fc from "fast-check";
import { EventSchema, parseEvent, PROTOCOL_VERSION, type TranscriptEvent } from "./events.ts";
import { assert, assertEquals } from "../ffi/testing/assert.ts";
import { expectContractError, fuzz, thrown } from "../ffi/testing/fuzz.ts";

const PREFIX = "Cannot parse event: ";

const junk = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.string({ maxLength: 40 }), fc.double());
const ms = fc.double({ min: 0, max: 1e9, noNaN: true });
const nat = fc.nat({ max: 1e6 });

const word = fc.tuple(
  fc.string({ minLength: 1, maxLength: 12 }),
  ms,
  ms,
  fc.double({ min: 0, max: 1, noNaN: true }),
)
  .map(([w, a, b, p]) => ({ word: w, startMs: Math.min(a, b), endMs: Math.max(a, b), p }));

const base = { v: fc.constant(PROTOCOL_VERSION), seq: nat, audioMs: ms, emittedMs: ms };

/** Valid transcript events of every type, keys in the schemas' order. */
const validEvent: fc.Arbitrary<TranscriptEvent> = fc.oneof(
  fc.record({ ...base, type: fc.constant("partial" as const), segmentId: nat, text: fc.string() }),
  fc.record({
    ...base,
    type: fc.constant("commit" as const),
    segmentId: nat,
    words: fc.array(word, { minLength: 1, maxLength: 5 }),
  }),
  fc.record({
    ...base,
    type: fc.constant("final" as const),
    segmentId: nat,
    text: fc.string(),
    startMs: ms,
    endMs: ms,
    words: fc.array(word, { maxLength: 5 }),
  }),
  fc.record({
    ...base,
    type: fc.constant("intent" as const),
    segmentId: nat,
    intent: fc.string({ minLength: 1 }),
    confidence: fc.double({ min: 0, max: 1, noNaN: true }),
    slots: fc.dictionary(
      fc.string({ maxLength: 10 }).filter((k) => k !== "__proto__"),
      fc.oneof(fc.string(), fc.double({ noNaN: true, noDefaultInfinity: true })),
    ),
  }),
  fc.record({
    ...base,
    type: fc.constant("vad" as const),
    state: fc.constantFrom("speech" as const, "silence" as const),
  }),
  fc.record({
    ...base,
    type: fc.constant("stats" as const),
    lagMs: ms,
    rtf: fc.double({ min: 0, max: 1e6, noNaN: true }),
    mode: fc.string(),
    degraded: fc.constantFrom(1 as const, 2 as const),
    note: fc.string(),
  }, { requiredKeys: ["v", "seq", "audioMs", "emittedMs", "type", "lagMs", "rtf", "mode"] }),
  fc.record({
    ...base,
    type: fc.constant("error" as const),
    code: fc.string({ minLength: 1 }),
    message: fc.string({ minLength: 1 }),
    recoverable: fc.boolean(),
  }),
);

/** What `parseEvent` must do with any text: a valid event, or its documented error. */
function checkParse(text: string): void {
  let e: TranscriptEvent | undefined;
  expectContractError(thrown(() => (e = parseEvent(text))), [SyntaxError, TypeError], PREFIX);
  if (e) assert(EventSchema.safeParse(e).success, "the parsed event fails its own schema");
}

Deno.test("parseEvent: any text is an event or its documented error", () => {
  fuzz(
    "protocol.parseEvent(text)",
    fc.property(fc.oneof(fc.string({ unit: "binary", maxLength: 200 }), fc.json()), checkParse),
    { runs: 500 },
  );
});

Deno.test("parseEvent: events with fields of every kind, right and wrong", () => {
  const near = fc.record({
    v: fc.oneof(fc.constant(1), junk),
    seq: fc.oneof(nat, junk),
    audioMs: fc.oneof(ms, junk),
    emittedMs: fc.oneof(ms, junk),
    type: fc.oneof(
      fc.constantFrom("partial", "commit", "final", "intent", "vad", "stats", "error"),
      junk,
    ),
    segmentId: fc.oneof(nat, junk),
    text: junk,
    words: fc.oneof(fc.array(fc.oneof(word, junk), { maxLength: 3 }), junk),
    startMs: fc.oneof(ms, junk),
    endMs: fc.oneof(ms, junk),
    intent: junk,
    confidence: fc.oneof(fc.double(), junk),
    slots: junk,
    state: fc.oneof(fc.constantFrom("speech", "silence"), junk),
    lagMs: junk,
    rtf: junk,
    mode: junk,
    degraded: junk,
    code: junk,
    message: junk,
    recoverable: junk,
  }, { requiredKeys: [] });
  fuzz(
    "protocol.parseEvent(near-valid)",
    fc.property(near, (o) => checkParse(JSON.stringify(o))),
    { runs: 800 },
  );
});

Deno.test("parseEvent: every valid event round-trips through JSON", () => {
  fuzz(
    "protocol.parseEvent(round-trip)",
    fc.property(validEvent, (e) => {
      const text = JSON.stringify(e);
      assertEquals(parseEvent(text), JSON.parse(text)); // JSON has no -0
    }),
    { runs: 500 },
  );
});

Deno.test("EventSchema: safeParse of anything never throws (the client's check)", () => {
  fuzz(
    "protocol.EventSchema.safeParse",
    fc.property(fc.anything(), (x) => {
      EventSchema.safeParse(x);
    }),
    { runs: 300 },
  );
});
