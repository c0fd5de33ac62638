/**
 * Data-channel messages over the server's limit, from a hostile client: one that ignores the
 * answer's `a=max-message-size` and the SCTP receive window. The server must refuse such a
 * message while it is still arriving (holding at most the limit of it, not the whole message),
 * tell the client with a `message_too_large` error event, and serve on: the same session's
 * channels, and a second session beside it.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { RTCPeerConnection } from "werift";
import { connectOffer, TEST_SERVER_MODELS, withTestServer } from "./http/testing.ts";
import { pcm16Frame } from "../../protocol/audio_frames.ts";
import { CHANNELS } from "../../protocol/control.ts";
import { hasShared } from "../../ffi/testing/shared.ts";
import { assert, assertEquals } from "../../ffi/testing/assert.ts";

const ready = hasShared(...TEST_SERVER_MODELS);
const LIMIT = 64 * 1024;
/** Largest DATA chunk payload werift sends. */
const CHUNK = 1_200;

type Message = Record<string, unknown>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A session over data channels. `hostile`: the client sends past the answer's max-message-size
 * and ignores the server's receive window (as a raw SCTP stack could). `ordered`: of `audio`.
 */
async function session(url: string, hostile: boolean, ordered = true) {
  const pc = new RTCPeerConnection();
  const transcript = pc.createDataChannel(CHANNELS.transcript);
  const audio = pc.createDataChannel(CHANNELS.audio, { ordered });
  const got: Message[] = [];
  transcript.onMessage.subscribe((d) => typeof d === "string" && got.push(JSON.parse(d)));
  await pc.setLocalDescription(await pc.createOffer());
  const answer = await connectOffer(url, pc);
  assert(/a=max-message-size:65536/.test(answer.sdp), "the answer states the limit");
  for (let i = 0; i < 200 && [transcript, audio].some((c) => c.readyState !== "open"); i++) {
    await sleep(50);
  }
  assertEquals([transcript.readyState, audio.readyState], ["open", "open"]);
  if (hostile) {
    const sctp = pc.sctpTransport!;
    sctp.remoteMaxMessageSize = 0;
    // werift's sender stops at the peer's window (a getter on its prototype): this one never does.
    Object.defineProperty(sctp.sctp, "peerRwnd", { get: () => 1 << 30 });
  }
  const waitFor = async (pred: () => boolean, what: string, ms = 60_000) => {
    for (let t = 0; t < ms && !pred(); t += 50) await sleep(50);
    assert(pred(), `timed out waiting for ${what}; got ${JSON.stringify(got.slice(-3))}`);
  };
  let pings = 0;
  /** Pings and waits for its pong. */
  const ping = async () => {
    const id = `p${pings++}`;
    transcript.send(JSON.stringify({ v: 1, type: "ping", id }));
    await waitFor(() => got.some((m) => m.type === "pong" && m.id === id), `pong ${id}`);
  };
  const errors = () => got.filter((m) => m.type === "error");
  return { pc, transcript, audio, got, waitFor, ping, errors };
}

Deno.test({
  name:
    "a data-channel message over the limit is refused while it arrives (at most the limit held); the session and a second one go on",
  ignore: !ready,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTestServer(async ({ url, app }) => {
      const honest = await session(url, false);
      const hostile = await session(url, true);
      await hostile.ping();

      // 4 MB on `audio`: refused once more than the limit of it has come.
      hostile.audio.send(Buffer.alloc(4 * 1024 * 1024, 0));
      await hostile.waitFor(() => hostile.errors().length >= 1, "the first refusal");
      // 2 MB of text on `transcript`.
      hostile.transcript.send("x".repeat(2 * 1024 * 1024));
      await hostile.waitFor(() => hostile.errors().length >= 2, "the second refusal");
      const refusals = hostile.errors();
      for (const [i, channel] of ["audio", "transcript"].entries()) {
        const e = refusals[i];
        assertEquals([e.code, e.recoverable], ["message_too_large", true]);
        const m = /on "(\w+)" was refused while arriving: (\d+) bytes of it had come/.exec(
          String(e.message),
        );
        assert(m, `the error says the message was refused as it arrived: ${e.message}`);
        assertEquals(m[1], channel);
        // Held: past the limit by at most one chunk, never the whole message.
        const held = Number(m[2]);
        assert(held > LIMIT && held <= LIMIT + CHUNK, `${held} bytes held of it`);
      }

      // The session goes on: it answers, and takes audio on the same channel.
      await hostile.ping();
      hostile.audio.send(Buffer.from(pcm16Frame(0, new Float32Array(1_600))));
      await hostile.ping();
      assertEquals(hostile.errors().length, 2, "the frame after the refusals is taken");
      // The session beside it saw nothing of it.
      await honest.ping();
      assertEquals(honest.errors(), []);
      assertEquals(app.registry.size, 2);

      for (const c of [hostile, honest]) {
        c.transcript.send('{"v":1,"type":"end"}');
        await c.waitFor(() => c.got.some((m) => m.type === "ended"), "ended");
        assertEquals(c.got.at(-1)?.reason, "end");
        await c.pc.close();
      }
      for (let i = 0; i < 100 && (app.registry.size || app.peers); i++) await sleep(50);
      assertEquals([app.registry.size, app.peers], [0, 0]);
    }, { service: { maxMessageBytes: LIMIT } }),
});

Deno.test({
  name:
    "unordered fragments over the limit end the session (error event, ended with reason error); the session beside it goes on",
  ignore: !ready,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTestServer(async ({ url, app }) => {
      const honest = await session(url, false);
      const hostile = await session(url, true, false);
      await hostile.ping();
      hostile.audio.send(Buffer.alloc(4 * 1024 * 1024, 0));
      await hostile.waitFor(() => hostile.got.some((m) => m.type === "ended"), "ended");
      const e = hostile.errors().at(-1)!;
      assertEquals(e.code, "message_too_large");
      assert(/unordered messages over 65536 bytes/.test(String(e.message)), String(e.message));
      assertEquals(hostile.got.at(-1)?.reason, "error");
      await hostile.pc.close();
      for (let i = 0; i < 100 && app.registry.size > 1; i++) await sleep(50);
      assertEquals(app.registry.size, 1, "the hostile session is freed");
      await honest.ping();
      assertEquals(honest.errors(), []);
      honest.transcript.send('{"v":1,"type":"end"}');
      await honest.waitFor(() => honest.got.some((m) => m.type === "ended"), "ended");
      await honest.pc.close();
    }, { service: { maxMessageBytes: LIMIT } }),
});
