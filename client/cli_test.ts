import { parseArgs } from "./cli.ts";
import { assertEquals, assertThrows } from "../ffi/testing/assert.ts";

const BASE = ["--url", "http://127.0.0.1:8000", "--file", "a.wav"];

Deno.test("client flags: --loss, --reorder and --seed impair the media track", () => {
  const o = parseArgs([...BASE, "--loss", "0.05", "--reorder=0.05", "--seed", "7"]);
  if (o === "help") throw new Error("not help");
  assertEquals([o.transport, o.loss, o.reorder, o.seed], ["media", 0.05, 0.05, 7]);
  const plain = parseArgs(BASE);
  if (plain === "help") throw new Error("not help");
  assertEquals([plain.loss, plain.reorder, plain.seed], [0, 0, 1], "no impairment by default");
});

Deno.test("client flags: impairment out of range, or on a data channel, is refused", () => {
  assertThrows(() => parseArgs([...BASE, "--loss", "1"]), Error, "--loss");
  assertThrows(() => parseArgs([...BASE, "--reorder", "-0.1"]), Error, "--reorder");
  assertThrows(() => parseArgs([...BASE, "--seed", "1.5"]), Error, "--seed");
  assertThrows(
    () => parseArgs([...BASE, "--transport", "audio", "--loss", "0.05"]),
    Error,
    "needs --transport media",
  );
});
