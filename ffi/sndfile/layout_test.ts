import {
  assertConstantsMatch,
  assertLayoutsMatch,
  compileAndRunProbe,
  skipWithoutHeader,
} from "../testing/layout_probe.ts";
import { LAYOUTS } from "./layout.ts";
import { CONSTANTS } from "./symbols.ts";

Deno.test("sndfile.h struct layouts and constants match the ones the binding uses", async (t) => {
  const skip = { header: "sndfile.h", devPackage: "libsndfile1-dev", what: "sndfile layout check" };
  if (await skipWithoutHeader(t, skip)) return;
  const probed = await compileAndRunProbe({
    source: new URL("./layout_probe.c", import.meta.url),
    name: "sndfile",
  });
  assertLayoutsMatch(LAYOUTS, probed);
  assertConstantsMatch(CONSTANTS, probed);
});
