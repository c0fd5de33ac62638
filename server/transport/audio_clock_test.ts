/**
 * Loopback WebRTC tests of a session's audio clock and of audio that stops (issue 17): a media
 * track that goes quiet while the transcript channel stays open gets its open segment finalized
 * (and an idle timeout sends `final` before `ended`), and junk Opus payloads move the audio clock
 * by their RTP timestamps, not by what they claim. The client is a bare werift peer writing RTP
 * packets itself, so the test decides every packet's payload, timestamp and timing.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import {
  MediaStreamTrack,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  RtpHeader,
  RtpPacket,
} from "werift";
import { connectOffer, TEST_SERVER_MODELS, withTestServer } from "./http/testing.ts";
import { CHANNELS } from "../../protocol/control.ts";
import { decodeAudioFile } from "../../decode/audio_file.ts";
import { OpusEncoder } from "../../ffi/opus/mod.ts";
import { prng } from "../../ffi/testing/signal.ts";
import { hasShared, sharedPath } from "../../ffi/testing/shared.ts";
import { assert, assertEquals } from "../../ffi/testing/assert.ts";

const JFK = "speech/jfk/jfk.wav";
const ignore = !hasShared(...TEST_SERVER_MODELS, JFK);

type Message = Record<string, unknown> & { at: number };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A client with an Opus media track and the transcript channel; it writes RTP packets itself. */
async function mediaClient(url: string, mode: string) {
  const pc = new RTCPeerConnection({
    codecs: {
      audio: [
        new RTCRtpCodecParameters({ mimeType: "audio/opus", clockRate: 48_000, channels: 2 }),
      ],
    },
  });
  const track = new MediaStreamTrack({ kind: "audio" });
  pc.addTransceiver(track, { direction: "sendonly" });
  const transcript = pc.createDataChannel(CHANNELS.transcript);
  const got: Message[] = [];
  transcript.onMessage.subscribe((d) => {
    if (typeof d === "string") got.push({ ...JSON.parse(d), at: performance.now() });
  });
  await pc.setLocalDescription(await pc.createOffer());
  for (let i = 0; i < 200 && pc.iceGatheringState !== "complete"; i++) await sleep(25);
  const body = await connectOffer(url, pc, { mode });
  for (let i = 0; i < 200 && !got.some((m) => m.type === "ready"); i++) await sleep(50);
  assert(got.some((m) => m.type === "ready"), "ready");
  const payloadType = pc.getTransceivers()[0].sender.codec?.payloadType ?? 111;
  let seq = 4_000, ts = 0xffff_0000; // the timestamp wraps 1.4 s in
  /** Sends one packet; the timestamp then advances by `step` (48 kHz units). */
  const send = (payload: Uint8Array, step = 960) => {
    const header = new RtpHeader({ payloadType, sequenceNumber: seq, timestamp: ts, ssrc: 7 });
    track.writeRtp(new RtpPacket(header, Buffer.from(payload)));
    seq = (seq + 1) & 0xffff;
    ts = (ts + step) >>> 0;
  };
  const waitFor = async (pred: () => boolean, ms = 30_000) => {
    for (const t0 = performance.now(); !pred() && performance.now() - t0 < ms;) await sleep(20);
    return pred();
  };
  /** The session as `GET /v1/sessions/<id>` shows it. */
  const status = async () => await (await fetch(`${url}/v1/sessions/${body.sessionId}`)).json();
  return { pc, transcript, got, send, waitFor, status };
}

Deno.test({
  name: "a media track that stops while the transcript channel stays open: the open segment's " +
    "final comes after the end-of-speech silence, and the idle timeout's `ended` after it",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTestServer(async ({ url }) => {
      // The outside tester's case: 6 s of jfk at the speaker's pace, then the track goes quiet
      // (muted, a tab in the background) while the transcript channel stays open.
      const c = await mediaClient(url, "balanced");
      const audio = (await decodeAudioFile(sharedPath(JFK))).samples.subarray(0, 6 * 16_000);
      using enc = new OpusEncoder({ rate: 16_000 });
      const t0 = performance.now();
      for (let i = 0, n = 0; i < audio.length; i += 320, n++) {
        c.send(enc.encode(audio.subarray(i, i + 320)));
        const wait = (n + 1) * 20 - (performance.now() - t0);
        if (wait > 0) await sleep(wait);
      }
      const stoppedAt = performance.now();
      // The server sees the audio stop once the end-of-speech silence (600 ms) has passed; the
      // session lives on until the idle timeout (4 s here).
      let stops = 0;
      for (let i = 0; i < 60 && stops < 1; i++) {
        await sleep(50);
        const s = await c.status();
        stops = s.counters?.audioStops ?? -1;
        if (stops < 0) break;
      }
      assertEquals(stops, 1, "the audio stop was seen while the session was open");
      assert(await c.waitFor(() => c.got.some((m) => m.type === "ended"), 30_000), "ended");
      const ended = c.got.find((m) => m.type === "ended")!;
      assertEquals(ended.reason, "timeout");
      assertEquals(c.got.at(-1)?.type, "ended");
      // jfk's "what your country" (from 5.4 s) was open when the audio stopped: the final of its
      // segment came from the stop, before the session's end (whose last stats event says "end
      // of input").
      const open = c.got.find((m) => m.type === "final" && (m.endMs as number) >= 5_400);
      assert(open, "the open segment was finalized");
      const endOfInput = c.got.find((m) => m.type === "stats" && /^end of input/.test(`${m.note}`));
      assert(
        endOfInput && (open.seq as number) < (endOfInput.seq as number),
        "final before the end",
      );
      const afterMs = open.at - stoppedAt;
      assert(afterMs >= 600, `final ${afterMs} ms after the last packet: not before 600 ms`);
      // (How soon after 600 ms it comes is the decode's time: on a loaded machine, seconds.)
      console.log(
        `media track quiet after 6 s of jfk: final "${open.text}" ${
          Math.round(afterMs)
        } ms after the last packet, ended {timeout} ${
          Math.round(ended.at - stoppedAt)
        } ms after it`,
      );
      await c.pc.close();
    }, { peer: { idleTimeoutMs: 4_000 } }),
});

Deno.test({
  name: "junk Opus payloads that claim 120 ms on packets 20 ms apart move the session's clock " +
    "20 ms each, counted as mismatched",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTestServer(async ({ url, app }) => {
      const c = await mediaClient(url, "latency");
      const rng = prng(17);
      const N = 500;
      // Random bytes behind a TOC of six 20 ms CELT frames (code 3, CBR): libopus decodes each to
      // 120 ms of noise. Sent at 5× the speaker's pace.
      const t0 = performance.now();
      for (let n = 0; n < N; n++) {
        const p = new Uint8Array(2 + 6 * 20).map(() => Math.floor(rng() * 256));
        p[0] = 0xfb;
        p[1] = 6;
        c.send(p);
        const wait = (n + 1) * 4 - (performance.now() - t0);
        if (wait > 0) await sleep(wait);
      }
      // Every packet counted, and the engine done with the audio they carry (it may still be
      // decoding the noise when the last packet arrives): the clock has not moved for 3 s, longer
      // than any one decode here.
      let last = -1;
      let still = 0;
      const settled = async () => {
        const s = await c.status();
        still = s.audioMs === last ? still + 1 : 0;
        last = s.audioMs;
        return s.counters.media.packets >= N && still >= 15;
      };
      for (let i = 0; i < 200 && !(await settled()); i++) await sleep(200);
      const s = await c.status();
      const m = s.counters.media;
      console.log(
        `${N} junk packets (120 ms claimed, 20 ms apart): audio clock ${s.audioMs} ms ` +
          `(${N * 20} ms of RTP time), media ${JSON.stringify(m)}`,
      );
      assertEquals(m.packets, N, "every packet arrived (loopback)");
      // Every packet's time is its timestamp step; the last one's own 120 ms is not yet cut.
      assertEquals(s.audioMs, (N - 1) * 20 + 120);
      assertEquals([m.mismatched, m.mismatchedMs], [N - 1, (N - 1) * 100]);
      c.transcript.send('{"v":1,"type":"end"}');
      assert(await c.waitFor(() => c.got.some((x) => x.type === "ended")), "ended");
      await c.pc.close();
      for (let i = 0; i < 100 && app.registry.size; i++) await sleep(50);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      assert(
        metrics.includes(`hum_media_packets_total{outcome="mismatched"} ${N - 1}`),
        "the metric counts them",
      );
    }),
});
