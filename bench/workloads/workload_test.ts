import { globToRegExp, loadWorkload, type Workload } from "./workload.ts";
import { decodeAudioFile } from "../../decode/audio_file.ts";
import { hasShared, sharedPath } from "../../ffi/testing/shared.ts";
import { assert, assertEquals, assertThrows } from "../../ffi/testing/assert.ts";

Deno.test("globs: * stays inside a path part, ** crosses parts, ? is one character", () => {
  const re = globToRegExp("test-other/**/*-000?.flac");
  assert(re.test("test-other/1688/142285/1688-142285-0001.flac"));
  assert(!re.test("test-other/1688/142285/1688-142285-0012.flac"));
  assert(!re.test("test-clean/1089/1089-134686-0000.flac"));
  assert(globToRegExp("*.wav").test("jfk.wav") && !globToRegExp("*.wav").test("a/jfk.wav"));
});

Deno.test("globs: {a,b} is either alternative, literally; an unclosed { is an error", () => {
  const re = globToRegExp("*-spk{1688,367}.flac");
  assert(re.test("x-spk1688.flac") && re.test("x-spk367.flac"));
  assert(!re.test("x-spk3005.flac") && !re.test("x-spk1688367.flac"));
  assert(globToRegExp("{a.b,c}").test("a.b") && !globToRegExp("{a.b,c}").test("axb"));
  assertThrows(() => globToRegExp("spk{1,2"), Error, "is never closed");
});

Deno.test({
  name: "a dataset workload is narrowed by glob, count and duration; synthetic ones are written",
  ignore: !hasShared("speech/manifest.tsv", "speech/jfk/jfk.wav"),
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "hum-workload-" });
    try {
      const other = await loadWorkload(
        { name: "o", source: sharedPath("speech/librispeech"), include: "test-other/**", limit: 5 },
        "/",
        dir,
      );
      assertEquals(other.items.length, 5);
      assert(other.items.every((i) => i.audioPath.includes("test-other")));
      const short = await loadWorkload(
        {
          name: "s",
          source: sharedPath("speech/librispeech"),
          include: "test-other/**",
          max_duration_s: 20,
        },
        "/",
        dir,
      );
      assert(short.durationS <= 20 && short.items.length >= 1, `${short.durationS} s`);
      const loaded = new Map<string, Workload>([[
        "jfk",
        await loadWorkload(
          { name: "jfk", source: sharedPath("speech/jfk") },
          "/",
          dir,
        ),
      ]]);
      const quiet = await loadWorkload(
        { name: "quiet", synthetic: { kind: "silence", seconds: 2, amplitude: 0.01, gap_s: 1 } },
        "/",
        dir,
      );
      assertEquals([quiet.items[0].reference, quiet.durationS], ["", 2]);
      const twice = await loadWorkload(
        {
          name: "twice",
          synthetic: { kind: "concat", of: "jfk", seconds: 10, amplitude: 0.01, gap_s: 1 },
        },
        "/",
        dir,
        loaded,
      );
      const audio = await decodeAudioFile(twice.items[0].audioPath);
      assertEquals(Math.round(audio.durationS), 12, "jfk's 11 s and a 1 s gap");
      assertEquals(twice.items[0].reference, loaded.get("jfk")!.items[0].reference);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
