/**
 * Sessions over one WebSocket (`GET /v1/sessions/ws`), against the real service on loopback:
 * jfk as PCM16 frames gives its sentence and the session ends cleanly on `end`; bad input on the
 * socket gets error events and the session goes on; refusals come before the upgrade with a
 * status and a reason; a client that vanishes frees its session; keys guard the route.
 *
 * @module
 */

import { TEST_SERVER_MODELS, withTestServer } from "../http/testing.ts";
import { decodeAudioFile } from "../../../decode/audio_file.ts";
import { pcm16Frame } from "../../../protocol/audio_frames.ts";
import { normalizeEnglish } from "../../../bench/metrics/normalize_en.ts";
import { hasShared, sharedPath } from "../../../ffi/testing/shared.ts";
import { assert, assertEquals } from "../../../ffi/testing/assert.ts";
import { frameChannel } from "./socket.ts";

const JFK = "speech/jfk/jfk.wav";
const ignore = !hasShared(...TEST_SERVER_MODELS, JFK);

type Message = Record<string, unknown>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A socket to `url`'s session route with `query`; resolves once the session said `ready`, with
 * what it receives.
 */
async function openSocket(url: string, query = "mode=latency", headers?: HeadersInit) {
  const ws = new WebSocket(`${url.replace(/^http/, "ws")}/v1/sessions/ws?${query}`, {
    headers,
  } as unknown as string[]);
  const got: Message[] = [];
  let closeCode = -1;
  ws.binaryType = "arraybuffer";
  ws.onmessage = (e) => got.push(JSON.parse(e.data as string));
  const closed = new Promise<void>((r) =>
    ws.addEventListener("close", (e) => {
      closeCode = e.code;
      r();
    })
  );
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = (e) => reject(new Error(`socket failed: ${(e as ErrorEvent).message}`));
  });
  const waitFor = async (pred: () => boolean, ms = 60_000) => {
    for (const t0 = performance.now(); !pred() && performance.now() - t0 < ms;) await sleep(20);
    return pred();
  };
  assert(await waitFor(() => got.some((m) => m.type === "ready")), "ready");
  return { ws, got, closed, waitFor, closeCode: () => closeCode };
}

/** jfk as 100 ms PCM16 frames, numbered from 0. */
async function jfkFrames(): Promise<Uint8Array[]> {
  const samples = (await decodeAudioFile(sharedPath(JFK))).samples;
  const frames: Uint8Array[] = [];
  for (let i = 0, seq = 0; i < samples.length; i += 1_600, seq++) {
    frames.push(pcm16Frame(seq, samples.subarray(i, i + 1_600)));
  }
  return frames;
}

Deno.test("frameChannel: mel frames go to the mel channel, everything else to audio", () => {
  assertEquals(frameChannel(new Uint8Array([1, 2, 0, 0, 0, 0, 0, 0])), "mel");
  assertEquals(frameChannel(new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0])), "audio");
  assertEquals(frameChannel(new Uint8Array([1, 1, 0, 0, 0, 0, 0, 0])), "audio");
  assertEquals(frameChannel(new Uint8Array([1, 2])), "audio");
});

Deno.test({
  name: "WebSocket session: jfk as PCM16 frames, with garbage between them, gives its sentence; " +
    "`end` finalizes, sends `ended` and the server closes the socket (1000)",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTestServer(async ({ url, app }) => {
      const c = await openSocket(url, "mode=latency");
      const ready = c.got.find((m) => m.type === "ready")!;
      assertEquals(ready.mode, "latency");
      const status = await (await fetch(`${url}/v1/sessions/${ready.sessionId}`)).json();
      assertEquals(status.transport, "websocket");
      assertEquals(app.sockets, 1);
      const frames = await jfkFrames();
      for (const [i, f] of frames.entries()) {
        c.ws.send(f);
        if (i === 20) {
          c.ws.send("not json");
          c.ws.send(new Uint8Array([9, 9, 9]));
        }
        // Twice real time: the session takes audio sent ahead of the speaker's pace.
        await sleep(50);
      }
      c.ws.send(JSON.stringify({ v: 1, type: "end" }));
      await c.closed;
      assertEquals(c.closeCode(), 1000);
      const types = c.got.map((m) => m.type);
      assertEquals(types.at(-1), "ended");
      const errors = c.got.filter((m) => m.type === "error").map((m) => m.code);
      assertEquals(errors.sort(), ["bad_frame", "bad_message"]);
      const text = c.got.filter((m) => m.type === "final").map((m) => m.text).join(" ");
      const norm = normalizeEnglish(text);
      assert(
        norm.includes("ask not what your country can do for you"),
        `finals over WebSocket: "${text}"`,
      );
      // Numbered as over WebRTC: seq counts every event from 0.
      const seqs = c.got.filter((m) => typeof m.seq === "number").map((m) => m.seq as number);
      assertEquals(seqs, seqs.map((_, i) => i));
      assert(await c.waitFor(() => app.sockets === 0 && app.registry.size === 0, 5_000));
    }),
});

Deno.test({
  name: "WebSocket session: refusals before the upgrade (not a WebSocket 426, a bad query 400, " +
    "no key 401); a client that vanishes mid-speech frees its session",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTestServer(async ({ url, app }) => {
      const plain = await fetch(`${url}/v1/sessions/ws`);
      assertEquals(plain.status, 426);
      assert((await plain.json()).error.includes("WebSocket"));
      for (
        const [query, says] of [
          ["mode=fast", "mode"],
          ["overrides=%7Bnope", "not JSON"],
          ["overrides=%7B%22minChunkMs%22%3A5%7D", "minChunkMs"],
          ["colour=blue", "colour"],
          ["model=nope", "unknown model"],
          // The cascade's closing model is one the server serves too: no file path from a client.
          ["overrides=%7B%22closingModel%22%3A%22%2Fetc%2Fpasswd%22%7D", "unknown closingModel"],
        ]
      ) {
        const r = await fetch(`${url}/v1/sessions/ws?${query}`, {
          headers: { upgrade: "websocket", connection: "upgrade" },
        });
        assertEquals(r.status, 400, query);
        const body = await r.json();
        assert(body.error.includes(says), `${query}: ${body.error}`);
      }
      assertEquals(app.registry.size, 0);
      const c = await openSocket(url, "mode=balanced");
      const frames = await jfkFrames();
      for (const f of frames.slice(0, 30)) c.ws.send(f);
      c.ws.close();
      assert(
        await c.waitFor(() => app.registry.size === 0 && app.sockets === 0, 10_000),
        "the vanished client's session is freed",
      );
    }, { service: { apiKeys: undefined } }),
});

Deno.test({
  name: "WebSocket session with API keys: none is a 401 before the upgrade; a valid key opens it",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const { ApiKeys } = await import("../http/auth.ts");
    const apiKeys = await ApiKeys.fromList("alice:secret-key-0123456789", {
      maxSessions: 2,
      maxUploads: 2,
    });
    await withTestServer(async ({ url, app }) => {
      const r = await fetch(`${url}/v1/sessions/ws`, {
        headers: { upgrade: "websocket", connection: "upgrade" },
      });
      assertEquals(r.status, 401);
      await r.body?.cancel();
      const c = await openSocket(url, "mode=latency", {
        authorization: "Bearer secret-key-0123456789",
      });
      c.ws.send(JSON.stringify({ v: 1, type: "end" }));
      await c.closed;
      assert(await c.waitFor(() => app.registry.size === 0, 5_000));
    }, { service: { apiKeys } });
  },
});

Deno.test({
  name: "the CLI client's --transport ws: jfk over a WebSocket, every message in the protocol; " +
    "a refused session is the run's error",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTestServer(async ({ url }) => {
      const { runClient } = await import("../../../client/cli.ts");
      const r = await runClient({
        url,
        file: sharedPath(JFK),
        transport: "ws",
        mode: "balanced",
        clock: "client",
        timeout: 60,
      });
      assertEquals(r.error, null);
      assert(r.location?.includes("/v1/sessions/"), String(r.location));
      const text = r.messages.filter((m) => m.type === "final").map((m) => m.text).join(" ");
      assert(
        normalizeEnglish(text).includes("what your country can do for you ask what you can do"),
        `finals through the client: "${text}"`,
      );
      assertEquals(r.messages.at(-1)?.type, "ended");
      const refused = await runClient({
        url,
        file: sharedPath(JFK),
        transport: "ws",
        model: "no-such-model",
        timeout: 30,
      });
      assert(refused.error?.includes("before the session began"), String(refused.error));
    }),
});

Deno.test({
  name: "WebSocket session: admission refuses past the limit (503 before the upgrade); a drain " +
    "finalizes the open session, sends `ended` (shutdown) and closes the socket",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTestServer(async ({ url, app }) => {
      const c = await openSocket(url, "mode=latency");
      const full = await fetch(`${url}/v1/sessions/ws?mode=latency`, {
        headers: { upgrade: "websocket", connection: "upgrade" },
      });
      assertEquals(full.status, 503);
      const body = await full.json();
      assertEquals(body.reason, "full");
      assert(full.headers.has("retry-after"));
      const frames = await jfkFrames();
      for (const f of frames.slice(0, 60)) c.ws.send(f);
      // Six seconds of jfk are in; the server drains.
      await c.waitFor(() => c.got.some((m) => m.type === "partial" || m.type === "commit"));
      await app.registry.drain(2_000);
      await c.closed;
      assertEquals(c.closeCode(), 1000);
      const ended = c.got.find((m) => m.type === "ended");
      assertEquals(ended?.reason, "shutdown");
      assert(c.got.some((m) => m.type === "final"), "the open segment was finalized");
    }, { maxSessions: 1 }),
});
