/**
 * WHIP-style signalling: `POST /v1/sessions` with an offer opens a session and answers `201`
 * with the answer and the session's URL in `Location`; `GET` on that URL reports the session,
 * `DELETE` ends it. A session's peer lives here until the session is over; with API keys, a
 * session is visible only to the key that opened it, and each key holds at most its limit.
 *
 * @module
 */

import { CapacityError } from "../../../session/registry.ts";
import type { LiveSession } from "../../../session/live_session.ts";
import { type PeerOptions, SessionPeer } from "../../webrtc/peer.ts";
import { readOffer, SignallingError } from "../signalling.ts";
import { HttpError } from "../errors.ts";
import type { Principal } from "../auth.ts";
import type { ModelCatalog, SessionProvider } from "../providers.ts";
import { fail, json, methodNotAllowed } from "../responses.ts";

/** How the session routes are set up. */
export interface SessionRoutesOptions {
  sessions: SessionProvider;
  peer?: PeerOptions;
  /** Put in front of session locations (see `AppOptions.publicUrl`); default: relative. */
  publicUrl?: string;
  /** The models a session may name; without them, any name goes to the session side. */
  models?: ModelCatalog;
  /** Whether a session is visible only to the key that opened it (API keys are configured). */
  perKey: boolean;
}

/** The session routes and the peers of open sessions; see the module doc. */
export class SessionRoutes {
  readonly #opts: SessionRoutesOptions;
  readonly #peers = new Map<string, SessionPeer>();
  /** Who opened each session (API key name). */
  readonly #owner = new Map<string, string>();
  /** Peers of ended sessions still sending their last events (awaited by `close`). */
  readonly #closing = new Set<Promise<void>>();

  constructor(opts: SessionRoutesOptions) {
    this.#opts = opts;
  }

  /** Peers open now. */
  get peers(): number {
    return this.#peers.size;
  }

  /** Closes the peer of a session that is over. */
  sessionClosed(session: LiveSession): void {
    const peer = this.#peers.get(session.id);
    this.#peers.delete(session.id);
    this.#owner.delete(session.id);
    if (!peer) return;
    const closing = peer.close().finally(() => this.#closing.delete(closing));
    this.#closing.add(closing);
  }

  /** `POST /v1/sessions` from `who`: opens a session and answers its offer. */
  async create(req: Request, who: Principal): Promise<Response> {
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
    const models = this.#opts.models;
    if (overrides.model !== undefined && models) {
      const requested = overrides.model;
      const m = typeof requested === "string" ? models.lookup(requested) : undefined;
      if (!m) {
        throw new SignallingError(
          400,
          `Cannot start a session: unknown model "${String(requested).slice(0, 100)}" ` +
            `(this server has ${models.served().map((k) => k.id).join(", ") || "none"})`,
        );
      }
      overrides.model = m.name;
    }
    let live: LiveSession;
    try {
      live = await this.#opts.sessions.open({
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
        connection: this.#peers.get(id)?.pc.connectionState ?? "none",
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
    await Promise.all([...this.#peers.values()].map((p) => p.close()));
    this.#peers.clear();
    await Promise.all([...this.#closing]);
  }
}
