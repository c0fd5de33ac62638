/**
 * WHIP-style signalling: `POST /v1/sessions` with an offer opens a session and answers `201`
 * with the answer and the session's URL in `Location`; `GET` on that URL reports the session,
 * `DELETE` ends it. A session's peer lives here until the session is over; with API keys, a
 * session is visible only to the key that opened it, and each key holds at most its limit.
 *
 * A session is pending from its `POST` until its connection first comes up (or it ends): pending
 * sessions have their own small caps, per client address (`429`, reason `pending_per_client`) and
 * overall (`503`, reason `pending_full`), so clients that post offers and never connect cannot
 * hold the server's session slots; the connect deadline (`PeerOptions.connectTimeoutMs`) ends
 * them. Every session's end is logged: one line with its id, reason and duration.
 *
 * @module
 */

import { CapacityError } from "../../../session/registry.ts";
import type { EndReason, LiveSession, MediaCounters } from "../../../session/live_session.ts";
import { DEFAULT_CONNECT_TIMEOUT_MS, type PeerOptions, SessionPeer } from "../../webrtc/peer.ts";
import {
  readOffer,
  readRealtimeCall,
  readSocketConfig,
  type SessionConfig,
  SignallingError,
} from "../signalling.ts";
import { SessionSocket, type SocketOptions } from "../../websocket/socket.ts";
import { OPENAI_TRANSCRIBE_MODELS } from "../../realtime/transcription.ts";
import { realtimeChannel } from "../../realtime/channel.ts";
import type { EventChannel } from "../../event_channel.ts";
import { MODE_NAMES, type ModeName } from "../../../../protocol/modes.ts";
import { HttpError } from "../errors.ts";
import { CountsByKey } from "../counts.ts";
import type { Principal } from "../auth.ts";
import type { ModelCatalog, SessionProvider } from "../providers.ts";
import { fail, json, methodNotAllowed } from "../responses.ts";

/** How the session routes are set up. */
export interface SessionRoutesOptions {
  sessions: SessionProvider;
  peer?: PeerOptions;
  /** How session WebSockets are set up. */
  socket?: SocketOptions;
  /** Put in front of session locations (see `AppOptions.publicUrl`); default: relative. */
  publicUrl?: string;
  /** The models a session may name; without them, any name goes to the session side. */
  models?: ModelCatalog;
  /** Whether a session is visible only to the key that opened it (API keys are configured). */
  perKey: boolean;
  /** Sessions pending (not yet connected) at once, all clients together (default 16). */
  maxPending?: number;
  /** Sessions pending at once from one client address (default 4). */
  maxPendingPerClient?: number;
  /** Where each session's end is logged, one line (default `console.error`). */
  log?: (line: string) => void;
}

/** Pending (not yet connected) sessions at once, all clients together, by default. */
export const DEFAULT_MAX_PENDING = 16;
/** Pending sessions at once from one client address, by default. */
export const DEFAULT_MAX_PENDING_PER_CLIENT = 4;

/** The session routes and the peers of open sessions; see the module doc. */
export class SessionRoutes {
  readonly #opts: SessionRoutesOptions;
  readonly #peers = new Map<string, SessionPeer>();
  /** The sockets of sessions opened over WebSocket (our protocol, or OpenAI Realtime). */
  readonly #sockets = new Map<string, SessionSocket>();
  /** Who opened each session (API key name). */
  readonly #owner = new Map<string, string>();
  /** Peers of ended sessions still sending their last events (awaited by `close`). */
  readonly #closing = new Set<Promise<void>>();
  /** Pending sessions (and offers being answered) per client address. */
  readonly #pendingBy = new CountsByKey();
  /** The client address of each pending session. */
  readonly #pendingOf = new Map<string, string>();
  /** The client address of each session (for its log line). */
  readonly #clientOf = new Map<string, string>();

  constructor(opts: SessionRoutesOptions) {
    this.#opts = opts;
  }

  /** Peers open now. */
  get peers(): number {
    return this.#peers.size;
  }

  /** Sessions pending now: offers being answered, and sessions whose client has not connected. */
  get pending(): number {
    return this.#pendingBy.total;
  }

  /** Sockets open now (sessions over WebSocket). */
  get sockets(): number {
    return this.#sockets.size;
  }

  /** Closes the peer or socket of a session that is over and logs its end (`reason`). */
  sessionClosed(session: LiveSession, reason: EndReason): void {
    const peer = this.#peers.get(session.id);
    const socket = this.#sockets.get(session.id);
    const client = this.#clientOf.get(session.id);
    this.#peers.delete(session.id);
    this.#sockets.delete(session.id);
    this.#owner.delete(session.id);
    this.#clientOf.delete(session.id);
    this.#settle(session.id);
    const seconds = ((performance.now() - session.openedAt) / 1000).toFixed(1);
    const why = peer && !peer.connected ? ` (never connected: ${peer.transportStates})` : "";
    (this.#opts.log ?? console.error)(
      `hum-helix: session ${session.id}${client ? ` from ${client}` : ""} ended: ${reason} ` +
        `after ${seconds} s${why}${
          session.inputs.includes("media") ? mediaSummary(session.counters.media) : ""
        }`,
    );
    const transport = peer ?? socket;
    if (!transport) return;
    const closing = transport.close().finally(() => this.#closing.delete(closing));
    this.#closing.add(closing);
  }

  /**
   * Takes a pending place for `client`, or refuses: the client's own cap (`429`) or the
   * server's (`503`). Given back by {@linkcode #release}.
   */
  #reserve(client: string): void {
    const perClient = this.#opts.maxPendingPerClient ?? DEFAULT_MAX_PENDING_PER_CLIENT;
    const overall = this.#opts.maxPending ?? DEFAULT_MAX_PENDING;
    const mine = this.#pendingBy.get(client);
    const connectS = Math.ceil(
      (this.#opts.peer?.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS) / 1000,
    );
    const retryAfter = { "retry-after": String(Math.max(1, connectS)) };
    if (mine >= perClient) {
      throw new HttpError(
        429,
        `Cannot start a session: ${mine} sessions from ${client} have not connected yet ` +
          `(at most ${perClient} at once; each has ${connectS} s to connect)`,
        { headers: retryAfter, reason: "pending_per_client" },
      );
    }
    if (this.pending >= overall) {
      throw new HttpError(
        503,
        `Cannot start a session: ${this.pending} sessions have not connected yet ` +
          `(at most ${overall} at once; each has ${connectS} s to connect)`,
        { headers: retryAfter, reason: "pending_full" },
      );
    }
    this.#pendingBy.add(client);
  }

  #release(client: string): void {
    this.#pendingBy.remove(client);
  }

  /** A session is no longer pending (it connected, or ended): its place is given back. */
  #settle(id: string): void {
    const client = this.#pendingOf.get(id);
    if (client === undefined) return;
    this.#pendingOf.delete(id);
    this.#release(client);
  }

  /**
   * `POST /v1/sessions` from `who` at `client` (its address): opens a session and answers its
   * offer.
   */
  async create(req: Request, who: Principal, client = "unknown"): Promise<Response> {
    this.#checkKeyLimit(who);
    this.#reserve(client);
    // The place is the session's once it is answered; until then a failure gives it back.
    let handed = false;
    try {
      const r = await this.#create(req, who, client);
      handed = true;
      return r;
    } finally {
      if (!handed) this.#release(client);
    }
  }

  /** A `429` when `who` holds its limit of open sessions. */
  #checkKeyLimit(who: Principal): void {
    let open = 0;
    for (const name of this.#owner.values()) if (name === who.name) open++;
    if (open >= who.maxSessions) {
      throw new HttpError(
        429,
        `Cannot start a session: API key "${who.name}" has its limit of ${who.maxSessions} sessions open`,
        { headers: { "retry-after": "10" }, reason: "key_limit" },
      );
    }
  }

  /** Opens a live session for `config` (its model checked against the catalog). */
  async #open(config: SessionConfig, inputs: LiveSession["inputs"]): Promise<LiveSession> {
    const overrides: Record<string, unknown> = {
      ...config.overrides,
      ...(config.model ? { model: config.model } : {}),
    };
    const models = this.#opts.models;
    for (const key of ["model", "closingModel"] as const) {
      const requested = overrides[key];
      // "" for closingModel: the session's model.
      if (requested === undefined || !models || (key === "closingModel" && requested === "")) {
        continue;
      }
      const m = typeof requested === "string" ? models.lookup(requested) : undefined;
      if (!m) {
        throw new SignallingError(
          400,
          `Cannot start a session: unknown ${key} "${String(requested).slice(0, 100)}" ` +
            `(this server has ${models.served().map((k) => k.id).join(", ") || "none"})`,
        );
      }
      overrides[key] = m.name;
    }
    try {
      return await this.#opts.sessions.open({ mode: config.mode, overrides, inputs });
    } catch (err) {
      if (err instanceof CapacityError) throw err;
      throw new SignallingError(400, `Cannot start a session: ${(err as Error).message}`);
    }
  }

  /**
   * `GET /v1/sessions/ws` from `who` at `client`: a session over one WebSocket (see
   * `websocket/socket.ts`), its config in the query (`mode`, `model`, `overrides` as JSON).
   * Refusals (a bad config, no room, a key at its limit) are answered before the upgrade.
   */
  async openSocket(req: Request, who: Principal, client = "unknown"): Promise<Response> {
    requireUpgrade(req, "/v1/sessions/ws");
    this.#checkKeyLimit(who);
    const live = await this.#open(readSocketConfig(new URL(req.url).searchParams), [
      "audio",
      "mel",
    ]);
    return await this.#upgrade(req, live, who, client);
  }

  /**
   * `GET /v1/realtime?intent=transcription` from `who` at `client`: an OpenAI Realtime
   * transcription session over a WebSocket (`realtime/`). The query may add hum-helix's `mode`
   * and a served `model` (OpenAI's model names stand for the server's default). Refusals come
   * before the upgrade.
   */
  async openRealtime(req: Request, who: Principal, client = "unknown"): Promise<Response> {
    requireUpgrade(req, "/v1/realtime");
    const q = new URL(req.url).searchParams;
    if (q.get("intent") !== "transcription") {
      throw new SignallingError(
        400,
        "Cannot start a Realtime session: only transcription sessions are served here; " +
          "connect to /v1/realtime?intent=transcription",
      );
    }
    const { mode, config } = realtimeQuery(q);
    this.#checkKeyLimit(who);
    const live = await this.#open(config, ["audio"]);
    // OpenAI's clients offer the `realtime` subprotocol (and one carrying the key).
    const offered = (req.headers.get("sec-websocket-protocol") ?? "").split(",").map((p) =>
      p.trim()
    );
    return await this.#upgrade(
      req,
      live,
      who,
      client,
      realtimeChannel(live, { mode, models: this.#opts.models }),
      offered.includes("realtime") ? "realtime" : undefined,
    );
  }

  /**
   * Upgrades `req` to the WebSocket of `live` (our protocol, or `channel`'s); the response
   * carries `X-Session-Id`. A failed upgrade closes the session.
   */
  async #upgrade(
    req: Request,
    live: LiveSession,
    who: Principal,
    client: string,
    channel?: EventChannel,
    protocol?: string,
  ): Promise<Response> {
    let upgraded: { socket: WebSocket; response: Response };
    try {
      upgraded = Deno.upgradeWebSocket(req, protocol ? { protocol } : {});
    } catch (err) {
      await live.close("error");
      throw new SignallingError(400, `Cannot start a session: ${(err as Error).message}`);
    }
    this.#clientOf.set(live.id, client);
    const socket = new SessionSocket(live, upgraded.socket, this.#opts.socket, channel);
    if (live.closed) void socket.close();
    else {
      this.#sockets.set(live.id, socket);
      this.#owner.set(live.id, who.name);
    }
    upgraded.response.headers.set("x-session-id", live.id);
    return upgraded.response;
  }

  /**
   * `POST /v1/realtime/calls` from `who` at `client`: an OpenAI Realtime transcription call over
   * WebRTC — the Opus track in, Realtime events both ways on the `oai-events` data channel (the
   * offer's `session` part, if any, is applied as a first `session.update`). Answers `201` with
   * the SDP answer and `Location: /v1/realtime/calls/<id>`; the query may add `mode` and `model`.
   */
  async createCall(req: Request, who: Principal, client = "unknown"): Promise<Response> {
    this.#checkKeyLimit(who);
    this.#reserve(client);
    let handed = false;
    try {
      const offer = await readRealtimeCall(req);
      const { mode, config } = realtimeQuery(new URL(req.url).searchParams);
      const live = await this.#open(config, offer.inputs);
      const events = realtimeChannel(live, { mode, models: this.#opts.models }, offer.session);
      const r = await this.#answer(live, offer.sdp, who, client, { "oai-events": events });
      handed = true;
      const location = `${
        this.#opts.publicUrl?.replace(/\/$/, "") ?? ""
      }/v1/realtime/calls/${live.id}`;
      return new Response(r, {
        status: 201,
        headers: { "content-type": "application/sdp", location },
      });
    } finally {
      if (!handed) this.#release(client);
    }
  }

  async #create(req: Request, who: Principal, client: string): Promise<Response> {
    const offer = await readOffer(req);
    const live = await this.#open(offer.config, offer.inputs);
    const answer = await this.#answer(live, offer.sdp, who, client);
    const location = `${this.#opts.publicUrl?.replace(/\/$/, "") ?? ""}/v1/sessions/${live.id}`;
    if (offer.answerAs === "sdp") {
      return new Response(answer, {
        status: 201,
        headers: { "content-type": "application/sdp", location },
      });
    }
    return json(201, { type: "answer", sdp: answer, sessionId: live.id, location }, { location });
  }

  /** Answers `sdp` for `live` with a peer; the session is pending until it connects. */
  async #answer(
    live: LiveSession,
    sdp: string,
    who: Principal,
    client: string,
    eventChannels?: Record<string, EventChannel>,
  ): Promise<string> {
    let answer: string;
    this.#clientOf.set(live.id, client);
    try {
      const r = await SessionPeer.answer(
        live,
        sdp,
        this.#opts.peer,
        () => this.#settle(live.id),
        eventChannels,
      );
      this.#peers.set(live.id, r.peer);
      if (!live.closed) this.#owner.set(live.id, who.name);
      // Pending until its connection comes up (`#settle`); a session already over is not.
      if (live.closed || r.peer.connected) this.#release(client);
      else this.#pendingOf.set(live.id, client);
      answer = r.answer;
    } catch (err) {
      await live.close("error");
      throw new SignallingError(400, `Cannot answer the offer: ${(err as Error).message}`);
    }
    return answer;
  }

  /** `GET` (report) or `DELETE` (end) on session `id`, from `who`. */
  async session(req: Request, id: string, who: Principal): Promise<Response> {
    const live = this.#opts.sessions.get(id);
    // With keys, a session is visible only to the key that opened it.
    if (!live || (this.#opts.perKey && this.#owner.get(id) !== who.name)) {
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
        transport: this.#sockets.has(id) ? "websocket" : "webrtc",
        connection: this.#sockets.has(id)
          ? "connected"
          : this.#peers.get(id)?.pc.connectionState ?? "none",
        counters: live.counters,
      });
    }
    return methodNotAllowed(req.method, "a session", ["GET", "DELETE"]);
  }

  /**
   * Ends every session (finalizing each) and closes every peer, once each has sent what it holds.
   */
  async close(): Promise<void> {
    await this.#opts.sessions.endAll("shutdown");
    await Promise.all([...this.#peers.values(), ...this.#sockets.values()].map((p) => p.close()));
    this.#peers.clear();
    this.#sockets.clear();
    await Promise.all([...this.#closing]);
  }
}

/** What every Realtime session overrides in its mode's preset (see `realtimeQuery`). */
const REALTIME_OVERRIDES = { overlapClosing: false } as const;

/** hum-helix's additions to a Realtime URL's query: the `mode` and a served `model`. */
function realtimeQuery(q: URLSearchParams): { mode: ModeName; config: SessionConfig } {
  const mode = q.get("mode") ?? "balanced";
  if (!(MODE_NAMES as readonly string[]).includes(mode)) {
    throw new SignallingError(
      400,
      `Cannot start a Realtime session: mode "${mode.slice(0, 40)}" is not one of ${
        MODE_NAMES.join(", ")
      }`,
    );
  }
  const model = q.get("model");
  // OpenAI's model names stand for the server's default.
  const ours = model && !OPENAI_TRANSCRIBE_MODELS.includes(model) ? { model } : {};
  // A Realtime item is completed before the next turn's words (the adapter gives items to
  // segments in turn): a segment's closing decode is not overlapped with the next one's speech.
  return {
    mode: mode as ModeName,
    config: { mode: mode as ModeName, overrides: REALTIME_OVERRIDES, ...ours },
  };
}

/** A `426` unless `req` asks to upgrade to a WebSocket. */
function requireUpgrade(req: Request, path: string): void {
  if ((req.headers.get("upgrade") ?? "").toLowerCase() !== "websocket") {
    throw new HttpError(
      426,
      `Cannot start a session: ${path} is a WebSocket; send Upgrade: websocket`,
      { headers: { upgrade: "websocket" } },
    );
  }
}

/**
 * What a session's media track's packets came to, for the closing log line: a session whose
 * transcript came out poor says there whether its audio arrived whole (or at all).
 */
export function mediaSummary(m: MediaCounters): string {
  const parts = [`${m.packets} RTP packets`, `${m.lost} lost`];
  if (m.late) parts.push(`${m.late} late`);
  if (m.reordered) parts.push(`${m.reordered} reordered`);
  if (m.fecMs || m.concealedMs) parts.push(`${m.fecMs} ms FEC, ${m.concealedMs} ms concealed`);
  return `; ${parts.join(", ")}`;
}
