import { MODE_NAMES, MODE_PRESETS, resolveStreamConfig } from "./modes.ts";
import { assertEquals } from "../../ffi/testing/assert.ts";

function throwsMatching(fn: () => unknown, re: RegExp): void {
  try {
    fn();
  } catch (err) {
    if (!re.test((err as Error).message)) throw new Error(`"${(err as Error).message}" !~ ${re}`);
    return;
  }
  throw new Error(`expected an error matching ${re}`);
}

Deno.test("every preset is valid and overrides apply", () => {
  const sorted = (o: object) => Object.entries(o).sort(([a], [b]) => a.localeCompare(b));
  for (const m of MODE_NAMES) assertEquals(sorted(resolveStreamConfig(m)), sorted(MODE_PRESETS[m]));
  const c = resolveStreamConfig("latency", { minChunkMs: 300, threads: 4 });
  assertEquals([c.mode, c.minChunkMs, c.threads, c.beamSize], ["latency", 300, 4, 1]);
  assertEquals(resolveStreamConfig().mode, "balanced");
});

Deno.test("bad modes and overrides are refused with the field named", () => {
  throwsMatching(() => resolveStreamConfig("fast" as never), /mode "fast" is not one of/);
  throwsMatching(
    () => resolveStreamConfig("balanced", { minChunkMs: 10 }),
    /^Cannot configure stream: minChunkMs:/,
  );
  throwsMatching(() => resolveStreamConfig("balanced", { maxBufferMs: 60_000 }), /maxBufferMs/);
  throwsMatching(() => resolveStreamConfig("balanced", { beamSize: 2.5 }), /beamSize/);
  throwsMatching(() => resolveStreamConfig("balanced", { chunk: 1 }), /chunk|unrecognized/i);
  throwsMatching(() => resolveStreamConfig("balanced", { maxSegmentMs: 5_000 }), /maxSegmentMs/);
  throwsMatching(() => resolveStreamConfig("balanced", "fast"), /overrides must be an object/);
  throwsMatching(
    () => resolveStreamConfig("balanced", { mode: "latency", x: 1 }),
    /x|unrecognized/i,
  );
});
