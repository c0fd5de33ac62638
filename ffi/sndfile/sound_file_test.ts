import { assert, assertEquals, assertRejects, assertThrows } from "../testing/assert.ts";
import { SndfileError } from "./errors.ts";
import { defaultSndfileNames, openSndfile } from "./library.ts";
import { formatName, SoundFile } from "./sound_file.ts";
import { SF_ERR, SF_FORMAT } from "./symbols.ts";
import { writeSoundFile } from "./write.ts";
import { hasShared, sharedPath } from "../testing/shared.ts";

const JFK = sharedPath("speech/jfk/jfk.wav");
const HAS_JFK = hasShared("speech/jfk/jfk.wav");

/** The PCM16 samples of a canonical WAV's `data` chunk, read here byte by byte. */
function wavData(bytes: Uint8Array): Int16Array {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 12; at + 8 <= bytes.length;) {
    const id = String.fromCharCode(...bytes.subarray(at, at + 4));
    const size = v.getUint32(at + 4, true);
    if (id === "data") return new Int16Array(bytes.slice(at + 8, at + 8 + size).buffer);
    at += 8 + size + (size & 1);
  }
  throw new Error("no data chunk");
}

Deno.test("openSndfile reports the library it opened", () => {
  const lib = openSndfile();
  assert(lib.version.startsWith("libsndfile-1."), lib.version);
  assertEquals(defaultSndfileNames("linux"), ["libsndfile.so.1"]);
});

Deno.test("a bad HUM_SNDFILE_LIB fails with what was tried and how to install", async () => {
  const code = `import { openSndfile } from ${JSON.stringify(import.meta.resolve("./library.ts"))};
try { openSndfile(); } catch (e) { console.log(e.message); }`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    env: { HUM_SNDFILE_LIB: "/nonexistent/libsndfile.so" },
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert(text.startsWith("Cannot open libsndfile: tried /nonexistent/libsndfile.so ("), text);
  assert(text.includes("HUM_SNDFILE_LIB"), text);
  assert(text.includes("apt-get install libsndfile1"), text);
});

Deno.test({
  name: "SoundFile reads jfk.wav: header info and samples equal to the raw PCM / 32768",
  ignore: !HAS_JFK,
  fn: async () => {
    using file = await SoundFile.open(JFK);
    assertEquals(file.info.frames, 176000);
    assertEquals(file.info.sampleRate, 16000);
    assertEquals(file.info.channels, 1);
    assertEquals(file.info.format, SF_FORMAT.WAV | SF_FORMAT.PCM_16);
    assertEquals(file.info.container, "WAV (Microsoft)");
    assertEquals(file.info.encoding, "Signed 16 bit PCM");
    assert(file.info.seekable);

    const raw = wavData(await Deno.readFile(JFK));
    const buf = new Float32Array(7000);
    let at = 0;
    for (let n; (n = await file.readFrames(buf)) > 0; at += n) {
      for (let i = 0; i < n; i++) {
        if (buf[i] !== raw[at + i] / 32768) throw new Error(`sample ${at + i} differs`);
      }
    }
    assertEquals(at, 176000);
    assertEquals(file.status(), null);
    assert(file.log().includes("Sample Rate   : 16000"), file.log());
  },
});

Deno.test("SoundFile.open errors carry libsndfile's reason", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const err = await assertRejects(() => SoundFile.open(`${dir}/missing.wav`), SndfileError);
    assertEquals(err.op, "sf_open");
    assert(err.message.startsWith(`Cannot open ${dir}/missing.wav: System error`), err.message);

    await Deno.writeTextFile(`${dir}/notes.wav`, "not audio at all\n".repeat(50));
    const bad = await assertRejects(() => SoundFile.open(`${dir}/notes.wav`), SndfileError);
    assertEquals(bad.code, SF_ERR.UNRECOGNISED_FORMAT);
    assertEquals(bad.reason, "Format not recognised");
    assertEquals(bad.message, `Cannot open ${dir}/notes.wav: Format not recognised`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("concurrent failing opens each keep their own reason", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/text.wav`, "plain text, not a RIFF header\n".repeat(20));
    const jobs = Array.from(
      { length: 8 },
      (_, i) =>
        SoundFile.open(i % 2 ? `${dir}/text.wav` : `${dir}/gone-${i}.wav`).then(
          () => "opened",
          (e: SndfileError) => e.reason,
        ),
    );
    const reasons = await Promise.all(jobs);
    reasons.forEach((r, i) => {
      if (i % 2) assertEquals(r, "Format not recognised");
      else assert(r.startsWith("System error"), r);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("close is idempotent, also while a read is in flight; reads after close throw", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/silence.wav`;
  writeSoundFile(path, new Float32Array(32000), {
    sampleRate: 16000,
    channels: 1,
    format: SF_FORMAT.WAV | SF_FORMAT.PCM_16,
  });
  const file = await SoundFile.open(path);
  await Deno.remove(dir, { recursive: true });
  const buf = new Float32Array(16000);
  const pending = file.readFrames(buf);
  await assertRejects(() => file.readFrames(new Float32Array(10)), Error, "in flight");
  file.close(); // the handle is closed once the read returns
  assert(file.closed);
  assertEquals(await pending, 16000);
  file.close();
  file[Symbol.dispose]();
  await assertRejects(() => file.readFrames(buf), Error, "Cannot read");
  assertEquals(file.status(), null);
  assertEquals(file.log(), "");
});

Deno.test("readFrames rejects a buffer that is not whole frames", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/stereo.wav`;
    writeSoundFile(path, new Float32Array(200), {
      sampleRate: 8000,
      channels: 2,
      format: SF_FORMAT.WAV | SF_FORMAT.FLOAT,
    });
    using file = await SoundFile.open(path);
    await assertRejects(() => file.readFrames(new Float32Array(3)), RangeError, "multiple of 2");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeSoundFile round-trips FLAC, Ogg/Vorbis, Ogg/Opus and MP3 through libsndfile", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const rate = 16000;
    const x = new Float32Array(rate);
    for (let i = 0; i < x.length; i++) x[i] = 0.5 * Math.sin((2 * Math.PI * 440 * i) / rate);
    const cases = [
      ["flac", SF_FORMAT.FLAC | SF_FORMAT.PCM_16, "FLAC (Free Lossless Audio Codec)"],
      ["ogg", SF_FORMAT.OGG | SF_FORMAT.VORBIS, "OGG (OGG Container format)"],
      ["opus", SF_FORMAT.OGG | SF_FORMAT.OPUS, "OGG (OGG Container format)"],
      ["mp3", SF_FORMAT.MPEG | SF_FORMAT.MPEG_LAYER_III, "MPEG-1/2 Audio"],
    ] as const;
    for (const [ext, format, container] of cases) {
      const path = `${dir}/tone.${ext}`;
      writeSoundFile(path, x, { sampleRate: rate, channels: 1, format });
      using file = await SoundFile.open(path);
      assertEquals(file.info.container, container, ext);
      assertEquals(file.info.sampleRate, rate, ext);
      const buf = new Float32Array(rate * 2);
      const n = await file.readFrames(buf);
      assertEquals(n, rate, `${ext} frames`);
      if (ext === "flac") {
        for (let i = 0; i < n; i++) assert(Math.abs(buf[i] - x[i]) < 1 / 16384, `flac sample ${i}`);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeSoundFile refuses formats libsndfile cannot write, with its reason", () => {
  const silence = new Float32Array(10);
  assertThrows(
    () =>
      writeSoundFile("/tmp/never-written.flac", silence, {
        sampleRate: 16000,
        channels: 1,
        format: SF_FORMAT.FLAC | SF_FORMAT.FLOAT, // FLAC holds integers only
      }),
    SndfileError,
    "is not writable",
  );
  const err = assertThrows(
    () =>
      writeSoundFile("/tmp/never-written.opus", silence, {
        sampleRate: 44100, // Opus only takes 8/12/16/24/48 kHz
        channels: 1,
        format: SF_FORMAT.OGG | SF_FORMAT.OPUS,
      }),
    SndfileError,
    "Opus only supports sample rates of 8000",
  );
  assert(!err.message.endsWith("."), err.message);
});

Deno.test("formatName names containers and encodings", () => {
  assertEquals(formatName(SF_FORMAT.FLAC), "FLAC (Free Lossless Audio Codec)");
  assertEquals(formatName(SF_FORMAT.PCM_24), "Signed 24 bit PCM");
  assertEquals(formatName(0x7777), "0x7777");
});

Deno.test("a failing open keeps its own reason while another isolate's opens fail beside it", async () => {
  const dir = await Deno.makeTempDir();
  const worker = new Worker(
    new URL("../testing/sndfile_open_worker.ts", import.meta.url),
    { type: "module" },
  );
  try {
    await Deno.writeTextFile(`${dir}/text.wav`, "plain text, not a RIFF header\n".repeat(20));
    const done = new Promise<{ opens: number }>((resolve) => {
      worker.onmessage = (e) => resolve(e.data);
    });
    // The worker's opens fail with "System error" (no such file), the ones here with "Format not
    // recognised": libsndfile keeps the last failure in one global for the whole process.
    worker.postMessage({ path: `${dir}/missing.wav` });
    const wrong: string[] = [];
    for (let i = 0; i < 300; i++) {
      const err = await assertRejects(() => SoundFile.open(`${dir}/text.wav`), SndfileError);
      if (err.reason !== "Format not recognised") wrong.push(err.reason);
    }
    worker.postMessage({ stop: true });
    const { opens } = await done;
    assert(opens > 0, "the worker opened nothing");
    assertEquals(wrong, [], `${wrong.length} of 300 reasons were another isolate's`);
  } finally {
    worker.terminate();
    await Deno.remove(dir, { recursive: true });
  }
});
