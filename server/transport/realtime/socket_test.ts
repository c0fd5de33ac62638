/**
 * OpenAI Realtime transcription sessions over a WebSocket against the real service on loopback,
 * with a bare WebSocket client speaking the published event shapes: jfk as 24 kHz PCM16 under
 * server VAD (speech_started → deltas → committed → completed, the sentence in the completions),
 * jfk as μ-law with manual turns (one item per commit), refused events answered with OpenAI's
 * error shape while the session goes on, and refusals before the upgrade.
 *
 * @module
 */

import { TEST_SERVER_MODELS, withTestServer } from "../http/testing.ts";
import { decodeAudioFile } from "../../../decode/audio_file.ts";
import { resample } from "../../../ffi/soxr/mod.ts";
import { pcm16Bytes } from "../../../protocol/audio.ts";
import { normalizeEnglish } from "../../../bench/metrics/normalize_en.ts";
import { REALTIME_PYTHON } from "../../../bench/suts/realtime_client.ts";
import { hasShared, sharedPath } from "../../../ffi/testing/shared.ts";
import { assert, assertEquals } from "../../../ffi/testing/assert.ts";

const JFK = "speech/jfk/jfk.wav";
const ignore = !hasShared(...TEST_SERVER_MODELS, JFK);

type Event = Record<string, unknown> & { type: string };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A Realtime client socket; resolves once `session.created` came. */
async function realtime(url: string, query = "intent=transcription", protocols?: string[]) {
  const ws = new WebSocket(`${url.replace(/^http/, "ws")}/v1/realtime?${query}`, protocols);
  const got: Event[] = [];
  ws.onmessage = (e) => got.push(JSON.parse(e.data as string));
  let closeCode = -1;
  const closed = new Promise<void>((r) =>
    ws.addEventListener("close", (e) => {
      closeCode = e.code;
      r();
    })
  );
  const waitFor = async (pred: () => boolean, ms = 60_000) => {
    for (const t0 = performance.now(); !pred() && performance.now() - t0 < ms;) await sleep(20);
    return pred();
  };
  await waitFor(() => got.some((e) => e.type === "session.created"), 10_000);
  assert(got[0]?.type === "session.created", `first event: ${JSON.stringify(got[0])}`);
  const send = (e: Record<string, unknown>) => ws.send(JSON.stringify(e));
  return { ws, got, send, waitFor, closed, closeCode: () => closeCode };
}

function base64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

/** jfk at 24 kHz as PCM16LE chunks of 100 ms. */
async function jfkPcm24(): Promise<Uint8Array[]> {
  const x = await resample((await decodeAudioFile(sharedPath(JFK))).samples, {
    inputRate: 16_000,
    outputRate: 24_000,
  });
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < x.length; i += 2_400) chunks.push(pcm16Bytes(x.subarray(i, i + 2_400)));
  return chunks;
}

/** μ-law encoding of one sample (G.711), for the test's 8 kHz input. */
function muLaw(sample: number): number {
  let pcm = Math.round(Math.max(-1, Math.min(1, sample)) * 32_767) >> 2;
  const sign = pcm < 0 ? 0x80 : 0;
  if (pcm < 0) pcm = -pcm;
  pcm = Math.min(pcm + 33, 8_191);
  let exponent = 7;
  for (let mask = 0x1000; (pcm & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (pcm >> (exponent + 1)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

const completions = (got: Event[]) =>
  got.filter((e) => e.type === "conversation.item.input_audio_transcription.completed");

Deno.test({
  name: "Realtime WebSocket, server VAD: jfk as 24 kHz PCM16 gives speech_started, deltas, " +
    "committed and completed events whose transcripts read the sentence",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTestServer(async ({ url, app }) => {
      const c = await realtime(url, "intent=transcription&mode=latency", ["realtime"]);
      assertEquals(c.ws.protocol, "realtime");
      const created = c.got[0].session as Record<string, unknown>;
      assertEquals(created.type, "transcription");
      c.send({
        type: "session.update",
        event_id: "ev-1",
        session: {
          type: "transcription",
          audio: {
            input: {
              format: { type: "audio/pcm", rate: 24_000 },
              transcription: { model: "gpt-4o-transcribe", language: "en" },
              turn_detection: { type: "server_vad", silence_duration_ms: 500 },
            },
          },
          include: ["item.input_audio_transcription.logprobs"],
        },
      });
      assert(await c.waitFor(() => c.got.some((e) => e.type === "session.updated")));
      // Items complete in turn: a closing decode does not overlap the next turn's speech.
      const config = app.registry.sessions[0].stream.config;
      assertEquals([config.endSilenceMs, config.overlapClosing], [500, false]);
      for (const chunk of await jfkPcm24()) {
        c.send({ type: "input_audio_buffer.append", audio: base64(chunk) });
        await sleep(50);
      }
      // A second of silence ends the last turn.
      for (let i = 0; i < 10; i++) {
        c.send({ type: "input_audio_buffer.append", audio: base64(new Uint8Array(4_800)) });
      }
      assert(
        await c.waitFor(() =>
          normalizeEnglish(completions(c.got).map((e) => e.transcript).join(" ")).includes(
            "do for your country",
          )
        ),
        `completed: ${JSON.stringify(completions(c.got).map((e) => e.transcript))}`,
      );
      const types = c.got.map((e) => e.type);
      assert(types.includes("input_audio_buffer.speech_started"), types.join(","));
      assert(types.includes("input_audio_buffer.speech_stopped"), types.join(","));
      const text = normalizeEnglish(completions(c.got).map((e) => e.transcript).join(" "));
      assert(text.includes("ask not what your country can do for you"), text);
      // Every completion follows its item's committed event, and deltas name known items.
      for (const done of completions(c.got)) {
        const at = c.got.indexOf(done);
        const committed = c.got.findIndex((e) =>
          e.type === "input_audio_buffer.committed" && e.item_id === done.item_id
        );
        assert(committed >= 0 && committed < at, `committed before completed ${done.item_id}`);
        assertEquals((done.usage as Record<string, unknown>).type, "duration");
        const lp = done.logprobs as { token: string; logprob: number; bytes: number[] }[];
        assert(lp.length > 0 && lp.every((x) => x.logprob <= 0 && x.bytes.length > 0));
      }
      const deltas = c.got.filter((e) =>
        e.type === "conversation.item.input_audio_transcription.delta"
      );
      assert(deltas.length > 0, "deltas");
      const items = new Set(completions(c.got).map((e) => e.item_id));
      assert(deltas.every((d) => items.has(d.item_id)), "deltas of completed items");
      // Ids are unique.
      const ids = c.got.map((e) => e.event_id);
      assertEquals(new Set(ids).size, ids.length);
      c.ws.close();
      await c.closed;
      assert(await c.waitFor(() => app.registry.size === 0, 5_000), "session freed");
    }),
});

Deno.test({
  name: "Realtime WebSocket, manual turns (turn_detection null): jfk as μ-law, one commit, one " +
    "item with the whole sentence; bad events get OpenAI-shaped errors and the session goes on",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTestServer(async ({ url }) => {
      const c = await realtime(url, "intent=transcription&mode=latency");
      c.send({
        type: "session.update",
        session: {
          type: "transcription",
          audio: { input: { format: { type: "audio/pcmu" }, turn_detection: null } },
        },
      });
      assert(await c.waitFor(() => c.got.some((e) => e.type === "session.updated")));
      const updated = c.got.find((e) => e.type === "session.updated")!.session as {
        audio: { input: { turn_detection: unknown; format: { type: string } } };
      };
      assertEquals(updated.audio.input.turn_detection, null);
      assertEquals(updated.audio.input.format.type, "audio/pcmu");
      // An empty commit, garbage, an unknown event and a bad field: errors, nothing else.
      c.send({ type: "input_audio_buffer.commit", event_id: "early" });
      c.ws.send("{nope");
      c.send({ type: "response.create" });
      c.send({ type: "input_audio_buffer.append", audio: "***" });
      c.send({ type: "session.update", session: { type: "realtime" } });
      assert(await c.waitFor(() => c.got.filter((e) => e.type === "error").length === 5, 10_000));
      const errors = c.got.filter((e) => e.type === "error").map((e) =>
        e.error as Record<string, unknown>
      );
      assertEquals(errors.map((e) => e.code), [
        "input_audio_buffer_commit_empty",
        "invalid_json",
        "unknown_event",
        "invalid_value",
        "invalid_value",
      ]);
      assertEquals(errors[0].event_id, "early");
      assert(errors.every((e) => e.type === "invalid_request_error" && e.message));
      const x = await resample((await decodeAudioFile(sharedPath(JFK))).samples, {
        inputRate: 16_000,
        outputRate: 8_000,
      });
      for (let i = 0; i < x.length; i += 800) {
        const part = x.subarray(i, i + 800);
        c.send({ type: "input_audio_buffer.append", audio: base64(Uint8Array.from(part, muLaw)) });
      }
      c.send({ type: "input_audio_buffer.commit" });
      assert(await c.waitFor(() => completions(c.got).length === 1), "one completion");
      await sleep(500);
      assertEquals(completions(c.got).length, 1);
      const done = completions(c.got)[0];
      // 8 kHz μ-law is telephone band: the sentence's second half is what the test relies on.
      const text = normalizeEnglish(done.transcript as string);
      assert(text.includes("what your country can do for you ask what you can do for your"), text);
      assert(!c.got.some((e) => e.type === "input_audio_buffer.speech_started"), "no VAD events");
      const usage = done.usage as { seconds: number };
      assert(usage.seconds > 8 && usage.seconds < 12, `usage ${usage.seconds}`);
      c.ws.close();
      await c.closed;
    }),
});

Deno.test({
  name: "Realtime WebSocket: refusals before the upgrade (no upgrade 426, no intent 400, bad " +
    "mode 400, a key in the subprotocol is taken when keys are configured)",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const { ApiKeys } = await import("../http/auth.ts");
    const apiKeys = await ApiKeys.fromList("bob:realtime-key-0123456789", {
      maxSessions: 2,
      maxUploads: 2,
    });
    await withTestServer(async ({ url, app }) => {
      const headers = {
        upgrade: "websocket",
        connection: "upgrade",
        authorization: "Bearer realtime-key-0123456789",
      };
      const plain = await fetch(`${url}/v1/realtime?intent=transcription`, {
        headers: { authorization: headers.authorization },
      });
      assertEquals(plain.status, 426);
      await plain.body?.cancel();
      for (
        const [query, status, says] of [
          ["model=gpt-realtime", 400, "intent=transcription"],
          ["intent=transcription&mode=fast", 400, "mode"],
        ] as const
      ) {
        const r = await fetch(`${url}/v1/realtime?${query}`, { headers });
        assertEquals(r.status, status, query);
        assert((await r.json()).error.includes(says), query);
      }
      const nokey = await fetch(`${url}/v1/realtime?intent=transcription`, {
        headers: { upgrade: "websocket", connection: "upgrade" },
      });
      assertEquals(nokey.status, 401);
      await nokey.body?.cancel();
      // The browser way: the key rides in a subprotocol.
      const c = await realtime(url, "intent=transcription", [
        "realtime",
        "openai-insecure-api-key.realtime-key-0123456789",
      ]);
      assertEquals(c.ws.protocol, "realtime");
      c.ws.close();
      await c.closed;
      assert(await c.waitFor(() => app.registry.size === 0, 5_000));
    }, { service: { apiKeys } });
  },
});

/**
 * A test CA and a server certificate it signed for 127.0.0.1 (openssl), in a temporary folder:
 * `ca.pem` is what clients trust (rustls refuses a self-signed certificate used as the server's).
 */
async function testCertificates(): Promise<{ dir: string; cert: string; key: string }> {
  const dir = await Deno.makeTempDir({ prefix: "hum-tls-" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await Deno.writeTextFile(
    `${dir}/leaf.cnf`,
    "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
  );
  const steps = [
    ["req", "-x509", ...ec, "-days", "1", "-subj", "/CN=hum-helix test CA", "-keyout", "ca.key"],
    ["req", ...ec, "-subj", "/CN=127.0.0.1", "-keyout", "key.pem", "-out", "leaf.csr"],
    ["x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial"],
  ];
  const outs = [["-out", "ca.pem"], [], ["-days", "1", "-extfile", "leaf.cnf", "-out", "cert.pem"]];
  for (const [k, args] of steps.entries()) {
    const out = await new Deno.Command("openssl", {
      args: [...args, ...outs[k]],
      cwd: dir,
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(`openssl ${args[0]}: ${new TextDecoder().decode(out.stderr)}`);
    }
  }
  return {
    dir,
    cert: await Deno.readTextFile(`${dir}/cert.pem`),
    key: await Deno.readTextFile(`${dir}/key.pem`),
  };
}

Deno.test({
  name: "the official openai npm package's Realtime WebSocket client (its own URL, subprotocol " +
    "key and events) transcribes jfk through /v1/realtime over wss, with server VAD and with " +
    "manual turns",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const { ApiKeys } = await import("../http/auth.ts");
    const key = "sdk-test-key-0123456789";
    const apiKeys = await ApiKeys.fromList(`sdk:${key}`, { maxSessions: 4, maxUploads: 2 });
    const tls = await testCertificates();
    try {
      await withTestServer(async ({ url }) => {
        for (const manual of [false, true]) {
          const r = await new Deno.Command(Deno.execPath(), {
            args: [
              "run",
              "-A",
              "--cert",
              `${tls.dir}/ca.pem`,
              new URL("./openai_sdk_testing.ts", import.meta.url).pathname,
              `${url}/v1?mode=latency`,
              key,
              sharedPath(JFK),
              ...(manual ? ["--manual"] : []),
            ],
            stdout: "piped",
            stderr: "piped",
          }).output();
          const stderr = new TextDecoder().decode(r.stderr);
          assert(r.success, `SDK client failed: ${stderr.slice(-2000)}`);
          const events = new TextDecoder().decode(r.stdout).trim().split("\n").map((l) =>
            JSON.parse(l) as Event
          );
          const types = events.map((e) => e.type);
          assertEquals(types[0], "session.created");
          assert(types.includes("session.updated"), types.join(","));
          assert(!types.includes("sdk.error") && !types.includes("error"), types.join(","));
          const done = completions(events);
          if (manual) assertEquals(done.length, 1, "one item for one commit");
          const text = normalizeEnglish(done.map((e) => e.transcript).join(" "));
          assert(
            text.includes("what your country can do for you ask what you can do for your country"),
            `${manual ? "manual" : "server VAD"}: ${text}`,
          );
        }
      }, { tls: { cert: tls.cert, key: tls.key }, service: { apiKeys } });
    } finally {
      await Deno.remove(tls.dir, { recursive: true });
    }
  },
});

const havePythonSdk = (() => {
  try {
    return new Deno.Command(REALTIME_PYTHON, { args: ["-c", "import openai.resources.realtime"] })
      .outputSync().success;
  } catch {
    return false;
  }
})();
if (!havePythonSdk) {
  console.error(`realtime: no openai package in ${REALTIME_PYTHON}: its test is skipped`);
}

Deno.test({
  name: "the official Python openai package's client.realtime.connect() transcribes jfk through " +
    "/v1/realtime (server VAD, and manual turns)",
  ignore: ignore || !havePythonSdk,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "hum-pcm24-" });
    try {
      const pcm = await jfkPcm24();
      const all = new Uint8Array(pcm.reduce((n, c) => n + c.length, 0));
      let o = 0;
      for (const c of pcm) (all.set(c, o), o += c.length);
      await Deno.writeFile(`${dir}/jfk.pcm`, all);
      await withTestServer(async ({ url }) => {
        for (const manual of [false, true]) {
          const r = await new Deno.Command(REALTIME_PYTHON, {
            args: [
              new URL("./openai_sdk_client.py", import.meta.url).pathname,
              `${url}/v1`,
              "no-key-needed",
              `${dir}/jfk.pcm`,
              "--mode",
              "latency",
              ...(manual ? ["--manual"] : []),
            ],
            stdout: "piped",
            stderr: "piped",
          }).output();
          const stderr = new TextDecoder().decode(r.stderr);
          assert(r.success, `Python SDK client failed: ${stderr.slice(-2000)}`);
          const events = new TextDecoder().decode(r.stdout).trim().split("\n").map((l) =>
            JSON.parse(l) as Event
          );
          const types = events.map((e) => e.type);
          assertEquals(types[0], "session.created");
          assert(types.includes("session.updated") && !types.includes("error"), types.join(","));
          const done = completions(events);
          if (manual) assertEquals(done.length, 1, "one item for one commit");
          else assert(types.includes("input_audio_buffer.speech_started"), types.join(","));
          const text = normalizeEnglish(done.map((e) => e.transcript).join(" "));
          assert(
            text.includes("what your country can do for you ask what you can do for your country"),
            `${manual ? "manual" : "server VAD"}: ${text}`,
          );
        }
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "Realtime WebSocket: a client silent past the idle timeout gets a server_error saying " +
    "why, then the server closes the socket (1000) and frees the session",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTestServer(async ({ url, app }) => {
      const c = await realtime(url, "intent=transcription&mode=latency");
      await c.closed;
      assertEquals(c.closeCode(), 1000);
      const errors = c.got.filter((e) => e.type === "error").map((e) =>
        e.error as Record<string, string>
      );
      assertEquals(errors.map((e) => [e.type, e.code]), [["server_error", "session_ended"]]);
      assert(errors[0].message.includes("timeout"), errors[0].message);
      assert(await c.waitFor(() => app.registry.size === 0, 5_000));
    }, { peer: { idleTimeoutMs: 1_500 } }),
});
