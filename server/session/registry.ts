/**
 * The live sessions of a server: opens each one's engine stream, looks them up by id, enforces
 * the session limit, and closes them all on shutdown.
 *
 * @module
 */

import type { Engine } from "../engine/engine.ts";
import type { ModeName } from "../engine/modes.ts";
import type { SessionClock } from "../engine/clock.ts";
import { type EndReason, type InputKind, LiveSession } from "./live_session.ts";
import { releaseFreeMemory } from "../../ffi/native/libc.ts";

/** The server is at its session limit (HTTP 503). */
export class CapacityError extends Error {
  constructor(limit: number) {
    super(`Cannot open a session: the server is at its limit of ${limit} sessions`);
    this.name = "CapacityError";
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
}

/** The live sessions; see the module doc. */
export class SessionRegistry {
  readonly #engine: Engine;
  readonly #max: number;
  readonly #sessions = new Map<string, LiveSession>();
  readonly #onClosed?: (session: LiveSession, reason: EndReason) => void;
  #opening = 0;

  constructor(engine: Engine, opts: RegistryOptions = {}) {
    this.#engine = engine;
    this.#max = opts.maxSessions ?? 32;
    this.#onClosed = opts.onClosed;
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
    if (this.#sessions.size + this.#opening >= this.#max) throw new CapacityError(this.#max);
    this.#opening++;
    try {
      const id = crypto.randomUUID();
      let live: LiveSession | null = null;
      const stream = await this.#engine.open({
        mode: opts.mode,
        overrides: opts.overrides,
        clock: opts.clock,
        sessionId: id,
        onEvent: (e) => live?.deliver(e),
      });
      live = new LiveSession(id, stream, opts.inputs, (reason) => {
        this.#sessions.delete(id);
        this.#onClosed?.(live!, reason);
        // The session's native buffers were freed on a worker thread: give the pages back.
        releaseFreeMemory();
      });
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
}
