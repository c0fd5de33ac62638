import { withTestServer } from "./testing.ts";
import { parseUploadFields } from "./transcriptions.ts";
import { HttpError } from "./errors.ts";
import { decodeAudioFile } from "../../../decode/audio_file.ts";
import { makeWav, sine } from "../../../decode/test_audio.ts";
import { makeWebmOpus } from "../../../decode/test_webm.ts";
import { corpusWer } from "../../../bench/metrics/wer.ts";
import { hasShared, sharedPath } from "../../../ffi/testing/shared.ts";
import { assert, assertEquals } from "../../../ffi/testing/assert.ts";
import { writeSoundFile } from "../../../ffi/sndfile/write.ts";
import { SF_FORMAT } from "../../../ffi/sndfile/symbols.ts";
import { App } from "./app.ts";
import type { SessionProvider } from "./providers.ts";
import type { BatchOptions } from "./transcriptions.ts";
import { modelCatalog } from "../../cli/wire.ts";
import type { Engine } from "../../engine/engine.ts";

const JFK = "speech/jfk/jfk.wav";
const ready = hasShared(JFK, "models/ggml-tiny.en.bin", "models/ggml-silero-v5.1.2.bin");
const REF = ready ? Deno.readTextFileSync(sharedPath("speech/jfk/jfk.txt")) : "";

/** POSTs a form with `file` (bytes named `name`) and text fields. */
function upload(
  url: string,
  bytes: Uint8Array<ArrayBuffer>,
  name: string,
  fields: Record<string, string | string[]> = {},
  headers: Record<string, string> = {},
  type = "application/octet-stream",
): Promise<Response> {
  const form = new FormData();
  form.append("file", new Blob([bytes], { type }), name);
  for (const [k, v] of Object.entries(fields)) {
    for (const x of Array.isArray(v) ? v : [v]) form.append(k, x);
  }
  return fetch(`${url}/v1/audio/transcriptions`, { method: "POST", body: form, headers });
}

async function refused(res: Response, status: number, match: RegExp): Promise<string> {
  const body = await res.json();
  assertEquals(res.status, status, JSON.stringify(body));
  assert(match.test(body.error), `"${body.error}" should match ${match}`);
  return body.reason;
}

Deno.test({
  name:
    "uploads: jfk as WAV (json, verbose_json with words, srt) and as WebM/Opus transcribe right",
  ignore: !ready,
  fn: () =>
    withTestServer(async ({ url, app }) => {
      const wav = await Deno.readFile(sharedPath(JFK));
      const res = await upload(url, wav, "jfk.wav", { model: "whisper-1" });
      assertEquals(res.status, 200);
      assertEquals(res.headers.get("content-type"), "application/json");
      const { text } = await res.json();
      const wer = corpusWer([{ ref: REF, hyp: text }]).wer;
      assert(wer < 0.1, `WER ${wer}: ${text}`);
      assert(Number(res.headers.get("x-audio-duration-s")) === 11, "duration header");

      const verbose = await upload(url, wav, "jfk.wav", {
        response_format: "verbose_json",
        "timestamp_granularities[]": ["word", "segment"],
      });
      assertEquals(verbose.status, 200);
      const v = await verbose.json();
      assertEquals(v.task, "transcribe");
      assertEquals(v.language, "english");
      assertEquals(v.duration, 11);
      assert(v.segments.length >= 1 && v.words.length >= 15, JSON.stringify(v).slice(0, 300));
      for (const s of v.segments) {
        assert(
          s.start >= 0 && s.end > s.start && s.end <= 11.01,
          `segment times ${s.start}-${s.end}`,
        );
        assert(typeof s.no_speech_prob === "number" && s.compression_ratio > 0, "segment fields");
      }
      for (let i = 1; i < v.words.length; i++) {
        assert(v.words[i].start >= v.words[i - 1].start, "words in time order");
      }
      const country = v.words.find((w: { word: string }) => /country/i.test(w.word));
      assert(country && country.start > 5 && country.start < 10, `"country" at ${country?.start}`);

      const srt = await upload(url, wav, "jfk.wav", { response_format: "srt" });
      assertEquals(srt.status, 200);
      assert(/^1\n00:00:0\d,\d{3} --> 00:00:\d\d,\d{3}\n/.test(await srt.text()), "SRT cues");

      // What a browser's MediaRecorder sends: WebM/Opus (made here by libopus and mediabunny).
      const decoded = await decodeAudioFile(sharedPath(JFK));
      const webm = await makeWebmOpus(decoded.samples);
      const w = await upload(
        url,
        webm,
        "recording.webm",
        { response_format: "text" },
        {},
        "audio/webm",
      );
      assertEquals(w.status, 200);
      const webmText = await w.text();
      assert(corpusWer([{ ref: REF, hyp: webmText }]).wer < 0.1, webmText);
      assertEquals(app.uploads, 0, "no upload left running");
    }),
});

Deno.test({
  name: "uploads: mislabelled files are sniffed; unsupported, empty, corrupt and huge ones get 4xx",
  ignore: !ready,
  fn: () =>
    withTestServer(async ({ url }) => {
      const tone = sine(440, 16_000, 1, 0.3);
      const dir = await Deno.makeTempDir();
      try {
        // FLAC bytes called .mp3 and declared audio/mpeg: decoded as what they are (silence-ish
        // tone: no speech, an empty transcript, but a 200).
        writeSoundFile(`${dir}/t.flac`, tone, {
          sampleRate: 16_000,
          channels: 1,
          format: SF_FORMAT.FLAC | SF_FORMAT.PCM_16,
        });
        const flac = await Deno.readFile(`${dir}/t.flac`);
        const r = await upload(url, flac, "song.mp3", {}, {}, "audio/mpeg");
        assertEquals(r.status, 200, await r.clone().text());
        assertEquals(r.headers.get("x-audio-duration-s"), "1.000");
        await r.body?.cancel();
        // AIFF is read by libsndfile, but not among the upload formats.
        writeSoundFile(`${dir}/t.aiff`, tone, {
          sampleRate: 16_000,
          channels: 1,
          format: SF_FORMAT.AIFF | SF_FORMAT.PCM_16,
        });
        const aiff = await Deno.readFile(`${dir}/t.aiff`);
        assertEquals(
          await refused(await upload(url, aiff, "t.wav"), 415, /is AIFF, which is not accepted/),
          "unsupported_format",
        );
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
      const text = new TextEncoder().encode("hello, this is not audio at all\n");
      const why = await refused(
        await upload(url, text, "notes.wav"),
        415,
        /not in a supported audio format \(supported: WAV, FLAC, Ogg.*WebM.*MP3\)/,
      );
      assertEquals(why, "unsupported_format");
      await refused(await upload(url, new Uint8Array(0), "empty.wav"), 400, /empty \(0 bytes\)/);
      // A WAV header whose fmt chunk is garbage.
      const wav = makeWav(tone, { sampleRate: 16_000, channels: 1, encoding: "pcm16" });
      wav.fill(0xee, 20, 36);
      await refused(await upload(url, wav, "bad.wav"), 400, /bad\.wav/);
      // A WAV cut short still transcribes what is there, and says so.
      const cut = makeWav(tone, { sampleRate: 16_000, channels: 1, encoding: "pcm16" }).slice(
        0,
        8_044,
      );
      const c = await upload(url, cut, "cut.wav");
      assertEquals(c.status, 200);
      assert(/holds/.test(c.headers.get("x-audio-warning") ?? ""), "warning header");
      await c.body?.cancel();
    }, { service: { uploads: { maxBytes: 100_000, maxDurationS: 20 } } }),
});

Deno.test({
  name: "uploads: size and duration limits (413), bad forms and fields (400/415)",
  ignore: !ready,
  fn: () =>
    withTestServer(async ({ url }) => {
      const big = makeWav(sine(440, 16_000, 4, 0.3), {
        sampleRate: 16_000,
        channels: 1,
        encoding: "pcm16",
      });
      // 128 044 bytes > 100 000: cut off while streaming (no Content-Length helps here: FormData
      // bodies are sent with one, so also try a chunked body below).
      assertEquals(
        await refused(await upload(url, big, "big.wav"), 413, /larger than 100000/),
        "too_large",
      );
      const boundary = "b0undary";
      const head = new TextEncoder().encode(
        `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="x.wav"\r\n\r\n`,
      );
      const chunked = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(head);
          for (let i = 0; i < 20; i++) c.enqueue(new Uint8Array(16_384));
          c.close();
        },
      });
      const res = await fetch(`${url}/v1/audio/transcriptions`, {
        method: "POST",
        body: chunked,
        headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
      });
      await refused(res, 413, /larger than/);
      const declared = await fetch(`${url}/v1/audio/transcriptions`, {
        method: "POST",
        body: "x",
        headers: { "content-type": "multipart/form-data; boundary=x", "content-length-x": "1" },
      });
      await refused(declared, 400, /malformed|no "file"/);
      // 30 s at 1 kHz: 60 KB, under the byte limit, longer than the 20 s allowed.
      const long = makeWav(new Float32Array(1_000 * 30), {
        sampleRate: 1_000,
        channels: 1,
        encoding: "pcm16",
      });
      const longRes = await upload(url, long, "long.wav");
      assertEquals(await refused(longRes, 413, /longer than the 20 s allowed/), "too_long");

      const tiny = makeWav(sine(440, 16_000, 0.5, 0.3), {
        sampleRate: 16_000,
        channels: 1,
        encoding: "pcm16",
      });
      await refused(
        await upload(url, tiny, "a.wav", { response_format: "xml" }),
        400,
        /response_format/,
      );
      await refused(await upload(url, tiny, "a.wav", { temperature: "7" }), 400, /temperature/);
      await refused(
        await upload(url, tiny, "a.wav", { chunking_strategy: "auto" }),
        400,
        /chunking_strategy/,
      );
      await refused(
        await upload(url, tiny, "a.wav", { model: "large-v9" }),
        400,
        /unknown model "large-v9" \(this server has tiny\.en/,
      );
      await refused(await upload(url, tiny, "a.wav", { model: "../../etc/passwd" }), 400, /model/);
      await refused(await upload(url, tiny, "a.wav", { language: "de" }), 400, /English-only/);
      await refused(await upload(url, tiny, "a.wav", { language: "english" }), 400, /language/);
      await refused(
        await upload(url, tiny, "a.wav", { prompt: ["a", "b"] }),
        400,
        /"prompt" is given 2 times/,
      );
      const json = await fetch(`${url}/v1/audio/transcriptions`, {
        method: "POST",
        body: JSON.stringify({ file: "x" }),
        headers: { "content-type": "application/json" },
      });
      await refused(json, 415, /multipart\/form-data/);
      const noFile = new FormData();
      noFile.append("model", "whisper-1");
      await refused(
        await fetch(`${url}/v1/audio/transcriptions`, { method: "POST", body: noFile }),
        400,
        /no "file" field/,
      );
      const two = new FormData();
      two.append("file", new Blob([tiny]), "a.wav");
      two.append("file", new Blob([tiny]), "b.wav");
      await refused(
        await fetch(`${url}/v1/audio/transcriptions`, { method: "POST", body: two }),
        400,
        /one file only/,
      );
      const models = await (await fetch(`${url}/v1/models`)).json();
      assertEquals(models.data.map((m: { id: string }) => m.id), ["tiny.en"]);
    }, { service: { uploads: { maxBytes: 100_000, maxDurationS: 20 } } }),
});

Deno.test({
  name: "uploads: stream=true sends progress, the text of each window, then the whole answer",
  ignore: !ready,
  fn: () =>
    withTestServer(async ({ url }) => {
      const wav = await Deno.readFile(sharedPath(JFK));
      const res = await upload(url, wav, "jfk.wav", {
        stream: "true",
        response_format: "verbose_json",
      });
      assertEquals(res.status, 200);
      assertEquals(res.headers.get("content-type"), "text/event-stream");
      const events = (await res.text()).split("\n\n").filter(Boolean).map((e) => {
        assert(e.startsWith("data: "), e);
        return JSON.parse(e.slice(6));
      });
      const types = events.map((e) => e.type);
      assertEquals(types[0], "transcript.progress");
      assert(types.includes("transcript.text.delta"), types.join());
      assertEquals(types[types.length - 1], "transcript.text.done");
      const progress = events.filter((e) => e.type === "transcript.progress").map((e) => e.done);
      assertEquals(progress[progress.length - 1], 1);
      const done = events[events.length - 1];
      assert(corpusWer([{ ref: REF, hyp: done.text }]).wer < 0.1, done.text);
      assertEquals(done.response.task, "transcribe");
    }),
});

Deno.test({
  name: "API keys: sessions and uploads need one; limits per key; other origins are refused",
  ignore: !ready,
  fn: async () => {
    const { ApiKeys, sha256Hex } = await import("./auth.ts");
    const keys = await ApiKeys.fromFile({
      keys: [
        { name: "alice", key: "alice-key-0123456789", max_uploads: 0 },
        { name: "bob", sha256: await sha256Hex("bob-key-0123456789ab"), max_sessions: 0 },
      ],
    }, { maxSessions: 4, maxUploads: 2 });
    await withTestServer(async ({ url }) => {
      const tiny = makeWav(sine(440, 16_000, 0.5, 0.3), {
        sampleRate: 16_000,
        channels: 1,
        encoding: "pcm16",
      });
      const none = await upload(url, tiny, "a.wav");
      assertEquals(await refused(none, 401, /API key is needed/), "no_key");
      assertEquals(none.headers.get("www-authenticate"), 'Bearer realm="hum-helix"');
      const bad = await upload(url, tiny, "a.wav", {}, {
        authorization: "Bearer nope-nope-nope-nope",
      });
      assertEquals(await refused(bad, 401, /not valid/), "bad_key");
      await refused(
        await upload(url, tiny, "a.wav", {}, { authorization: "Basic abc" }),
        401,
        /Bearer/,
      );
      const alice = { authorization: "Bearer alice-key-0123456789" };
      assertEquals(
        await refused(
          await upload(url, tiny, "a.wav", {}, alice),
          429,
          /"alice" is running its limit of 0 uploads/,
        ),
        "key_limit",
      );
      const bob = { authorization: "Bearer bob-key-0123456789ab" };
      const ok = await upload(url, tiny, "a.wav", {}, bob);
      assertEquals(ok.status, 200);
      await ok.body?.cancel();
      // Sessions: no key, 401 before the offer is even read; bob may hold none open.
      const offer = {
        method: "POST",
        body: "v=0\r\n",
        headers: { "content-type": "application/sdp" },
      };
      await refused(await fetch(`${url}/v1/sessions`, offer), 401, /API key is needed/);
      await refused(
        await fetch(`${url}/v1/sessions`, { ...offer, headers: { ...offer.headers, ...bob } }),
        429,
        /"bob" has its limit of 0 sessions/,
      );
      // Alice's key passes; her (bad) offer is then refused for what it is.
      await refused(
        await fetch(`${url}/v1/sessions`, { ...offer, headers: { ...offer.headers, ...alice } }),
        400,
        /neither an audio track nor data channels/,
      );
      // Origins: a listed one is echoed, the server's own host passes, others are refused.
      const fromApp = await fetch(`${url}/healthz`, {
        headers: { origin: "https://app.example.com" },
      });
      assertEquals(fromApp.headers.get("access-control-allow-origin"), "https://app.example.com");
      await fromApp.body?.cancel();
      const own = await fetch(`${url}/healthz`, { headers: { origin: url } });
      assertEquals(own.status, 200);
      await own.body?.cancel();
      const evil = await fetch(`${url}/healthz`, { headers: { origin: "https://evil.example" } });
      assertEquals(await refused(evil, 403, /not allowed/), "origin");
      // Probes and status stay open without a key.
      assertEquals((await (await fetch(`${url}/v1/status`)).json()).uploads.running, 0);
    }, { service: { apiKeys: keys, allowedOrigins: ["https://app.example.com"] } });
  },
});

Deno.test({
  name: "uploads past the server's limit are a 503 with Retry-After",
  ignore: !ready,
  fn: () =>
    withTestServer(async ({ url }) => {
      const tiny = makeWav(sine(440, 16_000, 0.5, 0.3), {
        sampleRate: 16_000,
        channels: 1,
        encoding: "pcm16",
      });
      const r = await upload(url, tiny, "a.wav");
      assertEquals(await refused(r, 503, /limit of 0 uploads/), "uploads_full");
      assertEquals(r.headers.get("retry-after"), "10");
    }, { service: { maxUploads: 0 } }),
});

/** A session provider with no sessions, draining while `draining()` says so. */
function noSessions(draining: () => boolean = () => false): SessionProvider {
  return {
    open: () => Promise.reject(new Error("no sessions in this test")),
    get: () => undefined,
    endAll: () => Promise.resolve(),
    refusal: () => null,
    size: 0,
    capacity: 0,
    ended: 0,
    get draining() {
      return draining();
    },
  };
}

/** What a fake upload service answers: the text "hi", from `model`. */
function hiFrom(model: string) {
  return {
    transcript: { text: "hi", segments: [], language: "en", durationMs: 500, windows: [] },
    model,
    languageName: "english",
    decodeMs: 1,
  };
}

const HALF_SECOND_WAV = makeWav(sine(440, 16_000, 0.5, 0.3), {
  sampleRate: 16_000,
  channels: 1,
  encoding: "pcm16",
});

/** Posts half a second of WAV to `app` as an upload, with `fields` beside the file. */
function postWav(app: App, fields: Record<string, string> = {}): Promise<Response> {
  const form = new FormData();
  form.append("file", new Blob([HALF_SECOND_WAV]), "a.wav");
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  return app.handle(
    new Request("http://127.0.0.1/v1/audio/transcriptions", { method: "POST", body: form }),
  );
}

Deno.test("uploads name a model by its id or by the name the server is configured with, as sessions do", async () => {
  // A server configured with a model's file name: clients know it as `tiny.en`.
  const engine = {
    servedModels: ["ggml-tiny.en.bin"],
    models: { status: [] },
  } as unknown as Engine;
  const asked: (string | undefined)[] = [];
  const app = new App({
    registry: noSessions(),
    models: modelCatalog(engine),
    transcriptions: {
      transcribe: (_samples: Float32Array, o: BatchOptions) => {
        asked.push(o.model);
        return Promise.resolve(hiFrom(o.model ?? "ggml-tiny.en.bin"));
      },
      isRequestError: () => false,
    },
  });
  const post = (model: string) => postWav(app, { model });
  try {
    for (const model of ["tiny.en", "ggml-tiny.en.bin"]) {
      const r = await post(model);
      assertEquals(r.status, 200, await r.clone().text());
      assertEquals(r.headers.get("x-model"), "tiny.en", "the answer names the model by its id");
      assertEquals((await r.json()).text, "hi");
    }
    assertEquals(asked, ["ggml-tiny.en.bin", "ggml-tiny.en.bin"], "both reach the same model");
    await refused(
      await post("base.en"),
      400,
      /unknown model "base.en" \(this server has tiny\.en;/,
    );
  } finally {
    await app.close();
  }
});

Deno.test("while the server drains, new uploads are a 503 draining with Retry-After; one already running finishes", async () => {
  let draining = false;
  const started = Promise.withResolvers<void>();
  const finish = Promise.withResolvers<void>();
  const app = new App({
    registry: noSessions(() => draining),
    transcriptions: {
      transcribe: async () => {
        started.resolve();
        await finish.promise;
        return hiFrom("ggml-tiny.en.bin");
      },
      isRequestError: () => false,
    },
  });
  const post = () => postWav(app);
  try {
    const running = post();
    await started.promise;
    draining = true;
    const late = await post();
    assertEquals(await refused(late, 503, /shutting down/), "draining");
    assertEquals(late.headers.get("retry-after"), "10");
    finish.resolve();
    const done = await running;
    assertEquals(done.status, 200);
    assertEquals((await done.json()).text, "hi");
  } finally {
    await app.close();
  }
});

/** `Deno.serve`'s handler info for a client at `hostname`. */
const from = (hostname: string): Deno.ServeHandlerInfo => ({
  remoteAddr: { transport: "tcp", hostname, port: 50_000 },
  completed: Promise.resolve(),
});

Deno.test("one client address holds at most its share of upload slots, however slowly it sends; others still get theirs", async () => {
  const app = new App({
    registry: noSessions(),
    maxUploads: 4,
    maxUploadsPerClient: 2,
    transcriptions: {
      transcribe: () => Promise.resolve(hiFrom("ggml-tiny.en.bin")),
      isRequestError: () => false,
    },
  });
  /** An upload whose body sends its first bytes, then nothing until `stop`. */
  const trickle = (hostname: string) => {
    let stop!: () => void;
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('--b\r\ncontent-disposition: form-data; name="file"; '));
        stop = () => c.error(new Error("client gone"));
      },
    });
    const res = app.handle(
      new Request("http://127.0.0.1/v1/audio/transcriptions", {
        method: "POST",
        body,
        headers: { "content-type": "multipart/form-data; boundary=b" },
      }),
      from(hostname),
    );
    return { res, stop: () => stop() };
  };
  const wavFrom = (hostname: string) => {
    const form = new FormData();
    form.append("file", new Blob([HALF_SECOND_WAV]), "a.wav");
    return app.handle(
      new Request("http://127.0.0.1/v1/audio/transcriptions", { method: "POST", body: form }),
      from(hostname),
    );
  };
  const slow = [trickle("203.0.113.7"), trickle("203.0.113.7")];
  try {
    while (app.uploads < 2) await new Promise((r) => setTimeout(r, 5));
    const attempt = trickle("203.0.113.7");
    slow.push(attempt);
    const third = await Promise.race([
      attempt.res,
      (async () => {
        while (app.uploads < 3) await new Promise((r) => setTimeout(r, 5));
        return null;
      })(),
    ]);
    assert(third, "a third slow upload from the same client took a slot");
    assertEquals(await refused(third, 429, /203\.0\.113\.7 already has 2 uploads/), "client_limit");
    assertEquals(third.headers.get("retry-after"), "10");
    // Another client still gets a slot.
    const other = await wavFrom("198.51.100.4");
    assertEquals(other.status, 200, await other.clone().text());
    assertEquals((await other.json()).text, "hi");
    for (const s of slow) s.stop();
    for (const s of slow) {
      const r = await s.res;
      if (!r.bodyUsed) await r.body?.cancel();
    }
    assertEquals(app.uploads, 0, "a client that goes away frees its slots");
    const again = await wavFrom("203.0.113.7");
    assertEquals(again.status, 200);
    await again.body?.cancel();
  } finally {
    for (const s of slow) s.stop();
    await app.close();
  }
});

Deno.test("upload fields: OpenAI's spellings, defaults, and one error per fault", () => {
  const f = parseUploadFields({
    "timestamp_granularities[]": ["word", "segment"],
    model: ["whisper-1"],
    stream: ["true"],
  });
  assertEquals(f.timestamp_granularities, ["word", "segment"]);
  assertEquals(f.response_format, "json");
  assertEquals(f.stream, true);
  assertEquals(f.temperature, 0);
  for (
    const [fields, match] of [
      [{ stream: ["yes"] }, /stream/],
      [{ "timestamp_granularities[]": ["char"] }, /timestamp_granularities/],
      [{ language: ["EN"] }, /language/],
      [{ prompt: ["x".repeat(1001)] }, /prompt/],
    ] as const
  ) {
    try {
      parseUploadFields(fields as unknown as Record<string, string[]>);
      throw new Error(`accepted ${JSON.stringify(fields)}`);
    } catch (err) {
      assert(err instanceof HttpError && err.status === 400, String(err));
      assert(match.test(err.message), err.message);
    }
  }
});

/** Temporary upload files left in the OS's temporary folder. */
async function leftovers(): Promise<string[]> {
  const dir = Deno.env.get("TMPDIR") ?? "/tmp";
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) if (e.name.startsWith("hum-upload-")) names.push(e.name);
  return names;
}

Deno.test({
  name:
    "uploads: a stalled body is a 408; a client gone mid-upload or mid-stream leaves nothing behind",
  ignore: !ready,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTestServer(async ({ url, app, engine }) => {
      const before = await leftovers();
      const boundary = "stall";
      const head = new TextEncoder().encode(
        `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="x.wav"\r\n\r\nRIFF`,
      );
      // A raw connection sends the start of a form, then nothing (as a stalled network would).
      const port = Number(new URL(url).port);
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await conn.write(new TextEncoder().encode(
        `POST /v1/audio/transcriptions HTTP/1.1\r\nhost: 127.0.0.1\r\n` +
          `content-type: multipart/form-data; boundary=${boundary}\r\n` +
          `content-length: 1000000\r\n\r\n`,
      ));
      await conn.write(head);
      const answer = new Uint8Array(4_096);
      const n = await conn.read(answer);
      conn.close();
      const text = new TextDecoder().decode(answer.subarray(0, n ?? 0));
      assert(text.startsWith("HTTP/1.1 408"), text);
      assert(/no data arrived for 1 s/.test(text), text);

      // A client that goes away half-way through sending.
      const abort = new AbortController();
      const halfway = new ReadableStream<Uint8Array>({
        async pull(c) {
          c.enqueue(new Uint8Array(8_192));
          await new Promise((r) => setTimeout(r, 20));
        },
      });
      const gone = fetch(`${url}/v1/audio/transcriptions`, {
        method: "POST",
        body: halfway,
        headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
        signal: abort.signal,
      }).catch(() => null);
      await new Promise((r) => setTimeout(r, 300));
      abort.abort();
      await gone;

      // A streamed transcription whose reader leaves after the first event: the rest is not
      // decoded, and its decoding state goes back to the pool.
      const wav = await Deno.readFile(sharedPath(JFK));
      const form = new FormData();
      form.append("file", new Blob([wav]), "jfk.wav");
      form.append("stream", "true");
      const sse = await fetch(`${url}/v1/audio/transcriptions`, { method: "POST", body: form });
      const reader = sse.body!.getReader();
      await reader.read();
      await reader.cancel();
      for (let i = 0; i < 100 && (app.uploads || (await leftovers()).length > before.length); i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      assertEquals(app.uploads, 0, "no upload still counted");
      assertEquals(await leftovers(), before, "no temporary upload file left");
      // Every state taken was given back.
      for (let i = 0; i < 50; i++) {
        const used = engine.models.status.reduce((n, m) => n + (m.states?.used ?? 0), 0);
        if (used === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assertEquals(engine.models.status.reduce((n, m) => n + (m.states?.used ?? 0), 0), 0);
    }, { service: { uploads: { idleTimeoutMs: 1_000 } } }),
});
