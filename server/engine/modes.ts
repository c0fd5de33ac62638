/**
 * Streaming modes: `latency`, `balanced` (default) and `accuracy` presets for the rolling-chunk
 * policy, each overridable per session and validated with zod. Units are in the names.
 *
 * @module
 */

import { z } from "zod";

/** The mode names. */
export const MODE_NAMES = ["latency", "balanced", "accuracy"] as const;
/** One of {@linkcode MODE_NAMES}. */
export type ModeName = typeof MODE_NAMES[number];

/** Every knob of the streaming policy. */
export const StreamConfigSchema = z.object({
  mode: z.enum(MODE_NAMES),
  /** New audio between two decodes of the growing buffer, ms. */
  minChunkMs: z.number().int().min(100).max(10_000),
  /** The buffer is trimmed at a committed boundary once longer than this, ms (≤ 30 s). */
  maxBufferMs: z.number().int().min(2_000).max(30_000),
  /** Silence that ends an utterance (finalize), ms. */
  endSilenceMs: z.number().int().min(100).max(5_000),
  /** An utterance is finalized at this length even without a pause, ms. */
  maxSegmentMs: z.number().int().min(2_000).max(120_000),
  /** 1 = greedy; more = beam search for partials and commits. */
  beamSize: z.number().int().min(1).max(16),
  /** Beam width for the decode that finalizes a segment. */
  finalBeamSize: z.number().int().min(1).max(16),
  /** Scale the encoder window to the buffer (a large speed-up for short buffers). */
  scaleAudioCtx: z.boolean(),
  /** Extra encoder frames kept over the buffer length when scaling (guards against loops). */
  audioCtxMarginFrames: z.number().int().min(0).max(1500),
  /** Model name or path; empty = the server's default for the mode. */
  model: z.string(),
  /** CPU threads per decode. */
  threads: z.number().int().min(1).max(64),
  /** Silero VAD speech probability threshold. */
  vadThreshold: z.number().min(0.05).max(0.95),
}).refine((c) => c.maxSegmentMs >= c.maxBufferMs, {
  message: "maxSegmentMs must be at least maxBufferMs",
  path: ["maxSegmentMs"],
});
/** A complete, validated stream configuration. */
export type StreamConfig = z.infer<typeof StreamConfigSchema>;

const COMMON = {
  maxBufferMs: 28_000,
  scaleAudioCtx: true,
  audioCtxMarginFrames: 128,
  model: "",
  threads: 2,
  vadThreshold: 0.5,
} as const;

/** The presets. */
export const MODE_PRESETS: Readonly<Record<ModeName, StreamConfig>> = {
  latency: {
    ...COMMON,
    mode: "latency",
    minChunkMs: 500,
    endSilenceMs: 400,
    maxSegmentMs: 28_000,
    beamSize: 1,
    finalBeamSize: 1,
  },
  balanced: {
    ...COMMON,
    mode: "balanced",
    minChunkMs: 1_000,
    endSilenceMs: 600,
    maxSegmentMs: 28_000,
    beamSize: 1,
    finalBeamSize: 5,
  },
  accuracy: {
    ...COMMON,
    mode: "accuracy",
    minChunkMs: 2_000,
    endSilenceMs: 800,
    maxSegmentMs: 28_000,
    beamSize: 5,
    finalBeamSize: 5,
    scaleAudioCtx: false,
  },
};

/**
 * A mode's preset with `overrides` applied, validated: unknown keys and out-of-range values are
 * errors naming the field, e.g. `Cannot configure stream: minChunkMs: Too small: …`.
 */
export function resolveStreamConfig(
  mode: ModeName = "balanced",
  overrides: unknown = {},
): StreamConfig {
  const preset = MODE_PRESETS[mode];
  if (!preset) {
    throw new RangeError(
      `Cannot configure stream: mode "${mode}" is not one of ${MODE_NAMES.join(", ")}`,
    );
  }
  if (typeof overrides !== "object" || overrides === null || Array.isArray(overrides)) {
    throw new TypeError("Cannot configure stream: overrides must be an object");
  }
  const r = StreamConfigSchema.strict().safeParse({ ...preset, ...overrides, mode });
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new RangeError(
      `Cannot configure stream: ${issue.path.join(".") || "config"}: ${issue.message}`,
    );
  }
  return r.data;
}
