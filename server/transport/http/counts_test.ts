import { assertEquals } from "../../../ffi/testing/assert.ts";
import { CountsByKey } from "./counts.ts";

Deno.test("counts per key keep their total; a key never added cannot go below zero", () => {
  const c = new CountsByKey();
  c.add("a");
  c.add("a");
  c.add("b");
  assertEquals([c.get("a"), c.get("b"), c.total], [2, 1, 3]);
  c.remove("a");
  c.remove("b");
  c.remove("b");
  c.remove("zzz");
  assertEquals([c.get("a"), c.get("b"), c.get("zzz"), c.total], [1, 0, 0, 1]);
});
