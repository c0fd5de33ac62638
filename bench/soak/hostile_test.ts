import { type ServiceOptions, wireService } from "../../server/cli/wire.ts";
import { Engine } from "../../server/engine/engine.ts";
import { fakeTranscribers, JFK_WORDS } from "../../server/engine/testing.ts";
import type { App } from "../../server/transport/http/app.ts";
import type { SessionRegistry } from "../../server/session/registry.ts";
import { hasShared, sharedPath } from "../../ffi/testing/shared.ts";
import { assert, assertEquals } from "../../ffi/testing/assert.ts";
import { pause, repeat, Tally } from "./tally.ts";
import { runTrickler, statusOf, trickleHead } from "./trickle.ts";
import { postAndLeave } from "./unconnected.ts";
import { sendOversized } from "./oversized.ts";
import { junkPacket, junkSession } from "./junk_rtp.ts";
import { runHostile } from "./hostile.ts";
import { withoutMessageLimit } from "./peer.ts";

const VAD = "models/ggml-silero-v5.1.2.bin";
const ignore = !hasShared(VAD);

/**
 * Runs `fn` against the real HTTP app and WebRTC transport on loopback, its sessions decoding
 * with a fake transcriber (no whisper; the VAD is real).
 */
async function withFakeService(
  opts: ServiceOptions,
  fn: (url: string, app: App<SessionRegistry>) => Promise<void>,
): Promise<void> {
  const engine = new Engine({
    vadModel: sharedPath(VAD),
    transcribers: fakeTranscribers({ script: JFK_WORDS }),
  });
  const { app } = wireService(engine, { refuseWhenOverloaded: false, ...opts });
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, app.handle);
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`, app);
  } finally {
    await app.close();
    await server.shutdown();
    await engine.close();
  }
}

/** Waits until `done()` (checked every 50 ms, at most `ms`); returns whether it came true. */
async function until(done: () => boolean, ms: number): Promise<boolean> {
  for (const t0 = performance.now(); !done();) {
    if (performance.now() - t0 > ms) return false;
    await pause(50, new AbortController().signal);
  }
  return true;
}

Deno.test("tally: counts by name, keeps a few error messages, reports in name order", () => {
  const t = new Tally("x");
  t.add("b");
  t.add("a", 3);
  t.add("b");
  for (let i = 0; i < 15; i++) t.error(new Error(`e${i}`));
  const r = t.report();
  assertEquals(Object.entries(r.counts), [["a", 3], ["b", 2]]);
  assertEquals([r.errors, r.error_samples.length, r.error_samples[0]], [15, 10, "e0"]);
});

Deno.test("repeat: a throw is counted, not passed on, and the loop goes on until aborted", async () => {
  const t = new Tally("x");
  const ac = new AbortController();
  let calls = 0;
  await repeat(t, 1, ac.signal, () => {
    if (++calls === 3) ac.abort();
    return Promise.reject(new Error("boom"));
  });
  assertEquals([calls, t.report().errors, t.report().error_samples[0]], [3, 3, "boom"]);
});

Deno.test("trickle: the head states a multipart upload; statusOf reads an answer's first line", () => {
  const head = trickleHead(new URL("http://127.0.0.1:9/"), 1000);
  assert(head.startsWith("POST /v1/audio/transcriptions HTTP/1.1\r\nHost: 127.0.0.1:9\r\n"));
  assert(head.includes("Content-Length: 1000\r\n"));
  assert(head.includes('name="file"; filename="slow.wav"'));
  assertEquals(statusOf("HTTP/1.1 408 Request Timeout\r\n"), 408);
  assertEquals(statusOf("HTTP/1.1 40"), null);
  assertEquals(statusOf("garbage\r\n"), 0);
});

Deno.test("trickle: a body cut off with a 408 is counted and the upload opened again", async () => {
  // A server that answers 408 once it has 3 bytes of body past the part header.
  const partEnd = trickleHead(new URL("http://x/"), 1).split("\r\n\r\n").slice(1).join("\r\n\r\n");
  let requests = 0;
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, async (req) => {
    requests++;
    const reader = req.body!.getReader();
    let got = 0;
    while (got < partEnd.length + 3) {
      const { value, done } = await reader.read();
      if (done) break;
      got += value.length;
    }
    reader.cancel().catch(() => {});
    return new Response("too slow", { status: 408 });
  });
  const ac = new AbortController();
  const tally = new Tally("trickle");
  const url = `http://127.0.0.1:${server.addr.port}`;
  const running = runTrickler({ url, byteEverySeconds: 0.02 }, ac.signal, tally);
  try {
    assert(await until(() => tally.get("status_408") >= 2, 20_000), JSON.stringify(tally.report()));
  } finally {
    ac.abort();
    await running;
    await server.shutdown();
  }
  const r = tally.report();
  assert(r.counts.connections >= 2 && requests >= 2, JSON.stringify(r));
  assert(r.counts.bytes_sent > 2 * partEnd.length, "the head and the trickled bytes are counted");
  assertEquals(r.errors, 0);
});

Deno.test({
  name: "unconnected POST: a real offer is admitted (201) and left unconnected; a full server 503s",
  ignore,
  fn: () =>
    withFakeService({ maxSessions: 1 }, async (url, app) => {
      const t = new Tally("unconnected_post");
      assertEquals(await postAndLeave(url, t), 201);
      // The server holds a session nobody will connect to: the hole this client probes.
      assertEquals(app.registry.size, 1);
      assertEquals(await postAndLeave(url, t), 503);
      assertEquals(t.report().counts, { offers: 2, status_201: 1, status_503: 1 });
    }),
});

Deno.test({
  name: "oversized: a connected session sends one message past the limit and sees the error",
  ignore,
  fn: () =>
    withFakeService({ maxMessageBytes: 64 * 1024 }, async (url) => {
      const t = new Tally("oversized");
      await sendOversized({ url, bytes: 1_000_000, waitS: 2 }, t);
      const r = t.report();
      assertEquals(r.errors, 0, JSON.stringify(r));
      assertEquals([r.counts.connected, r.counts.sent, r.counts.bytes_sent], [1, 1, 1_000_000]);
      assertEquals(r.counts.error_message_too_large, 1, JSON.stringify(r));
      assertEquals(r.counts.stalled_at_leave, undefined, "the message went out whole");
    }),
});

Deno.test("junk RTP: packets 20 ms apart in RTP time, in sequence, with random payloads", () => {
  const start = { seq: 0xfffe, ts: 0xffffffff - 960, ssrc: 7 };
  const ps = [0, 1, 2, 3].map((n) => junkPacket(n, start, 111));
  assertEquals(ps.map((p) => p.header.sequenceNumber), [0xfffe, 0xffff, 0, 1]);
  assertEquals(ps.map((p) => p.header.timestamp), [0xffffffff - 960, 0xffffffff, 959, 1919]);
  assertEquals(ps.map((p) => [p.header.payloadType, p.header.ssrc]), Array(4).fill([111, 7]));
  assert(ps.every((p) => p.payload.length >= 1 && p.payload.length <= 300));
});

Deno.test({
  name: "junk RTP: a session connects, sends random payloads on its Opus track, and leaves",
  ignore,
  fn: () =>
    withFakeService({}, async (url, app) => {
      const t = new Tally("junk_rtp");
      await junkSession({ url, sessionS: 1.5, pauseS: 0 }, t, new AbortController().signal);
      const r = t.report();
      assertEquals(r.errors, 0, JSON.stringify(r));
      assertEquals(r.counts.connected, 1, JSON.stringify(r));
      assert(r.counts.packets_sent >= 40, JSON.stringify(r));
      assert(await until(() => app.registry.size === 0, 15_000), "the junk session was freed");
    }),
});

Deno.test({
  name: "runHostile: every kind runs, bounded, until aborted, and reports apart",
  ignore,
  fn: () =>
    withFakeService({ maxMessageBytes: 64 * 1024 }, async (url) => {
      const ac = new AbortController();
      const running = runHostile(
        {
          trickle: { clients: 2, byte_every_s: 0.5 },
          unconnected_post: { every_s: 1 },
          oversized: { every_s: 2, bytes: 200_000, wait_s: 1 },
          junk_rtp: { clients: 1, session_s: 1, pause_s: 0.5 },
        },
        url,
        ac.signal,
      );
      await pause(3_000, new AbortController().signal);
      ac.abort();
      const reports = await running;
      assertEquals(Object.keys(reports).sort(), [
        "junk_rtp",
        "oversized",
        "trickle",
        "unconnected_post",
      ]);
      assertEquals(reports.trickle.counts.connections, 2, JSON.stringify(reports.trickle));
      assert(reports.unconnected_post.counts.status_201 >= 1, JSON.stringify(reports));
      assert(reports.oversized.counts.sessions >= 1, JSON.stringify(reports));
      assert(reports.junk_rtp.counts.sessions >= 1, JSON.stringify(reports));
    }),
});

Deno.test("withoutMessageLimit: the answer's message limit becomes 0 (none), or is added", () => {
  const m = "v=0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=sctp-port:5000\r\n";
  assertEquals(
    withoutMessageLimit(m + "a=max-message-size:65536\r\n"),
    m + "a=max-message-size:0\r\n",
  );
  assertEquals(
    withoutMessageLimit(m),
    "v=0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=max-message-size:0\r\n" +
      "a=sctp-port:5000\r\n",
  );
});
