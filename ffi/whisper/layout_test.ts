import { assertLayoutsMatch, compileAndRunProbe } from "../testing/layout_probe.ts";
import { ensureWhisperBuild } from "./build.ts";
import { LAYOUTS } from "./layout.ts";

Deno.test("whisper.h struct layouts match the offsets the binding uses", async () => {
  const build = await ensureWhisperBuild({ quiet: true });
  const probed = await compileAndRunProbe({
    source: new URL("./native/layout_probe.c", import.meta.url),
    includeDirs: build.includeDirs,
    name: "whisper",
  });
  assertLayoutsMatch(LAYOUTS, probed);
});
