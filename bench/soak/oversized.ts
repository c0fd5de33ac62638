/**
 * A hostile client: a session that connects, says nothing for a moment, then sends one message of
 * several MB on its `audio` data channel — past the `a=max-message-size` the server's answer
 * states, which it ignores — watches what the server does for a while and leaves; a new session
 * each time, at a bounded rate.
 *
 * Counts: `sessions`, `status_<code>` when the offer is refused, `connected`, `ready_timeout`,
 * `sent` / `bytes_sent` / `send_failed` (werift refused to send), then per session what came back:
 * `error_<code>` per error event, and how it ended — `ended_<reason>`, `connection_closed` /
 * `connection_failed`, or `still_open` after the wait — and `stalled_at_leave` when the message
 * had not got through whole by then.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { RTCDataChannel } from "werift";
import { errorCodes, openSession, within } from "./peer.ts";
import { repeat, Tally } from "./tally.ts";

/** An oversized sender's settings. */
export interface OversizedOptions {
  url: string;
  bytes: number;
  /** How long to watch for the server's answer, s. */
  waitS: number;
  /** Longest wait for the session to be ready, s (default 15). */
  connectS?: number;
}

function channelOpen(dc: RTCDataChannel): Promise<void> {
  return new Promise((resolve, reject) => {
    if (dc.readyState === "open") return resolve();
    const sub = dc.stateChanged.subscribe((st) => {
      if (st === "open") (sub.unSubscribe(), resolve());
      if (st === "closed") (sub.unSubscribe(), reject(new Error("the audio channel closed")));
    });
  });
}

/** One session with one oversized message. */
export async function sendOversized(opts: OversizedOptions, tally: Tally): Promise<void> {
  tally.add("sessions");
  const s = await openSession(opts.url, { audioChannel: true, ignoreMaxMessageSize: true });
  if ("refused" in s) {
    tally.add(`status_${s.refused}`);
    return;
  }
  try {
    const connectMs = (opts.connectS ?? 15) * 1000;
    const ready = await within(s.ready.then(() => true), connectMs, false);
    if (!ready) {
      tally.add("ready_timeout");
      return;
    }
    tally.add("connected");
    await within(channelOpen(s.audio!), connectMs, undefined);
    // Random bytes: neither a valid frame nor anything that compresses.
    const payload = Buffer.alloc(opts.bytes);
    for (let i = 0; i < payload.length; i += 65_536) {
      crypto.getRandomValues(payload.subarray(i, Math.min(payload.length, i + 65_536)));
    }
    try {
      s.audio!.send(payload);
      tally.add("sent");
      tally.add("bytes_sent", opts.bytes);
    } catch (err) {
      tally.add("send_failed");
      tally.error(err);
      return;
    }
    const end = await within(s.over, opts.waitS * 1000, "still_open");
    for (const code of errorCodes(s.messages)) tally.add(`error_${code}`);
    tally.add(end);
    // werift counts a message as sent once its last fragment is acknowledged: a message still
    // buffered when the client leaves never got through whole (the receiver's SCTP window filled
    // with its fragments and stayed full).
    if (s.audio!.bufferedAmount > 0) tally.add("stalled_at_leave");
  } finally {
    await s.pc.close();
  }
}

/** One oversized session every `everyS` seconds until `signal` aborts. */
export async function runOversized(
  opts: OversizedOptions & { everyS: number },
  signal: AbortSignal,
  tally = new Tally("oversized"),
): Promise<Tally> {
  await repeat(tally, opts.everyS * 1000, signal, () => sendOversized(opts, tally));
  return tally;
}
