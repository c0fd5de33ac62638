/**
 * `POST /v1/realtime/calls` refuses what it cannot answer with a status and a message, before any
 * peer connection or session exists; a werift client speaking the call (Opus track, `oai-events`
 * channel, a multipart offer whose `session` part is applied first) gets Realtime events.
 *
 * @module
 */

import { RTCPeerConnection } from "werift";
import { TEST_SERVER_MODELS, withTestServer } from "../http/testing.ts";
import { hasShared } from "../../../ffi/testing/shared.ts";
import { assert, assertEquals } from "../../../ffi/testing/assert.ts";

const ignore = !hasShared(...TEST_SERVER_MODELS);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test({
  name: "Realtime calls: bad offers are refused with a status and a reason; nothing is left open",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTestServer(async ({ url, app }) => {
      const form = (parts: Record<string, string>) => {
        const f = new FormData();
        for (const [k, v] of Object.entries(parts)) f.set(k, v);
        return f;
      };
      const cases: [BodyInit, Record<string, string>, number, string][] = [
        ["v=0\r\n", { "content-type": "text/plain" }, 415, "Content-Type"],
        ["hello", { "content-type": "application/sdp" }, 400, "not an SDP offer"],
        [form({ session: "{}" }), {}, 400, '"sdp"'],
        [form({ sdp: "nope" }), {}, 400, "not an SDP offer"],
      ];
      for (const [body, headers, status, says] of cases) {
        const r = await fetch(`${url}/v1/realtime/calls`, { method: "POST", body, headers });
        assertEquals(r.status, status, says);
        const e = (await r.json()).error as string;
        assert(e.includes(says), `${e} should say ${says}`);
      }
      const wrong = await fetch(`${url}/v1/realtime/calls?mode=fast`, {
        method: "POST",
        body: (await offer()).sdp,
        headers: { "content-type": "application/sdp" },
      });
      assertEquals(wrong.status, 400);
      assert((await wrong.json()).error.includes("mode"));
      const get = await fetch(`${url}/v1/realtime/calls`);
      assertEquals(get.status, 405);
      await get.body?.cancel();
      assertEquals(app.registry.size, 0);
      assertEquals(app.peers, 0);
    }),
});

/** A werift offer with an audio track and the `oai-events` channel (gathered). */
async function offer(pc = new RTCPeerConnection()) {
  pc.addTransceiver("audio", { direction: "sendonly" });
  const events = pc.createDataChannel("oai-events");
  await pc.setLocalDescription(await pc.createOffer());
  for (let i = 0; i < 200 && pc.iceGatheringState !== "complete"; i++) await sleep(25);
  return { sdp: pc.localDescription!.sdp, events };
}

Deno.test({
  name: "Realtime call with a multipart offer: session.created, then the session part applied " +
    "(session.updated shows it), on the oai-events channel",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTestServer(async ({ url, app }) => {
      const pc = new RTCPeerConnection();
      const got: Record<string, unknown>[] = [];
      try {
        const { sdp, events } = await offer(pc);
        events.onMessage.subscribe((m) => got.push(JSON.parse(String(m))));
        const f = new FormData();
        f.set("sdp", sdp);
        f.set(
          "session",
          JSON.stringify({
            type: "transcription",
            audio: { input: { format: { type: "audio/pcmu" }, turn_detection: null } },
          }),
        );
        const r = await fetch(`${url}/v1/realtime/calls`, { method: "POST", body: f });
        assertEquals(r.status, 201);
        assertEquals(r.headers.get("content-type"), "application/sdp");
        const location = r.headers.get("location")!;
        assert(/^\/v1\/realtime\/calls\/[0-9a-f-]{36}$/.test(location), location);
        await pc.setRemoteDescription({ type: "answer", sdp: await r.text() });
        for (let i = 0; i < 300 && got.length < 2; i++) await sleep(50);
        assertEquals(got.map((e) => e.type), ["session.created", "session.updated"]);
        const s = got[1].session as {
          audio: { input: { format: { type: string }; turn_detection: unknown } };
        };
        assertEquals(s.audio.input.format.type, "audio/pcmu");
        assertEquals(s.audio.input.turn_detection, null);
        const status = await (await fetch(`${url}${location}`)).json();
        assertEquals(status.sessionId, location.split("/").at(-1));
        const hangup = await fetch(`${url}${location}/hangup`, { method: "POST" });
        assertEquals(hangup.status, 204);
        for (let i = 0; i < 100 && app.registry.size; i++) await sleep(50);
        assertEquals(app.registry.size, 0);
      } finally {
        await pc.close();
      }
    }),
});
