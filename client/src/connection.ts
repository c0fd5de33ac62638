/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/// <reference lib="esnext" />
/**
 * The browser's side of one session: a WebRTC peer connection that sends the microphone track (or,
 * in privacy mode, log-mel frames on the `mel` data channel and no audio at all) and opens the
 * `transcript` data channel, WHIP-style signalling against `POST /v1/sessions`, and the messages
 * that come back, validated against the shared protocol schemas.
 *
 * @module
 */

import { authHeaders, RequestError } from "./api_key.ts";
import { EventSchema, PROTOCOL_VERSION, type TranscriptEvent } from "../../protocol/events.ts";
import {
  CHANNELS,
  type ControlMessage,
  type SessionMessage,
  SessionMessageSchema,
} from "../../protocol/control.ts";
import { melFrame } from "../../protocol/audio_frames.ts";

/** Anything the server sends on the transcript channel. */
export type ServerMessage = TranscriptEvent | SessionMessage;

/** A control message as the page writes it (the version is added on sending). */
export type Outgoing = ControlMessage extends infer M ? M extends unknown ? Omit<M, "v"> : never
  : never;

/** The connection's state, for the status indicator. */
export type ConnectionState = "connecting" | "live" | "closed" | "failed";

/** What a {@linkcode Connection} reports. */
export interface ConnectionHandlers {
  onMessage(m: ServerMessage): void;
  onState(state: ConnectionState, detail?: string): void;
}

/** Longest wait for ICE candidates before the offer goes out anyway, ms. */
const GATHER_MS = 5_000;

/** One session with the server; see the module doc. */
export class Connection {
  readonly #pc: RTCPeerConnection;
  readonly #dc: RTCDataChannel;
  /** Privacy mode's channel, and the number of the next mel message on it. */
  readonly #mel: RTCDataChannel | null;
  #melSeq = 0;
  readonly #handlers: ConnectionHandlers;
  #location: string | null = null;
  #ended: (() => void) | null = null;
  #state: ConnectionState = "connecting";

  /**
   * With `privacy`, no audio track is sent: the page sends mel frames with {@linkcode sendMel}.
   */
  constructor(stream: MediaStream, handlers: ConnectionHandlers, opts: { privacy?: boolean } = {}) {
    this.#handlers = handlers;
    this.#pc = new RTCPeerConnection({ iceServers: [] });
    if (!opts.privacy) {
      for (const track of stream.getAudioTracks()) {
        this.#pc.addTransceiver(track, { direction: "sendonly", streams: [stream] });
      }
    }
    this.#mel = opts.privacy ? this.#pc.createDataChannel(CHANNELS.mel) : null;
    this.#dc = this.#pc.createDataChannel(CHANNELS.transcript);
    this.#dc.onmessage = (e) => this.#receive(e.data);
    this.#dc.onclose = () => this.#setState("closed");
    this.#pc.onconnectionstatechange = () => {
      const s = this.#pc.connectionState;
      if (s === "failed") this.#setState("failed", "the connection failed");
      if (s === "closed") this.#setState("closed");
    };
  }

  /** Whether the session is up. */
  get state(): ConnectionState {
    return this.#state;
  }

  #setState(state: ConnectionState, detail?: string): void {
    if (this.#state === state || this.#state === "closed" || this.#state === "failed") return;
    this.#state = state;
    this.#handlers.onState(state, detail);
  }

  /** Signals the session (offer → answer) with `mode`; resolves once the transcript channel is open. */
  async open(mode: string, url = "/v1/sessions"): Promise<void> {
    await this.#pc.setLocalDescription(await this.#pc.createOffer());
    await this.#gathered();
    const res = await fetch(url, {
      signal: AbortSignal.timeout(20_000),
      method: "POST",
      headers: { "content-type": "application/json", ...authHeaders() },
      body: JSON.stringify({ sdp: this.#pc.localDescription!.sdp, config: { mode } }),
    });
    const body = await res.json().catch(() => ({}));
    if (res.status !== 201) {
      throw new RequestError(
        res.status,
        body.error ?? `the server refused the session (${res.status})`,
      );
    }
    this.#location = res.headers.get("location");
    await this.#pc.setRemoteDescription({ type: "answer", sdp: body.sdp });
    if (this.#dc.readyState !== "open") {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error("the server did not connect in 15 s")), 15_000);
        this.#dc.addEventListener("open", () => (clearTimeout(t), resolve()), { once: true });
      });
    }
    this.#setState("live");
  }

  #gathered(): Promise<void> {
    if (this.#pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => (clearTimeout(t), resolve());
      const t = setTimeout(done, GATHER_MS);
      this.#pc.addEventListener("icegatheringstatechange", () => {
        if (this.#pc.iceGatheringState === "complete") done();
      });
    });
  }

  #receive(data: unknown): void {
    if (typeof data !== "string") return;
    let raw: unknown;
    try {
      raw = JSON.parse(data);
    } catch {
      console.warn("hum-helix: a message that is not JSON", data);
      return;
    }
    const r = (typeof raw === "object" && raw !== null && "seq" in raw)
      ? EventSchema.safeParse(raw)
      : SessionMessageSchema.safeParse(raw);
    if (!r.success) {
      console.warn("hum-helix: a message outside the protocol", raw, r.error.issues[0]);
      return;
    }
    const m = r.data as ServerMessage;
    if (m.type === "ended") this.#ended?.();
    this.#handlers.onMessage(m);
  }

  /**
   * Sends log-mel frames (80 log10-power values each) on the `mel` channel, quantized to 8 bits
   * over their own range; dropped before the channel opens (as a track's audio would be).
   */
  sendMel(frames: Float32Array): void {
    if (this.#mel?.readyState !== "open" || frames.length === 0) return;
    this.#mel.send(melFrame(this.#melSeq++, frames) as Uint8Array<ArrayBuffer>);
  }

  /** Sends a control message (dropped when the channel is not open). */
  send(m: Outgoing): void {
    if (this.#dc.readyState === "open") {
      this.#dc.send(JSON.stringify({ v: PROTOCOL_VERSION, ...m }));
    }
  }

  /** Ends the session: the server finalizes and says `ended` (waited for ≤ 5 s), then closes. */
  async end(): Promise<void> {
    if (this.#dc.readyState === "open") {
      const ended = new Promise<void>((resolve) => {
        this.#ended = resolve;
        setTimeout(resolve, 5_000);
      });
      this.send({ type: "end" });
      await ended;
    } else if (this.#location) {
      await fetch(this.#location, { method: "DELETE", headers: authHeaders() }).catch(() => {});
    }
    this.close();
  }

  /** Closes at once. */
  close(): void {
    this.#setState("closed");
    this.#pc.close();
  }
}
