/**
 * `POST /v1/audio/transcriptions`, OpenAI-compatible: a multipart form with the audio in `file`
 * and the fields `model`, `language`, `prompt`, `response_format` (json, text, srt, vtt,
 * verbose_json), `timestamp_granularities[]` (segment, word), `temperature` and `stream`.
 *
 * The upload streams to a temporary file under a size limit (`413` as soon as it is crossed), its
 * container is sniffed from its bytes (the name and declared type are not trusted) and only WAV,
 * FLAC, Ogg, WebM/Opus and MP3 are decoded (`415` names them for anything else); it is then
 * transcribed for accuracy (VAD windows of at most 28 s, beam search) through the same scheduler
 * as live sessions, behind them. With `stream=true` the answer is server-sent events: progress
 * after each window, the text of each window as it is decoded, then the whole answer.
 *
 * @module
 */

import { z } from "zod";
import { HttpError } from "./errors.ts";
import {
  DEFAULT_MIN_BYTES_PER_S,
  DEFAULT_UPLOAD_DEADLINE_MS,
  receiveMultipart,
} from "./multipart.ts";
import {
  AudioDecodeError,
  type Container,
  CONTAINER_NAMES,
  decodeAudioFile,
  type DecodedAudio,
} from "../../../decode/audio_file.ts";
import { renderUploadResponse, UPLOAD_FORMATS } from "./formats.ts";
import { describeIssue } from "../../../protocol/events.ts";
import type { Transcript, TranscriptSegment } from "../../../protocol/transcript.ts";
import type { ModelCatalog } from "./providers.ts";

/** The containers an upload may be in. */
export const UPLOAD_CONTAINERS: readonly Container[] = ["wav", "flac", "ogg", "webm", "mp3"];

/** The model name OpenAI clients send; it stands for this server's own choice. */
export const OPENAI_DEFAULT_MODEL = "whisper-1";

/** Limits on uploads. */
export interface UploadLimits {
  /** Largest file, bytes (default 200 MB). */
  maxBytes?: number;
  /** Longest audio, seconds (default 3 hours). */
  maxDurationS?: number;
  /** Longest pause in the upload's bytes, ms (default 30 000). */
  idleTimeoutMs?: number;
  /** Slowest an upload may arrive, bytes a second over each 10 s (default 2048; 0: no check). */
  minBytesPerS?: number;
  /** The window that rate is averaged over, ms (default 10 000). */
  rateWindowMs?: number;
  /** Longest an upload's body may take, ms (default 30 minutes). */
  deadlineMs?: number;
  /** Where uploads are kept while they are decoded (default: the OS's temporary folder). */
  tempDir?: string;
}

/** What an upload's transcription is asked for. */
export interface BatchOptions {
  /** The model's name as the engine knows it; default: the server's choice. */
  model?: string;
  /** Spoken language (ISO 639-1), or `auto`; default: the model's. */
  language?: string;
  /** Text the decoder is conditioned on (names, spelling, style). */
  prompt?: string;
  /** Decoding temperature; 0 is beam search, above it sampling. */
  temperature?: number;
  /** `timestamps` for segment and word times; `none` (text only) decodes more accurately. */
  wordTimes?: "timestamps" | "none";
  /** After each window: the share of the audio done, 0–1. */
  onProgress?: (done: number) => void;
  /** After each window: its segments, its index and the count of windows. */
  onSegments?: (segments: TranscriptSegment[], window: number, windows: number) => void;
  signal?: AbortSignal;
}

/** A finished transcription of an upload. */
export interface BatchResult {
  transcript: Transcript;
  /** The model's name as the engine knows it (the answer names it by its id). */
  model: string;
  /** The language's full name ("english"), for `verbose_json`. */
  languageName: string;
  /** Wall time of decoding, ms (`x-decode-ms`). */
  decodeMs: number;
}

/** What the endpoint needs from the service (the engine's `transcribe`, wired). */
export interface TranscriptionService {
  /** Transcribes samples. */
  transcribe(samples: Float32Array, opts: BatchOptions): Promise<BatchResult>;
  /** Errors of `transcribe` that are the request's fault (answered 400). */
  isRequestError(err: unknown): boolean;
  limits?: UploadLimits;
}

/** Default {@linkcode UploadLimits}. */
export const DEFAULT_UPLOAD_LIMITS: Required<Omit<UploadLimits, "tempDir">> = {
  maxBytes: 200 * 1024 * 1024,
  maxDurationS: 3 * 3600,
  idleTimeoutMs: 30_000,
  minBytesPerS: DEFAULT_MIN_BYTES_PER_S,
  rateWindowMs: 10_000,
  deadlineMs: DEFAULT_UPLOAD_DEADLINE_MS,
};

const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** The form fields, checked. */
export const UploadFieldsSchema = z.object({
  model: z.string().regex(MODEL_NAME, "must be a model name (letters, digits, '.', '_', '-')")
    .optional(),
  language: z.string().regex(/^([a-z]{2,3}|auto)$/, "must be an ISO 639-1 code or auto")
    .optional(),
  prompt: z.string().max(1_000).optional(),
  response_format: z.enum(UPLOAD_FORMATS).default("json"),
  timestamp_granularities: z.array(z.enum(["word", "segment"])).max(2).default(["segment"]),
  temperature: z.coerce.number().min(0).max(1).default(0),
  stream: z.enum(["true", "false"]).default("false").transform((v) => v === "true"),
}).strict();
/** Checked form fields. */
export type UploadFields = z.infer<typeof UploadFieldsSchema>;

/**
 * Turns the form's text fields into an object for {@linkcode UploadFieldsSchema}: repeated
 * `timestamp_granularities[]` (OpenAI's spelling) or `timestamp_granularities` become one list;
 * any other field given twice is an error.
 */
export function parseUploadFields(fields: Record<string, string[]>): UploadFields {
  const raw: Record<string, unknown> = {};
  for (const [name, values] of Object.entries(fields)) {
    if (name === "timestamp_granularities[]" || name === "timestamp_granularities") {
      raw.timestamp_granularities = [
        ...(raw.timestamp_granularities as string[] ?? []),
        ...values.flatMap((v) => v.split(",").map((x) => x.trim()).filter(Boolean)),
      ];
      continue;
    }
    if (values.length > 1) {
      throw new HttpError(
        400,
        `Cannot transcribe: field "${name}" is given ${values.length} times`,
      );
    }
    raw[name] = values[0];
  }
  const r = UploadFieldsSchema.safeParse(raw);
  if (!r.success) throw new HttpError(400, `Cannot transcribe: ${describeIssue(r.error, "form")}`);
  return r.data;
}

function decodeError(err: AudioDecodeError): HttpError {
  if (err.kind === "unsupported") {
    return new HttpError(415, err.message, { reason: "unsupported_format" });
  }
  if (err.kind === "too_long") return new HttpError(413, err.message, { reason: "too_long" });
  return new HttpError(400, err.message, { reason: "bad_audio" });
}

/** No models to name (an app wired without a catalog): only `whisper-1` is accepted. */
const NO_MODELS: ModelCatalog = {
  served: () => [],
  lookup: () => undefined,
  idOf: (name) => name,
  states: () => [],
};

/** The formats accepted, for errors and docs: "WAV, FLAC, …". */
export function supportedFormats(): string {
  return UPLOAD_CONTAINERS.map((c) => CONTAINER_NAMES[c]).join(", ");
}

/**
 * Handles one `POST /v1/audio/transcriptions`. `models` are those a request may name besides
 * `whisper-1` (the server's choice), by id (`tiny.en`) or by the name the server is configured
 * with; without them, only `whisper-1`. Throws {@linkcode HttpError} for a request it refuses
 * before answering (with `stream=true`, errors after the events began are an `error` event).
 */
export async function handleTranscription(
  req: Request,
  service: TranscriptionService,
  models: ModelCatalog = NO_MODELS,
): Promise<Response> {
  const limits = { ...DEFAULT_UPLOAD_LIMITS, ...service.limits };
  const upload = await receiveMultipart(req, {
    maxBytes: limits.maxBytes,
    idleTimeoutMs: limits.idleTimeoutMs,
    minBytesPerS: limits.minBytesPerS,
    rateWindowMs: limits.rateWindowMs,
    deadlineMs: limits.deadlineMs,
    tempDir: limits.tempDir,
  });
  let audio: DecodedAudio;
  let fields: UploadFields;
  let model: string | undefined;
  try {
    fields = parseUploadFields(upload.fields);
    if (fields.model && fields.model !== OPENAI_DEFAULT_MODEL) {
      model = models.lookup(fields.model)?.name;
      if (!model) {
        throw new HttpError(
          400,
          `Cannot transcribe: unknown model "${fields.model}" (this server has ${
            models.served().map((m) => m.id).join(", ") || "none loaded"
          }; or ${OPENAI_DEFAULT_MODEL} for its own choice)`,
        );
      }
    }
    if (upload.bytes === 0) {
      throw new HttpError(400, "Cannot transcribe: the file is empty (0 bytes)", {
        reason: "bad_audio",
      });
    }
    try {
      audio = await decodeAudioFile(upload.path, {
        containers: UPLOAD_CONTAINERS,
        maxDurationS: limits.maxDurationS,
        signal: req.signal,
        // Errors name the upload as the client did, not the temporary file.
        label: upload.filename || "the upload",
      });
    } catch (err) {
      throw err instanceof AudioDecodeError ? decodeError(err) : err;
    }
  } finally {
    await Deno.remove(upload.path).catch(() => {});
  }

  const options: BatchOptions = {
    model,
    language: fields.language,
    prompt: fields.prompt,
    temperature: fields.temperature,
    // Text-only decoding is the more accurate; timestamps only when the format shows them.
    wordTimes: fields.response_format === "json" || fields.response_format === "text"
      ? "none"
      : "timestamps",
  };
  const headers: Record<string, string> = {
    "x-audio-duration-s": audio.durationS.toFixed(3),
    ...(audio.warning ? { "x-audio-warning": audio.warning.replace(/[^\x20-\x7e]/g, "?") } : {}),
  };
  const render = (r: BatchResult) =>
    renderUploadResponse(r.transcript, fields.response_format, {
      granularities: fields.timestamp_granularities,
      languageName: r.languageName,
      temperature: fields.temperature,
    });
  const run = async (extra: Partial<BatchOptions> = {}) => {
    try {
      return await service.transcribe(audio.samples, { ...options, ...extra });
    } catch (err) {
      if (service.isRequestError(err)) throw new HttpError(400, (err as Error).message);
      throw err;
    }
  };

  if (!fields.stream) {
    const r = await run({ signal: req.signal });
    const { body, contentType } = render(r);
    return new Response(body, {
      headers: {
        ...headers,
        "content-type": contentType,
        "x-model": models.idOf(r.model),
        "x-decode-ms": String(Math.round(r.decodeMs)),
      },
    });
  }
  return streamEvents(audio, run, render, models.idOf, req.signal, headers);
}

/** The `stream=true` answer: server-sent events while the transcription runs. */
function streamEvents(
  audio: DecodedAudio,
  run: (extra: Partial<BatchOptions>) => Promise<BatchResult>,
  render: (r: BatchResult) => { body: string; contentType: string },
  idOf: (name: string) => string,
  requestSignal: AbortSignal,
  headers: Record<string, string>,
): Response {
  const enc = new TextEncoder();
  const abort = new AbortController();
  const started = performance.now();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (event: Record<string, unknown>) => {
        if (abort.signal.aborted) return;
        controller.enqueue(enc.encode(`data: ${JSON.stringify(event)}\n\n`));
      };
      send({ type: "transcript.progress", done: 0, audio_s: audio.durationS, elapsed_s: 0 });
      run({
        signal: AbortSignal.any([requestSignal, abort.signal]),
        onSegments: (segs, window, windows) => {
          const text = segs.map((s) => s.text).join(" ");
          if (text) send({ type: "transcript.text.delta", delta: text, window, windows });
        },
        onProgress: (done) =>
          send({
            type: "transcript.progress",
            done: Math.round(done * 1000) / 1000,
            audio_s: audio.durationS,
            elapsed_s: Math.round(performance.now() - started) / 1000,
          }),
      }).then((r) => {
        const { body, contentType } = render(r);
        send({
          type: "transcript.text.done",
          text: r.transcript.text,
          model: idOf(r.model),
          response: contentType.startsWith("application/json") ? JSON.parse(body) : body,
        });
      }, (err) => {
        const status = err instanceof HttpError ? err.status : 500;
        send({ type: "error", error: { status, message: (err as Error).message } });
      }).finally(() => {
        if (!abort.signal.aborted) controller.close();
      });
    },
    cancel() {
      abort.abort(new Error("the client closed the event stream"));
    },
  });
  return new Response(body, {
    headers: {
      ...headers,
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
    },
  });
}
