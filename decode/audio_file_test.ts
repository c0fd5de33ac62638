import { join } from "node:path";
import { SF_FORMAT } from "../ffi/sndfile/symbols.ts";
import { SoundFile } from "../ffi/sndfile/sound_file.ts";
import { writeSoundFile } from "../ffi/sndfile/write.ts";
import { assert, assertEquals, assertNear, assertRejects } from "../ffi/testing/assert.ts";
import { hasShared, SHARED_DIR, sharedPath } from "../ffi/testing/shared.ts";
import {
  AudioDecodeError,
  declaredDataShortfall,
  decodeAudioBytes,
  decodeAudioFile,
  type DecodedAudio,
} from "./audio_file.ts";
import { findFfmpeg } from "./ffmpeg.ts";
import { fitSine, interleave, makeWav, prng, rms, sine, type WavEncoding } from "./test_audio.ts";

const JFK = sharedPath("speech/jfk/jfk.wav");
const HAS_JFK = hasShared("speech/jfk/jfk.wav");
const FFMPEG = findFfmpeg();
/** Without ffmpeg, so that libsndfile's verdict is the one tested. */
const NO_FFMPEG = { ffmpeg: false } as const;

/** Up to `n` LibriSpeech test-other FLAC files from the shared data, sorted. */
function librispeechFlacs(n: number): string[] {
  const root = join(SHARED_DIR, "speech/librispeech/test-other");
  const found: string[] = [];
  try {
    for (const speaker of [...Deno.readDirSync(root)].map((e) => e.name).sort()) {
      for (const chapter of [...Deno.readDirSync(join(root, speaker))].map((e) => e.name).sort()) {
        const dir = join(root, speaker, chapter);
        for (const f of [...Deno.readDirSync(dir)].map((e) => e.name).sort()) {
          if (f.endsWith(".flac")) found.push(join(dir, f));
          if (found.length >= n) return found;
        }
      }
    }
  } catch {
    // no shared data: the tests that need it are ignored
  }
  return found;
}
const FLACS = librispeechFlacs(6);

/** Runs `fn` with a fresh temporary directory, removed afterwards. */
async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "hum-decode-test-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Decodes and expects an AudioDecodeError for `path` whose message is exactly `message`. */
async function expectError(path: string, reason: string): Promise<AudioDecodeError> {
  const err = await assertRejects(() => decodeAudioFile(path, NO_FFMPEG), AudioDecodeError);
  assertEquals(err.message, `Cannot decode audio: ${path} ${reason}`);
  assertEquals(err.path, path);
  assertEquals(err.reason, reason);
  return err;
}

function expectShape(a: DecodedAudio, sourceRate: number, channels: number, seconds: number) {
  assertEquals(a.sampleRate, 16000);
  assertEquals(a.sourceRate, sourceRate);
  assertEquals(a.channels, channels);
  assertNear(a.samples.length, seconds * 16000, 48, "length in samples (3 ms)");
  assertNear(a.durationS, seconds, 0.003, "durationS");
  assertEquals(a.durationS, a.samples.length / 16000);
}

Deno.test({
  name: "jfk.wav (16 kHz PCM16 mono) decodes sample-exact, without resampling",
  ignore: !HAS_JFK,
  fn: async () => {
    const a = await decodeAudioFile(JFK);
    expectShape(a, 16000, 1, 11);
    assertEquals(a.samples.length, 176000);
    assertEquals(a.format, "WAV (Microsoft), Signed 16 bit PCM");
    assertEquals(a.decoder, "libsndfile");
    assertEquals(a.truncated, false);
    assertEquals(a.warning, undefined);
    // The same samples libsndfile reads directly: no resampler in the way at 16 kHz.
    using sf = await SoundFile.open(JFK);
    const direct = new Float32Array(176000);
    assertEquals(await sf.readFrames(direct), 176000);
    for (let i = 0; i < direct.length; i++) {
      if (a.samples[i] !== direct[i]) throw new Error(`sample ${i} differs`);
    }
    assert(rms(a.samples) > 0.01, "speech is not silence");
  },
});

Deno.test({
  name: "LibriSpeech FLAC files decode to their full length at 16 kHz",
  ignore: FLACS.length === 0,
  fn: async () => {
    for (const path of FLACS) {
      const a = await decodeAudioFile(path);
      using sf = await SoundFile.open(path);
      assertEquals(a.samples.length, sf.info.frames, path);
      assertEquals(a.sourceRate, 16000, path);
      assertEquals(a.channels, 1, path);
      assertEquals(a.format, "FLAC (Free Lossless Audio Codec), Signed 16 bit PCM");
      assertEquals(a.truncated, false, path);
      assert(rms(a.samples) > 0.005, `${path} is not silence`);
    }
  },
});

Deno.test("generated WAVs (PCM16/24/32, float; mono/stereo; 8/44.1/48 kHz) keep their duration", async () => {
  await withTempDir(async (dir) => {
    const encodings: WavEncoding[] = ["pcm16", "pcm24", "pcm32", "float32"];
    for (const encoding of encodings) {
      for (const rate of [8000, 44100, 48000]) {
        for (const channels of [1, 2]) {
          const seconds = 1.5;
          const tone = sine(440, rate, seconds, 0.5);
          const samples = channels === 1 ? tone : interleave(tone, tone);
          const path = `${dir}/${encoding}-${rate}-${channels}.wav`;
          await Deno.writeFile(path, makeWav(samples, { sampleRate: rate, channels, encoding }));
          const a = await decodeAudioFile(path);
          const what = `${encoding} ${rate} Hz × ${channels}`;
          expectShape(a, rate, channels, seconds);
          assert(a.format.startsWith("WAV (Microsoft), "), a.format);
          assertEquals(a.truncated, false, what);
          const fit = fitSine(a.samples.subarray(800, a.samples.length - 800), 440, 16000);
          assertNear(fit.amplitude, 0.5, 0.005, `${what} amplitude`);
        }
      }
    }
  });
});

Deno.test("PCM16/24/32 and float WAV decode to the values written (16 kHz, no resampling)", async () => {
  await withTempDir(async (dir) => {
    const x = sine(440, 16000, 0.25, 0.9);
    const tolerance: Record<WavEncoding, number> = {
      pcm16: 0.5 / 32768,
      pcm24: 0.5 / 8388608,
      pcm32: 1e-7,
      float32: 0,
    };
    for (const encoding of Object.keys(tolerance) as WavEncoding[]) {
      const path = `${dir}/${encoding}.wav`;
      await Deno.writeFile(path, makeWav(x, { sampleRate: 16000, channels: 1, encoding }));
      const a = await decodeAudioFile(path);
      assertEquals(a.samples.length, x.length);
      for (let i = 0; i < x.length; i++) {
        assertNear(a.samples[i], x[i], tolerance[encoding], `${encoding} sample ${i}`);
      }
    }
  });
});

Deno.test("a 1 kHz tone at 48 kHz keeps frequency and amplitude; a 12 kHz tone is filtered out", async () => {
  await withTempDir(async (dir) => {
    const spec = { sampleRate: 48000, channels: 1, encoding: "float32" } as const;
    await Deno.writeFile(`${dir}/1k.wav`, makeWav(sine(1000, 48000, 2, 0.5), spec));
    const low = await decodeAudioFile(`${dir}/1k.wav`);
    expectShape(low, 48000, 1, 2);
    const mid = low.samples.subarray(1600, low.samples.length - 1600);
    const fit = fitSine(mid, 1000, 16000);
    assertNear(fit.amplitude, 0.5, 0.005, "1 kHz amplitude");
    assert(fit.residualRms < 0.002, `1 kHz residual ${fit.residualRms}`);

    const high = sine(12000, 48000, 2, 0.5);
    await Deno.writeFile(`${dir}/12k.wav`, makeWav(high, spec));
    const out = await decodeAudioFile(`${dir}/12k.wav`);
    expectShape(out, 48000, 1, 2);
    // 12 kHz lies above the 8 kHz Nyquist of 16 kHz: dropping samples would alias it to 4 kHz.
    assert(rms(out.samples) < 0.01 * rms(high), `12 kHz rms after: ${rms(out.samples)}`);
  });
});

Deno.test("stereo is mixed down by averaging the channels", async () => {
  await withTempDir(async (dir) => {
    const left = sine(440, 16000, 0.5, 0.6), right = sine(440, 16000, 0.5, 0.2);
    const spec = { sampleRate: 16000, channels: 2, encoding: "float32" } as const;
    await Deno.writeFile(`${dir}/lr.wav`, makeWav(interleave(left, right), spec));
    const a = await decodeAudioFile(`${dir}/lr.wav`);
    assertEquals(a.channels, 2);
    for (let i = 0; i < left.length; i++) {
      assertNear(a.samples[i], (left[i] + right[i]) / 2, 1e-7, `sample ${i}`);
    }
    // Opposite channels cancel.
    const inverted = left.map((v) => -v);
    await Deno.writeFile(`${dir}/cancel.wav`, makeWav(interleave(left, inverted), spec));
    assertEquals(rms((await decodeAudioFile(`${dir}/cancel.wav`)).samples), 0);
    // Stereo at 44.1 kHz: mixed, then resampled.
    const l44 = sine(500, 44100, 1, 0.8), r44 = sine(500, 44100, 1, 0.4);
    await Deno.writeFile(
      `${dir}/44.wav`,
      makeWav(interleave(l44, r44), { ...spec, sampleRate: 44100, encoding: "pcm24" }),
    );
    const b = await decodeAudioFile(`${dir}/44.wav`);
    expectShape(b, 44100, 2, 1);
    assertNear(fitSine(b.samples.subarray(800, 15200), 500, 16000).amplitude, 0.6, 0.006, "amp");
  });
});

Deno.test("FLAC, Ogg/Vorbis, Ogg/Opus and MP3 (made by libsndfile's encoders) decode", async () => {
  await withTempDir(async (dir) => {
    const cases = [
      ["flac", SF_FORMAT.FLAC | SF_FORMAT.PCM_24, 44100, "FLAC (Free Lossless Audio Codec)"],
      ["ogg", SF_FORMAT.OGG | SF_FORMAT.VORBIS, 44100, "OGG (OGG Container format), Vorbis"],
      ["opus", SF_FORMAT.OGG | SF_FORMAT.OPUS, 48000, "OGG (OGG Container format), Opus"],
      ["mp3", SF_FORMAT.MPEG | SF_FORMAT.MPEG_LAYER_III, 48000, "MPEG-1/2 Audio, MPEG Layer III"],
    ] as const;
    for (const [ext, format, rate, name] of cases) {
      const path = `${dir}/tone.${ext}`;
      const tone = sine(1000, rate, 2, 0.5);
      writeSoundFile(path, interleave(tone, tone), { sampleRate: rate, channels: 2, format });
      const a = await decodeAudioFile(path);
      expectShape(a, rate, 2, 2);
      assert(a.format.startsWith(name), `${ext}: ${a.format}`);
      assertEquals(a.truncated, false, ext);
      const fit = fitSine(a.samples.subarray(4000, 28000), 1000, 16000);
      assertNear(fit.amplitude, 0.5, 0.05, `${ext} amplitude`);
    }
  });
});

Deno.test("decodeAudioBytes decodes from memory and deletes its temporary file", async () => {
  await withTempDir(async (dir) => {
    const tone = sine(1000, 48000, 1, 0.5);
    const wav = makeWav(tone, { sampleRate: 48000, channels: 1, encoding: "pcm16" });
    await Deno.writeFile(`${dir}/tone.wav`, wav);
    const tmp = `${dir}/tmp`;
    await Deno.mkdir(tmp);
    const fromBytes = await decodeAudioBytes(wav, "upload.WAV", { tempDir: tmp });
    const fromFile = await decodeAudioFile(`${dir}/tone.wav`);
    assertEquals(Array.from(fromBytes.samples), Array.from(fromFile.samples));
    assertEquals([...Deno.readDirSync(tmp)].length, 0);

    const empty = await assertRejects(
      () => decodeAudioBytes(new Uint8Array(0), "upload.wav", { tempDir: tmp }),
      AudioDecodeError,
    );
    assertEquals(empty.message, "Cannot decode audio: upload.wav is empty (0 bytes)");

    const next = prng(7);
    const noise = Uint8Array.from({ length: 4096 }, () => Math.floor(next() * 256));
    const bad = await assertRejects(
      () => decodeAudioBytes(noise, "noise.bin", { ...NO_FFMPEG, tempDir: tmp }),
      AudioDecodeError,
    );
    assertEquals(
      bad.message,
      "Cannot decode audio: noise.bin is not a supported audio file (libsndfile: Format not recognised)",
    );
    assertEquals([...Deno.readDirSync(tmp)].length, 0);
  });
});

Deno.test("missing, empty and directory paths give clear errors", async () => {
  await withTempDir(async (dir) => {
    await expectError(`${dir}/nope.wav`, "does not exist");
    await Deno.writeFile(`${dir}/empty.wav`, new Uint8Array(0));
    await expectError(`${dir}/empty.wav`, "is empty (0 bytes)");
    await expectError(dir, "is a directory, not a file");
  });
});

Deno.test("non-audio bytes and text files are not supported audio files", async () => {
  await withTempDir(async (dir) => {
    const next = prng(42);
    const noise = Uint8Array.from({ length: 10000 }, () => Math.floor(next() * 256));
    await Deno.writeFile(`${dir}/noise.wav`, noise);
    const reason = "is not a supported audio file (libsndfile: Format not recognised)";
    await expectError(`${dir}/noise.wav`, reason);
    await Deno.writeTextFile(`${dir}/notes.txt`, "Ask not what your country can do for you.\n");
    await expectError(`${dir}/notes.txt`, reason);
  });
});

Deno.test("a WAV with 0 frames holds no audio samples", async () => {
  await withTempDir(async (dir) => {
    const spec = { sampleRate: 16000, channels: 1, encoding: "pcm16" } as const;
    await Deno.writeFile(`${dir}/zero.wav`, makeWav(new Float32Array(0), spec));
    await expectError(`${dir}/zero.wav`, "holds no audio samples (0 frames)");
  });
});

Deno.test("absurd sample rates and channel counts in a header are rejected", async () => {
  await withTempDir(async (dir) => {
    for (const rate of [100, 999, 384001, 1_000_000]) {
      const path = `${dir}/rate-${rate}.wav`;
      const x = new Float32Array(2000);
      await Deno.writeFile(path, makeWav(x, { sampleRate: rate, channels: 1, encoding: "pcm16" }));
      await expectError(
        path,
        `has an unsupported sample rate of ${rate} Hz (must be 1000–384000 Hz)`,
      );
    }
    const wide = makeWav(new Float32Array(40 * 100), {
      sampleRate: 16000,
      channels: 40,
      encoding: "pcm16",
    });
    await Deno.writeFile(`${dir}/40ch.wav`, wide);
    await expectError(`${dir}/40ch.wav`, "has 40 channels (must be 1–32)");
    // Rates libsndfile itself refuses still fail clearly, with its reason.
    const zero = makeWav(new Float32Array(100), { sampleRate: 0, channels: 1, encoding: "pcm16" });
    await Deno.writeFile(`${dir}/rate-0.wav`, zero);
    const err = await assertRejects(
      () => decodeAudioFile(`${dir}/rate-0.wav`, NO_FFMPEG),
      AudioDecodeError,
    );
    assert(err.reason.startsWith("cannot be decoded (libsndfile: "), err.message);
  });
});

Deno.test("a WAV whose data chunk is cut short decodes what is there, flagged truncated", async () => {
  await withTempDir(async (dir) => {
    const x = sine(440, 16000, 1, 0.5);
    // The header claims 2 s of PCM16 (64000 bytes); the file holds 1 s.
    const wav = makeWav(x, {
      sampleRate: 16000,
      channels: 1,
      encoding: "pcm16",
      declaredDataBytes: 64000,
    });
    await Deno.writeFile(`${dir}/cut.wav`, wav);
    const a = await decodeAudioFile(`${dir}/cut.wav`);
    assertEquals(a.samples.length, 16000);
    assertEquals(a.truncated, true);
    assertEquals(a.warning, "holds 32000 of the 64000 bytes of audio its header declares");
    assertNear(a.samples[100], x[100], 0.5 / 32768, "sample 100");

    // The same, cut through a frame at 48 kHz stereo, resampled.
    const st = interleave(sine(440, 48000, 1), sine(440, 48000, 1));
    const full = makeWav(st, { sampleRate: 48000, channels: 2, encoding: "pcm24" });
    await Deno.writeFile(`${dir}/cut48.wav`, full.subarray(0, 44 + 3 * 2 * 24000 + 5));
    const b = await decodeAudioFile(`${dir}/cut48.wav`);
    expectShape(b, 48000, 2, 0.5);
    assertEquals(b.truncated, true);
  });
});

Deno.test({
  name: "a real FLAC cut in half decodes its valid prefix, flagged truncated",
  ignore: FLACS.length === 0,
  fn: async () => {
    await withTempDir(async (dir) => {
      const bytes = await Deno.readFile(FLACS[0]);
      const path = `${dir}/half.flac`;
      await Deno.writeFile(path, bytes.subarray(0, bytes.length >> 1));
      const whole = await decodeAudioFile(FLACS[0]);
      const a = await decodeAudioFile(path, NO_FFMPEG);
      assertEquals(a.truncated, true);
      assert(a.warning !== undefined && a.warning.length > 0, "a truncated decode says why");
      assert(a.samples.length > 0 && a.samples.length < whole.samples.length, "a strict prefix");
      for (let i = 0; i < a.samples.length; i++) {
        if (a.samples[i] !== whole.samples[i]) throw new Error(`prefix sample ${i} differs`);
      }
      // Cut right after the header: nothing decodable, a clear error (not a crash or a hang).
      await Deno.writeFile(`${dir}/head.flac`, bytes.subarray(0, 200));
      const err = await assertRejects(
        () => decodeAudioFile(`${dir}/head.flac`, NO_FFMPEG),
        AudioDecodeError,
      );
      assert(err.message.startsWith(`Cannot decode audio: ${dir}/head.flac `), err.message);
    });
  },
});

Deno.test("a truncated Ogg/Vorbis file fails clearly (libsndfile cannot open it)", async () => {
  await withTempDir(async (dir) => {
    const tone = sine(440, 16000, 2, 0.5);
    const format = SF_FORMAT.OGG | SF_FORMAT.VORBIS;
    writeSoundFile(`${dir}/full.ogg`, tone, { sampleRate: 16000, channels: 1, format });
    const bytes = await Deno.readFile(`${dir}/full.ogg`);
    await Deno.writeFile(`${dir}/cut.ogg`, bytes.subarray(0, bytes.length >> 1));
    await expectError(
      `${dir}/cut.ogg`,
      "cannot be decoded (libsndfile: Supported file format but file is malformed)",
    );
  });
});

Deno.test("an aborted signal stops decoding with its reason", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/tone.wav`;
    const x = sine(440, 48000, 3);
    await Deno.writeFile(path, makeWav(x, { sampleRate: 48000, channels: 1, encoding: "pcm16" }));
    const before = new AbortController();
    before.abort(new Error("client went away"));
    await assertRejects(
      () => decodeAudioFile(path, { signal: before.signal }),
      Error,
      "client went away",
    );
    const during = new AbortController();
    const pending = decodeAudioFile(path, { signal: during.signal });
    during.abort(new Error("stop now"));
    await assertRejects(() => pending, Error, "stop now");
  });
});

Deno.test("declaredDataShortfall reads libsndfile's log, ignoring streaming placeholders", () => {
  assertEquals(declaredDataShortfall("data : 64000 (should be 31978)\n"), {
    declared: 64000,
    actual: 31978,
  });
  assertEquals(declaredDataShortfall("data : 4294967295 (should be 31978)\n"), null);
  assertEquals(declaredDataShortfall("data : 0 (should be 31978)\n"), null);
  assertEquals(declaredDataShortfall("data : 64000\n"), null);
  // A 4 GB claim that is not one of the placeholders is a file cut short (or lying).
  assertEquals(declaredDataShortfall("data : 4294967280 (should be 31978)\n"), {
    declared: 4294967280,
    actual: 31978,
  });
  assertEquals(
    declaredDataShortfall("data : 2147483648 (should be 31978)\n")?.declared,
    2147483648,
  );
  assertEquals(declaredDataShortfall("data : 2147479552 (should be 31978)\n"), null); // 0x7FFFF000
});

Deno.test({
  name: "formats libsndfile rejects are decoded by ffmpeg when it is on PATH",
  ignore: FFMPEG === null,
  fn: async () => {
    await withTempDir(async (dir) => {
      const wav = `${dir}/tone.wav`;
      const tone = sine(1000, 44100, 2, 0.5);
      const spec = { sampleRate: 44100, channels: 2, encoding: "pcm16" } as const;
      await Deno.writeFile(wav, makeWav(interleave(tone, tone), spec));
      const m4a = `${dir}/tone.m4a`;
      const made = await new Deno.Command(FFMPEG!, {
        args: ["-nostdin", "-loglevel", "error", "-i", wav, "-c:a", "aac", m4a],
      }).output();
      assert(made.success, new TextDecoder().decode(made.stderr));
      const a = await decodeAudioFile(m4a);
      assertEquals(a.decoder, "ffmpeg");
      assertEquals(a.sourceRate, 44100);
      assertEquals(a.channels, 2);
      assert(a.format.startsWith("ffmpeg: "), a.format);
      assertNear(a.durationS, 2, 0.1, "durationS");
      const fit = fitSine(a.samples.subarray(4000, 28000), 1000, 16000);
      assertNear(fit.amplitude, 0.5, 0.05, "amplitude");
      // Not audio for ffmpeg either: both verdicts in one clear error.
      await Deno.writeTextFile(`${dir}/notes.txt`, "not audio\n".repeat(100));
      const err = await assertRejects(() => decodeAudioFile(`${dir}/notes.txt`), AudioDecodeError);
      assert(err.reason.includes("libsndfile: Format not recognised; ffmpeg: "), err.message);
    });
  },
});

Deno.test("a float WAV holding NaN, ±Infinity or huge values decodes to finite samples (fuzz counterexamples)", async () => {
  const x = new Float32Array(1600).fill(0.25);
  x[10] = NaN;
  x[20] = Infinity;
  x[30] = -Infinity;
  const huge = Float32Array.from({ length: 1600 }, (_, i) => (i % 9 ? 0 : 1.5e38));
  for (
    const [what, samples, rate] of [
      ["NaN and ±Infinity at 16 kHz", x, 16_000],
      ["NaN and ±Infinity at 44.1 kHz", x, 44_100],
      ["1.5e38 at 8 kHz (the resampler overflowed to Infinity)", huge, 8_000],
    ] as const
  ) {
    const wav = makeWav(samples, { sampleRate: rate, channels: 1, encoding: "float32" });
    const a = await decodeAudioBytes(wav, "f.wav", NO_FFMPEG);
    assert(a.samples.every(Number.isFinite), `${what}: a sample that is not finite`);
    if (rate === 16_000) {
      assertEquals([a.samples[10], a.samples[20], a.samples[30], a.samples[40]], [0, 0, 0, 0.25]);
    }
  }
});
