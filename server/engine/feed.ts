/**
 * Feeding a recording into a session as if it were live. `feedRealtime` paces frames at wall
 * clock speed. `feedSimulated` is a computationally aware simulation: audio "arrives" on a
 * {@linkcode SimulatedClock}; whenever the session is idle the clock jumps to the next frame's
 * arrival, and everything that arrived while it was computing is handed over at once, as a live
 * transport would have queued it (while a closing decode runs in the background, audio arrives at
 * its real pace: `SimulatedClock.arrival`). Both give the same event stream shape and latency metrics.
 *
 * @module
 */

import type { SimulatedClock } from "./clock.ts";
import type { StreamSession } from "./stream.ts";
import { SAMPLE_RATE_HZ } from "../../protocol/audio.ts";

/** Frame length transports deliver (WebRTC Opus frames are 20 ms). */
export const FRAME_MS = 20;

/**
 * Hands a frame of samples to the session: by default `session.push`; a privacy-mode feed turns
 * it into mel frames first (the client's side of the wire).
 */
export type Deliver = (session: StreamSession, samples: Float32Array) => void;

const pushSamples: Deliver = (session, samples) => session.push(samples);

/** Feeds `samples` on the simulated `clock` (the session's own), then ends the session. */
export async function feedSimulated(
  session: StreamSession,
  samples: Float32Array,
  clock: SimulatedClock,
  frameMs = FRAME_MS,
  deliver: Deliver = pushSamples,
): Promise<void> {
  const frame = Math.round((frameMs * SAMPLE_RATE_HZ) / 1000);
  let next = 0;
  while (next < samples.length) {
    const firstEnd = Math.min(samples.length, next + frame);
    await clock.arrival((firstEnd * 1000) / SAMPLE_RATE_HZ);
    // Every whole frame that has arrived by now goes in together.
    const arrived = Math.floor((clock.now() * SAMPLE_RATE_HZ) / 1000 / frame) * frame;
    const upTo = Math.min(samples.length, Math.max(firstEnd, arrived));
    deliver(session, samples.subarray(next, upTo));
    next = upTo;
    await session.drain();
  }
  await session.end();
}

/** Feeds `samples` frame by frame at wall-clock speed, then ends the session. */
export async function feedRealtime(
  session: StreamSession,
  samples: Float32Array,
  opts: { frameMs?: number; signal?: AbortSignal; deliver?: Deliver } = {},
): Promise<void> {
  const deliver = opts.deliver ?? pushSamples;
  const frame = Math.round(((opts.frameMs ?? FRAME_MS) * SAMPLE_RATE_HZ) / 1000);
  const t0 = performance.now();
  for (let off = 0; off < samples.length; off += frame) {
    opts.signal?.throwIfAborted();
    const end = Math.min(samples.length, off + frame);
    const dueMs = (end * 1000) / SAMPLE_RATE_HZ - (performance.now() - t0);
    if (dueMs > 0) await new Promise((r) => setTimeout(r, dueMs));
    deliver(session, samples.subarray(off, end));
  }
  await session.end();
}
