import { parseSse } from "./upload.ts";
import { assertEquals } from "../../ffi/testing/assert.ts";

Deno.test("server-sent events split across chunks come out whole, in order", () => {
  const text = 'data: {"type":"a"}\n\ndata: {"type":"b","n":1}\n\ndata: {"ty';
  const first = parseSse(text);
  assertEquals(first.events, [{ type: "a" }, { type: "b", n: 1 }]);
  const second = parseSse(first.rest + 'pe":"c"}\n\n: a comment\n\nevent: x\ndata: not json\n\n');
  assertEquals(second.events, [{ type: "c" }]);
  assertEquals(second.rest, "");
});
