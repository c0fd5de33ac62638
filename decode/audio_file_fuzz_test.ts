import fc from "fast-check";
import { SAMPLE_RATE_HZ } from "../protocol/audio.ts";
import {
  AudioDecodeError,
  decodeAudioBytes,
  decodeAudioFile,
  type DecodedAudio,
  MAX_CHANNELS,
  MAX_SOURCE_RATE,
  MIN_SOURCE_RATE,
} from "./audio_file.ts";
import { interleave, makeWav, sine } from "./test_audio.ts";
import { writeSoundFile } from "../ffi/sndfile/write.ts";
import { SF_FORMAT } from "../ffi/sndfile/symbols.ts";
import { assert, assertEquals } from "../ffi/testing/assert.ts";
import { hasShared, sharedPath } from "../ffi/testing/shared.ts";
import { bytes, expectContractError, fuzz, mutated, rejected } from "../ffi/testing/fuzz.ts";

const JFK = "speech/jfk/jfk.wav";

/** A short stretch of real speech (jfk), or a tone when the shared data is absent. */
async function speech(seconds: number): Promise<Float32Array> {
  if (!hasShared(JFK)) return sine(300, SAMPLE_RATE_HZ, seconds, 0.4);
  const all = (await decodeAudioFile(sharedPath(JFK), { ffmpeg: false })).samples;
  return all.slice(SAMPLE_RATE_HZ, SAMPLE_RATE_HZ + Math.round(seconds * SAMPLE_RATE_HZ));
}

/** Naive linear resampling, only to make fixtures at other rates. */
function resample(x: Float32Array, rate: number): Float32Array {
  const n = Math.round((x.length * rate) / SAMPLE_RATE_HZ);
  return Float32Array.from({ length: n }, (_, i) => {
    const t = (i * SAMPLE_RATE_HZ) / rate, k = Math.floor(t), f = t - k;
    return (x[k] ?? 0) * (1 - f) + (x[k + 1] ?? 0) * f;
  });
}

/** Real files of several kinds, made here from speech: the seeds of the mutations. */
async function seedFiles(
  dir: string,
): Promise<{ name: string; bytes: Uint8Array; seconds: number }[]> {
  const x = await speech(0.25);
  const x44 = resample(x, 44_100), x48 = resample(x, 48_000), x8 = resample(x, 8_000);
  const seeds = [
    {
      name: "speech.wav",
      bytes: makeWav(x, { sampleRate: 16_000, channels: 1, encoding: "pcm16" }),
    },
    {
      name: "stereo.wav",
      bytes: makeWav(interleave(x44, x44.map((s) => -s)), {
        sampleRate: 44_100,
        channels: 2,
        encoding: "pcm24",
      }),
    },
    {
      name: "float.wav",
      bytes: makeWav(x48, { sampleRate: 48_000, channels: 1, encoding: "float32" }),
    },
  ];
  const written: [string, Float32Array, number, number, number][] = [
    ["speech.flac", x, 16_000, 1, SF_FORMAT.FLAC | SF_FORMAT.PCM_16],
    ["stereo.flac", interleave(x44, x44), 44_100, 2, SF_FORMAT.FLAC | SF_FORMAT.PCM_24],
    ["speech.ogg", x48, 48_000, 1, SF_FORMAT.OGG | SF_FORMAT.VORBIS],
    ["speech.mp3", x48, 48_000, 1, SF_FORMAT.MPEG | SF_FORMAT.MPEG_LAYER_III],
    ["speech.aiff", x8, 8_000, 1, SF_FORMAT.AIFF | SF_FORMAT.PCM_16],
    ["speech.au", x8, 8_000, 1, SF_FORMAT.AU | SF_FORMAT.PCM_16],
  ];
  for (const [name, samples, sampleRate, channels, format] of written) {
    try {
      writeSoundFile(`${dir}/${name}`, samples, { sampleRate, channels, format });
      seeds.push({ name, bytes: await Deno.readFile(`${dir}/${name}`) });
    } catch {
      // This libsndfile cannot write that format: one seed fewer.
    }
  }
  return seeds.map((s) => ({ ...s, seconds: 0.25 }));
}

/** A decoded file, checked against `DecodedAudio`'s contract. */
function checkDecoded(a: DecodedAudio): void {
  assertEquals(a.sampleRate, SAMPLE_RATE_HZ, "sampleRate");
  // (A file of a few samples may resample to none: 1 sample at 44.1 kHz is 0.36 of one at 16 kHz.)
  assert(a.samples instanceof Float32Array, "samples");
  for (let i = 0; i < a.samples.length; i++) {
    if (!Number.isFinite(a.samples[i])) throw new Error(`sample ${i} is ${a.samples[i]}`);
  }
  assertEquals(a.durationS, a.samples.length / SAMPLE_RATE_HZ, "durationS");
  assert(
    Number.isInteger(a.sourceRate) && a.sourceRate >= MIN_SOURCE_RATE &&
      a.sourceRate <= MAX_SOURCE_RATE,
    `source rate ${a.sourceRate}`,
  );
  assert(
    Number.isInteger(a.channels) && a.channels >= 1 && a.channels <= MAX_CHANNELS,
    `${a.channels} channels`,
  );
  assertEquals(a.decoder, "libsndfile");
  assertEquals(a.truncated, a.warning !== undefined, "a warning exactly when truncated");
  assert(typeof a.format === "string" && a.format.length > 0, "format");
}

/** What decodeAudioBytes must do with any bytes: decoded audio within its contract, or an AudioDecodeError. */
async function checkBytes(
  data: Uint8Array,
  name: string,
  tempDir: string,
): Promise<DecodedAudio | undefined> {
  let a: DecodedAudio | undefined;
  const err = await rejected(
    async () => (a = await decodeAudioBytes(data, name, { ffmpeg: false, tempDir })),
  );
  expectContractError(err, [AudioDecodeError], "Cannot decode audio: ");
  if (a) checkDecoded(a);
  return a;
}

/**
 * This process's descriptors open on files in `dir` (other test files run beside this one in the
 * process and open their own, so only the decodes' folder is counted).
 */
const openFdsIn = (dir: string) =>
  [...Deno.readDirSync("/proc/self/fd")].filter((e) => {
    try {
      return Deno.readLinkSync(`/proc/self/fd/${e.name}`).startsWith(dir);
    } catch {
      return false; // closed while listed
    }
  }).length;

/** Runs `body` in a private temporary folder, then checks nothing was left there and no file stayed open. */
async function leakFree(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "hum-fuzz-" });
  try {
    await body(dir);
    const left = [...Deno.readDirSync(dir)].map((e) => e.name);
    assertEquals(left, [], "temporary files left behind");
    // A handle a decode left open points into its folder (its file deleted or not).
    const open = openFdsIn(dir);
    assertEquals(open, 0, "file descriptors left open on the decodes' files");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const names = fc.oneof(
  fc.constantFrom(
    "audio",
    "x.wav",
    "x.flac",
    "x.ogg",
    "x.mp3",
    "x.aiff",
    "x.au",
    "x.raw",
    "x.vox",
    "x.caf",
    "x.w64",
  ),
  fc.string({ maxLength: 20 }),
);

Deno.test("decodeAudioBytes: random bytes are audio within the contract, or an AudioDecodeError", async () => {
  await leakFree(async (dir) => {
    await fuzz(
      "audio_file.decodeAudioBytes(random)",
      fc.asyncProperty(bytes(4096), names, async (b, name) => void await checkBytes(b, name, dir)),
      { runs: 150 },
    );
  });
});

Deno.test("decodeAudioBytes: real WAV, FLAC, Ogg, MP3, AIFF and AU files, bit-flipped, cut, spliced and padded", async () => {
  await leakFree(async (dir) => {
    const seeds = await seedFiles(dir);
    for (const s of seeds) await Deno.remove(`${dir}/${s.name}`).catch(() => {});
    assert(seeds.length >= 4, `only ${seeds.length} seed files`);
    // Unmutated, each decodes whole to about its length.
    for (const s of seeds) {
      const a = await checkBytes(s.bytes, s.name, dir);
      assert(a && !a.truncated, `${s.name} did not decode whole`);
      assert(Math.abs(a.durationS - s.seconds) < 0.1, `${s.name}: ${a.durationS} s`);
    }
    await fuzz(
      "audio_file.decodeAudioBytes(mutated)",
      fc.asyncProperty(
        fc.constantFrom(...seeds).chain((s) =>
          fc.tuple(fc.constant(s.name), mutated(s.bytes, 6), fc.boolean())
        ),
        async ([name, b, keepName]) => void await checkBytes(b, keepName ? name : "upload", dir),
      ),
      { runs: 250 },
    );
  });
});

/** A RIFF/WAVE file with every `fmt ` field chosen freely, and a data chunk of any declared size. */
const absurdWav = fc.record({
  tag: fc.oneof(fc.constantFrom(1, 3, 0xfffe, 6, 7, 2, 0x11), fc.nat(0xffff)),
  channels: fc.oneof(fc.constantFrom(0, 1, 2, 33, 255, 1024, 65535), fc.nat(0xffff)),
  rate: fc.oneof(
    fc.constantFrom(
      0,
      1,
      999,
      1000,
      8000,
      16000,
      44100,
      384_000,
      384_001,
      2 ** 31 - 1,
      2 ** 31,
      2 ** 32 - 1,
    ),
    fc.nat({ max: 0xffffffff }),
  ),
  bits: fc.oneof(fc.constantFrom(0, 1, 8, 12, 16, 24, 32, 64, 65535), fc.nat(0xffff)),
  align: fc.option(fc.nat(0xffff), { nil: undefined }),
  byteRate: fc.option(fc.nat({ max: 0xffffffff }), { nil: undefined }),
  declared: fc.option(
    fc.oneof(fc.constantFrom(0, 1, 0x7fffffff, 0xffffffff), fc.nat({ max: 0xffffffff })),
    { nil: undefined },
  ),
  fmtSize: fc.oneof(fc.constant(16), fc.constantFrom(0, 14, 18, 40, 0xffffffff)),
  payload: fc.oneof(
    bytes(2048),
    fc.integer({ min: 0, max: 64_000 }).map((n) => new Uint8Array(n).fill(0x40)),
  ),
}).map((h) => {
  const extra = h.fmtSize === 18 || h.fmtSize === 40 ? h.fmtSize - 16 : 0;
  const buf = new Uint8Array(44 + extra + h.payload.length);
  const v = new DataView(buf.buffer);
  const ascii = (at: number, s: string) =>
    [...s].forEach((c, i) => v.setUint8(at + i, c.charCodeAt(0)));
  const align = h.align ?? ((h.channels * h.bits) >> 3) & 0xffff;
  ascii(0, "RIFF");
  v.setUint32(4, buf.length - 8, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  v.setUint32(16, h.fmtSize, true);
  v.setUint16(20, h.tag, true);
  v.setUint16(22, h.channels, true);
  v.setUint32(24, h.rate, true);
  v.setUint32(28, h.byteRate ?? (h.rate * align) >>> 0, true);
  v.setUint16(32, align, true);
  v.setUint16(34, h.bits, true);
  ascii(36 + extra, "data");
  v.setUint32(40 + extra, h.declared ?? h.payload.length, true);
  buf.set(h.payload, 44 + extra);
  return buf;
});

Deno.test("decodeAudioBytes: WAV headers with absurd rates, channel counts, widths and sizes", async () => {
  await leakFree(async (dir) => {
    await fuzz(
      "audio_file.decodeAudioBytes(absurd WAV)",
      fc.asyncProperty(absurdWav, async (b) => void await checkBytes(b, "absurd.wav", dir)),
      { runs: 250 },
    );
  });
});

Deno.test("decodeAudioBytes: float WAVs whose samples are anything at all decode to finite samples", async () => {
  await leakFree(async (dir) => {
    await fuzz(
      "audio_file.decodeAudioBytes(float values)",
      fc.asyncProperty(
        fc.constantFrom(8_000, 16_000, 44_100),
        fc.integer({ min: 1, max: 3 }),
        fc.float32Array({ minLength: 1, maxLength: 600 }),
        async (rate, channels, values) => {
          const n = values.length - (values.length % channels) || channels;
          const x = Float32Array.from({ length: n }, (_, i) => values[i % values.length]);
          const a = await checkBytes(
            makeWav(x, { sampleRate: rate, channels, encoding: "float32" }),
            "f.wav",
            dir,
          );
          assert(a, "a valid float WAV was refused");
        },
      ),
      { runs: 150 },
    );
  });
});
