/**
 * The bad-input suite: a catalogue of what real clients and networks send wrong, each case sent
 * to a running service — HTTP requests (signalling, uploads, methods, keys) and data-channel
 * messages over a real WebRTC connection. Every case must get a clear error (its status and a
 * message naming the fault), the server must keep serving (a session beside the bad one is
 * unaffected and a clean upload still transcribes), and nothing may be left behind (sessions,
 * peers, uploads back to zero). The totals are printed: how many bad inputs, of how many kinds.
 */

import { RTCPeerConnection } from "werift";
import { connectOffer, withTestServer } from "./http/testing.ts";
import { MAX_OFFER_BYTES } from "./http/signalling.ts";
import { makeWav, sine } from "../../decode/test_audio.ts";
import { makeWebmOpus } from "../../decode/test_webm.ts";
import { melFrame, pcm16Frame } from "../../protocol/audio_frames.ts";
import { CHANNELS } from "../../protocol/control.ts";
import { hasShared, sharedPath } from "../../ffi/testing/shared.ts";
import { assert, assertEquals } from "../../ffi/testing/assert.ts";

const ready = hasShared("models/ggml-tiny.en.bin", "models/ggml-silero-v5.1.2.bin");

/** One bad HTTP request and what the server must answer. */
interface HttpCase {
  kind: string;
  name: string;
  request: () => Promise<Request> | Request;
  status: number;
  error: RegExp;
}

/** A real browser-like offer (werift) with data channels and no track. */
async function realOffer(): Promise<string> {
  const pc = new RTCPeerConnection();
  pc.createDataChannel("transcript");
  await pc.setLocalDescription(await pc.createOffer());
  const sdp = pc.localDescription!.sdp;
  await pc.close();
  return sdp;
}

/** A mono WAV whose header claims `channels` channels (bytes 22–23), whatever its data. */
function wavWithChannels(channels: number): Uint8Array<ArrayBuffer> {
  const w = makeWav(sine(440, 16_000, 0.5, 0.3), {
    sampleRate: 16_000,
    channels: 1,
    encoding: "pcm16",
  });
  new DataView(w.buffer).setUint16(22, channels, true);
  return w;
}

/** A WAV whose header states `rate` Hz (bytes 24–27), whatever its data. */
function wavWithRate(rate: number): Uint8Array<ArrayBuffer> {
  const w = makeWav(sine(440, 16_000, 0.5, 0.3), {
    sampleRate: 16_000,
    channels: 1,
    encoding: "pcm16",
  });
  const v = new DataView(w.buffer);
  v.setUint32(24, rate >>> 0, true);
  v.setUint32(28, (rate * 2) >>> 0, true);
  return w;
}

function form(
  url: string,
  bytes: Uint8Array<ArrayBuffer>,
  name = "a.wav",
  fields: Record<string, string> = {},
  type = "application/octet-stream",
): Request {
  const f = new FormData();
  f.append("file", new Blob([bytes], { type }), name);
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  return new Request(`${url}/v1/audio/transcriptions`, { method: "POST", body: f });
}

async function httpCases(url: string): Promise<HttpCase[]> {
  const sdp = await realOffer();
  const post = (body: BodyInit, type: string | null, path = "/v1/sessions") =>
    new Request(`${url}${path}`, {
      method: "POST",
      body,
      headers: type ? { "content-type": type } : {},
    });
  const json = (body: unknown) => post(JSON.stringify(body), "application/json");
  const sdpCase = (name: string, text: string, error: RegExp): HttpCase => ({
    kind: "malformed SDP",
    name,
    request: () => post(text, "application/sdp"),
    status: 400,
    error,
  });
  const tone = makeWav(sine(440, 16_000, 1, 0.3), {
    sampleRate: 16_000,
    channels: 1,
    encoding: "pcm16",
  });
  const webm = await makeWebmOpus(sine(440, 16_000, 1, 0.3));
  const cases: HttpCase[] = [
    sdpCase("empty lines", "\r\n\r\n", /not an SDP offer/),
    sdpCase("no v=0", sdp.replace("v=0", "v=1"), /not an SDP offer/),
    sdpCase("a bad line", sdp + "this is not sdp\r\n", /bad SDP line/),
    sdpCase(
      "no media",
      sdp.split(/\r\n/).filter((l) => !l.startsWith("m=")).join("\r\n"),
      /neither an audio track nor data channels/,
    ),
    sdpCase(
      "audio without Opus",
      "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=rtpmap:0 PCMU/8000\r\na=fingerprint:sha-256 AA\r\na=ice-ufrag:x\r\n",
      /no Opus codec/,
    ),
    sdpCase(
      "no fingerprint",
      sdp.split(/\r\n/).filter((l) => !l.startsWith("a=fingerprint")).join("\r\n"),
      /no DTLS fingerprint/,
    ),
    sdpCase(
      "no ICE credentials",
      sdp.split(/\r\n/).filter((l) => !l.startsWith("a=ice-ufrag")).join("\r\n"),
      /no ICE credentials/,
    ),
    sdpCase("binary bytes", "\u0000\u0001\u0002binary", /not an SDP offer/),
    {
      kind: "malformed SDP",
      name: "not UTF-8",
      request: () => post(new Uint8Array([0x76, 0x3d, 0x30, 0xff, 0xfe]), "application/sdp"),
      status: 400,
      error: /not UTF-8/,
    },
    {
      kind: "oversized body",
      name: "an SDP over the limit",
      request: () => post("v=0\r\n" + "a=x\r\n".repeat(MAX_OFFER_BYTES / 5), "application/sdp"),
      status: 413,
      error: /over 65536 bytes|at most 65536/,
    },
    {
      kind: "oversized body",
      name: "JSON over the limit",
      request: () => json({ sdp: "v=0" + " ".repeat(MAX_OFFER_BYTES) }),
      status: 413,
      error: /65536/,
    },
    {
      kind: "malformed JSON",
      name: "not JSON",
      request: () => post("{sdp:", "application/json"),
      status: 400,
      error: /not JSON/,
    },
    {
      kind: "malformed JSON",
      name: "an array",
      request: () => json([sdp]),
      status: 400,
      error: /body/,
    },
    {
      kind: "malformed JSON",
      name: "sdp a number",
      request: () => json({ sdp: 5 }),
      status: 400,
      error: /sdp/,
    },
    {
      kind: "malformed JSON",
      name: "unknown field",
      request: () => json({ sdp, extra: 1 }),
      status: 400,
      error: /extra/,
    },
    {
      kind: "out-of-range config",
      name: "unknown mode",
      request: () => json({ sdp, config: { mode: "turbo" } }),
      status: 400,
      error: /mode/,
    },
    {
      kind: "out-of-range config",
      name: "negative chunk",
      request: () => json({ sdp, config: { overrides: { minChunkMs: -5 } } }),
      status: 400,
      error: /minChunkMs/,
    },
    {
      kind: "out-of-range config",
      name: "huge beam",
      request: () => json({ sdp, config: { overrides: { beam: 10_000 } } }),
      status: 400,
      error: /beam/,
    },
    {
      kind: "out-of-range config",
      name: "another language",
      request: () => json({ sdp, config: { language: "de" } }),
      status: 400,
      error: /language/,
    },
    {
      kind: "wrong content type",
      name: "text/plain offer",
      request: () => post(sdp, "text/plain"),
      status: 415,
      error: /Content-Type must be/,
    },
    {
      kind: "wrong content type",
      name: "no type",
      request: () => post(new TextEncoder().encode(sdp), null),
      status: 415,
      error: /none/,
    },
    {
      kind: "wrong method or path",
      name: "PUT /v1/sessions",
      request: () => new Request(`${url}/v1/sessions`, { method: "PUT", body: "x" }),
      status: 405,
      error: /not allowed/,
    },
    {
      kind: "wrong method or path",
      name: "DELETE an unknown session",
      request: () => new Request(`${url}/v1/sessions/${crypto.randomUUID()}`, { method: "DELETE" }),
      status: 404,
      error: /No session/,
    },
    {
      kind: "wrong method or path",
      name: "GET a path that is not a session id",
      request: () => new Request(`${url}/v1/sessions/../../etc/passwd`),
      status: 404,
      error: /Nothing at/,
    },
    {
      kind: "wrong method or path",
      name: "GET the upload endpoint",
      request: () => new Request(`${url}/v1/audio/transcriptions`),
      status: 405,
      error: /use POST/,
    },
    // Audio files.
    {
      kind: "zero-length audio",
      name: "0 bytes",
      request: () => form(url, new Uint8Array(0)),
      status: 400,
      error: /empty/,
    },
    {
      kind: "corrupt audio",
      name: "a WAV with garbage for its format chunk",
      request: () => form(url, tone.map((b, i) => (i >= 20 && i < 36 ? 0xee : b))),
      status: 400,
      error: /a\.wav/,
    },
    {
      kind: "corrupt audio",
      name: "random bytes after an Ogg signature",
      request: () =>
        form(
          url,
          new Uint8Array([0x4f, 0x67, 0x67, 0x53, ...crypto.getRandomValues(new Uint8Array(600))]),
        ),
      status: 400,
      error: /a\.wav/,
    },
    {
      kind: "corrupt audio",
      name: "random bytes after a FLAC signature",
      request: () =>
        form(
          url,
          new Uint8Array([0x66, 0x4c, 0x61, 0x43, ...crypto.getRandomValues(new Uint8Array(600))]),
        ),
      status: 400,
      error: /a\.wav/,
    },
    {
      kind: "corrupt audio",
      name: "a WebM cut inside its header",
      request: () => form(url, webm.slice(0, 40), "rec.webm"),
      status: 400,
      error: /rec\.webm/,
    },
    {
      kind: "truncated audio",
      name: "a WAV cut inside its header",
      request: () => form(url, tone.slice(0, 30)),
      status: 400,
      error: /a\.wav/,
    },
    {
      kind: "mislabelled audio",
      name: "a PDF called .wav, declared audio/wav",
      request: () =>
        form(url, new TextEncoder().encode("%PDF-1.7\n1 0 obj\n"), "a.wav", {}, "audio/wav"),
      status: 415,
      error: /supported: WAV/,
    },
    {
      kind: "mislabelled audio",
      name: "HTML called .mp3",
      request: () =>
        form(
          url,
          new TextEncoder().encode("<html><body>hi</body></html>"),
          "a.mp3",
          {},
          "audio/mpeg",
        ),
      status: 415,
      error: /not in a supported audio format/,
    },
    {
      kind: "unsupported audio",
      name: "an MP4/AAC signature",
      request: () =>
        form(
          url,
          new Uint8Array([
            0,
            0,
            0,
            0x20,
            0x66,
            0x74,
            0x79,
            0x70,
            0x4d,
            0x34,
            0x41,
            0x20,
            ...new Uint8Array(64),
          ]),
          "a.m4a",
        ),
      status: 415,
      error: /supported: WAV, FLAC/,
    },
    ...[0, 1, 999, 500_000, 0x7fffffff].map((rate): HttpCase => ({
      kind: "absurd sample rate",
      name: `${rate} Hz`,
      request: () => form(url, wavWithRate(rate)),
      status: 400,
      error: /sample rate|cannot be decoded|a\.wav/,
    })),
    ...[0, 33, 65_535].map((channels): HttpCase => ({
      kind: "absurd channel count",
      name: `${channels} channels`,
      request: () => form(url, wavWithChannels(channels)),
      status: 400,
      error: /channels|cannot be decoded|a\.wav/,
    })),
    {
      kind: "oversized upload",
      name: "a file over the byte limit",
      request: () => form(url, new Uint8Array(500_000)),
      status: 413,
      error: /larger than/,
    },
    {
      kind: "bad upload fields",
      name: "response_format xml",
      request: () => form(url, tone, "a.wav", { response_format: "xml" }),
      status: 400,
      error: /response_format/,
    },
    {
      kind: "bad upload fields",
      name: "temperature 9",
      request: () => form(url, tone, "a.wav", { temperature: "9" }),
      status: 400,
      error: /temperature/,
    },
    {
      kind: "bad upload fields",
      name: "a path as the model",
      request: () => form(url, tone, "a.wav", { model: "/etc/passwd" }),
      status: 400,
      error: /model/,
    },
    {
      kind: "malformed multipart",
      name: "a boundary that never comes",
      request: () =>
        post(
          '--x\r\ncontent-disposition: form-data; name="file"\r\n\r\nabc',
          "multipart/form-data; boundary=y",
          "/v1/audio/transcriptions",
        ),
      status: 400,
      error: /malformed|no "file"/,
    },
    {
      kind: "malformed multipart",
      name: "no boundary",
      request: () => post("abc", "multipart/form-data; charset=utf-8", "/v1/audio/transcriptions"),
      status: 400,
      error: /multipart/,
    },
  ];
  return cases;
}

/** A data-channel client: a real WebRTC session whose channels the test writes raw bytes to. */
async function dcClient(url: string) {
  const pc = new RTCPeerConnection();
  const transcript = pc.createDataChannel(CHANNELS.transcript);
  const audio = pc.createDataChannel(CHANNELS.audio);
  const mel = pc.createDataChannel(CHANNELS.mel);
  const got: Record<string, unknown>[] = [];
  transcript.onMessage.subscribe((d) => {
    if (typeof d === "string") got.push(JSON.parse(d));
  });
  await pc.setLocalDescription(await pc.createOffer());
  const body = await connectOffer(url, pc);
  const channels = [transcript, audio, mel];
  for (let i = 0; i < 200 && channels.some((c) => c.readyState !== "open"); i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  assertEquals(channels.map((c) => c.readyState), ["open", "open", "open"]);
  const waitFor = async (pred: () => boolean, what: string, ms = 20_000) => {
    for (let t = 0; t < ms && !pred(); t += 50) await new Promise((r) => setTimeout(r, 50));
    assert(
      pred(),
      `timed out waiting for ${what}; got ${
        JSON.stringify(got.slice(-3).map((m) => [m.type, m.code ?? m.reason, m.message]))
      }`,
    );
  };
  return { pc, transcript, audio, mel, got, waitFor, id: body.sessionId as string };
}

/** One bad data-channel message: where it goes, and the error code it must draw. */
interface DcCase {
  kind: string;
  channel: "transcript" | "audio" | "mel";
  data: string | Uint8Array;
  code: RegExp;
}

function dcCases(): DcCase[] {
  const t = (kind: string, data: string, code = /bad_message|bad_request/): DcCase => ({
    kind,
    channel: "transcript",
    data,
    code,
  });
  const b = (
    kind: string,
    channel: "audio" | "mel",
    data: Uint8Array,
    code = /bad_frame/,
  ): DcCase => ({
    kind,
    channel,
    data,
    code,
  });
  const header = (kind: number, seq = 0) => {
    const h = new Uint8Array(8);
    h[0] = 1;
    h[1] = kind;
    new DataView(h.buffer).setUint32(4, seq, true);
    return h;
  };
  return [
    t("data-channel garbage", "{nope"),
    t("data-channel garbage", "\u0000\u0001"),
    t("data-channel garbage", "   "),
    t("wrong types", '{"v":1,"type":"ping","id":{"a":1}}'),
    t("wrong types", '{"v":"1","type":"ping","id":1}'),
    t("wrong types", '{"v":1,"type":42}'),
    t("wrong types", "[1,2,3]"),
    t("wrong types", "null"),
    t("out-of-range values", '{"v":1,"type":"mode","mode":"turbo"}'),
    t(
      "out-of-range values",
      '{"v":1,"type":"mode","mode":"latency","overrides":{"minChunkMs":-1}}',
    ),
    t("out-of-range values", '{"v":99,"type":"ping","id":1}'),
    t("out-of-range values", '{"v":1,"type":"mode","mode":"latency","overrides":{"beam":100000}}'),
    b("binary garbage", "audio", new Uint8Array([7, 7, 7])),
    b("binary garbage", "audio", crypto.getRandomValues(new Uint8Array(64))),
    b("binary garbage", "mel", new Uint8Array([0])),
    b("wrong frame kind for the channel", "audio", melFrame(0, new Float32Array(80).fill(-3))),
    b("wrong frame kind for the channel", "mel", pcm16Frame(0, new Float32Array(320))),
    b(
      "out-of-range values",
      "audio",
      new Uint8Array([...header(0), ...new Uint8Array(40_000)]),
      /bad_frame|message_too_large/,
    ),
    b("out-of-range values", "audio", new Uint8Array([...header(1)]), /bad_frame/),
    b("out-of-range values", "audio", new Uint8Array([...header(9)])),
    // Mel frames of the wrong shape: not a multiple of 80 bins, or no range header.
    b(
      "mel frames of the wrong shape",
      "mel",
      new Uint8Array([...header(2), 0, 0, 0, 0, 0, 0, 0x80, 0x3f, ...new Uint8Array(79)]),
    ),
    b("mel frames of the wrong shape", "mel", new Uint8Array([...header(2), ...new Uint8Array(4)])),
    b(
      "mel frames of the wrong shape",
      "mel",
      new Uint8Array([...header(2), 0, 0, 0x80, 0x7f, 0, 0, 0x80, 0x7f, ...new Uint8Array(80)]),
    ),
    b("oversized message", "audio", new Uint8Array(20_000), /message_too_large/),
    t(
      "oversized message",
      JSON.stringify({ v: 1, type: "ping", id: "x".repeat(20_000) }),
      /message_too_large/,
    ),
  ];
}

Deno.test({
  name:
    "bad-input suite: every bad request and message gets a clear error; the server serves on; nothing leaks",
  ignore: !ready,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTestServer(async ({ url, app }) => {
      const kinds = new Set<string>();
      let tried = 0;
      // A well-behaved session runs beside all of it and must be unaffected.
      const bystander = await dcClient(url);
      for (const c of await httpCases(url)) {
        const res = await fetch(await c.request());
        const text = await res.text();
        let body: { error?: string } = {};
        try {
          body = JSON.parse(text);
        } catch {
          throw new Error(`${c.kind} / ${c.name}: the answer is not JSON: ${text.slice(0, 200)}`);
        }
        assertEquals(res.status, c.status, `${c.kind} / ${c.name}: ${text}`);
        assert(
          c.error.test(body.error ?? ""),
          `${c.kind} / ${c.name}: "${body.error}" should match ${c.error}`,
        );
        const health = await fetch(`${url}/healthz`);
        assertEquals(health.status, 200, `the server serves on after ${c.name}`);
        await health.body?.cancel();
        kinds.add(`http: ${c.kind}`);
        tried++;
      }
      assertEquals(app.uploads, 0, "no upload left running");

      // Data channels: each bad message draws an error event naming its fault.
      const bad = await dcClient(url);
      // The answer states the session's limit; this client sends past it, as a hostile one would.
      bad.pc.sctpTransport!.remoteMaxMessageSize = 0;
      for (const c of dcCases()) {
        const before = bad.got.filter((m) => m.type === "error").length;
        const ch = bad[c.channel];
        if (typeof c.data === "string") ch.send(c.data);
        else ch.send(Buffer.from(c.data));
        await bad.waitFor(
          () => bad.got.filter((m) => m.type === "error").length > before,
          `an error event for ${c.kind}`,
        );
        const e = bad.got.filter((m) => m.type === "error").at(-1)!;
        assert(
          c.code.test(String(e.code)),
          `${c.kind}: code ${e.code} (${e.message}) should match ${c.code}`,
        );
        assert(
          typeof e.message === "string" && e.message.length > 10,
          `${c.kind}: a message says why`,
        );
        kinds.add(`data channel: ${c.kind}`);
        tried++;
        // Stay under the error-event cap (10 a second) so each case gets its own answer.
        await new Promise((r) => setTimeout(r, 110));
      }
      // (WebRTC itself caps messages at the 64 KiB the SDP states; the server's own limit, 16 KiB
      // here, is what the two oversized cases above met.)
      // A flood: 2 000 messages of garbage and 500 pings as fast as the channel takes them.
      const errorsBeforeFlood = bad.got.filter((m) => m.type === "error").length;
      const floodStart = performance.now();
      for (let i = 0; i < 2_000; i++) bad.audio.send(Buffer.from([1, 0, 0, 0, 9, 9, 9, 9]));
      for (let i = 0; i < 500; i++) bad.transcript.send(`{"v":1,"type":"ping","id":${i}}`);
      kinds.add("data channel: a flood of messages");
      const distinct = tried;
      tried += 2_500;
      // The flooded session still answers, and its error events stayed capped.
      // (Pings past the rate limit are dropped: ask every half second until one is answered. On
      // a loaded machine the flood's own pings arrive over many seconds and take each token as it
      // comes, so the asking goes on for up to a minute.)
      const answered = () => bad.got.some((m) => m.type === "pong" && m.id === "after");
      for (let i = 0; i < 120 && !answered(); i++) {
        bad.transcript.send('{"v":1,"type":"ping","id":"after"}');
        await new Promise((r) => setTimeout(r, 500));
      }
      await bad.waitFor(answered, "a pong after the flood", 5_000);
      const pongs = bad.got.filter((m) => m.type === "pong").length;
      assert(pongs < 200, `${pongs} pongs: the flood's pings were rate-limited`);
      // At most 10 error events in each second the flood lasted (how long depends on the machine:
      // a loaded 2-core CI runner took over 5 s), far fewer than one per bad message.
      const floodErrors = bad.got.filter((m) => m.type === "error").length - errorsBeforeFlood;
      const floodS = (performance.now() - floodStart) / 1000;
      assert(
        floodErrors <= 10 * (Math.ceil(floodS) + 1) && floodErrors < 400,
        `${floodErrors} error events in ${floodS.toFixed(1)} s: capped, not one per message`,
      );
      assert(
        bad.got.some((m) =>
          m.type === "error" && /more bad inputs before it/.test(String(m.message))
        ),
        "an error event says how many bad inputs were not answered",
      );
      // The bystander was unaffected: it answers at once and saw no error.
      bystander.transcript.send('{"v":1,"type":"ping","id":"b"}');
      await bystander.waitFor(
        () => bystander.got.some((m) => m.type === "pong"),
        "the bystander's pong",
      );
      assertEquals(bystander.got.filter((m) => m.type === "error"), []);

      // A clean upload still transcribes.
      const clean = await fetch(
        form(url, await Deno.readFile(sharedPath("speech/jfk/jfk.wav")), "jfk.wav"),
      );
      assertEquals(clean.status, 200);
      assert(/country/i.test((await clean.json()).text), "the clean upload transcribes");

      // Nothing is left: end both sessions and count.
      for (const c of [bad, bystander]) {
        c.transcript.send('{"v":1,"type":"end"}');
        await c.waitFor(() => c.got.some((m) => m.type === "ended"), "ended");
        await c.pc.close();
      }
      for (let i = 0; i < 100 && (app.registry.size || app.peers); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      assertEquals([app.registry.size, app.peers, app.uploads], [0, 0, 0]);
      console.log(
        `bad-input suite: ${tried} bad inputs (${distinct} distinct cases and a flood of 2 500 messages) of ${kinds.size} kinds:\n  ${
          [...kinds].join("\n  ")
        }`,
      );
    }, { service: { uploads: { maxBytes: 400_000, maxDurationS: 60 }, maxMessageBytes: 16_384 } }),
});
