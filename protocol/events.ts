/**
 * Transcript events: what the streaming engine emits and every transport carries (data channel,
 * JSON lines, the bench). One module, shared with the browser client. Every event carries the
 * audio time it refers to (`audioMs`, ms since the first audio sample of the session) and when it
 * was emitted on the session's clock (`emittedMs`: wall time in real time, the simulated clock in
 * a simulation), so latency can be computed from the event stream alone.
 *
 * @module
 */

import { z } from "zod";

/** Protocol version carried by every event; bumped on any incompatible change. */
export const PROTOCOL_VERSION = 1;

const ms = z.number().finite().nonnegative();
const probability = z.number().min(0).max(1);

/** A word with its audio span. */
export const WordSchema = z.object({
  word: z.string().min(1),
  startMs: ms,
  endMs: ms,
  p: probability,
}).refine((w) => w.endMs >= w.startMs, { message: "endMs must not precede startMs" });
/** A word with its audio span. */
export type Word = z.infer<typeof WordSchema>;

const base = {
  v: z.literal(PROTOCOL_VERSION),
  /** Session-local sequence number, from 0, without gaps. */
  seq: z.number().int().nonnegative(),
  /** Audio time the event refers to. */
  audioMs: ms,
  /** When the event was emitted, on the session clock. */
  emittedMs: ms,
};

/** Volatile text after the committed part: replaces the previous partial. */
export const PartialSchema = z.object({
  ...base,
  type: z.literal("partial"),
  segmentId: z.number().int().nonnegative(),
  text: z.string(),
});

/**
 * Newly committed words: appended to the segment's text; only its `final` may replace them
 * (`revised: true`).
 */
export const CommitSchema = z.object({
  ...base,
  type: z.literal("commit"),
  segmentId: z.number().int().nonnegative(),
  words: z.array(WordSchema).min(1),
});

/**
 * Closes a segment: its full text and words. Without `revised`, the concatenation of its commits;
 * with `revised: true` (a session configured with `finalRevises`), the closing decode's words,
 * which replace the segment's commits.
 */
export const FinalSchema = z.object({
  ...base,
  type: z.literal("final"),
  segmentId: z.number().int().nonnegative(),
  text: z.string(),
  startMs: ms,
  endMs: ms,
  words: z.array(WordSchema),
  revised: z.literal(true).optional(),
});

/** The intent detected in a final segment (`none` below the threshold). */
export const IntentSchema = z.object({
  ...base,
  type: z.literal("intent"),
  segmentId: z.number().int().nonnegative(),
  intent: z.string().min(1),
  confidence: probability,
  slots: z.record(z.string(), z.union([z.string(), z.number()])),
});

/** Speech started or ended (voice activity). */
export const VadSchema = z.object({
  ...base,
  type: z.literal("vad"),
  state: z.enum(["speech", "silence"]),
});

/** How the session keeps up: lag behind real time, real-time factor, degradations. */
export const StatsSchema = z.object({
  ...base,
  type: z.literal("stats"),
  lagMs: ms,
  rtf: z.number().finite().nonnegative(),
  mode: z.string(),
  /** The inference scheduler's degrade level under load (1: fewer rolling decodes, 2: greedy). */
  degraded: z.union([z.literal(1), z.literal(2)]).optional(),
  note: z.string().optional(),
});

/** Something went wrong; `recoverable` says whether the session goes on. */
export const ErrorSchema = z.object({
  ...base,
  type: z.literal("error"),
  code: z.string().min(1),
  message: z.string().min(1),
  recoverable: z.boolean(),
});

/** Any transcript event. */
export const EventSchema = z.discriminatedUnion("type", [
  PartialSchema,
  CommitSchema,
  FinalSchema,
  IntentSchema,
  VadSchema,
  StatsSchema,
  ErrorSchema,
]);
/** Any transcript event. */
export type TranscriptEvent = z.infer<typeof EventSchema>;
/** The event types. */
export type EventType = TranscriptEvent["type"];

/**
 * A zod failure as one line, `field.path: message` for its first issue (`whole` names the value
 * when the issue is about all of it): what every "Cannot …" error of the protocol says.
 */
export function describeIssue(error: z.ZodError, whole: string): string {
  const issue = error.issues[0];
  return `${issue.path.length ? issue.path.join(".") : whole}: ${issue.message}`;
}

/** Parses one event from JSON text, with an error naming the field at fault. */
export function parseEvent(json: string): TranscriptEvent {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new SyntaxError(`Cannot parse event: not JSON (${(err as Error).message})`);
  }
  const r = EventSchema.safeParse(raw);
  if (!r.success) throw new TypeError(`Cannot parse event: ${describeIssue(r.error, "event")}`);
  return r.data;
}
