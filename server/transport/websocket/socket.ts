/**
 * One WebSocket per session, the data-channel transport's twin for clients that do not speak
 * WebRTC: text messages in are control messages (as on the `transcript` channel), binary messages
 * in are audio frames (`protocol/audio_frames.ts`: PCM16 or Opus frames count as the `audio`
 * channel, log-mel frames as the `mel` channel, each numbered on its own), and every transcript
 * event and session message goes out as one text message. The session ends as over WebRTC: the
 * client's `end` finalizes it, then `ended` is sent and the server closes the socket (1000); a
 * socket that closes first is a client gone (the session is freed without finalizing); nothing
 * heard for the idle timeout ends it (`timeout`).
 *
 * Given an {@linkcode EventChannel}, the socket carries that protocol instead (the OpenAI Realtime
 * API's events: `realtime/channel.ts`), with the same lifetime.
 *
 * @module
 */

import { FRAME_HEADER_BYTES, FRAME_KINDS } from "../../../protocol/audio_frames.ts";
import type { EndReason, FrameChannel, LiveSession } from "../../session/live_session.ts";
import type { EventChannel, EventConnection } from "../event_channel.ts";

/** How session sockets are set up. */
export interface SocketOptions {
  /**
   * Nothing received for this long ends the session, ms (default 30 000), as a WebRTC peer's
   * idle timeout.
   */
  idleTimeoutMs?: number;
}

/** How long `close` waits for the socket to send what it holds, at most, ms. */
const DRAIN_MS = 2_000;

/** The channel a binary frame belongs to, read from its kind byte (a bad frame: `audio`). */
export function frameChannel(frame: Uint8Array): FrameChannel {
  return frame.length >= FRAME_HEADER_BYTES && frame[1] === FRAME_KINDS.mel ? "mel" : "audio";
}

/** A session's WebSocket; see the module doc. */
export class SessionSocket {
  readonly socket: WebSocket;
  readonly #live: LiveSession;
  /** The other protocol's side, once open (with an {@linkcode EventChannel}). */
  #conn: EventConnection | null = null;
  #closed = false;
  #lastHeard = performance.now();
  #idle: ReturnType<typeof setInterval> | undefined;

  /**
   * Binds `socket` (just upgraded, not yet open) to `live`: once it opens, the session's
   * `ready` and events flow out and frames and control messages flow in.
   */
  constructor(
    live: LiveSession,
    socket: WebSocket,
    opts: SocketOptions = {},
    channel?: EventChannel,
  ) {
    this.#live = live;
    this.socket = socket;
    socket.binaryType = "arraybuffer";
    const attach = channel
      ? () => (this.#conn = channel.open((t) => this.#send(t)))
      : () => live.attachTranscript({ send: (t) => this.#send(t) });
    if (socket.readyState === WebSocket.OPEN) attach();
    else socket.addEventListener("open", attach, { once: true });
    socket.addEventListener("message", (e) => this.#message(e.data));
    // The socket closing before the session ended: the client is gone.
    socket.addEventListener("close", () => this.#lost("disconnected"));
    socket.addEventListener("error", () => this.#lost("disconnected"));
    const limitMs = opts.idleTimeoutMs ?? 30_000;
    this.#idle = setInterval(() => {
      // A session that is finishing (the client said `end`) owes the client its last events.
      if (this.#closed || live.ending) return;
      if (performance.now() - this.#lastHeard >= limitMs) {
        void live.abandon("timeout").finally(() => this.close());
      }
    }, Math.min(limitMs, 1_000));
  }

  /** Whether the socket has been closed (by either side). */
  get closed(): boolean {
    return this.#closed;
  }

  #message(data: unknown): void {
    this.#lastHeard = performance.now();
    const bytes = data instanceof ArrayBuffer
      ? new Uint8Array(data)
      : data instanceof Uint8Array
      ? data
      : null;
    if (this.#conn) {
      if (typeof data === "string") this.#conn.message(data);
      else this.#conn.binary?.(bytes ?? new Uint8Array(0));
      return;
    }
    if (typeof data === "string") {
      void this.#live.control(data);
      return;
    }
    if (!bytes) {
      this.#live.reportError("bad_frame", "a binary message that is not bytes was ignored");
      return;
    }
    this.#live.audioFrame(bytes, frameChannel(bytes));
  }

  #send(text: string): void {
    if (this.socket.readyState !== WebSocket.OPEN) throw new Error("the socket is not open");
    this.socket.send(text);
  }

  /** The client is gone: free the session without finalizing (no one would read it). */
  #lost(reason: EndReason): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#idle);
    this.#conn?.close();
    if (!this.#live.closed) void this.#live.close(reason);
  }

  /**
   * Closes the socket (1000) once it has sent what it holds (at most 2 s), the session being
   * over. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#idle);
    const s = this.socket;
    for (let waited = 0; s.readyState === WebSocket.OPEN && s.bufferedAmount > 0;) {
      if (waited >= DRAIN_MS) break;
      await new Promise((r) => setTimeout(r, 50));
      waited += 50;
    }
    this.#conn?.close();
    if (s.readyState === WebSocket.OPEN || s.readyState === WebSocket.CONNECTING) {
      try {
        s.close(1000, "session ended");
      } catch {
        // Already closing.
      }
    }
  }
}
