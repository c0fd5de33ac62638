import { MAX_CONTROL_BYTES, parseControl, SessionMessageSchema } from "./control.ts";
import { resolveStreamConfig } from "../server/engine/modes.ts";
import { assert, assertEquals, assertThrows } from "../ffi/testing/assert.ts";

Deno.test("control messages parse; bad ones get errors naming the fault", () => {
  assertEquals(parseControl('{"v":1,"type":"flush"}'), { v: 1, type: "flush" });
  assertEquals(parseControl('{"v":1,"type":"mode","mode":"latency"}').type, "mode");
  assertEquals(parseControl('{"v":1,"type":"ping","id":7,"clientMs":12.5}'), {
    v: 1,
    type: "ping",
    id: 7,
    clientMs: 12.5,
  });
  assertThrows(() => parseControl("{oops"), SyntaxError, "not JSON");
  assertThrows(() => parseControl(new Uint8Array(3)), TypeError, "binary");
  assertThrows(() => parseControl('{"v":2,"type":"flush"}'), TypeError, "v:");
  assertThrows(() => parseControl('{"v":1,"type":"dance"}'), TypeError, "type");
  assertThrows(() => parseControl('{"v":1,"type":"mode","mode":"turbo"}'), TypeError, "mode:");
  assertThrows(() => parseControl(" ".repeat(MAX_CONTROL_BYTES + 1)), RangeError, "at most");
});

Deno.test("session messages validate", () => {
  SessionMessageSchema.parse({
    v: 1,
    type: "ready",
    sessionId: "s1",
    mode: "balanced",
    inputs: [],
  });
  SessionMessageSchema.parse({ v: 1, type: "ended", reason: "end" });
  assertThrows(() => SessionMessageSchema.parse({ v: 1, type: "ended", reason: "?" }), Error);
});

Deno.test("the 16 KiB limit counts UTF-8 bytes, not characters (fuzz counterexample)", () => {
  // 5450 × "€" (3 bytes each) makes 16 387 bytes in 5 487 characters: it was let through.
  const text = `{"v":1,"type":"ping","id":0,"pad":"${"€".repeat(5450)}"}`;
  assertThrows(() => parseControl(text), RangeError, "16387 bytes, at most 16384");
  const fits = `{"v":1,"type":"ping","id":0,"pad":"${"€".repeat(5449)}"}`;
  assertEquals(parseControl(fits).type, "ping");
});

Deno.test("a __proto__ key in overrides pollutes nothing and configures nothing (fuzz finding)", () => {
  const m = parseControl(
    '{"v":1,"type":"mode","mode":"latency","overrides":{"__proto__":{"minChunkMs":5,"polluted":1}}}',
  );
  assert(m.type === "mode");
  // zod's record leaves the key out; no prototype anywhere gains the fields.
  assertEquals(Object.keys(m.overrides ?? {}), []);
  assertEquals(({} as Record<string, unknown>).polluted, undefined);
  assertEquals(resolveStreamConfig("latency", { ...m.overrides }).minChunkMs, 500);
});
