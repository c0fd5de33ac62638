import type { App } from "./app.ts";
import { TEST_SERVER_MODELS, withTestServer } from "./testing.ts";
import { MAX_OFFER_BYTES } from "./signalling.ts";
import type { PeerOptions } from "../webrtc/peer.ts";
import { decodeAudioFile } from "../../../decode/audio_file.ts";
import type { Engine } from "../../engine/engine.ts";
import { SimulatedClock } from "../../engine/clock.ts";
import { type Deliver, feedSimulated } from "../../engine/feed.ts";
import { melDeliver } from "../../cli/stream.ts";
import { runClient } from "../../../client/cli.ts";
import { EndedSchema, type MediaReceived } from "../../../protocol/control.ts";
import { corpusWer } from "../../../bench/metrics/wer.ts";
import { hasShared, sharedPath } from "../../../ffi/testing/shared.ts";
import { assert, assertEquals } from "../../../ffi/testing/assert.ts";
import type { VanishFigures } from "./vanish_testing.ts";

const JFK = "speech/jfk/jfk.wav";
const ignore = !hasShared(...TEST_SERVER_MODELS, JFK);

/** The test server with short disconnect and idle limits, and its parts passed positionally. */
function withServer(
  fn: (url: string, app: App, engine: Engine) => Promise<void>,
  maxSessions = 4,
  peer: PeerOptions = {},
): Promise<void> {
  return withTestServer(({ url, app, engine }) => fn(url, app, engine), {
    maxSessions,
    peer: { disconnectGraceMs: 500, idleTimeoutMs: 2_000, ...peer },
  });
}

/** What `ended` says the server received on the media track. */
function mediaReceived(messages: Record<string, unknown>[]): MediaReceived {
  const ended = EndedSchema.parse(messages.find((m) => m.type === "ended"));
  assert(ended.media, `ended without media: ${JSON.stringify(ended)}`);
  return ended.media;
}

function finalText(messages: Record<string, unknown>[]): string {
  return messages.filter((m) => m.type === "final").map((m) => m.text).join(" ").toLowerCase();
}

for (const transport of ["media", "audio", "mel"] as const) {
  Deno.test({
    name: `loopback over ${transport}: jfk.wav comes back as the known sentence`,
    ignore,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: () =>
      withServer(async (url, app, engine) => {
        const r = await runClient({
          url,
          file: sharedPath(JFK),
          transport,
          // At the speaker's pace, as a browser sends: the engine's real clock then sees what
          // the in-process real-time run sees. Accuracy mode (commits at pauses, full-window
          // finals) makes the text independent of how busy the machine is: this test is about
          // the transport; balanced mode's accuracy is the engine tests' business.
          realtime: true,
          mode: "accuracy",
          timeout: 120,
        });
        assertEquals(r.error, null);
        const types = r.messages.map((m) => m.type);
        assertEquals(types[0], "ready");
        assertEquals(types[types.length - 1], "ended");
        // `ended` says what came on the media track, and only a session with one has it: jfk in
        // 20 ms packets, none lost.
        const ended = EndedSchema.parse(r.messages[r.messages.length - 1]);
        assertEquals(
          ended.media && [ended.media.packets, ended.media.lost],
          transport === "media" ? [550, 0] : undefined,
        );
        // The same bound as the in-process engine's jfk test.
        const text = finalText(r.messages);
        const ref = Deno.readTextFileSync(sharedPath("speech/jfk/jfk.txt"));
        const wer = corpusWer([{ ref, hyp: text }]).wer;
        assert(wer < 0.15, `jfk WER ${wer} over ${transport}: ${text}`);
        assert(types.includes("intent"), "every final gets an intent");
        // Everything is freed once the session ended.
        for (let i = 0; i < 50 && (app.registry.size || app.peers); i++) {
          await new Promise((res) => setTimeout(res, 20));
        }
        assertEquals([app.registry.size, app.peers, engine.sessions], [0, 0, 0]);
      }),
  });
}

Deno.test({
  name: "bad signalling gets a 4xx with a clear message",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withServer(async (url) => {
      const post = async (body: BodyInit | null, type: string | null) => {
        const headers: Record<string, string> = type ? { "content-type": type } : {};
        const res = await fetch(`${url}/v1/sessions`, { method: "POST", body, headers });
        const j = await res.json();
        return [res.status, j.error as string] as const;
      };
      const cases: [BodyInit | null, string | null, number, string][] = [
        [null, "application/sdp", 400, "empty body"],
        ["", "application/sdp", 400, "empty body"],
        ["hello", "text/plain", 415, "Content-Type"],
        ["hello", null, 415, "Content-Type"],
        ["not sdp at all", "application/sdp", 400, "not an SDP offer"],
        ["v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", "application/sdp", 400, "neither"],
        [
          "v=0\r\ns=-\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n",
          "application/sdp",
          400,
          "neither",
        ],
        [
          "v=0\r\ns=-\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=rtpmap:0 PCMU/8000\r\n",
          "application/sdp",
          400,
          "no Opus",
        ],
        ["x".repeat(MAX_OFFER_BYTES + 10), "application/sdp", 413, "at most"],
        ["{not json", "application/json", 400, "not JSON"],
        ['{"sdp": 5}', "application/json", 400, "sdp"],
        ['{"sdp": "v=0", "config": {"mode": "turbo"}}', "application/json", 400, "config.mode"],
        ['{"sdp": "v=0", "extra": 1}', "application/json", 400, "extra"],
        [new Uint8Array([0xff, 0xfe, 0x00]), "application/sdp", 400, "UTF-8"],
      ];
      for (const [body, type, status, says] of cases) {
        const [s, e] = await post(body, type);
        assertEquals(s, status, `status for ${String(body).slice(0, 30)}`);
        assert(e.includes(says), `"${e}" should say "${says}"`);
      }
      // A valid-looking offer with a bad config reaches the engine's validation.
      const r = await runClient({
        url,
        file: sharedPath(JFK),
        transport: "audio",
        realtime: false,
        timeout: 30,
        model: "no-such-model",
      });
      assert(r.error?.includes("400"), r.error ?? "");
      const missing = await fetch(`${url}/v1/sessions/00000000-0000-0000-0000-000000000000`, {
        method: "DELETE",
      });
      assertEquals(missing.status, 404);
      await missing.body?.cancel();
      const wrong = await fetch(`${url}/v1/sessions`, { method: "GET" });
      assertEquals(wrong.status, 405);
      await wrong.body?.cancel();
    }),
});

Deno.test({
  name: "clients that vanish mid-utterance free their sessions: no leak across 50 sessions",
  ignore,
  fn: async () => {
    // In a process of its own: the parallel suite's other modules share this one's RSS.
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", new URL("./vanish_testing.ts", import.meta.url).pathname, JFK],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    assertEquals(out.code, 0, "the probe ran");
    const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
    const f: VanishFigures = JSON.parse(lines[lines.length - 1]);
    assertEquals(f.errors, []);
    assertEquals(f.left, [0, 0, 0], "all freed");
    // Sessions gave their decoding states back to the pool, which kept no more than its bound.
    assert(f.states.used === 0 && f.states.idle <= 4, JSON.stringify(f.states));
    // A live session holds 80–120 MB (tiny.en, measured): 50 leaked would be gigabytes. The probe
    // grew 70–110 MB (measured), the same after 20, 50, 100 or 150 sessions: the heap and the
    // allocator settling after the warm-up, not a leak that grows with sessions.
    assert(f.grownMb < 300, `RSS grew ${f.grownMb.toFixed(0)} MB over 50 vanished sessions`);
    console.log(`RSS grew ${f.grownMb.toFixed(1)} MB over 50 vanished sessions`);
  },
});

Deno.test({
  name: "10 % RTP loss: concealment keeps the audio clock true and the text close",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withServer(
      async (url) => {
        const r = await runClient({
          url,
          file: sharedPath(JFK),
          transport: "media",
          realtime: true,
          // Accuracy mode, as in the loopbacks: the text then does not depend on machine load.
          mode: "accuracy",
          timeout: 120,
        });
        assertEquals(r.error, null);
        // `ended` says what the server's jitter buffer made of it: a tenth of the packets lost.
        const media = mediaReceived(r.messages);
        const share = media.lost / (media.packets + media.lost);
        assert(share > 0.05 && share < 0.15, `lost ${media.lost} of ${media.packets + media.lost}`);
        const stats = r.messages.filter((m) => m.type === "stats");
        const endMs = stats[stats.length - 1].audioMs as number;
        // 11 s sent in 20 ms packets: every lost packet was filled with as much audio.
        const samples = (await decodeAudioFile(sharedPath(JFK))).samples.length;
        const sentMs = Math.ceil(samples / 320) * 20;
        assert(Math.abs(endMs - sentMs) <= 100, `audio clock ${endMs} ms, sent ${sentMs} ms`);
        const text = finalText(r.messages);
        const ref = Deno.readTextFileSync(sharedPath("speech/jfk/jfk.txt"));
        const wer = corpusWer([{ ref, hyp: text }]).wer;
        assert(wer < 0.3, `jfk WER ${wer} at 10 % loss: ${text}`);
      },
      4,
      { inboundLossPercent: 10 },
    ),
});

const LONGFORM = "speech/longform/librispeech-test-other-spk1688";
/** The loopback test's policy over accuracy's preset: each closing decode hears its segment only. */
const POLICY = { contextMs: 0, finalContextMs: 0 };

Deno.test({
  name: "loopback on a longform file: every transport comes within 3 WER points of the engine",
  ignore: ignore || !hasShared(`${LONGFORM}.flac`),
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withServer(async (url, _app, engine) => {
      // Accuracy mode: each segment's text comes from its closing decode, so the text depends on
      // the input alone, not on timing; here without the earlier segments as context (`POLICY`),
      // so a segment boundary the decoded Opus audio puts elsewhere changes one segment's text,
      // not the next ones' too. The client sends faster than real time. The in-process
      // references take what each transport carries: samples, or the privacy mode's mel frames
      // (quantized as a client does), whose accuracy against samples is the engine's business.
      const file = sharedPath(`${LONGFORM}.flac`);
      const ref = Deno.readTextFileSync(sharedPath(`${LONGFORM}.txt`));
      const samples = (await decodeAudioFile(file)).samples;
      const inProcess = async (deliver?: Deliver) => {
        const finals: string[] = [];
        const clock = new SimulatedClock();
        const session = await engine.open({ mode: "accuracy", overrides: POLICY, clock });
        const reading = (async () => {
          for await (const e of session) if (e.type === "final") finals.push(e.text);
        })();
        await feedSimulated(session, samples, clock, undefined, deliver);
        await session.close();
        await reading;
        return corpusWer([{ ref, hyp: finals.join(" ") }]).wer;
      };
      const pcm = await inProcess();
      const mel = await inProcess(melDeliver());
      const figures = [`in process: samples ${pct(pcm)}, mel ${pct(mel)}`];
      for (const transport of ["media", "audio", "mel"] as const) {
        const r = await runClient({
          url,
          file,
          transport,
          mode: "accuracy",
          overrides: POLICY,
          timeout: 300,
        });
        assertEquals(r.error, null, transport);
        if (transport === "media") {
          // The client paces its packets (`client/pacer.ts`): the loopback loses none, even on a
          // loaded machine, so the text cannot be worse for missing audio.
          const media = mediaReceived(r.messages);
          assert(media.lost === 0, `media: ${media.lost} of ${media.packets} RTP packets lost`);
        }
        const wer = corpusWer([{ ref, hyp: finalText(r.messages) }]).wer;
        figures.push(`${transport} ${pct(wer)}`);
        const base = transport === "mel" ? mel : pcm;
        // Not the 1 point the service aims at: whisper.cpp's result for the same audio depends
        // on what the decoding state decoded before (a full-window decode after one with
        // audio_ctx 256 or 512 came out differently), and rolling decodes fall where timing puts
        // them, so the same file over the same transport scored 5.08–7.91 % here against
        // 5.65–6.21 % in process. The bound catches a transport that loses audio, not that noise.
        assert(wer <= base + 0.03, `${transport}: WER ${wer} against ${base} in process`);
      }
      console.log(`spk1688 WER: ${figures.join(", ")}`);
    }),
});

function pct(x: number): string {
  return `${(x * 100).toFixed(2)} %`;
}
