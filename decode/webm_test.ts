import { decodeAudioBytes } from "./audio_file.ts";
import { AudioDecodeError } from "./errors.ts";
import { makeWebmOpus } from "./test_webm.ts";
import { fitSine, rms, sine } from "./test_audio.ts";
import { opusPreSkip } from "./webm.ts";
import { opusHead } from "./test_webm.ts";
import { assert, assertEquals, assertNear } from "../ffi/testing/assert.ts";

async function rejects(p: Promise<unknown>): Promise<AudioDecodeError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AudioDecodeError) return err;
    throw err;
  }
  throw new Error("expected an AudioDecodeError");
}

Deno.test("a WebM/Opus tone decodes at 16 kHz with its length, pitch and level", async () => {
  const tone = sine(440, 16_000, 2, 0.5);
  const a = await decodeAudioBytes(await makeWebmOpus(tone), "tone.webm");
  assertEquals(a.decoder, "libopus");
  assertEquals(a.container, "webm");
  assertEquals(a.sampleRate, 16_000);
  assertEquals(a.sourceRate, 48_000);
  // 100 packets of 20 ms, less the pre-skip (312 / 3 samples at 16 kHz).
  assertEquals(a.samples.length, 100 * 320 - 104);
  const fit = fitSine(a.samples.subarray(1600, 30_000), 440, 16_000);
  assertNear(fit.amplitude, 0.5, 0.08, "level at 440 Hz");
  assert(fit.residualRms < 0.05, `little left over: ${fit.residualRms}`);
  assert(fitSine(a.samples.subarray(1600, 30_000), 660, 16_000).amplitude < 0.05, "no other pitch");
});

Deno.test("a hole in a WebM's packet timestamps becomes silence, so later audio keeps its time", async () => {
  const tone = sine(440, 16_000, 2, 0.5);
  const drop = new Set([40, 41, 42, 43, 44, 45, 46, 47, 48, 49]); // 0.8–1.0 s
  const a = await decodeAudioBytes(await makeWebmOpus(tone, { drop, preSkip: 0 }), "gap.webm");
  assertEquals(a.samples.length, 100 * 320, "the full length");
  assert(rms(a.samples.subarray(40 * 320 + 160, 50 * 320)) < 0.01, "the hole is silent");
  assert(rms(a.samples.subarray(60 * 320, 70 * 320)) > 0.2, "audio after it is in place");
});

Deno.test("WebM holding another codec than Opus is unsupported (415), not corrupt", async () => {
  const bytes = await makeWebmOpus(sine(440, 16_000, 0.2, 0.5), { codec: "vorbis" });
  const err = await rejects(decodeAudioBytes(bytes, "vorbis.webm"));
  assertEquals(err.kind, "unsupported");
  assert(err.message.includes("only Opus"), err.message);
});

Deno.test("a WebM cut short decodes its whole clusters; one cut inside its header is invalid", async () => {
  // mediabunny's writer puts 1 s in a cluster: 3/4 of the file holds the first one whole.
  const bytes = await makeWebmOpus(sine(440, 16_000, 2, 0.5));
  const part = await decodeAudioBytes(bytes.slice(0, Math.floor(bytes.length * 0.75)), "cut.webm");
  assertEquals(part.samples.length, 50 * 320 - 104);
  const err = await rejects(decodeAudioBytes(bytes.slice(0, 40), "head.webm"));
  assertEquals(err.kind, "invalid");
});

Deno.test("the WebM decoder honours the duration limit", async () => {
  const bytes = await makeWebmOpus(sine(440, 16_000, 2, 0.5));
  const err = await rejects(decodeAudioBytes(bytes, "long.webm", { maxDurationS: 1 }));
  assertEquals(err.kind, "too_long");
});

Deno.test("opusPreSkip reads an OpusHead and ignores anything else", () => {
  assertEquals(opusPreSkip(opusHead(312)), 312);
  assertEquals(opusPreSkip(opusHead(3840)), 3840);
  assertEquals(opusPreSkip(undefined), 0);
  assertEquals(opusPreSkip(new Uint8Array(19)), 0);
  assertEquals(opusPreSkip(opusHead(312).slice(0, 12)), 0);
});
