import fc from "fast-check";
import { ControlSchema, MAX_CONTROL_BYTES, parseControl, SessionMessageSchema } from "./control.ts";
import { assert, assertEquals } from "../ffi/testing/assert.ts";
import { expectContractError, fuzz, thrown } from "../ffi/testing/fuzz.ts";

const PREFIX = "Cannot read control message: ";
const ERRORS = [TypeError, RangeError, SyntaxError];

/** Any value a field of a control message might hold. */
const junk = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.string({ maxLength: 80 }),
  fc.double(),
);

/** Objects shaped like control messages: right and wrong values for every field. */
const nearControl = fc.record({
  v: fc.oneof(fc.constant(1), junk),
  type: fc.oneof(fc.constantFrom("mode", "flush", "end", "ping", "pong", "ready"), junk),
  mode: fc.oneof(fc.constantFrom("latency", "balanced", "accuracy"), junk),
  overrides: fc.oneof(fc.dictionary(fc.string({ maxLength: 20 }), fc.jsonValue()), junk),
  id: fc.oneof(fc.string({ maxLength: 70 }), fc.double(), junk),
  clientMs: fc.oneof(fc.double(), junk),
}, { requiredKeys: [] });

/** Valid control messages, keys in the schema's order. */
const validControl = fc.oneof(
  fc.record({
    v: fc.constant(1 as const),
    type: fc.constant("mode" as const),
    mode: fc.constantFrom("latency" as const, "balanced" as const, "accuracy" as const),
    overrides: fc.dictionary(fc.string({ maxLength: 20 }), fc.jsonValue({ maxDepth: 2 })),
  }, { requiredKeys: ["v", "type", "mode"] }),
  fc.constant({ v: 1 as const, type: "flush" as const }),
  fc.constant({ v: 1 as const, type: "end" as const }),
  fc.record({
    v: fc.constant(1 as const),
    type: fc.constant("ping" as const),
    id: fc.oneof(
      fc.string({ maxLength: 64 }),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
    ),
    clientMs: fc.double({ noNaN: true, noDefaultInfinity: true }),
  }, { requiredKeys: ["v", "type", "id"] }),
);

/** What `parseControl` must do with anything: a valid message, or its documented error. */
function checkParse(data: unknown): void {
  let msg;
  const err = thrown(() => (msg = parseControl(data)));
  expectContractError(err, ERRORS, PREFIX);
  if (err) return;
  assert(typeof data === "string", "only text is a control message");
  assert(
    new TextEncoder().encode(data).length <= MAX_CONTROL_BYTES,
    "a message over the byte limit was accepted",
  );
  assert(ControlSchema.safeParse(msg).success, "the parsed message fails its own schema");
}

Deno.test("parseControl: any value at all is a control message or its documented error", () => {
  fuzz("control.parseControl(anything)", fc.property(fc.anything(), checkParse), { runs: 300 });
});

Deno.test("parseControl: any text is a control message or its documented error", () => {
  fuzz(
    "control.parseControl(text)",
    fc.property(
      fc.oneof(fc.string({ unit: "binary", maxLength: 200 }), fc.json({ maxDepth: 3 })),
      checkParse,
    ),
    { runs: 500 },
  );
});

Deno.test("parseControl: messages near the protocol's shape are valid or refused by field", () => {
  fuzz(
    "control.parseControl(near-valid)",
    fc.property(nearControl, (obj) => checkParse(JSON.stringify(obj))),
    { runs: 800 },
  );
});

Deno.test("parseControl: text around the 16 KiB limit is refused by its UTF-8 length", () => {
  fuzz(
    "control.parseControl(size)",
    fc.property(
      fc.integer({ min: MAX_CONTROL_BYTES - 64, max: MAX_CONTROL_BYTES + 64 }),
      fc.constantFrom("a", "é", "€", "😀"),
      (bytes, ch) => {
        // A valid ping whose id pads it out to about `bytes` bytes of UTF-8.
        const head = '{"v":1,"type":"ping","id":0,"pad":"';
        const width = new TextEncoder().encode(ch).length;
        const pad = ch.repeat(Math.max(0, Math.floor((bytes - head.length - 2) / width)));
        checkParse(`${head}${pad}"}`);
      },
    ),
    { runs: 200 },
  );
});

Deno.test("parseControl: every valid control message round-trips through JSON", () => {
  fuzz(
    "control.parseControl(round-trip)",
    fc.property(validControl, (m) => {
      const text = JSON.stringify(m);
      fc.pre(new TextEncoder().encode(text).length <= MAX_CONTROL_BYTES);
      // zod drops an own "__proto__" key of a record (harmless: see control_test.ts).
      fc.pre(!text.includes('"__proto__"'));
      // JSON has no -0: compare with what the text itself says.
      assertEquals(parseControl(text), JSON.parse(text));
    }),
    { runs: 500 },
  );
});

Deno.test("SessionMessageSchema: safeParse of anything never throws", () => {
  fuzz(
    "control.SessionMessageSchema.safeParse",
    fc.property(
      fc.oneof(
        fc.anything(),
        fc.record({
          v: fc.oneof(fc.constant(1), junk),
          type: fc.oneof(fc.constantFrom("ready", "pong", "ack", "ended"), junk),
          sessionId: junk,
          mode: junk,
          inputs: fc.oneof(fc.array(fc.constantFrom("media", "audio", "mel", "x")), junk),
          id: junk,
          serverMs: junk,
          of: junk,
          reason: junk,
        }, { requiredKeys: [] }),
      ),
      (x) => {
        const r = SessionMessageSchema.safeParse(x);
        if (r.success) assert(typeof r.data.type === "string");
      },
    ),
    { runs: 500 },
  );
});
