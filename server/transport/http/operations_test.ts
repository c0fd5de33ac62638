import { TEST_SERVER_MODELS, withTestServer } from "./testing.ts";
import { runClient } from "../../../client/cli.ts";
import { hasShared, sharedPath } from "../../../ffi/testing/shared.ts";
import { assert, assertEquals } from "../../../ffi/testing/assert.ts";
import { HAVE_PARSER, parseExposition } from "../../telemetry/exposition_testing.ts";

const JFK = "speech/jfk/jfk.wav";
const ignore = !hasShared(...TEST_SERVER_MODELS, JFK);

Deno.test({
  name: "status, probes and Prometheus metrics describe a server before and after a session",
  // The metrics are read with the official Prometheus parser (deploy/k8s/tools.sh installs it).
  ignore: ignore || !HAVE_PARSER,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTestServer(async ({ url }) => {
      assertEquals((await fetchJson(`${url}/healthz`)).ok, true);
      const ready = await fetch(`${url}/readyz`);
      assertEquals([ready.status, (await ready.json()).ready], [200, true]);
      const before = await fetchJson(`${url}/v1/status`);
      assertEquals(before.sessions, 0);
      assertEquals(before.done, 0);
      assertEquals((before.capacity as Record<string, unknown>).max_sessions, 3);
      const queue = before.queue as Record<string, number>;
      assert(queue.slots >= 1, "the scheduler's slots are reported");
      const mem = before.process as Record<string, number>;
      assert(mem.rss_mb > 0 && mem.peak_rss_mb >= mem.rss_mb, JSON.stringify(mem));
      assert(mem.heap_used_mb > 0 && mem.heap_total_mb >= mem.heap_used_mb, JSON.stringify(mem));
      assert(mem.external_mb >= 0 && mem.rss_mb > mem.heap_used_mb, JSON.stringify(mem));

      // The words the client was sent in commits: the metric must have counted each of them.
      let committed = 0;
      const r = await runClient({
        url,
        file: sharedPath(JFK),
        transport: "audio",
        mode: "latency",
      }, (m) => {
        if (m.type === "commit") committed += (m.words as unknown[]).length;
      });
      assertEquals(r.error, null);

      const after = await fetchJson(`${url}/v1/status`);
      assertEquals([after.sessions, after.done], [0, 1]);
      const models = after.models as { name: string; state: string; loaded_in_s: number }[];
      assertEquals(models.map((m) => m.state), ["ready"]);
      assert(models[0].loaded_in_s >= 0);

      const res = await fetch(`${url}/metrics`);
      assertEquals(res.status, 200);
      assert(res.headers.get("content-type")!.startsWith("text/plain"));
      const families = await parseExposition(await res.text());
      const family = (name: string) => {
        const f = families.find((x) => x.name === name);
        assert(f, `${name} is exposed`);
        return f;
      };
      const value = (name: string, labels: Record<string, string> = {}) =>
        families.flatMap((f) => f.samples).find((x) =>
          x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v)
        )?.value;
      assertEquals(value("hum_sessions"), 0);
      assertEquals(value("hum_sessions_capacity"), 3);
      assertEquals(family("hum_inference_queue_depth").type, "gauge");
      assertEquals(value("hum_sessions_ended_total", { reason: "end" }), 1);
      assertEquals(family("hum_word_emission_seconds").type, "histogram");
      // jfk has 22 words: how many are committed before the final depends on the machine's load.
      const words = value("hum_word_emission_seconds_count")!;
      assert(committed >= 5, `jfk's words were committed as they were heard (${committed})`);
      assertEquals(words, committed, "every committed word's latency was counted");
      assert(
        value("hum_inference_seconds_count", { kind: "final" })! >= 1,
        "closing decodes timed",
      );
      assert(value("hum_inference_wait_seconds_count", { kind: "final" })! >= 1, "and their waits");
      assert(value("hum_final_segments_total")! >= 1);
      assert(value("hum_model_ready", { model: sharedPath(TEST_SERVER_MODELS[0]) }) === 1);
      // Where the time went: the session's frames, VAD, decodes and events were each timed.
      for (const stage of ["frames", "vad", "whisper", "events_out"]) {
        assert(value("hum_stage_calls_total", { stage })! >= 1, `${stage} calls counted`);
        assert(value("hum_stage_seconds_total", { stage })! > 0, `${stage} time counted`);
      }
      assert(
        value("hum_stage_seconds_total", { stage: "whisper" })! >=
          value("hum_inference_seconds_sum", { kind: "final" })! * 0.9,
        "the native decodes' time includes the closing decodes'",
      );
      for (const n of ["hum_model_load_seconds", "hum_session_rtf", "hum_inference_slots"]) {
        family(n);
      }
    }, { maxSessions: 3 }),
});

Deno.test({
  name: "admission: past the limit 503 with Retry-After and a reason; a freed place admits again",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTestServer(async ({ url, app }) => {
      // A session holds the only place.
      const held = await app.registry.open({ inputs: ["audio"] });
      try {
        const refused = await offer(url);
        assertEquals(refused.status, 503);
        assert(Number(refused.headers.get("retry-after")) > 0, "Retry-After in seconds");
        const body = await refused.json();
        assertEquals(body.reason, "full");
        assert(String(body.error).includes("limit of 1"), body.error);
        const notReady = await fetch(`${url}/readyz`);
        assertEquals([notReady.status, (await notReady.json()).reason], [503, "full"]);
        const metrics = await (await fetch(`${url}/metrics`)).text();
        assert(metrics.includes('hum_sessions_refused_total{reason="full"} 1'), metrics);
      } finally {
        await held.close("end");
      }
      // The session's place is free again once it has ended.
      for (let k = 0; k < 50 && app.registry.size; k++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      const again = await fetch(`${url}/readyz`);
      assertEquals(again.status, 200);
      await again.body?.cancel();
    }, { maxSessions: 1 }),
});

Deno.test({
  name: "draining refuses new sessions and fails readiness while open sessions finish",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTestServer(async ({ url, app }) => {
      const drained = app.registry.drain(50);
      const refused = await offer(url);
      assertEquals(refused.status, 503);
      assertEquals((await refused.json()).reason, "draining");
      const ready = await fetch(`${url}/readyz`);
      assertEquals(ready.status, 503);
      await ready.body?.cancel();
      await drained;
    }),
});

async function fetchJson(url: string): Promise<Record<string, unknown>> {
  const r = await fetch(url);
  assertEquals(r.status, 200, url);
  return await r.json();
}

/** A well-formed offer with an audio data channel, as a client would send. */
async function offer(url: string): Promise<Response> {
  const { RTCPeerConnection } = await import("werift");
  const pc = new RTCPeerConnection();
  pc.createDataChannel("transcript");
  await pc.setLocalDescription(await pc.createOffer());
  try {
    return await fetch(`${url}/v1/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ type: "offer", sdp: pc.localDescription!.sdp }),
    });
  } finally {
    await pc.close();
  }
}
