import { majorMinor } from "./library.ts";
import { WhisperError, WhisperVersionError } from "./errors.ts";
import { assertEquals } from "../testing/assert.ts";

Deno.test("version checks compare major.minor and explain a mismatch", () => {
  assertEquals(majorMinor("1.9.1"), "1.9");
  assertEquals(majorMinor("1.10.0"), "1.10");
  const e = new WhisperVersionError("/opt/libwhisper.so", "1.7.6", "1.9");
  assertEquals(e.found, "1.7.6");
  assertEquals(
    /\/opt\/libwhisper\.so is version 1\.7\.6, hum-helix needs 1\.9\.x/.test(e.message),
    true,
    e.message,
  );
});

Deno.test("native failures carry the operation and the return code", () => {
  const e = new WhisperError("whisper_full_with_state", "Cannot decode audio", -6);
  assertEquals([e.op, e.code, e.message], [
    "whisper_full_with_state",
    -6,
    "Cannot decode audio (whisper_full_with_state returned -6)",
  ]);
});
