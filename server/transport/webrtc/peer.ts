/**
 * One werift `RTCPeerConnection` per session, as the answering side: it takes the client's offer,
 * gathers its host candidates (no trickle: the answer carries them), and wires what arrives to the
 * session — the Opus audio track through the jitter buffer and the Opus decoder, the `transcript`
 * channel both ways, the `audio` and `mel` channels in. When the connection fails, or stays
 * disconnected past a grace period, or never connects, the session is closed and its state freed.
 * A connection that never came up ends with why: `ice_failed` (no candidate pair worked),
 * `dtls_failed` (ICE connected, but the DTLS handshake failed — a certificate that does not match
 * the offer's fingerprint — or never finished) or `connect_timeout` (nothing finished by the
 * connect deadline).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import {
  type MediaStreamTrack,
  type RTCDataChannel,
  RTCPeerConnection,
  RTCRtpCodecParameters,
} from "werift";
import { opusPacketSamples } from "../../../decode/frames.ts";
import { OpusStream } from "../../../decode/opus_stream.ts";
import { CHANNELS } from "../../../protocol/control.ts";
import type { EndReason, LiveSession } from "../../session/live_session.ts";
import { JitterBuffer } from "./jitter.ts";
import { withMaxMessageSize, withOpusParameters } from "./answer_sdp.ts";
import { timeStage } from "../../../util/stage_cost.ts";
import { limitInboundMessages, type MessageLimitCounters } from "./sctp_limit.ts";
import { SeededRandom } from "../../../util/random.ts";
import type { EventChannel } from "../event_channel.ts";

/** An ICE server, as in the browser's `RTCIceServer`. */
export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

/** How peers are set up. */
export interface PeerOptions {
  /** ICE servers; default none (host candidates only, nothing contacted outside). */
  iceServers?: IceServer[];
  /** UDP ports for ICE, inclusive. */
  portRange?: [number, number];
  /**
   * Longest wait for the connection (ICE, DTLS and SCTP) after the answer, ms (default
   * {@linkcode DEFAULT_CONNECT_TIMEOUT_MS}): then the session ends (`connect_timeout`, or
   * `dtls_failed` when ICE connected and DTLS did not).
   */
  connectTimeoutMs?: number;
  /** How long `disconnected` may last before the session is closed, ms (default 5 000). */
  disconnectGraceMs?: number;
  /** Longest wait for a lost RTP packet, ms (default 60). */
  jitterMs?: number;
  /**
   * Nothing received (no RTP, no data-channel message) for this long closes the session, ms
   * (default 30 000): the net under a client that vanished without a word.
   */
  idleTimeoutMs?: number;
  /**
   * Simulated loss of inbound audio RTP packets, percent, from a fixed-seed generator (tests and
   * fault suites). werift's own `debug.inboundPacketLoss` is not used: in werift 0.25.2 it drops
   * the complement of the share asked for, and DTLS/SCTP packets too.
   */
  inboundLossPercent?: number;
}

/** How long a client has to connect after the answer by default, ms. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * Opus. werift's answer carries the offer's Opus parameters, not these: `withOpusParameters` sets
 * what the answer asks of the sender.
 */
const OPUS = () =>
  new RTCRtpCodecParameters({
    mimeType: "audio/opus",
    clockRate: 48_000,
    channels: 2,
    parameters: "minptime=10;useinbandfec=1",
  });

/** How long after an audio channel closed the connection must still be up to finalize, ms. */
const INPUT_CLOSE_SETTLE_MS = 200;

/** The answering side of one session; see the module doc. */
export class SessionPeer {
  readonly pc: RTCPeerConnection;
  readonly #live: LiveSession;
  readonly #opts: PeerOptions;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly #cleanups: (() => void)[] = [];
  #transcript: RTCDataChannel | null = null;
  #messageLimit: MessageLimitCounters | null = null;
  #closed = false;
  /** Whether the connection has been up (ICE, DTLS and SCTP connected) at some point. */
  #connected = false;
  #onConnected: (() => void) | undefined;
  /** Data channels of other protocols, by label (their closing means the client is gone). */
  #eventChannels: Record<string, EventChannel> = {};
  /** When something last arrived from the client (performance.now()). */
  #lastHeard = performance.now();

  private constructor(live: LiveSession, opts: PeerOptions) {
    this.#live = live;
    this.#opts = opts;
    this.pc = new RTCPeerConnection({
      iceServers: opts.iceServers ?? [],
      icePortRange: opts.portRange,
      codecs: { audio: [OPUS()], video: [] },
    });
  }

  /**
   * Answers `offerSdp` for `live` and returns the peer and its answer SDP (with candidates);
   * `onConnected` runs once, when the connection first comes up. On failure nothing is left
   * open: the caller closes the session.
   */
  static async answer(
    live: LiveSession,
    offerSdp: string,
    opts: PeerOptions = {},
    onConnected?: () => void,
    eventChannels: Record<string, EventChannel> = {},
  ): Promise<{ peer: SessionPeer; answer: string }> {
    const peer = new SessionPeer(live, opts);
    peer.#onConnected = onConnected;
    peer.#eventChannels = eventChannels;
    try {
      peer.#wire();
      await peer.pc.setRemoteDescription({ type: "offer", sdp: offerSdp });
      await peer.pc.setLocalDescription(await peer.pc.createAnswer());
      peer.#limitMessages();
      await peer.#gathered();
      const sdp = peer.pc.localDescription?.sdp;
      if (!sdp) throw new Error("no local description after gathering");
      const answer = withOpusParameters(withMaxMessageSize(sdp, live.maxMessageBytes));
      peer.#later(opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, () => {
        if (!peer.#connected) peer.#lost(peer.#whyNotConnected("connect_timeout"));
      });
      peer.#watchIdle(opts.idleTimeoutMs ?? 30_000);
      return { peer, answer };
    } catch (err) {
      await peer.close();
      throw err;
    }
  }

  #wire(): void {
    const subs = [
      this.pc.onTrack.subscribe((track) => this.#track(track)),
      this.pc.onDataChannel.subscribe((dc) => this.#channel(dc)),
      this.pc.connectionStateChange.subscribe((state) => {
        if (state === "connected") this.#limitMessages();
        if (state === "connected" && !this.#connected) {
          this.#connected = true;
          this.#onConnected?.();
        }
        if (state === "failed") {
          this.#lost(this.#connected ? "disconnected" : this.#whyNotConnected("disconnected"));
        }
        if (state === "closed") this.#lost("disconnected");
        if (state === "disconnected") {
          this.#later(this.#opts.disconnectGraceMs ?? 5_000, () => {
            if (this.pc.connectionState !== "connected") this.#lost("disconnected");
          });
        }
      }),
    ];
    for (const s of subs) this.#cleanups.push(() => s.unSubscribe());
  }

  /** What the data-channel message limit saw (null without data channels). */
  get messageLimit(): MessageLimitCounters | null {
    return this.#messageLimit;
  }

  /**
   * Holds data-channel messages to the session's limit while SCTP reassembles them (see
   * sctp_limit.ts): one over it is refused with a `message_too_large` error event as it arrives;
   * a peer breaking SCTP's rules ends the session (`ended` with reason `error`).
   */
  #limitMessages(): void {
    const sctp = this.pc.sctpTransport;
    if (!sctp) return;
    const live = this.#live;
    this.#messageLimit = limitInboundMessages(sctp.sctp, {
      maxMessageBytes: live.maxMessageBytes,
      onRefused: (streamId, held, fragments) =>
        live.refuseOversized(
          sctp.dataChannels[streamId]?.label ?? `stream ${streamId}`,
          held,
          fragments,
        ),
      onAbort: (reason) => {
        if (this.#closed) return;
        live.reportError("message_too_large", `data channels given up: ${reason}`, false);
        void live.abandon("error").finally(() => this.close());
      },
    });
  }

  #track(track: MediaStreamTrack): void {
    if (track.kind !== "audio") return;
    const jitter = new JitterBuffer({
      durationOf: (p) => opusPacketSamples(p, 48_000),
      waitMs: this.#opts.jitterMs ?? 60,
    });
    const opus = new OpusStream();
    const live = this.#live;
    const media = live.counters.media;
    const out = (items: ReturnType<JitterBuffer["poll"]>) => {
      for (const item of items) {
        for (const pcm of timeStage("opus_decode", () => [...opus.take(item)])) live.pushPcm(pcm);
      }
      const j = jitter.counters, o = opus.counters;
      media.packets = j.received;
      media.lost = j.lost;
      media.reordered = j.reordered;
      media.late = j.late;
      media.duplicates = j.duplicates;
      media.fecMs = Math.round(o.fecMs);
      media.concealedMs = Math.round(o.concealedMs);
      media.mismatched = j.mismatched;
      media.mismatchedMs = Math.round(j.mismatchedTime / 48);
    };
    const loss = (this.#opts.inboundLossPercent ?? 0) / 100;
    // A fixed seed: the same losses on every run.
    const rng = new SeededRandom(0x9e3779b9, "xorshift32");
    const dropped = () => loss > 0 && rng.next() < loss;
    const sub = track.onReceiveRtp.subscribe((rtp) => {
      this.#lastHeard = performance.now();
      if (this.#closed || rtp.payload.length === 0 || dropped()) return;
      out(timeStage("jitter", () =>
        jitter.push({
          seq: rtp.header.sequenceNumber,
          timestamp: rtp.header.timestamp,
          payload: new Uint8Array(rtp.payload),
        }, performance.now())));
    });
    const poll = setInterval(
      () => out(timeStage("jitter", () => jitter.poll(performance.now()))),
      20,
    );
    this.#cleanups.push(() => {
      sub.unSubscribe();
      clearInterval(poll);
      opus.close();
    });
  }

  #channel(dc: RTCDataChannel): void {
    const live = this.#live;
    const asBytes = (m: string | Buffer) => {
      this.#lastHeard = performance.now();
      return typeof m === "string" ? m : new Uint8Array(m);
    };
    switch (dc.label) {
      case CHANNELS.transcript: {
        this.#transcript = dc;
        const attach = () => live.attachTranscript({ send: (t) => dc.send(t) });
        if (dc.readyState === "open") attach();
        else {
          const s = dc.stateChanged.subscribe((st) => st === "open" && attach());
          this.#cleanups.push(() => s.unSubscribe());
        }
        const s = dc.onMessage.subscribe((m) => void live.control(asBytes(m)));
        // The transcript channel closing means the client is gone (its page or peer closed).
        const c = dc.stateChanged.subscribe((st) => st === "closed" && this.#lost("disconnected"));
        this.#cleanups.push(() => (s.unSubscribe(), c.unSubscribe()));
        break;
      }
      case CHANNELS.audio:
      case CHANNELS.mel: {
        const channel = dc.label === CHANNELS.mel ? "mel" : "audio";
        const s = dc.onMessage.subscribe((m) => live.audioFrame(asBytes(m), channel));
        // The channel the audio came on closing alone is the end of the audio: the session
        // finalizes. When the whole connection goes (its channels close together, in any order),
        // the client is gone instead: the transcript channel's closing frees the session.
        const c = dc.stateChanged.subscribe((st) => {
          if (st !== "closed") return;
          this.#later(INPUT_CLOSE_SETTLE_MS, () => {
            const t = this.#transcript;
            if (this.pc.connectionState === "connected" && t?.readyState === "open") {
              void live.inputClosed(channel);
            }
          });
        });
        this.#cleanups.push(() => (s.unSubscribe(), c.unSubscribe()));
        break;
      }
      default: {
        const events = Object.hasOwn(this.#eventChannels, dc.label)
          ? this.#eventChannels[dc.label]
          : null;
        if (events) {
          this.#events(dc, events);
          break;
        }
        live.reportError(
          "bad_channel",
          `data channel "${dc.label.slice(0, 40)}" is not one of ${
            Object.values(CHANNELS).join(", ")
          }`,
        );
        dc.close();
      }
    }
  }

  /** A data channel of another protocol (see {@linkcode EventChannel}): the session's output. */
  #events(dc: RTCDataChannel, events: EventChannel): void {
    this.#transcript = dc;
    let conn: ReturnType<EventChannel["open"]> | null = null;
    const start = () => {
      conn ??= events.open((text) => dc.send(text));
    };
    if (dc.readyState === "open") start();
    else {
      const s = dc.stateChanged.subscribe((st) => st === "open" && start());
      this.#cleanups.push(() => s.unSubscribe());
    }
    const m = dc.onMessage.subscribe((data) => {
      this.#lastHeard = performance.now();
      conn?.message(typeof data === "string" ? data : new TextDecoder().decode(data));
    });
    const c = dc.stateChanged.subscribe((st) => {
      if (st !== "closed") return;
      conn?.close();
      this.#lost("disconnected");
    });
    this.#cleanups.push(() => (m.unSubscribe(), c.unSubscribe(), conn?.close()));
  }

  /** Whether the connection has come up (ICE, DTLS and SCTP) at some point. */
  get connected(): boolean {
    return this.#connected;
  }

  /** The ICE and DTLS transports' states, for a log line: `ice checking, dtls new`. */
  get transportStates(): string {
    const dtls = [...new Set(this.pc.dtlsTransports.map((t) => t.state))].join("/") || "none";
    return `ice ${this.pc.iceConnectionState}, dtls ${dtls}`;
  }

  /**
   * Why a connection that never came up did not: its DTLS handshake failed (a certificate that
   * does not match the offer's fingerprint) or has not finished though ICE is connected (the
   * client does not answer DTLS); ICE failed; or else `otherwise`.
   */
  #whyNotConnected(otherwise: EndReason): EndReason {
    const dtls = this.pc.dtlsTransports;
    if (dtls.some((t) => t.state === "failed")) return "dtls_failed";
    const ice = this.pc.iceConnectionState;
    if (ice === "failed") return "ice_failed";
    if ((ice === "connected" || ice === "completed") && dtls.some((t) => t.state !== "connected")) {
      return "dtls_failed";
    }
    return otherwise;
  }

  #watchIdle(limitMs: number): void {
    const check = () => {
      // A session that is finishing (the client said `end`) owes the client its last events.
      if (this.#live.ending) return;
      if (performance.now() - this.#lastHeard >= limitMs) {
        if (!this.#closed) void this.#live.abandon("timeout").finally(() => this.close());
      } else this.#later(Math.min(limitMs, 1_000), check);
    };
    this.#later(Math.min(limitMs, 1_000), check);
  }

  #gathered(): Promise<void> {
    if (this.pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        s.unSubscribe();
        reject(new Error("ICE gathering did not complete in 10 s"));
      }, 10_000);
      const s = this.pc.iceGatheringStateChange.subscribe((state) => {
        if (state !== "complete") return;
        clearTimeout(t);
        s.unSubscribe();
        resolve();
      });
    });
  }

  #later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
  }

  /** The client is gone: free the session without finalizing (no one would read it). */
  #lost(reason: EndReason): void {
    if (this.#closed) return;
    void this.#live.close(reason).finally(() => this.close());
  }

  /**
   * Closes the connection after the transcript channel has sent what it holds (at most 2 s), and
   * frees the decoders. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    const dc = this.#transcript;
    for (
      let waited = 0;
      dc && dc.readyState === "open" && dc.bufferedAmount > 0 && waited < 2_000;
    ) {
      await new Promise((r) => setTimeout(r, 50));
      waited += 50;
    }
    for (const c of this.#cleanups.splice(0)) c();
    await this.pc.close();
  }
}
