/**
 * The HTTP side of the service, for `Deno.serve`: the browser client's files at `/`, WHIP-style
 * signalling (`POST /v1/sessions` with an offer → `201` with the answer and the session's URL in
 * `Location`; `DELETE` on that URL ends the session; `GET` on it reports it); sessions over one
 * WebSocket (`GET /v1/sessions/ws`, the same session without WebRTC); operations:
 * `GET /v1/status` (sessions, queue, models, capacity), `GET /metrics` (Prometheus text),
 * `/healthz` (the process serves) and `/readyz` (a model is loaded and a session would be
 * admitted: what a load balancer asks); file transcription at `POST /v1/audio/transcriptions`
 * (OpenAI-compatible, see `transcriptions.ts`). API keys and allowed origins (`auth.ts`) guard
 * sessions and uploads. Every refusal is a JSON `{error}` with a 4xx/5xx status that says what
 * is wrong; admission's `503` adds `reason` and a `Retry-After` header.
 *
 * The app routes, checks the caller (key and origin) and turns errors into responses; each group
 * of routes is its own module under `routes/`, and what they need from the rest of the service is
 * declared in `providers.ts`.
 *
 * @module
 */

import { CapacityError } from "../../session/registry.ts";
import type { EndReason, LiveSession } from "../../session/live_session.ts";
import type { PeerOptions } from "../webrtc/peer.ts";
import { HttpError } from "./errors.ts";
import { type ApiKeys, OriginPolicy, type Principal } from "./auth.ts";
import type { TranscriptionService } from "./transcriptions.ts";
import type {
  MetricsProvider,
  ModelCatalog,
  SessionProvider,
  StatusProvider,
} from "./providers.ts";
import { fail, json, methodNotAllowed, preflight } from "./responses.ts";
import { SessionRoutes } from "./routes/sessions.ts";
import { DEFAULT_MAX_UPLOADS, UploadRoute } from "./routes/uploads.ts";
import { clientAddress } from "./client_address.ts";
import { OperationRoutes } from "./routes/operations.ts";
import { StaticRoute } from "./routes/static.ts";

/** What the app serves. */
export interface AppOptions<S extends SessionProvider = SessionProvider> {
  /** The live sessions (the session registry). */
  registry: S;
  peer?: PeerOptions;
  /** Static files of the browser client: URL path → file path. */
  staticFiles?: Record<string, string>;
  /** For `/v1/status`: the inference queue. */
  status?: StatusProvider;
  /** For `/metrics`. */
  metrics?: MetricsProvider;
  /**
   * This server's own base URL as clients reach it (e.g. a pod's address behind a shared
   * Service), put in front of session locations so a `DELETE` reaches the pod that owns the
   * session; default: relative locations.
   */
  publicUrl?: string;
  /**
   * The models a client may name (a session's `model`, an upload's), by id or by the name the
   * engine knows; anything else is refused, so no client can make the server open a file of its
   * choosing. Also `/v1/models` and the models of `/v1/status`. Without it, any name goes to the
   * engine.
   */
  models?: ModelCatalog;
  /** File transcription (`POST /v1/audio/transcriptions`); without it the route is a 404. */
  transcriptions?: TranscriptionService;
  /** Uploads transcribing at once, all keys together (default 4); more are a 503. */
  maxUploads?: number;
  /** Uploads in flight at once from one client address (default 2); more are a 429. */
  maxUploadsPerClient?: number;
  /** API keys; without them sessions and uploads need none. */
  apiKeys?: ApiKeys | null;
  /** Origins allowed to call the service from a browser (default: any). */
  allowedOrigins?: readonly string[];
  /** Sessions not yet connected at once, all clients together (default 16); more are a 503. */
  maxPending?: number;
  /** Sessions not yet connected at once from one client address (default 4); more are a 429. */
  maxPendingPerClient?: number;
  /** Where each session's end is logged, one line (default `console.error`). */
  log?: (line: string) => void;
}

/** The caller when no keys are configured. */
const ANONYMOUS: Principal = { name: "anonymous", maxSessions: Infinity, maxUploads: Infinity };

const SESSION_PATH = /^\/v1\/sessions\/([0-9a-f-]{36})$/;
/** A Realtime call: `GET`/`DELETE` as a session, `POST …/hangup` ends it (as OpenAI's). */
const CALL_PATH = /^\/v1\/realtime\/calls\/([0-9a-f-]{36})(\/hangup)?$/;

const CORS = {
  "access-control-allow-methods": "GET, POST, DELETE, OPTIONS",
  "access-control-allow-headers": "content-type, authorization",
  "access-control-expose-headers":
    "location, retry-after, www-authenticate, x-model, x-decode-ms, x-audio-duration-s, x-audio-warning",
};

/** The service's HTTP app; see the module doc. */
export class App<S extends SessionProvider = SessionProvider> {
  /** The live sessions. */
  readonly registry: S;
  readonly #opts: AppOptions<S>;
  readonly #origins: OriginPolicy;
  readonly #sessions: SessionRoutes;
  readonly #uploads: UploadRoute | null;
  readonly #operations: OperationRoutes;
  readonly #static: StaticRoute;

  constructor(opts: AppOptions<S>) {
    this.#opts = opts;
    this.registry = opts.registry;
    this.#origins = new OriginPolicy(opts.allowedOrigins ?? []);
    this.#sessions = new SessionRoutes({
      sessions: opts.registry,
      peer: opts.peer,
      // A session's socket is as patient with a silent client as its peer would be.
      socket: { idleTimeoutMs: opts.peer?.idleTimeoutMs },
      publicUrl: opts.publicUrl,
      models: opts.models,
      perKey: !!opts.apiKeys,
      maxPending: opts.maxPending,
      maxPendingPerClient: opts.maxPendingPerClient,
      log: opts.log,
    });
    this.#uploads = opts.transcriptions
      ? new UploadRoute(opts.transcriptions, {
        maxUploads: opts.maxUploads,
        maxPerClient: opts.maxUploadsPerClient,
        models: opts.models,
        draining: () => opts.registry.draining,
      })
      : null;
    this.#operations = new OperationRoutes({
      sessions: opts.registry,
      status: opts.status,
      models: opts.models,
      metrics: opts.metrics,
      uploads: () => ({ running: this.uploads, max: opts.maxUploads ?? DEFAULT_MAX_UPLOADS }),
    });
    this.#static = new StaticRoute(opts.staticFiles);
  }

  /** Uploads being received or transcribed now. */
  get uploads(): number {
    return this.#uploads?.running ?? 0;
  }

  /** Peers open now. */
  get peers(): number {
    return this.#sessions.peers;
  }

  /** Session WebSockets open now. */
  get sockets(): number {
    return this.#sessions.sockets;
  }

  /** Sessions not yet connected (their offers being answered included). */
  get pending(): number {
    return this.#sessions.pending;
  }

  /**
   * Closes the peer of a session that is over and logs its end (wire it to the registry's
   * `onClosed`).
   */
  sessionClosed(session: LiveSession, reason: EndReason): void {
    this.#sessions.sessionClosed(session, reason);
  }

  /**
   * Handles one request; `info` (what `Deno.serve` passes) gives the client's address, which
   * caps its sessions that have not connected yet and its uploads in flight.
   */
  handle = async (req: Request, info?: Deno.ServeHandlerInfo): Promise<Response> => {
    let allowOrigin = "*";
    let res: Response;
    try {
      allowOrigin = this.#origins.check(req);
      res = await this.#route(req, clientAddress(info));
    } catch (err) {
      res = this.#refusal(err);
    }
    // A WebSocket upgrade (101) carries no CORS headers (its headers are the handshake's).
    if (allowOrigin !== "null" && res.status !== 101) {
      res.headers.set("access-control-allow-origin", allowOrigin);
      for (const [k, v] of Object.entries(CORS)) res.headers.set(k, v);
      if (allowOrigin !== "*") res.headers.append("vary", "Origin");
    }
    return res;
  };

  /** What `GET /v1/status` answers. */
  status(): Record<string, unknown> {
    return this.#operations.status();
  }

  /**
   * Ends every session (finalizing each) and closes every peer, once each has sent what it holds
   * (a process exiting right after must not cut the last events off).
   */
  async close(): Promise<void> {
    await this.#sessions.close();
  }

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

  async #route(req: Request, client: string): Promise<Response> {
    const path = new URL(req.url).pathname;
    if (path === "/v1/sessions") {
      if (req.method === "POST") {
        return await this.#sessions.create(req, await this.#caller(req), client);
      }
      if (req.method === "OPTIONS") return preflight();
      return methodNotAllowed(req.method, path, ["POST"]);
    }
    if (path === "/v1/realtime/calls") {
      if (req.method === "POST") {
        return await this.#sessions.createCall(req, await this.#caller(req), client);
      }
      if (req.method === "OPTIONS") return preflight();
      return methodNotAllowed(req.method, path, ["POST"]);
    }
    const call = CALL_PATH.exec(path);
    if (call) {
      if (req.method === "OPTIONS") return preflight();
      const who = await this.#caller(req);
      if (!call[2]) return await this.#sessions.session(req, call[1], who);
      if (req.method !== "POST") return methodNotAllowed(req.method, path, ["POST"]);
      return await this.#sessions.session(new Request(req.url, { method: "DELETE" }), call[1], who);
    }
    if (path === "/v1/realtime") {
      if (req.method !== "GET") return methodNotAllowed(req.method, path, ["GET"]);
      return await this.#sessions.openRealtime(req, await this.#caller(realtimeAuth(req)), client);
    }
    if (path === "/v1/sessions/ws") {
      if (req.method === "GET") {
        return await this.#sessions.openSocket(req, await this.#caller(req), client);
      }
      return methodNotAllowed(req.method, path, ["GET"]);
    }
    const session = SESSION_PATH.exec(path);
    if (session) {
      if (req.method === "OPTIONS") return preflight();
      return await this.#sessions.session(req, session[1], await this.#caller(req));
    }
    if (path === "/v1/audio/transcriptions" && this.#uploads) {
      if (req.method === "POST") {
        return await this.#uploads.transcribe(req, await this.#caller(req), client);
      }
      if (req.method === "OPTIONS") return preflight();
      return methodNotAllowed(req.method, path, ["POST"]);
    }
    const operations = await this.#operations.route(req, path);
    if (operations) return operations;
    if (req.method === "GET" || req.method === "HEAD") return await this.#static.serve(path);
    return fail(404, `Nothing at ${path}`);
  }
}

/**
 * A Realtime request as the key check reads it: a browser cannot set `Authorization` on a
 * WebSocket, so OpenAI's clients put the key in a subprotocol, `openai-insecure-api-key.<key>`;
 * that key is taken as a Bearer key when no header is given.
 */
export function realtimeAuth(req: Request): Request {
  if (req.headers.has("authorization")) return req;
  const prefix = "openai-insecure-api-key.";
  const key = (req.headers.get("sec-websocket-protocol") ?? "").split(",").map((p) => p.trim())
    .find((p) => p.startsWith(prefix))?.slice(prefix.length);
  if (!key) return req;
  const headers = new Headers(req.headers);
  headers.set("authorization", `Bearer ${key}`);
  return new Request(req.url, { method: req.method, headers });
}
