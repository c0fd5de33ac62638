import {
  assertConstantsMatch,
  compileAndRunProbe,
  skipWithoutHeader,
} from "../testing/layout_probe.ts";
import { CONSTANTS } from "./symbols.ts";

Deno.test("opus.h constants match the ones the binding uses", async (t) => {
  const skip = { header: "opus/opus.h", devPackage: "libopus-dev", what: "opus constants check" };
  if (await skipWithoutHeader(t, skip)) return;
  const probed = await compileAndRunProbe({
    source: new URL("./layout_probe.c", import.meta.url),
    name: "opus",
  });
  assertConstantsMatch(CONSTANTS, probed);
});
