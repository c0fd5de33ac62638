/**
 * WHIP-style signalling input: the body of `POST /v1/sessions` — an SDP offer as
 * `application/sdp`, or JSON `{sdp, config}` whose config picks mode, overrides and model — read
 * with a size limit and checked before any peer connection is made. Every fault is a
 * {@linkcode SignallingError} carrying the HTTP status and a message that says what is wrong.
 *
 * @module
 */

import { z } from "zod";
import { MODE_NAMES } from "../../../protocol/modes.ts";
import { describeIssue } from "../../../protocol/events.ts";
import type { InputKind } from "../../session/live_session.ts";
import { HttpError } from "./errors.ts";

/** Largest offer body accepted, bytes (a browser's offer is 3–6 KB). */
export const MAX_OFFER_BYTES = 64 * 1024;

/** A signalling request the server refuses: `status` is the HTTP status to answer with. */
export class SignallingError extends HttpError {
  constructor(status: number, message: string) {
    super(status, message);
    this.name = "SignallingError";
  }
}

/**
 * Keys that name `Object.prototype`'s machinery. A record drops `__proto__` while parsing (it
 * would set the object's prototype), so a client's overrides naming one are refused up front,
 * as any other key the engine does not know.
 */
const PROTOTYPE_KEYS = ["__proto__", "constructor", "prototype"];

/** Overrides of the mode's preset: an object of settings (validated by the engine). */
const OverridesSchema = z.unknown().superRefine((value, ctx) => {
  if (typeof value !== "object" || value === null) return;
  for (const key of PROTOTYPE_KEYS) {
    if (Object.hasOwn(value, key)) {
      ctx.addIssue({ code: "custom", message: `"${key}" is not a setting`, path: [key] });
    }
  }
}).pipe(z.record(z.string(), z.unknown()));

/** The session config a JSON offer may carry. */
export const SessionConfigSchema = z.object({
  mode: z.enum(MODE_NAMES).optional(),
  /** Overrides of the mode's preset (validated by the engine). */
  overrides: OverridesSchema.optional(),
  /** Model name or path (shorthand for `overrides.model`). */
  model: z.string().max(200).optional(),
  /** Only English models are served; anything else is refused. */
  language: z.literal("en").optional(),
}).strict();
/** The session config a JSON offer may carry. */
export type SessionConfig = z.infer<typeof SessionConfigSchema>;

const JsonOfferSchema = z.object({
  sdp: z.string(),
  type: z.literal("offer").optional(),
  config: SessionConfigSchema.optional(),
}).strict();

/** A checked offer. */
export interface Offer {
  sdp: string;
  config: SessionConfig;
  /** How the answer goes back: SDP text, or JSON. */
  answerAs: "sdp" | "json";
  /** What the offer can carry: a media track (`media`) and/or data channels (`audio`, `mel`). */
  inputs: InputKind[];
}

/** Reads and checks the body of a session request. */
export async function readOffer(req: Request): Promise<Offer> {
  const type = (req.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/sdp" && type !== "application/json") {
    throw new SignallingError(
      415,
      `Cannot start a session: Content-Type must be application/sdp or application/json, got ${
        type || "none"
      }`,
    );
  }
  const body = await readLimited(req, MAX_OFFER_BYTES);
  if (type === "application/sdp") {
    return { sdp: checkSdp(body), config: {}, answerAs: "sdp", inputs: inputsOf(body) };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (err) {
    throw new SignallingError(
      400,
      `Cannot start a session: body is not JSON (${(err as Error).message})`,
    );
  }
  const r = JsonOfferSchema.safeParse(raw);
  if (!r.success) {
    throw new SignallingError(400, `Cannot start a session: ${describeIssue(r.error, "body")}`);
  }
  const sdp = checkSdp(r.data.sdp);
  return { sdp, config: r.data.config ?? {}, answerAs: "json", inputs: inputsOf(sdp) };
}

/** The body as text, refusing more than `limit` bytes without reading them all. */
async function readLimited(req: Request, limit: number): Promise<string> {
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (declared > limit) {
    throw new SignallingError(
      413,
      `Cannot start a session: body of ${declared} bytes, at most ${limit}`,
    );
  }
  if (!req.body) throw new SignallingError(400, "Cannot start a session: empty body");
  const chunks: Uint8Array[] = [];
  let n = 0;
  for await (const chunk of req.body) {
    n += chunk.length;
    if (n > limit) {
      throw new SignallingError(413, `Cannot start a session: body over ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  if (n === 0) throw new SignallingError(400, "Cannot start a session: empty body");
  const all = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) (all.set(c, o), o += c.length);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(all);
  } catch {
    throw new SignallingError(400, "Cannot start a session: body is not UTF-8 text");
  }
}

/** Checks that `sdp` looks like an offer this server can answer; returns it. */
export function checkSdp(sdp: string): string {
  const lines = sdp.split(/\r?\n/).filter((l) => l.length);
  if (lines[0] !== "v=0") {
    throw new SignallingError(
      400,
      'Cannot start a session: not an SDP offer (no "v=0" line first)',
    );
  }
  for (const l of lines) {
    if (!/^[a-z]=/.test(l)) {
      throw new SignallingError(400, `Cannot start a session: bad SDP line "${l.slice(0, 60)}"`);
    }
  }
  const media = lines.filter((l) => l.startsWith("m="));
  if (!media.some((m) => /^m=(audio|application) /.test(m))) {
    throw new SignallingError(
      400,
      "Cannot start a session: the offer has neither an audio track nor data channels",
    );
  }
  if (media.some((m) => m.startsWith("m=audio ")) && !/^a=rtpmap:\d+ opus\/48000/im.test(sdp)) {
    throw new SignallingError(
      400,
      "Cannot start a session: the offer's audio has no Opus codec (only Opus is decoded)",
    );
  }
  const fingerprints = lines.filter((l) => l.startsWith("a=fingerprint:"));
  if (!fingerprints.length) {
    throw new SignallingError(400, "Cannot start a session: the offer has no DTLS fingerprint");
  }
  for (const l of fingerprints) checkFingerprint(l.slice("a=fingerprint:".length));
  if (!lines.some((l) => l.startsWith("a=ice-ufrag:"))) {
    throw new SignallingError(400, "Cannot start a session: the offer has no ICE credentials");
  }
  return sdp;
}

/** Bytes of a certificate fingerprint by hash function (RFC 8122; MD2 and MD5 are not taken). */
const FINGERPRINT_BYTES: Readonly<Record<string, number>> = {
  "sha-1": 20,
  "sha-224": 28,
  "sha-256": 32,
  "sha-384": 48,
  "sha-512": 64,
};

/**
 * Checks one `a=fingerprint:` value (RFC 8122: `<hash function> <hex bytes joined by ":">`, as many
 * bytes as the hash has), so a malformed one is refused here rather than failing the DTLS
 * handshake later without a word.
 */
function checkFingerprint(value: string): void {
  const [hash, hex, ...rest] = value.trim().split(/\s+/);
  const bytes = FINGERPRINT_BYTES[hash?.toLowerCase() ?? ""];
  const want = bytes === undefined
    ? `one of ${Object.keys(FINGERPRINT_BYTES).join(", ")}`
    : `${bytes} hex bytes joined by ":"`;
  const pattern = new RegExp(`^[0-9a-f]{2}(:[0-9a-f]{2}){${(bytes ?? 1) - 1}}$`, "i");
  if (bytes === undefined || rest.length || !hex || !pattern.test(hex)) {
    throw new SignallingError(
      400,
      `Cannot start a session: bad DTLS fingerprint "${value.slice(0, 120)}" (want ${want})`,
    );
  }
}

function inputsOf(sdp: string): InputKind[] {
  const inputs: InputKind[] = [];
  if (/^m=audio /m.test(sdp)) inputs.push("media");
  if (/^m=application /m.test(sdp)) inputs.push("audio", "mel");
  return inputs;
}

/**
 * The session config of a WebSocket session, from its URL's query: `mode`, `model`, `language`
 * and `overrides` (a JSON object), checked as a JSON offer's `config` is; anything else in the
 * query is refused by name.
 */
export function readSocketConfig(query: URLSearchParams): SessionConfig {
  const raw: Record<string, unknown> = {};
  for (const [key, value] of query) {
    if (key in raw) {
      throw new SignallingError(400, `Cannot start a session: "${key.slice(0, 40)}" given twice`);
    }
    if (key === "overrides") {
      try {
        raw.overrides = JSON.parse(value);
      } catch (err) {
        throw new SignallingError(
          400,
          `Cannot start a session: overrides is not JSON (${(err as Error).message})`,
        );
      }
    } else raw[key] = value;
  }
  const r = SessionConfigSchema.safeParse(raw);
  if (!r.success) {
    throw new SignallingError(400, `Cannot start a session: ${describeIssue(r.error, "query")}`);
  }
  return r.data;
}

/** A checked OpenAI Realtime call offer (`POST /v1/realtime/calls`). */
export interface RealtimeCallOffer {
  sdp: string;
  /** The `session` part of a multipart offer (a transcription session's config), if any. */
  session: unknown;
  inputs: InputKind[];
}

/**
 * Reads the body of `POST /v1/realtime/calls`: the SDP offer as `application/sdp`, or
 * `multipart/form-data` with an `sdp` part and an optional `session` part (JSON), as OpenAI's
 * endpoint takes them; at most {@linkcode MAX_OFFER_BYTES}.
 */
export async function readRealtimeCall(req: Request): Promise<RealtimeCallOffer> {
  const type = (req.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type === "application/sdp") {
    const sdp = checkSdp(await readLimited(req, MAX_OFFER_BYTES));
    return { sdp, session: undefined, inputs: inputsOf(sdp) };
  }
  if (type !== "multipart/form-data") {
    throw new SignallingError(
      415,
      `Cannot start a call: Content-Type must be application/sdp or multipart/form-data, got ${
        type || "none"
      }`,
    );
  }
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (!(declared <= MAX_OFFER_BYTES)) {
    throw new SignallingError(
      Number.isFinite(declared) ? 413 : 411,
      Number.isFinite(declared)
        ? `Cannot start a call: body of ${declared} bytes, at most ${MAX_OFFER_BYTES}`
        : "Cannot start a call: a multipart offer needs a Content-Length",
    );
  }
  let form: FormData;
  try {
    form = await req.formData();
  } catch (err) {
    throw new SignallingError(
      400,
      `Cannot start a call: bad multipart body (${(err as Error).message})`,
    );
  }
  const sdpPart = form.get("sdp");
  if (typeof sdpPart !== "string") {
    throw new SignallingError(400, 'Cannot start a call: the multipart body has no "sdp" field');
  }
  const sdp = checkSdp(sdpPart);
  const sessionPart = form.get("session");
  let session: unknown = undefined;
  if (sessionPart !== null) {
    try {
      session = JSON.parse(
        typeof sessionPart === "string" ? sessionPart : await sessionPart.text(),
      );
    } catch (err) {
      throw new SignallingError(
        400,
        `Cannot start a call: the "session" field is not JSON (${(err as Error).message})`,
      );
    }
  }
  return { sdp, session, inputs: inputsOf(sdp) };
}
