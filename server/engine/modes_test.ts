import { MODE_PRESETS, resolveStreamConfig } from "./modes.ts";
import { MODE_NAMES } from "../../protocol/modes.ts";
import { assertEquals, assertThrows } from "../../ffi/testing/assert.ts";

Deno.test("every preset is valid and overrides apply", () => {
  const sorted = (o: object) => Object.entries(o).sort(([a], [b]) => a.localeCompare(b));
  for (const m of MODE_NAMES) assertEquals(sorted(resolveStreamConfig(m)), sorted(MODE_PRESETS[m]));
  const c = resolveStreamConfig("latency", { minChunkMs: 300, threads: 4 });
  assertEquals([c.mode, c.minChunkMs, c.threads, c.beamSize], ["latency", 300, 4, 1]);
  assertEquals(resolveStreamConfig().mode, "balanced");
});

Deno.test("bad modes and overrides are refused with the field named", () => {
  assertThrows(() => resolveStreamConfig("fast" as never), Error, /mode "fast" is not one of/);
  assertThrows(
    () => resolveStreamConfig("balanced", { minChunkMs: 10 }),
    Error,
    /^Cannot configure stream: minChunkMs:/,
  );
  assertThrows(
    () => resolveStreamConfig("balanced", { maxSegmentMs: 60_000 }),
    Error,
    /maxSegmentMs/,
  );
  assertThrows(() => resolveStreamConfig("balanced", { beamSize: 2.5 }), Error, /beamSize/);
  assertThrows(() => resolveStreamConfig("balanced", { chunk: 1 }), Error, /chunk|unrecognized/i);
  assertThrows(
    () => resolveStreamConfig("balanced", { maxSegmentMs: 1_000 }),
    Error,
    /maxSegmentMs/,
  );
  assertThrows(() => resolveStreamConfig("balanced", "fast"), Error, /overrides must be an object/);
  assertThrows(
    () => resolveStreamConfig("balanced", { mode: "latency", x: 1 }),
    Error,
    /x|unrecognized/i,
  );
});
