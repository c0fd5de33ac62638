/**
 * The soak's hostile WebRTC clients share this: a werift peer with the offer a real client makes
 * (a `transcript` data channel, and an `audio` channel or an Opus track), posted to
 * `POST /v1/sessions`, and — when asked — connected, with every message the server sends kept.
 *
 * @module
 */

import {
  MediaStreamTrack,
  type RTCDataChannel,
  RTCPeerConnection,
  RTCRtpCodecParameters,
} from "werift";
import { CHANNELS } from "../../protocol/control.ts";

/** A client peer with its offer made (and its ICE candidates gathered). */
export interface OfferingPeer {
  pc: RTCPeerConnection;
  sdp: string;
  transcript: RTCDataChannel;
  /** The `audio` data channel, when asked for. */
  audio: RTCDataChannel | null;
  /** The Opus media track, when asked for. */
  track: MediaStreamTrack | null;
}

/** What the offer carries besides the `transcript` channel. */
export interface OfferShape {
  audioChannel?: boolean;
  mediaTrack?: boolean;
  /** Longest wait for ICE gathering, ms (default 5000). */
  gatherMs?: number;
  /**
   * Ignore the largest message the server's answer allows (`a=max-message-size`), as a hostile
   * client would: werift then sends messages of any size.
   */
  ignoreMaxMessageSize?: boolean;
}

/**
 * `sdp` with its data section's `a=max-message-size` set to 0 ("no limit" to the sender, RFC
 * 8841), added when it states none (werift would then take 64 KiB).
 */
export function withoutMessageLimit(sdp: string): string {
  if (/^a=max-message-size:/m.test(sdp)) {
    return sdp.replace(/^a=max-message-size:\d+/gm, "a=max-message-size:0");
  }
  return sdp.replace(/^(m=application [^\r\n]*)(\r?\n)/m, "$1$2a=max-message-size:0$2");
}

/** A werift peer with a real client's offer, candidates gathered. */
export async function makeOffer(shape: OfferShape): Promise<OfferingPeer> {
  const pc = new RTCPeerConnection({
    iceServers: [],
    codecs: {
      audio: [
        new RTCRtpCodecParameters({ mimeType: "audio/opus", clockRate: 48_000, channels: 2 }),
      ],
    },
  });
  const track = shape.mediaTrack ? new MediaStreamTrack({ kind: "audio" }) : null;
  if (track) pc.addTransceiver(track, { direction: "sendonly" });
  const transcript = pc.createDataChannel(CHANNELS.transcript);
  const audio = shape.audioChannel ? pc.createDataChannel(CHANNELS.audio) : null;
  await pc.setLocalDescription(await pc.createOffer());
  if (pc.iceGatheringState !== "complete") {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, shape.gatherMs ?? 5000);
      const sub = pc.iceGatheringStateChange.subscribe((st) => st === "complete" && done());
      function done() {
        clearTimeout(timer);
        sub.unSubscribe();
        resolve();
      }
    });
  }
  return { pc, sdp: pc.localDescription!.sdp, transcript, audio, track };
}

/** The server's answer to an offer: its status, and the answer SDP on a 201. */
export interface PostedOffer {
  status: number;
  sdp: string | null;
  location: string | null;
  /** The error the server named, when not a 201. */
  error: string | null;
}

/** Posts `sdp` to `POST /v1/sessions` (latency mode). */
export async function postOffer(url: string, sdp: string): Promise<PostedOffer> {
  const res = await fetch(new URL("/v1/sessions", url), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ sdp, config: { mode: "latency" } }),
  });
  const body = await res.json().catch(() => ({})) as Record<string, unknown>;
  return {
    status: res.status,
    sdp: res.status === 201 && typeof body.sdp === "string" ? body.sdp : null,
    location: res.headers.get("location"),
    error: typeof body.error === "string" ? body.error : null,
  };
}

/** A connected hostile session: every message the server sent so far, parsed. */
export interface HostileSession extends OfferingPeer {
  messages: Record<string, unknown>[];
  /** Resolves once the server said `ready`. */
  ready: Promise<void>;
  /** Resolves once the session is over: `ended`, or the connection closed or failed. */
  over: Promise<string>;
}

/**
 * Makes an offer of `shape`, posts it and connects; resolves with the session once its
 * transcript channel is open, or with the refusal's status when the server refused it.
 */
export async function openSession(
  url: string,
  shape: OfferShape,
): Promise<HostileSession | { refused: number; error: string | null }> {
  const peer = await makeOffer(shape);
  let posted: PostedOffer;
  try {
    posted = await postOffer(url, peer.sdp);
  } catch (err) {
    await peer.pc.close();
    throw err;
  }
  if (posted.status !== 201 || !posted.sdp) {
    await peer.pc.close();
    return { refused: posted.status, error: posted.error };
  }
  const messages: Record<string, unknown>[] = [];
  const ready = Promise.withResolvers<void>();
  const over = Promise.withResolvers<string>();
  peer.transcript.onMessage.subscribe((data) => {
    try {
      const m = JSON.parse(typeof data === "string" ? data : new TextDecoder().decode(data));
      messages.push(m);
      if (m.type === "ready") ready.resolve();
      if (m.type === "ended") over.resolve(`ended_${m.reason ?? "unknown"}`);
    } catch {
      messages.push({ type: "not_json" });
    }
  });
  peer.pc.connectionStateChange.subscribe((st) => {
    if (st === "closed" || st === "failed") over.resolve(`connection_${st}`);
  });
  const answer = shape.ignoreMaxMessageSize ? withoutMessageLimit(posted.sdp) : posted.sdp;
  await peer.pc.setRemoteDescription({ type: "answer", sdp: answer });
  return { ...peer, messages, ready: ready.promise, over: over.promise };
}

/** Resolves with `p`'s value, or `fallback` after `ms`. */
export function within<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<T>((r) => (timer = setTimeout(() => r(fallback), ms))),
  ]).finally(() => clearTimeout(timer));
}

/** The codes of the `error` events among `messages`. */
export function errorCodes(messages: readonly Record<string, unknown>[]): string[] {
  return messages.filter((m) => m.type === "error").map((m) => String(m.code));
}
