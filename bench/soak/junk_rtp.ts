/**
 * A hostile client: a session with an Opus media track whose RTP packets carry random payloads
 * (not Opus), with consistent sequence numbers and 20 ms timestamps, for a while; then it leaves
 * without saying `end`. Then, after a pause, another.
 *
 * Counts: `sessions`, `status_<code>` when refused, `connected`, `ready_timeout`,
 * `packets_sent`, `error_<code>` per error event, and how each session went: `ended_<reason>` or
 * `connection_closed` / `connection_failed` before it left, or `left` (still open when it left).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { RtpHeader, RtpPacket } from "werift";
import { errorCodes, openSession, within } from "./peer.ts";
import { pause, repeatAfter, Tally } from "./tally.ts";

/** A junk-RTP client's settings. */
export interface JunkRtpOptions {
  url: string;
  /** How long each session sends, s. */
  sessionS: number;
  /** Pause before the next session, s. */
  pauseS: number;
  /** Longest wait for the session to be ready, s (default 15). */
  connectS?: number;
}

/** RTP packet `n` of a junk stream: random payload of 1–300 bytes, 20 ms (960 ticks) apart. */
export function junkPacket(
  n: number,
  start: { seq: number; ts: number; ssrc: number },
  payloadType: number,
): RtpPacket {
  const payload = Buffer.alloc(1 + Math.floor(Math.random() * 300));
  crypto.getRandomValues(payload);
  const header = new RtpHeader({
    payloadType,
    sequenceNumber: (start.seq + n) & 0xffff,
    timestamp: (start.ts + n * 960) >>> 0,
    ssrc: start.ssrc,
    marker: n === 0,
  });
  return new RtpPacket(header, payload);
}

/** One junk session: connects, sends junk for `sessionS`, leaves. */
export async function junkSession(
  opts: JunkRtpOptions,
  tally: Tally,
  signal: AbortSignal,
): Promise<void> {
  tally.add("sessions");
  const s = await openSession(opts.url, { mediaTrack: true });
  if ("refused" in s) {
    tally.add(`status_${s.refused}`);
    return;
  }
  try {
    const ready = await within(s.ready.then(() => true), (opts.connectS ?? 15) * 1000, false);
    if (!ready) {
      tally.add("ready_timeout");
      return;
    }
    tally.add("connected");
    const payloadType = s.pc.getTransceivers()[0].sender.codec?.payloadType ?? 111;
    const start = {
      seq: (Math.random() * 0xffff) | 0,
      ts: (Math.random() * 0xffffffff) >>> 0,
      ssrc: (Math.random() * 0xffffffff) >>> 0,
    };
    let over: string | null = null;
    s.over.then((why) => (over = why));
    const t0 = performance.now();
    for (let n = 0; performance.now() - t0 < opts.sessionS * 1000; n++) {
      if (over || signal.aborted) break;
      s.track!.writeRtp(junkPacket(n, start, payloadType));
      tally.add("packets_sent");
      const wait = (n + 1) * 20 - (performance.now() - t0);
      if (wait > 0) await pause(wait, signal);
    }
    for (const code of errorCodes(s.messages)) tally.add(`error_${code}`);
    tally.add(over ?? "left");
  } finally {
    await s.pc.close();
  }
}

/** Junk sessions one after another (with a pause between) until `signal` aborts. */
export async function runJunkRtp(
  opts: JunkRtpOptions,
  signal: AbortSignal,
  tally = new Tally("junk_rtp"),
): Promise<Tally> {
  await repeatAfter(tally, opts.pauseS * 1000, signal, () => junkSession(opts, tally, signal));
  return tally;
}
