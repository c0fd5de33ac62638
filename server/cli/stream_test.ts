import { parseArgs } from "./stream.ts";
import { assertEquals, assertThrows } from "../../ffi/testing/assert.ts";

Deno.test("stream arguments: mode, realtime, settings; clear errors", () => {
  const o = parseArgs([
    "talk.wav",
    "--mode",
    "latency",
    "--realtime",
    "--set",
    "minChunkMs=700",
    "--set=commitPolicy=pause",
    "--set",
    "scaleAudioCtx=false",
  ]);
  if (o === "help") throw new Error("unexpected help");
  assertEquals([o.file, o.mode, o.realtime, o.intent], ["talk.wav", "latency", true, true]);
  assertEquals(o.set, { minChunkMs: 700, commitPolicy: "pause", scaleAudioCtx: false });
  assertEquals(parseArgs(["--help"]), "help");
  assertThrows(() => parseArgs([]), Error, /no audio file/);
  assertThrows(() => parseArgs(["a.wav", "--mode", "fast"]), Error, /--mode/);
  assertThrows(() => parseArgs(["a.wav", "--set", "oops"]), Error, /KEY=VALUE/);
  assertEquals((parseArgs(["a.wav", "--charge-ms", "0"]) as { chargeMs?: number }).chargeMs, 0);
  assertThrows(
    () => parseArgs(["a.wav", "--realtime", "--charge-ms", "0"]),
    Error,
    /--charge-ms is for the simulated clock/,
  );
  assertThrows(() => parseArgs(["a.wav", "--bogus"]), Error, /unknown option --bogus/);
  assertThrows(() => parseArgs(["a.wav", "b.wav"]), Error, /one file at a time/);
});
