/**
 * Where a server's time goes, stage by stage along the audio's path: each stage adds the time its
 * calls took to a process-wide total, which `/metrics` exposes as `hum_stage_seconds_total` and
 * `hum_stage_calls_total` (`server/telemetry/metrics.ts`). Cheap enough to keep on: two clock
 * reads a call, for calls that come at most every 20 ms a session.
 *
 * `vad` and `whisper` are native calls that run off the event loop (`nonblocking`): their figure
 * is the calls' wall time. The other stages run on the event loop (the JS thread): their sum
 * against wall time is how busy that thread was with the pipeline. werift's own work (ICE, DTLS,
 * SRTP, SCTP) is not here but in a CPU profile of the server.
 *
 * @module
 */

/** The stages, in the order the audio meets them. */
export const STAGES = [
  /** The media track's jitter buffer (RTP packets in, in order, gaps found). */
  "jitter",
  /** Opus packets → 16 kHz PCM (libopus, resampling, loss concealment). */
  "opus_decode",
  /** A data channel's or WebSocket's binary frames → samples or mel frames. */
  "frames",
  /** Silero VAD (or the mel VAD) over the new audio. */
  "vad",
  /** Samples → log-mel frames (`melOnce` sessions). */
  "mel",
  /** The native decodes (off the event loop: wall time, not the JS thread's). */
  "whisper",
  /** Transcript events → JSON → the client's channel. */
  "events_out",
] as const;
/** One of {@linkcode STAGES}. */
export type Stage = typeof STAGES[number];

const ms = new Map<Stage, number>(STAGES.map((s) => [s, 0]));
const calls = new Map<Stage, number>(STAGES.map((s) => [s, 0]));

/** Adds one call of `stage` that took `took` ms. */
export function addStageTime(stage: Stage, took: number): void {
  ms.set(stage, ms.get(stage)! + took);
  calls.set(stage, calls.get(stage)! + 1);
}

/** Runs `work` (synchronous) and adds its time to `stage`. */
export function timeStage<T>(stage: Stage, work: () => T): T {
  const t0 = performance.now();
  try {
    return work();
  } finally {
    addStageTime(stage, performance.now() - t0);
  }
}

/** Runs `work` (asynchronous) and adds the time until it settles to `stage`. */
export async function timeStageAsync<T>(
  stage: Stage,
  work: () => T | Promise<T>,
): Promise<T> {
  const t0 = performance.now();
  try {
    return await work();
  } finally {
    addStageTime(stage, performance.now() - t0);
  }
}

/** Every stage's total so far: ms and calls. */
export function stageTotals(): { stage: Stage; ms: number; calls: number }[] {
  return STAGES.map((stage) => ({ stage, ms: ms.get(stage)!, calls: calls.get(stage)! }));
}
