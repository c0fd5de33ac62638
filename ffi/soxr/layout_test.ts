import {
  assertConstantsMatch,
  assertLayoutsMatch,
  compileAndRunProbe,
  skipWithoutHeader,
} from "../testing/layout_probe.ts";
import { LAYOUTS } from "./layout.ts";
import { CONSTANTS, QUALITY_SPEC_SIZE, QUALITY_SPEC_T } from "./symbols.ts";
import { assertEquals } from "../testing/assert.ts";

Deno.test("soxr.h struct layouts and constants match the ones the binding uses", async (t) => {
  const skip = { header: "soxr.h", devPackage: "libsoxr-dev", what: "soxr layout check" };
  if (await skipWithoutHeader(t, skip)) return;
  const probed = await compileAndRunProbe({
    source: new URL("./layout_probe.c", import.meta.url),
    name: "soxr",
  });
  assertLayoutsMatch(LAYOUTS, probed);
  assertConstantsMatch(CONSTANTS, probed);
});

Deno.test("the struct type Deno receives soxr_quality_spec_t as has the C size", () => {
  const sizes: Record<string, number> = { f64: 8, u64: 8, pointer: 8 };
  const size = QUALITY_SPEC_T.struct.reduce((n, t) => n + sizes[t], 0);
  assertEquals(size, QUALITY_SPEC_SIZE, "QUALITY_SPEC_T size");
});
