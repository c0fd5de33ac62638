/**
 * OpenAI's Realtime API, transcription sessions: the client events hum-helix takes (zod, checked
 * field by field as the published API reference names them) and the server events it sends. A
 * client event that fails its schema is answered with an `error` event in OpenAI's shape
 * (`invalid_request_error`, the field in `param`); the session goes on. Documented, with the
 * mapping from hum-helix's own events, in `docs/protocol.md` (OpenAI Realtime).
 *
 * @module
 */

import { z } from "zod";
import { describeIssue } from "./events.ts";

/** Largest client event taken, bytes (an `append` of 1 s of 24 kHz PCM16 is about 64 KiB). */
export const MAX_REALTIME_EVENT_BYTES = 1024 * 1024;

/** The input audio formats a transcription session takes. */
export const RealtimeAudioFormatSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("audio/pcm"), rate: z.literal(24_000).optional() }),
  z.object({ type: z.literal("audio/pcmu") }),
  z.object({ type: z.literal("audio/pcma") }),
]);
/** An input audio format. */
export type RealtimeAudioFormat = z.infer<typeof RealtimeAudioFormatSchema>;

/** Server-side voice activity detection: where turns begin and end. */
export const ServerVadSchema = z.object({
  type: z.literal("server_vad"),
  /** Speech probability threshold, 0–1 (default 0.5). */
  threshold: z.number().min(0).max(1).optional(),
  /** Audio kept before detected speech, ms (default 300). */
  prefix_padding_ms: z.number().int().min(0).max(5_000).optional(),
  /** Silence that ends a turn, ms (default 500). */
  silence_duration_ms: z.number().int().min(0).max(10_000).optional(),
  /** Taken and echoed; hum-helix never answers (transcription only). */
  create_response: z.boolean().optional(),
  interrupt_response: z.boolean().optional(),
  idle_timeout_ms: z.number().int().nullable().optional(),
});
/** The turn detection a session runs: server VAD, or none (`null`: the client commits). */
export type TurnDetection = z.infer<typeof ServerVadSchema> | null;

/** The transcription a session runs. */
export const TranscriptionConfigSchema = z.object({
  /** A model this server serves, or one of OpenAI's names (then the server's default). */
  model: z.string().max(200).optional(),
  /** ISO-639-1; only English is served. */
  language: z.string().max(16).optional(),
  /** Text the decoder is primed with. */
  prompt: z.string().max(2_000).optional(),
});

/** The `session` of a `session.update` for a transcription session. */
export const TranscriptionSessionSchema = z.object({
  type: z.literal("transcription"),
  audio: z.object({
    input: z.object({
      format: RealtimeAudioFormatSchema.optional(),
      transcription: TranscriptionConfigSchema.optional(),
      turn_detection: z.union([
        ServerVadSchema,
        z.object({ type: z.literal("semantic_vad") }).passthrough(),
      ]).nullable().optional(),
      noise_reduction: z.object({ type: z.string() }).passthrough().nullable().optional(),
    }).optional(),
  }).optional(),
  include: z.array(z.string()).optional(),
});
/** What a `session.update` may set. */
export type TranscriptionSessionUpdate = z.infer<typeof TranscriptionSessionSchema>;

const eventId = z.string().max(200).optional();

/** The client events taken. */
export const RealtimeClientEventSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("session.update"),
    event_id: eventId,
    session: TranscriptionSessionSchema,
  }),
  z.object({
    type: z.literal("input_audio_buffer.append"),
    event_id: eventId,
    /** Base64 audio in the session's input format. */
    audio: z.string(),
  }),
  z.object({ type: z.literal("input_audio_buffer.commit"), event_id: eventId }),
  z.object({ type: z.literal("input_audio_buffer.clear"), event_id: eventId }),
]);
/** A client event. */
export type RealtimeClientEvent = z.infer<typeof RealtimeClientEventSchema>;

/** The client event types taken, for error messages. */
export const REALTIME_CLIENT_EVENTS = RealtimeClientEventSchema.options.map((o) =>
  o.shape.type.value
);

/** A refused client event: the `error` event's fields. */
export class RealtimeEventError extends Error {
  readonly code: string;
  readonly param: string | null;
  readonly eventId: string | null;

  constructor(code: string, message: string, param: string | null, eventId: string | null) {
    super(message);
    this.name = "RealtimeEventError";
    this.code = code;
    this.param = param;
    this.eventId = eventId;
  }
}

/**
 * Parses one client event (JSON text); throws a {@linkcode RealtimeEventError} saying what is
 * wrong (`invalid_json`, `unknown_event`, `invalid_value`).
 */
export function parseRealtimeClientEvent(text: string): RealtimeClientEvent {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new RealtimeEventError(
      "invalid_json",
      `The event is not JSON: ${(err as Error).message}`,
      null,
      null,
    );
  }
  const id = typeof raw === "object" && raw !== null && "event_id" in raw &&
      typeof raw.event_id === "string"
    ? raw.event_id
    : null;
  const type = typeof raw === "object" && raw !== null && "type" in raw ? raw.type : undefined;
  if (typeof type !== "string" || !(REALTIME_CLIENT_EVENTS as string[]).includes(type)) {
    throw new RealtimeEventError(
      "unknown_event",
      `Event type ${JSON.stringify(type)?.slice(0, 80)} is not taken by a transcription ` +
        `session (it takes ${REALTIME_CLIENT_EVENTS.join(", ")})`,
      "type",
      id,
    );
  }
  const r = RealtimeClientEventSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new RealtimeEventError(
      "invalid_value",
      `Invalid ${type}: ${describeIssue(r.error, "event")}`,
      issue.path.join(".") || null,
      id,
    );
  }
  return r.data;
}

/** A word's log-probability as the Realtime API reports it. */
export interface RealtimeLogprob {
  token: string;
  logprob: number;
  bytes: number[];
}

/** A server event (every one carries `event_id` and `type`). */
export type RealtimeServerEvent = { event_id: string; type: string } & Record<string, unknown>;
