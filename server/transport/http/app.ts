/**
 * The HTTP side of the service, for `Deno.serve`: the browser client's files at `/`, WHIP-style
 * signalling (`POST /v1/sessions` with an offer → `201` with the answer and the session's URL in
 * `Location`; `DELETE` on that URL ends the session; `GET` on it reports it); operations:
 * `GET /v1/status` (sessions, queue, models, capacity), `GET /metrics` (Prometheus text),
 * `/healthz` (the process serves) and `/readyz` (a model is loaded and a session would be
 * admitted: what a load balancer asks). Every refusal is a JSON `{error}` with a 4xx/5xx status
 * that says what is wrong; admission's `503` adds `reason` and a `Retry-After` header.
 *
 * @module
 */

import { SessionRegistry } from "../../session/registry.ts";
import { CapacityError } from "../../session/registry.ts";
import { type PeerOptions, SessionPeer } from "../webrtc/peer.ts";
import { readOffer, SignallingError } from "./signalling.ts";
import type { LiveSession } from "../../session/live_session.ts";
import type { ServiceMetrics } from "../../telemetry/metrics.ts";
import { processMemoryMb } from "../../telemetry/process_memory.ts";
import type { Engine } from "../../engine/engine.ts";

/** What the app serves. */
export interface AppOptions {
  registry: SessionRegistry;
  peer?: PeerOptions;
  /** Static files of the browser client: URL path → file path. */
  staticFiles?: Record<string, string>;
  /** For `/v1/status`: the engine (models, scheduler). */
  engine?: Engine;
  /** For `/metrics`. */
  metrics?: ServiceMetrics;
  /**
   * This server's own base URL as clients reach it (e.g. a pod's address behind a shared
   * Service), put in front of session locations so a `DELETE` reaches the pod that owns the
   * session; default: relative locations.
   */
  publicUrl?: string;
}

const SESSION_PATH = /^\/v1\/sessions\/([0-9a-f-]{36})$/;

const CORS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, POST, DELETE, OPTIONS",
  "access-control-allow-headers": "content-type",
  "access-control-expose-headers": "location, retry-after",
};

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...CORS, ...headers },
  });
}

function fail(status: number, error: string): Response {
  return json(status, { error });
}

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml",
  json: "application/json",
  webmanifest: "application/manifest+json",
};

/** The service's HTTP app; see the module doc. */
export class App {
  readonly registry: SessionRegistry;
  readonly #opts: AppOptions;
  readonly #peers = new Map<string, SessionPeer>();
  /** Peers of ended sessions still sending their last events (awaited by `close`). */
  readonly #closing = new Set<Promise<void>>();

  constructor(opts: AppOptions) {
    this.#opts = opts;
    this.registry = opts.registry;
  }

  /** Peers open now. */
  get peers(): number {
    return this.#peers.size;
  }

  /** Closes the peer of a session that is over (wire it to the registry's `onClosed`). */
  sessionClosed(session: LiveSession): void {
    const peer = this.#peers.get(session.id);
    this.#peers.delete(session.id);
    if (!peer) return;
    const closing = peer.close().finally(() => this.#closing.delete(closing));
    this.#closing.add(closing);
  }

  /** Handles one request. */
  handle = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    try {
      if (url.pathname === "/v1/sessions") {
        if (req.method === "POST") return await this.#create(req);
        if (req.method === "OPTIONS") return new Response(null, { status: 204, headers: CORS });
        return fail(405, `Method ${req.method} not allowed on /v1/sessions (use POST)`);
      }
      const m = SESSION_PATH.exec(url.pathname);
      if (m) return await this.#session(req, m[1]);
      if (url.pathname === "/healthz") {
        return json(200, { ok: true, sessions: this.registry.size });
      }
      if (url.pathname === "/readyz") {
        const refused = this.registry.refusal();
        return refused
          ? json(503, { ready: false, reason: refused.reason, error: refused.message })
          : json(200, { ready: true, sessions: this.registry.size });
      }
      if (url.pathname === "/v1/status" && req.method === "GET") return json(200, this.status());
      if (url.pathname === "/metrics" && req.method === "GET" && this.#opts.metrics) {
        return new Response(await this.#opts.metrics.text(), {
          headers: { "content-type": this.#opts.metrics.contentType },
        });
      }
      if (req.method === "GET" || req.method === "HEAD") return await this.#static(url.pathname);
      return fail(404, `Nothing at ${url.pathname}`);
    } catch (err) {
      if (err instanceof SignallingError) return fail(err.status, err.message);
      if (err instanceof CapacityError) {
        this.#opts.metrics?.refused(err.reason);
        return json(503, { error: err.message, reason: err.reason }, {
          "retry-after": String(err.retryAfterS),
        });
      }
      console.error(err);
      return fail(500, `Internal error: ${(err as Error).message}`);
    }
  };

  async #create(req: Request): Promise<Response> {
    const offer = await readOffer(req);
    const overrides = {
      ...offer.config.overrides,
      ...(offer.config.model ? { model: offer.config.model } : {}),
    };
    let live: LiveSession;
    try {
      live = await this.registry.open({
        mode: offer.config.mode,
        overrides,
        inputs: offer.inputs,
      });
    } catch (err) {
      if (err instanceof CapacityError) throw err;
      throw new SignallingError(400, `Cannot start a session: ${(err as Error).message}`);
    }
    let answer: string;
    try {
      const r = await SessionPeer.answer(live, offer.sdp, this.#opts.peer);
      this.#peers.set(live.id, r.peer);
      answer = r.answer;
    } catch (err) {
      await live.close("error");
      throw new SignallingError(400, `Cannot answer the offer: ${(err as Error).message}`);
    }
    const location = `${this.#opts.publicUrl?.replace(/\/$/, "") ?? ""}/v1/sessions/${live.id}`;
    if (offer.answerAs === "sdp") {
      return new Response(answer, {
        status: 201,
        headers: { "content-type": "application/sdp", location, ...CORS },
      });
    }
    return json(201, { type: "answer", sdp: answer, sessionId: live.id, location }, { location });
  }

  /** What `GET /v1/status` answers. */
  status(): Record<string, unknown> {
    const engine = this.#opts.engine;
    const sched = engine?.scheduler?.stats ?? null;
    const refused = this.registry.refusal();
    return {
      done: this.registry.ended,
      sessions: this.registry.size,
      queue: sched
        ? {
          queued: sched.queued,
          running: sched.running,
          slots: sched.slots,
          mean_wait_ms: sched.meanWaitMs,
          degrade_level: sched.degradeLevel,
          dropped: sched.dropped,
        }
        : null,
      models: engine?.models.status ?? [],
      capacity: {
        max_sessions: this.registry.capacity,
        free: Math.max(0, this.registry.capacity - this.registry.size),
        accepting: !refused,
        ...(refused ? { reason: refused.reason } : {}),
      },
      draining: this.registry.draining,
      process: processMemory(),
    };
  }

  async #session(req: Request, id: string): Promise<Response> {
    const live = this.registry.get(id);
    if (req.method === "OPTIONS") return new Response(null, { status: 204, headers: CORS });
    if (!live) return fail(404, `No session ${id} (it ended, or never existed)`);
    if (req.method === "DELETE") {
      await live.end("deleted");
      return new Response(null, { status: 204, headers: CORS });
    }
    if (req.method === "GET") {
      return json(200, {
        sessionId: id,
        mode: live.stream.config.mode,
        inputs: live.inputs,
        audioMs: Math.round(live.stream.audioMs),
        connection: this.#peers.get(id)?.pc.connectionState ?? "none",
        counters: live.counters,
      });
    }
    return fail(405, `Method ${req.method} not allowed on a session (use GET or DELETE)`);
  }

  async #static(path: string): Promise<Response> {
    const files = this.#opts.staticFiles ?? {};
    const file = files[path];
    if (!file) return fail(404, `Nothing at ${path}`);
    let body: Uint8Array;
    try {
      body = await Deno.readFile(file);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) {
        return fail(
          503,
          `The browser client is not built (${file}): run \`deno task build:client\``,
        );
      }
      throw err;
    }
    const ext = file.slice(file.lastIndexOf(".") + 1);
    return new Response(body as Uint8Array<ArrayBuffer>, {
      headers: {
        "content-type": TYPES[ext] ?? "application/octet-stream",
        "cache-control": "no-cache",
      },
    });
  }

  /**
   * Ends every session (finalizing each) and closes every peer, once each has sent what it holds
   * (a process exiting right after must not cut the last events off).
   */
  async close(): Promise<void> {
    await this.registry.endAll("shutdown");
    await Promise.all([...this.#peers.values()].map((p) => p.close()));
    this.#peers.clear();
    await Promise.all([...this.#closing]);
  }
}

/** This process's resident memory now and at its peak, MB, for `/v1/status`. */
function processMemory(): { rss_mb: number; peak_rss_mb: number } {
  const m = processMemoryMb();
  return { rss_mb: Math.round(m.rssMb), peak_rss_mb: Math.round(m.peakRssMb) };
}
