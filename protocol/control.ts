/**
 * The session protocol around the transcript events, shared with the clients: control messages a
 * client sends on the `transcript` data channel, and the session messages the server answers with
 * on it (besides the transcript events of `protocol.ts`). JSON text, version 1, validated with zod:
 * a message that fails validation gets a recoverable `error` event and the session goes on.
 * `docs/protocol.md` describes the channels and messages in one place.
 *
 * @module
 */

import { z } from "zod";
import { describeIssue, PROTOCOL_VERSION } from "./events.ts";

/** The data channel labels a session knows. */
export const CHANNELS = {
  /** JSON: transcript events and session messages out, control messages in. */
  transcript: "transcript",
  /** Binary audio frames in (see `audio_frames.ts`), for clients without a media track. */
  audio: "audio",
  /** Binary log-mel frames in (privacy mode: no audio leaves the device). */
  mel: "mel",
} as const;

/** The longest control message accepted, bytes. */
export const MAX_CONTROL_BYTES = 16 * 1024;

const v = z.literal(PROTOCOL_VERSION);

/** Switch the session to another mode (and overrides) from its next segment on. */
export const SetModeSchema = z.object({
  v,
  type: z.literal("mode"),
  mode: z.enum(["latency", "balanced", "accuracy"]),
  overrides: z.record(z.string(), z.unknown()).optional(),
});
/** Finalize the open segment now. */
export const FlushSchema = z.object({ v, type: z.literal("flush") });
/** No more audio: finalize, send the last events and `ended`, then the server closes. */
export const EndSchema = z.object({ v, type: z.literal("end") });
/** Round-trip check; answered with `pong`. */
export const PingSchema = z.object({
  v,
  type: z.literal("ping"),
  id: z.union([z.string().max(64), z.number().finite()]),
  /** The client's clock when sent, echoed back. */
  clientMs: z.number().finite().optional(),
});

/** Any control message from a client. */
export const ControlSchema = z.discriminatedUnion("type", [
  SetModeSchema,
  FlushSchema,
  EndSchema,
  PingSchema,
]);
/** Any control message from a client. */
export type ControlMessage = z.infer<typeof ControlSchema>;

/** Sent once the transcript channel opens: the session's identity and settings. */
export const ReadySchema = z.object({
  v,
  type: z.literal("ready"),
  sessionId: z.string().min(1),
  mode: z.string(),
  /** Where the audio comes from: a media track, the audio channel, or mel frames. */
  inputs: z.array(z.enum(["media", "audio", "mel"])),
});
/** Answers a `ping`. */
export const PongSchema = z.object({
  v,
  type: z.literal("pong"),
  id: z.union([z.string(), z.number()]),
  clientMs: z.number().optional(),
  /** The session clock when answered. */
  serverMs: z.number().nonnegative(),
});
/** Confirms a control message was carried out (`mode`, `flush`). */
export const AckSchema = z.object({
  v,
  type: z.literal("ack"),
  of: z.enum(["mode", "flush"]),
});
/**
 * What the server received on a session's media track, as its jitter buffer and Opus decoder saw
 * it: a client can tell from `ended` whether its audio arrived whole.
 */
export const MediaReceivedSchema = z.object({
  /** RTP packets received (late and duplicate ones included). */
  packets: z.number().int().nonnegative(),
  /** Packets never received: their time was filled (FEC, concealment, zeros). */
  lost: z.number().int().nonnegative(),
  /** Packets that came after their place was given up (dropped). */
  late: z.number().int().nonnegative(),
  /** Audio recovered from in-band FEC, ms. */
  fecMs: z.number().int().nonnegative(),
  /** Audio made up by Opus packet-loss concealment, ms. */
  concealedMs: z.number().int().nonnegative(),
});
/** See {@linkcode MediaReceivedSchema}. */
export type MediaReceived = z.infer<typeof MediaReceivedSchema>;

/**
 * The session has ended: every event was sent; the server closes the connection next. `media`
 * comes with sessions that had a media track.
 */
export const EndedSchema = z.object({
  v,
  type: z.literal("ended"),
  reason: z.enum([
    "end",
    "deleted",
    "disconnected",
    "timeout",
    "max_duration",
    "shutdown",
    "error",
    "connect_timeout",
    "ice_failed",
    "dtls_failed",
  ]),
  media: MediaReceivedSchema.optional(),
});

/** Any session message from the server (not a transcript event). */
export const SessionMessageSchema = z.discriminatedUnion("type", [
  ReadySchema,
  PongSchema,
  AckSchema,
  EndedSchema,
]);
/** Any session message from the server. */
export type SessionMessage = z.infer<typeof SessionMessageSchema>;

/**
 * The UTF-8 size of `text` as far as a limit of `max` bytes needs it: UTF-8 takes 1 to 3 bytes per
 * UTF-16 unit, so the bytes are counted only where the length leaves doubt (otherwise the length,
 * which is then either over `max` already or at most a third of it).
 */
export function utf8Bytes(text: string, max: number): number {
  return text.length > max || text.length <= max / 3
    ? text.length
    : new TextEncoder().encode(text).length;
}

/**
 * Parses one control message. Errors name what is wrong: not text, too long, not JSON, or the
 * field at fault.
 */
export function parseControl(data: unknown): ControlMessage {
  if (typeof data !== "string") {
    throw new TypeError("Cannot read control message: expected JSON text, got binary data");
  }
  const bytes = utf8Bytes(data, MAX_CONTROL_BYTES);
  if (bytes > MAX_CONTROL_BYTES) {
    throw new RangeError(
      `Cannot read control message: ${
        bytes === data.length ? `${bytes} characters` : `${bytes} bytes`
      }, at most ${MAX_CONTROL_BYTES} bytes`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(data);
  } catch (err) {
    throw new SyntaxError(`Cannot read control message: not JSON (${(err as Error).message})`);
  }
  const r = ControlSchema.safeParse(raw);
  if (!r.success) {
    throw new TypeError(`Cannot read control message: ${describeIssue(r.error, "message")}`);
  }
  return r.data;
}
