/**
 * A Realtime transcription session over a WebSocket (`GET /v1/realtime?intent=transcription`):
 * client events in as text, server events out as text (see `transcription.ts`). The socket closing
 * is a client gone (the session is freed without finalizing); nothing heard for the idle timeout
 * ends the session (`timeout`); when the session ends the server closes the socket (1000).
 *
 * @module
 */

import type { EndReason, LiveSession } from "../../session/live_session.ts";
import { MAX_REALTIME_EVENT_BYTES } from "../../../protocol/realtime.ts";
import { type RealtimeOptions, RealtimeTranscription } from "./transcription.ts";

/** How Realtime sockets are set up. */
export interface RealtimeSocketOptions extends Omit<RealtimeOptions, "send"> {
  /** Nothing received for this long ends the session, ms (default 30 000). */
  idleTimeoutMs?: number;
}

/** A Realtime session's WebSocket; see the module doc. */
export class RealtimeSocket {
  readonly socket: WebSocket;
  readonly #live: LiveSession;
  readonly #session: RealtimeTranscription;
  #closed = false;
  #lastHeard = performance.now();
  #idle: ReturnType<typeof setInterval> | undefined;
  /** Client events are applied one after another, in order. */
  #queue: Promise<void> = Promise.resolve();

  constructor(live: LiveSession, socket: WebSocket, opts: RealtimeSocketOptions) {
    this.#live = live;
    this.socket = socket;
    this.#session = new RealtimeTranscription(live, {
      ...opts,
      send: (e) => {
        if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(e));
      },
    });
    const start = () => this.#session.start();
    if (socket.readyState === WebSocket.OPEN) start();
    else socket.addEventListener("open", start, { once: true });
    socket.addEventListener("message", (e) => this.#message(e.data));
    socket.addEventListener("close", () => this.#lost("disconnected"));
    socket.addEventListener("error", () => this.#lost("disconnected"));
    const limitMs = opts.idleTimeoutMs ?? 30_000;
    this.#idle = setInterval(() => {
      if (this.#closed || live.ending) return;
      if (performance.now() - this.#lastHeard >= limitMs) {
        void live.abandon("timeout").finally(() => this.close());
      }
    }, Math.min(limitMs, 1_000));
  }

  #message(data: unknown): void {
    this.#lastHeard = performance.now();
    if (typeof data !== "string") {
      void this.#session.receive('{"type":"binary message"}');
      return;
    }
    if (data.length > MAX_REALTIME_EVENT_BYTES) {
      void this.#session.receive(
        JSON.stringify({ type: `an event of ${data.length} characters (at most 1 MiB)` }),
      );
      return;
    }
    this.#queue = this.#queue.then(() => this.#session.receive(data));
  }

  #lost(reason: EndReason): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#idle);
    this.#session.close();
    if (!this.#live.closed) void this.#live.close(reason);
  }

  /** Closes the socket (1000) once it has sent what it holds (at most 2 s). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#idle);
    const s = this.socket;
    for (
      let waited = 0;
      s.readyState === WebSocket.OPEN && s.bufferedAmount > 0 && waited < 2_000;
    ) {
      await new Promise((r) => setTimeout(r, 50));
      waited += 50;
    }
    this.#session.close();
    if (s.readyState === WebSocket.OPEN || s.readyState === WebSocket.CONNECTING) {
      try {
        s.close(1000, "session ended");
      } catch {
        // Already closing.
      }
    }
  }
}
