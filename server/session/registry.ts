/**
 * The live sessions of a server: admits or refuses new ones (the session limit, no model ready
 * yet, an overloaded scheduler, a draining server), opens each one's engine stream, looks them
 * up by id, and ends them all on shutdown or drains them on SIGTERM.
 *
 * @module
 */

import type { Engine } from "../engine/engine.ts";
import type { ModeName } from "../../protocol/modes.ts";
import type { SessionClock } from "../engine/clock.ts";
import { type EndReason, type InputKind, LiveSession } from "./live_session.ts";
import type { TranscriptEvent } from "../../protocol/events.ts";

/** Why admission refused a session. */
export type RefusalReason = "full" | "overloaded" | "loading" | "draining";

/** Admission refused a session (HTTP 503 with `Retry-After`). */
export class CapacityError extends Error {
  readonly reason: RefusalReason;
  /** Seconds after which trying again may succeed. */
  readonly retryAfterS: number;

  constructor(reason: RefusalReason, message: string, retryAfterS: number) {
    super(`Cannot open a session: ${message}`);
    this.name = "CapacityError";
    this.reason = reason;
    this.retryAfterS = retryAfterS;
  }
}

/** What a session is opened with. */
export interface OpenLiveOptions {
  mode?: ModeName;
  overrides?: Record<string, unknown>;
  inputs: InputKind[];
  clock?: SessionClock;
}

/** Options of a {@linkcode SessionRegistry}. */
export interface RegistryOptions {
  /** Sessions open at once, at most (default 32). */
  maxSessions?: number;
  /** Called when a session is over, with why. */
  onClosed?: (session: LiveSession, reason: EndReason) => void;
  /** Sees every event each session puts out, numbered, as it goes out (metrics). */
  observeEvent?: (event: TranscriptEvent) => void;
  /** Refuse new sessions while the scheduler is at its highest degrade level (default true). */
  refuseWhenOverloaded?: boolean;
  /** `Retry-After` for a full server, seconds (default 10). */
  retryAfterS?: number;
  /** Longest a session may last, ms: then it is ended (reason `max_duration`). Default: none. */
  maxSessionMs?: number;
  /** Largest data-channel message a session takes, bytes (default 64 KiB). */
  maxMessageBytes?: number;
}

/** The live sessions; see the module doc. */
export class SessionRegistry {
  readonly #engine: Engine;
  readonly #max: number;
  readonly #sessions = new Map<string, LiveSession>();
  readonly #onClosed?: (session: LiveSession, reason: EndReason) => void;
  readonly #opts: RegistryOptions;
  #opening = 0;
  #ended = 0;
  #draining = false;
  #idle: (() => void)[] = [];

  constructor(engine: Engine, opts: RegistryOptions = {}) {
    this.#engine = engine;
    this.#max = opts.maxSessions ?? 32;
    this.#onClosed = opts.onClosed;
    this.#opts = opts;
  }

  /** Sessions admitted at once, at most. */
  get capacity(): number {
    return this.#max;
  }

  /** Sessions ended since start. */
  get ended(): number {
    return this.#ended;
  }

  /** Whether the server is draining (refusing new sessions, letting open ones finish). */
  get draining(): boolean {
    return this.#draining;
  }

  /**
   * Why a new session would be refused now, or null if it would be admitted: what `/readyz`
   * and admission both ask.
   */
  refusal(): CapacityError | null {
    if (this.#draining) {
      return new CapacityError("draining", "the server is shutting down; use another", 1);
    }
    if (!this.#engine.ready) {
      const models = this.#engine.models.status;
      const allFailed = models.length > 0 && models.every((m) => m.state === "failed");
      return new CapacityError(
        "loading",
        allFailed
          ? "every model failed to load (see /v1/status for why)"
          : "no model is loaded yet",
        allFailed ? 30 : 2,
      );
    }
    if (this.#sessions.size + this.#opening >= this.#max) {
      return new CapacityError(
        "full",
        `the server is at its limit of ${this.#max} sessions`,
        this.#opts.retryAfterS ?? 10,
      );
    }
    if ((this.#opts.refuseWhenOverloaded ?? true) && this.#engine.scheduler?.degradeLevel === 2) {
      return new CapacityError(
        "overloaded",
        "inference is overloaded (decodes wait too long); try again shortly",
        5,
      );
    }
    return null;
  }

  /** Sessions open now. */
  get size(): number {
    return this.#sessions.size;
  }

  /** The sessions open now, oldest first. */
  get sessions(): LiveSession[] {
    return [...this.#sessions.values()];
  }

  /** The session with `id`, if open. */
  get(id: string): LiveSession | undefined {
    return this.#sessions.get(id);
  }

  /** Opens a session. Throws {@linkcode CapacityError} at the limit, or the config's error. */
  async open(opts: OpenLiveOptions): Promise<LiveSession> {
    const refused = this.refusal();
    if (refused) throw refused;
    this.#opening++;
    try {
      const id = crypto.randomUUID();
      const stream = await this.#engine.open({
        mode: opts.mode,
        overrides: opts.overrides,
        clock: opts.clock,
        sessionId: id,
      });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const live = new LiveSession(id, stream, opts.inputs, {
        observeEvent: this.#opts.observeEvent,
        onClosed: (reason) => {
          clearTimeout(timer);
          this.#sessions.delete(id);
          this.#ended++;
          this.#onClosed?.(live, reason);
          if (!this.#sessions.size) { for (const f of this.#idle.splice(0)) f(); }
        },
      });
      const limit = this.#opts.maxSessionMs;
      if (limit) timer = setTimeout(() => void live.end("max_duration"), limit);
      if (this.#opts.maxMessageBytes) live.maxMessageBytes = this.#opts.maxMessageBytes;
      this.#sessions.set(id, live);
      return live;
    } finally {
      this.#opening--;
    }
  }

  /** Ends every session (finalizing each), e.g. on shutdown. */
  async endAll(reason: EndReason): Promise<void> {
    await Promise.all([...this.#sessions.values()].map((s) => s.end(reason)));
  }

  /**
   * Drains: refuses new sessions from now on and waits until the open ones have ended by
   * themselves, at most `graceMs`; then ends the rest (their finals are still sent).
   */
  async drain(graceMs: number): Promise<void> {
    this.#draining = true;
    if (this.#sessions.size) {
      const idle = new Promise<void>((r) => this.#idle.push(r));
      let timer: ReturnType<typeof setTimeout> | undefined;
      const grace = new Promise<void>((r) => (timer = setTimeout(r, graceMs)));
      await Promise.race([idle, grace]);
      clearTimeout(timer);
    }
    await this.endAll("shutdown");
  }
}
