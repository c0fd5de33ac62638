/**
 * For tests: the service on a free loopback port, on the shared test models, with everything it
 * started stopped afterwards.
 *
 * @module
 */

import type { RTCPeerConnection } from "werift";
import type { App } from "./app.ts";
import type { PeerOptions } from "../webrtc/peer.ts";
import { type ServiceOptions, wireService } from "../../cli/wire.ts";
import type { SessionRegistry } from "../../session/registry.ts";
import { Engine } from "../../engine/engine.ts";
import { loadDefaultIntentClassifier } from "../../intent/rules.ts";
import { sharedPath } from "../../../ffi/testing/shared.ts";

/** The shared models the test server loads. */
export const TEST_SERVER_MODELS = [
  "models/ggml-tiny.en.bin",
  "models/ggml-silero-v5.1.2.bin",
] as const;

/** How the test server is set up. */
export interface TestServerOptions {
  maxSessions?: number;
  refuseWhenOverloaded?: boolean;
  /** Background model list (the engine's `models`). */
  models?: string[];
  peer?: PeerOptions;
  staticFiles?: Record<string, string>;
  /** Serve HTTPS with this PEM certificate and key (the URL is then `https:`). */
  tls?: { cert: string; key: string };
  /** Anything else the service is wired with (keys, origins, upload limits, …). */
  service?: Omit<ServiceOptions, "maxSessions" | "refuseWhenOverloaded" | "peer" | "staticFiles">;
}

/** A running test server. */
export interface TestServer {
  url: string;
  app: App<SessionRegistry>;
  engine: Engine;
}

/** Runs `fn` against a server on 127.0.0.1, then ends its sessions and stops it. */
export async function withTestServer(
  fn: (server: TestServer) => Promise<void>,
  opts: TestServerOptions = {},
): Promise<void> {
  const engine = new Engine({
    model: sharedPath(TEST_SERVER_MODELS[0]),
    vadModel: sharedPath(TEST_SERVER_MODELS[1]),
    intents: await loadDefaultIntentClassifier(),
    models: opts.models,
  });
  const { app } = wireService(engine, {
    ...opts.service,
    maxSessions: opts.maxSessions,
    // Off unless a test asks: under the parallel suite the machine's load (other test processes)
    // makes decodes wait, and admission would refuse sessions the test needs.
    refuseWhenOverloaded: opts.refuseWhenOverloaded ?? false,
    peer: opts.peer,
    staticFiles: opts.staticFiles,
  });
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: () => {}, ...(opts.tls ?? {}) },
    app.handle,
  );
  try {
    const scheme = opts.tls ? "https" : "http";
    await fn({ url: `${scheme}://127.0.0.1:${server.addr.port}`, app, engine });
  } finally {
    await app.close();
    await server.shutdown();
    await engine.close();
  }
}

/**
 * Offers `pc`'s local description (set it first) to the server at `url` as a JSON
 * `POST /v1/sessions` with `config`, and takes its answer. Anything but
 * a `201` throws with the server's answer. Returns the answer's SDP and the session's id.
 */
export async function connectOffer(
  url: string,
  pc: RTCPeerConnection,
  config: Record<string, unknown> = { mode: "latency" },
): Promise<{ sdp: string; sessionId: string }> {
  const res = await fetch(`${url}/v1/sessions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ sdp: pc.localDescription!.sdp, config }),
  });
  const body = await res.json();
  if (res.status !== 201) {
    throw new Error(`POST /v1/sessions: ${res.status} ${JSON.stringify(body)}`);
  }
  await pc.setRemoteDescription({ type: "answer", sdp: body.sdp });
  return { sdp: body.sdp, sessionId: body.sessionId };
}
