/**
 * The HTTP side of the service, for `Deno.serve`: the browser client's files at `/`, WHIP-style
 * signalling (`POST /v1/sessions` with an offer → `201` with the answer and the session's URL in
 * `Location`; `DELETE` on that URL ends the session; `GET` on it reports it); operations:
 * `GET /v1/status` (sessions, queue, models, capacity), `GET /metrics` (Prometheus text),
 * `/healthz` (the process serves) and `/readyz` (a model is loaded and a session would be
 * admitted: what a load balancer asks); file transcription at `POST /v1/audio/transcriptions`
 * (OpenAI-compatible, see `transcriptions.ts`). API keys and allowed origins (`auth.ts`) guard
 * sessions and uploads. Every refusal is a JSON `{error}` with a 4xx/5xx status that says what
 * is wrong; admission's `503` adds `reason` and a `Retry-After` header.
 *
 * @module
 */

import { SessionRegistry } from "../../session/registry.ts";
import { CapacityError } from "../../session/registry.ts";
import { type PeerOptions, SessionPeer } from "../webrtc/peer.ts";
import { readOffer, SignallingError } from "./signalling.ts";
import { HttpError } from "./errors.ts";
import { type ApiKeys, OriginPolicy, type Principal } from "./auth.ts";
import { handleTranscription, type TranscriptionService } from "./transcriptions.ts";
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
  /**
   * The models a client may name (a session's `model`, an upload's): `id` as clients send it,
   * `name` as the engine knows it. Anything else is refused, so no client can make the server
   * open a file of its choosing. Without it, any name goes to the engine.
   */
  models?: () => { id: string; name: string }[];
  /** File transcription (`POST /v1/audio/transcriptions`); without it the route is a 404. */
  transcriptions?: TranscriptionService;
  /** Uploads transcribing at once, all keys together (default 4); more are a 503. */
  maxUploads?: number;
  /** API keys; without them sessions and uploads need none. */
  apiKeys?: ApiKeys | null;
  /** Origins allowed to call the service from a browser (default: any). */
  allowedOrigins?: readonly string[];
}

/** The caller when no keys are configured. */
const ANONYMOUS: Principal = { name: "anonymous", maxSessions: Infinity, maxUploads: Infinity };

const SESSION_PATH = /^\/v1\/sessions\/([0-9a-f-]{36})$/;

const CORS = {
  "access-control-allow-methods": "GET, POST, DELETE, OPTIONS",
  "access-control-allow-headers": "content-type, authorization",
  "access-control-expose-headers":
    "location, retry-after, www-authenticate, x-model, x-decode-ms, x-audio-duration-s, x-audio-warning",
};

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

const preflight = () => new Response(null, { status: 204 });

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
  readonly #origins: OriginPolicy;
  /** Who opened each session (API key name). */
  readonly #owner = new Map<string, string>();
  /** Uploads running, per key. */
  readonly #uploadsOf = new Map<string, number>();
  /** Peers of ended sessions still sending their last events (awaited by `close`). */
  readonly #closing = new Set<Promise<void>>();

  constructor(opts: AppOptions) {
    this.#opts = opts;
    this.registry = opts.registry;
    this.#origins = new OriginPolicy(opts.allowedOrigins ?? []);
  }

  /** Uploads being received or transcribed now. */
  get uploads(): number {
    let n = 0;
    for (const k of this.#uploadsOf.values()) n += k;
    return n;
  }

  /** Peers open now. */
  get peers(): number {
    return this.#peers.size;
  }

  /** Closes the peer of a session that is over (wire it to the registry's `onClosed`). */
  sessionClosed(session: LiveSession): void {
    const peer = this.#peers.get(session.id);
    this.#peers.delete(session.id);
    this.#owner.delete(session.id);
    if (!peer) return;
    const closing = peer.close().finally(() => this.#closing.delete(closing));
    this.#closing.add(closing);
  }

  /** Handles one request. */
  handle = async (req: Request): Promise<Response> => {
    let allowOrigin = "*";
    let res: Response;
    try {
      allowOrigin = this.#origins.check(req);
      res = await this.#route(req);
    } catch (err) {
      res = this.#refusal(err);
    }
    if (allowOrigin !== "null") {
      res.headers.set("access-control-allow-origin", allowOrigin);
      for (const [k, v] of Object.entries(CORS)) res.headers.set(k, v);
      if (allowOrigin !== "*") res.headers.append("vary", "Origin");
    }
    return res;
  };

  /** The caller (a 401 when keys are configured and it has none that is valid). */
  async #caller(req: Request): Promise<Principal> {
    return this.#opts.apiKeys ? await this.#opts.apiKeys.authenticate(req) : ANONYMOUS;
  }

  #refusal(err: unknown): Response {
    if (err instanceof CapacityError) {
      this.#opts.metrics?.refused(err.reason);
      return json(503, { error: err.message, reason: err.reason }, {
        "retry-after": String(err.retryAfterS),
      });
    }
    if (err instanceof HttpError) {
      if (err.reason) this.#opts.metrics?.refused(err.reason);
      return json(
        err.status,
        { error: err.message, ...(err.reason ? { reason: err.reason } : {}) },
        err.headers,
      );
    }
    console.error(err);
    return fail(500, `Internal error: ${(err as Error).message}`);
  }

  async #route(req: Request): Promise<Response> {
    const url = new URL(req.url);
    {
      if (url.pathname === "/v1/sessions") {
        if (req.method === "POST") return await this.#create(req);
        if (req.method === "OPTIONS") return preflight();
        return fail(405, `Method ${req.method} not allowed on /v1/sessions (use POST)`);
      }
      const m = SESSION_PATH.exec(url.pathname);
      if (m) return await this.#session(req, m[1]);
      if (url.pathname === "/v1/models" && req.method === "GET" && this.#opts.models) {
        // OpenAI-compatible: what `model` may name (those that failed to load left out).
        const failed = new Set(
          (this.#opts.engine?.models.status ?? []).filter((m) => m.state === "failed")
            .map((m) => m.name),
        );
        return json(200, {
          object: "list",
          data: this.#opts.models().filter((m) => !failed.has(m.name)).map((m) => ({
            id: m.id,
            object: "model",
            owned_by: "hum-helix",
          })),
        });
      }
      if (url.pathname === "/v1/audio/transcriptions" && this.#opts.transcriptions) {
        if (req.method === "POST") return await this.#transcribe(req, this.#opts.transcriptions);
        if (req.method === "OPTIONS") return preflight();
        return fail(405, `Method ${req.method} not allowed on ${url.pathname} (use POST)`);
      }
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
    }
  }

  async #transcribe(req: Request, service: TranscriptionService): Promise<Response> {
    const who = await this.#caller(req);
    const max = this.#opts.maxUploads ?? 4;
    if (this.uploads >= max) {
      throw new HttpError(
        503,
        `Cannot transcribe: the server is running its limit of ${max} uploads`,
        {
          headers: { "retry-after": "10" },
          reason: "uploads_full",
        },
      );
    }
    if ((this.#uploadsOf.get(who.name) ?? 0) >= who.maxUploads) {
      throw new HttpError(
        429,
        `Cannot transcribe: API key "${who.name}" is running its limit of ${who.maxUploads} uploads`,
        { headers: { "retry-after": "10" }, reason: "key_limit" },
      );
    }
    bump(this.#uploadsOf, who.name, 1);
    try {
      return await handleTranscription(req, service, () => this.#opts.models?.() ?? []);
    } finally {
      bump(this.#uploadsOf, who.name, -1);
    }
  }

  async #create(req: Request): Promise<Response> {
    const who = await this.#caller(req);
    let open = 0;
    for (const name of this.#owner.values()) if (name === who.name) open++;
    if (open >= who.maxSessions) {
      throw new HttpError(
        429,
        `Cannot start a session: API key "${who.name}" has its limit of ${who.maxSessions} sessions open`,
        { headers: { "retry-after": "10" }, reason: "key_limit" },
      );
    }
    const offer = await readOffer(req);
    const overrides: Record<string, unknown> = {
      ...offer.config.overrides,
      ...(offer.config.model ? { model: offer.config.model } : {}),
    };
    if (overrides.model !== undefined && this.#opts.models) {
      const known = this.#opts.models();
      const m = known.find((k) => k.id === overrides.model || k.name === overrides.model);
      if (!m) {
        throw new SignallingError(
          400,
          `Cannot start a session: unknown model "${String(overrides.model).slice(0, 100)}" ` +
            `(this server has ${known.map((k) => k.id).join(", ") || "none"})`,
        );
      }
      overrides.model = m.name;
    }
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
      if (!live.closed) this.#owner.set(live.id, who.name);
      answer = r.answer;
    } catch (err) {
      await live.close("error");
      throw new SignallingError(400, `Cannot answer the offer: ${(err as Error).message}`);
    }
    const location = `${this.#opts.publicUrl?.replace(/\/$/, "") ?? ""}/v1/sessions/${live.id}`;
    if (offer.answerAs === "sdp") {
      return new Response(answer, {
        status: 201,
        headers: { "content-type": "application/sdp", location },
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
      uploads: { running: this.uploads, max: this.#opts.maxUploads ?? 4 },
      process: processMemory(),
    };
  }

  async #session(req: Request, id: string): Promise<Response> {
    if (req.method === "OPTIONS") return preflight();
    const who = await this.#caller(req);
    const live = this.registry.get(id);
    // With keys, a session is visible only to the key that opened it.
    if (!live || (this.#opts.apiKeys && this.#owner.get(id) !== who.name)) {
      return fail(404, `No session ${id} (it ended, or never existed)`);
    }
    if (req.method === "DELETE") {
      await live.end("deleted");
      return new Response(null, { status: 204 });
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

/** Adds `by` to a count in `map`, deleting it at zero. */
function bump(map: Map<string, number>, key: string, by: number): void {
  const n = (map.get(key) ?? 0) + by;
  if (n > 0) map.set(key, n);
  else map.delete(key);
}

/** This process's resident memory now and at its peak, MB, for `/v1/status`. */
function processMemory(): { rss_mb: number; peak_rss_mb: number } {
  const m = processMemoryMb();
  return { rss_mb: Math.round(m.rssMb), peak_rss_mb: Math.round(m.peakRssMb) };
}
