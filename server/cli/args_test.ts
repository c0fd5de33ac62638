import { z } from "zod";
import { parseCommandLine } from "./args.ts";
import { parseArgs as modelArgs } from "../models/cli.ts";
import { assertEquals, assertThrows } from "../../ffi/testing/assert.ts";

const schema = z.object({ file: z.string().optional(), out: z.string().optional() });
const flags = { value: { "--out": "out" }, bool: {}, file: "optional" as const };

Deno.test("an argument named like an Object.prototype key is a file, not a flag (fuzz counterexample)", () => {
  // `"constructor" in {}` is true: such an argument was taken for a flag that "needs a value".
  for (const name of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
    assertEquals(parseCommandLine([name], flags, schema), { file: name });
    assertEquals((modelArgs([name]) as { names: string[] }).names, [name]);
  }
  assertEquals(parseCommandLine(["--out", "x", "valueOf"], flags, schema), {
    file: "valueOf",
    out: "x",
  });
  assertThrows(() => parseCommandLine(["--toString"], flags, schema), Error, "unknown option");
});
