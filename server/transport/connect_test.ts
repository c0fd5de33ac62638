/**
 * Clients that post an offer and never connect: their sessions end with a reason
 * (`connect_timeout` at the connect deadline, `ice_failed`, `dtls_failed`), counted in `/metrics`
 * and logged; such sessions hold
 * no decoding state; and pending (not yet connected) sessions are capped per client address (429)
 * and overall (503), while a client that connects gives its place back.
 *
 * @module
 */

import { RTCPeerConnection } from "werift";
import { TEST_SERVER_MODELS, type TestServer, withTestServer } from "./http/testing.ts";
import type { App } from "./http/app.ts";
import { CHANNELS } from "../../protocol/control.ts";
import { hasShared } from "../../ffi/testing/shared.ts";
import { assert, assertEquals } from "../../ffi/testing/assert.ts";

const ignore = !hasShared(...TEST_SERVER_MODELS);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits (at most `ms`) until `done()`; returns whether it came true. */
async function until(done: () => boolean, ms: number): Promise<boolean> {
  for (const t0 = performance.now(); !done();) {
    if (performance.now() - t0 > ms) return false;
    await sleep(50);
  }
  return true;
}

/** A value of the Prometheus text exposition (0 when the series is absent). */
async function metric(url: string, series: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

/** A browser-like offer (werift, a `transcript` channel); `pc` stays open unless closed. */
async function offerFrom(pc: RTCPeerConnection): Promise<string> {
  pc.createDataChannel(CHANNELS.transcript);
  await pc.setLocalDescription(await pc.createOffer());
  return pc.localDescription!.sdp;
}

/** An offer whose client is gone at once: no ICE check is ever answered. */
async function deadOffer(): Promise<string> {
  const pc = new RTCPeerConnection();
  const sdp = await offerFrom(pc);
  await pc.close();
  return sdp;
}

/** `POST /v1/sessions` with `sdp` through `app.handle`, as if from `address`. */
function postAs(app: App, url: string, sdp: string, address: string): Promise<Response> {
  const info = {
    remoteAddr: { transport: "tcp", hostname: address, port: 40_000 },
    completed: Promise.resolve(),
  } as Deno.ServeHandlerInfo<Deno.NetAddr>;
  return app.handle(
    new Request(`${url}/v1/sessions`, {
      method: "POST",
      body: sdp,
      headers: { "content-type": "application/sdp" },
    }),
    info,
  );
}

/**
 * Runs `fn` against a test server whose connect deadline is `connectTimeoutMs`, with the server's
 * log lines collected in `logged`.
 */
function withLoggingServer(
  connectTimeoutMs: number,
  fn: (server: TestServer, logged: string[]) => Promise<void>,
): Promise<void> {
  const logged: string[] = [];
  return withTestServer((server) => fn(server, logged), {
    peer: { connectTimeoutMs },
    service: { log: (l) => logged.push(l) },
  });
}

/**
 * Asserts that one session ended with `reason`: counted in `/metrics`, and a log line says so
 * (and `detail`, the transports' states, when given).
 */
async function assertEndedWith(
  url: string,
  logged: string[],
  reason: string,
  detail = "",
): Promise<void> {
  assertEquals(await metric(url, `hum_sessions_ended_total{reason="${reason}"}`), 1);
  assert(
    logged.some((l) => l.includes(`ended: ${reason}`) && l.includes(detail)),
    `no log line says ${reason} ${detail}: ${JSON.stringify(logged)}`,
  );
}

/** Decoding states in use, all models together. */
function statesUsed(engine: TestServer["engine"]): number {
  return engine.models.status.reduce((n, m) => n + (m.states?.used ?? 0), 0);
}

Deno.test({
  name: "a client that posts an offer and never connects: its session ends at the connect " +
    "deadline with connect_timeout (metrics, log) and never takes a decoding state",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await withLoggingServer(1_500, async ({ url, app, engine }, logged) => {
      const res = await fetch(`${url}/v1/sessions`, {
        method: "POST",
        body: await deadOffer(),
        headers: { "content-type": "application/sdp" },
      });
      assertEquals(res.status, 201);
      await res.body?.cancel();
      // It holds a session slot until the deadline, but no decoding state.
      assertEquals(statesUsed(engine), 0, "decoding states taken by an unconnected session");
      assertEquals([app.registry.size, app.pending], [1, 1], "one session, pending");
      assert(await until(() => app.registry.size === 0, 10_000), "the session outlived 10 s");
      assertEquals(statesUsed(engine), 0, "decoding states in use");
      assertEquals([app.peers, app.pending], [0, 0], "peers, pending");
      await assertEndedWith(url, logged, "connect_timeout");
      assert(
        logged.some((l) =>
          /session [0-9a-f-]{36} from 127\.0\.0\.1 ended: connect_timeout after \d/.test(l)
        ),
        logged.join("\n"),
      );
    });
  },
});

Deno.test({
  name: "an offer with no ICE candidate: ICE fails at once and the session ends with ice_failed " +
    "(metrics, log)",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await withLoggingServer(30_000, async ({ url, app }, logged) => {
      const sdp = (await deadOffer()).split("\r\n").filter((l) => !l.startsWith("a=candidate"))
        .join("\r\n");
      const res = await postAs(app, url, sdp, "127.0.0.1");
      assertEquals(res.status, 201, await res.clone().text());
      await res.body?.cancel();
      assert(await until(() => app.registry.size === 0, 5_000), "the session outlived 5 s");
      assertEquals(app.pending, 0);
      await assertEndedWith(url, logged, "ice_failed", "ice failed");
    });
  },
});

Deno.test({
  name: "a client whose DTLS certificate does not match its offer's fingerprint: the session " +
    "ends with dtls_failed (metrics, log)",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await withLoggingServer(8_000, async ({ url, app }, logged) => {
      const pc = new RTCPeerConnection();
      try {
        const sdp = await offerFrom(pc);
        // A well-formed fingerprint of another certificate: one hex byte changed.
        const forged = sdp.replace(
          /(a=fingerprint:sha-256 )([0-9A-Fa-f]{2})/,
          (_, head: string, byte: string) =>
            head + ((parseInt(byte, 16) ^ 0xff).toString(16).padStart(2, "0").toUpperCase()),
        );
        assert(forged !== sdp, "the offer has a sha-256 fingerprint");
        const res = await postAs(app, url, forged, "127.0.0.1");
        assertEquals(res.status, 201);
        await pc.setRemoteDescription({ type: "answer", sdp: await res.text() });
        assert(await until(() => app.registry.size === 0, 10_000), "the session outlived 10 s");
      } finally {
        await pc.close();
      }
      await assertEndedWith(url, logged, "dtls_failed", "dtls failed");
    });
  },
});

Deno.test({
  name: "a client that completes ICE but never answers DTLS: the session ends at the connect " +
    "deadline with dtls_failed",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await withLoggingServer(3_000, async ({ url, app }, logged) => {
      // The client takes the answer and connects ICE, but its DTLS never starts.
      const pc = new RTCPeerConnection();
      try {
        const sdp = await offerFrom(pc);
        for (const t of pc.dtlsTransports) t.start = () => new Promise<void>(() => {});
        const res = await postAs(app, url, sdp, "127.0.0.1");
        assertEquals(res.status, 201);
        await pc.setRemoteDescription({ type: "answer", sdp: await res.text() });
        assert(
          await until(() => pc.iceConnectionState === "connected", 5_000),
          `ICE ${pc.iceConnectionState}`,
        );
        assert(await until(() => app.registry.size === 0, 10_000), "the session outlived 10 s");
      } finally {
        await pc.close();
      }
      await assertEndedWith(url, logged, "dtls_failed", "ice connected");
    });
  },
});

Deno.test({
  name: "pending sessions are capped per client address (429) and overall (503), with " +
    "Retry-After and a reason; a client that connects gives its place back",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await withTestServer(async ({ url, app }) => {
      const refused = async (res: Response, status: number, reason: string) => {
        assertEquals(res.status, status, `status for ${reason}`);
        assertEquals(res.headers.get("retry-after"), "60");
        const body = await res.json();
        assertEquals(body.reason, reason);
        assert(/have not connected yet/.test(body.error), body.error);
      };
      const created = async (res: Response) => {
        assertEquals(res.status, 201, await res.clone().text());
        await res.body?.cancel();
      };
      await created(await postAs(app, url, await deadOffer(), "10.0.0.1"));
      await created(await postAs(app, url, await deadOffer(), "10.0.0.1"));
      await refused(
        await postAs(app, url, await deadOffer(), "10.0.0.1"),
        429,
        "pending_per_client",
      );
      await created(await postAs(app, url, await deadOffer(), "10.0.0.2"));
      assertEquals(app.pending, 3);
      assertEquals(await metric(url, "hum_sessions_pending"), 3);
      await refused(await postAs(app, url, await deadOffer(), "10.0.0.3"), 503, "pending_full");
      assertEquals(app.registry.size, 3, "refusals opened no session");
      assertEquals(await metric(url, `hum_sessions_refused_total{reason="pending_per_client"}`), 1);
      assertEquals(await metric(url, `hum_sessions_refused_total{reason="pending_full"}`), 1);

      // One session ends (DELETE): its place is free again.
      const [first] = app.registry.sessions;
      await first.end("deleted");
      assertEquals(app.pending, 2);

      // A client that connects holds a session but no pending place.
      const pc = new RTCPeerConnection();
      try {
        const res = await postAs(app, url, await offerFrom(pc), "10.0.0.4");
        assertEquals(res.status, 201);
        assertEquals(app.pending, 3);
        await pc.setRemoteDescription({ type: "answer", sdp: await res.text() });
        assert(await until(() => app.pending === 2, 10_000), `pending ${app.pending}`);
        assertEquals(app.registry.size, 3);
        // Now there is room for one more pending session.
        await created(await postAs(app, url, await deadOffer(), "10.0.0.5"));
      } finally {
        await pc.close();
      }
    }, {
      peer: { connectTimeoutMs: 60_000 },
      service: { maxPending: 3, maxPendingPerClient: 2, log: () => {} },
    });
  },
});
