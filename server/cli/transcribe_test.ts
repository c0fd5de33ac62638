import { join } from "node:path";
import { REPO_ROOT } from "../../ffi/whisper/build.ts";
import { hasShared, sharedPath } from "../../ffi/testing/shared.ts";
import { parseArgs } from "./transcribe.ts";
import { normalizeEnglish } from "../../bench/metrics/normalize_en.ts";
import { assert } from "../../ffi/testing/assert.ts";

const ready = hasShared(
  "models/ggml-tiny.en.bin",
  "models/ggml-silero-v5.1.2.bin",
  "speech/jfk/jfk.wav",
);

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", join(REPO_ROOT, "server", "cli", "transcribe.ts"), ...args],
    stdout: "piped",
    stderr: "piped",
    env: { HUM_MODEL: sharedPath("models/ggml-tiny.en.bin") },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("parseArgs validates options with clear messages", () => {
  const o = parseArgs(["a.wav", "--format", "srt", "--threads=3", "--no-vad"]);
  assert(
    o !== "help" && o.format === "srt" && o.threads === 3 && !o.vad && o.beam === 5,
    JSON.stringify(o),
  );
  assert(parseArgs(["--help"]) === "help", "help");
  const bad: [string[], RegExp][] = [
    [[], /no audio file/],
    [["a.wav", "--format", "doc"], /--format/],
    [["a.wav", "--threads", "0"], /--threads/],
    [["a.wav", "--beam"], /needs a value/],
    [["a.wav", "--frobnicate"], /unknown option --frobnicate/],
    [["a.wav", "b.wav"], /one file at a time/],
    [["a.wav", "--language", "english!"], /--language/],
  ];
  for (const [args, re] of bad) {
    let msg = "";
    try {
      parseArgs(args);
    } catch (err) {
      msg = (err as Error).message;
    }
    assert(re.test(msg), `${args.join(" ")} → "${msg}"`);
  }
});

Deno.test({
  name: "transcribe prints json with segments and word times for jfk.wav",
  ignore: !ready,
  fn: async () => {
    const r = await cli(sharedPath("speech/jfk/jfk.wav"), "--format", "json", "--threads", "2");
    assert(r.code === 0, `exit ${r.code}: ${r.stderr}`);
    const j = JSON.parse(r.stdout);
    assert(/ask not what your country can do for you/i.test(j.text), j.text);
    assert(j.segments.length >= 1 && j.segments[0].words.length > 10, "words present");
    assert(j.duration_s === 11, `duration ${j.duration_s}`);
  },
});

Deno.test({
  name: "transcribe prints the known sentence as text, and srt with numbered cues",
  ignore: !ready,
  fn: async () => {
    const text = await cli(sharedPath("speech/jfk/jfk.wav"), "--threads", "2");
    assert(text.code === 0, `exit ${text.code}: ${text.stderr}`);
    const known = "And so my fellow Americans, ask not what your country can do for you, " +
      "ask what you can do for your country.";
    assert(normalizeEnglish(text.stdout) === normalizeEnglish(known), text.stdout);
    const srt = await cli(
      sharedPath("speech/jfk/jfk.wav"),
      "--format",
      "srt",
      "--word-times",
      "timestamps",
    );
    assert(
      srt.code === 0 && /^1\n00:00:0\d,\d{3} --> 00:00:\d\d,\d{3}\n\S/.test(srt.stdout),
      srt.stdout,
    );
  },
});

Deno.test({
  name: "transcribe fails clearly on bad input and never crashes",
  ignore: !ready,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "hum-cli-" });
    try {
      await Deno.writeTextFile(`${dir}/notes.wav`, "this is a text file, not audio\n".repeat(20));
      await Deno.writeFile(`${dir}/empty.flac`, new Uint8Array(0));
      const cases: [string[], RegExp][] = [
        [[`${dir}/missing.wav`], /missing\.wav.*does not exist/],
        [[`${dir}/empty.flac`], /empty/],
        [[`${dir}/notes.wav`], /notes\.wav/],
        [[sharedPath("speech/jfk/jfk.wav"), "--model", `${dir}/nope.bin`], /nope\.bin/],
        [
          [sharedPath("speech/jfk/jfk.wav"), "--model", `${dir}/notes.wav`],
          /not a whisper\.cpp ggml model/,
        ],
      ];
      for (const [args, re] of cases) {
        const r = await cli(...args);
        assert(r.code === 1, `${args.join(" ")}: exit ${r.code} (${r.stderr})`);
        assert(
          re.test(r.stderr),
          `${args.join(" ")}: stderr "${r.stderr.trim()}" does not match ${re}`,
        );
        assert(r.stdout === "", "nothing on stdout");
      }
      const usage = await cli("--format", "doc");
      assert(usage.code === 2 && /no audio file|--format/.test(usage.stderr), usage.stderr);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
