/**
 * An OpenAI Realtime transcription session on top of a hum-helix live session, whatever carries
 * it (a WebSocket, or the `oai-events` data channel of a WebRTC call): client events in
 * (`session.update`, `input_audio_buffer.append` / `commit` / `clear`), hum-helix's events mapped
 * to the Realtime API's server events out.
 *
 * The mapping (also in `docs/protocol.md`):
 * - a hum segment is one conversation item (`item_…`); with `server_vad` (the default) the
 *   engine's VAD and segmenting are the turn detection: `vad` speech/silence →
 *   `input_audio_buffer.speech_started` / `speech_stopped`; a segment's committed words →
 *   `conversation.item.input_audio_transcription.delta` (append-only, as they are committed); its
 *   `final` → `input_audio_buffer.committed`, then `…transcription.completed` with the final's
 *   text (which may revise the deltas' words), `usage` as seconds of audio, and the word times
 *   under `hum`;
 * - with `turn_detection: null` the client decides the turns: deltas stream as words are
 *   committed, and `input_audio_buffer.commit` finalizes what was said since the last commit as
 *   one item (`committed`, then one `completed`);
 * - partials (volatile text), intents and stats map to nothing; the engine's errors become
 *   `error` events.
 *
 * @module
 */

import type { LiveSession } from "../../session/live_session.ts";
import {
  fromBase64,
  RealtimeAudioDecoder,
  type RealtimeAudioType,
} from "../../../decode/realtime_audio.ts";
import {
  MAX_REALTIME_EVENT_BYTES,
  parseRealtimeClientEvent,
  type RealtimeClientEvent,
  RealtimeEventError,
  type RealtimeLogprob,
  type RealtimeServerEvent,
  type TranscriptionSessionUpdate,
  type TurnDetection,
} from "../../../protocol/realtime.ts";
import type { ModelCatalog } from "../http/providers.ts";
import type { ModeName } from "../../../protocol/modes.ts";
import { PROTOCOL_VERSION } from "../../../protocol/events.ts";

/** The include option that adds log-probabilities to deltas and completions. */
export const LOGPROBS_INCLUDE = "item.input_audio_transcription.logprobs";

/** Model names OpenAI clients send by default: they stand for the server's model. */
export const OPENAI_TRANSCRIBE_MODELS: readonly string[] = [
  "whisper-1",
  "gpt-4o-transcribe",
  "gpt-4o-mini-transcribe",
  "gpt-4o-transcribe-latest",
  "gpt-live-transcribe",
];

/** Defaults of `server_vad`, as OpenAI documents them. */
const SERVER_VAD_DEFAULTS = {
  type: "server_vad",
  threshold: 0.5,
  prefix_padding_ms: 300,
  silence_duration_ms: 500,
} as const;

/** How a Realtime session is set up. */
export interface RealtimeOptions {
  /** Sends one server event to the client. */
  send: (event: RealtimeServerEvent) => void;
  /** The hum-helix mode the session runs (`?mode=`, default `balanced`). */
  mode: ModeName;
  /** The served models (to check a `transcription.model`). */
  models?: ModelCatalog;
}

/** The session as `session.created` / `session.updated` show it. */
interface SessionState {
  format: { type: RealtimeAudioType; rate?: number };
  transcription: { model: string; language: string; prompt: string };
  turnDetection: TurnDetection;
  include: string[];
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/** One Realtime transcription session; see the module doc. */
export class RealtimeTranscription {
  readonly #live: LiveSession;
  readonly #opts: RealtimeOptions;
  readonly #id: string;
  #state: SessionState;
  #decoder: RealtimeAudioDecoder;
  #eventSeq = 0;
  #itemSeq = 0;
  /** Item of each hum segment. */
  readonly #items = new Map<number, string>();
  /** The item speech began for, not yet given to a segment. */
  #pending: string | null = null;
  /** The item that last ended (`previous_item_id`). */
  #previous: string | null = null;
  /** Segments whose deltas have begun (the next delta starts with a space). */
  readonly #begun = new Set<string>();
  /** With `turn_detection: null`: the item collecting what is said until the next commit. */
  #manual: { id: string; texts: string[]; words: WordLike[]; seconds: number } | null = null;
  /** Commits waiting for the engine's flush to come back (manual turns). */
  #commits = 0;
  /** Audio appended since the last commit or clear, ms. */
  #bufferedMs = 0;
  /** Segments whose results are dropped (`input_audio_buffer.clear`). */
  readonly #cleared = new Set<number>();
  #openSegment: number | null = null;
  #closed = false;

  constructor(live: LiveSession, opts: RealtimeOptions) {
    this.#live = live;
    this.#opts = opts;
    this.#id = `sess_${live.id.replaceAll("-", "")}`;
    this.#state = {
      format: { type: "audio/pcm", rate: 24_000 },
      transcription: {
        model: opts.models?.idOf(live.stream.config.model) ?? "",
        language: "en",
        prompt: "",
      },
      turnDetection: { ...SERVER_VAD_DEFAULTS },
      include: [],
    };
    this.#decoder = new RealtimeAudioDecoder("audio/pcm");
  }

  /** Sends `session.created` and starts taking the session's events. */
  start(): void {
    this.#emit("session.created", { session: this.#session() });
    this.#live.attachTranscript({ send: (text) => this.#fromHum(text) });
  }

  /** One client event (JSON text): applied, or answered with an `error` event. */
  async receive(text: string): Promise<void> {
    if (this.#closed) return;
    let event: RealtimeClientEvent;
    try {
      if (text.length > MAX_REALTIME_EVENT_BYTES) {
        throw new RealtimeEventError(
          "event_too_large",
          `An event of ${text.length} characters: at most ${MAX_REALTIME_EVENT_BYTES} ` +
            "(send audio in smaller appends)",
          null,
          null,
        );
      }
      event = parseRealtimeClientEvent(text);
    } catch (err) {
      this.#refuse(err);
      return;
    }
    try {
      switch (event.type) {
        case "session.update":
          await this.#update(event.session, event.event_id ?? null);
          break;
        case "input_audio_buffer.append":
          this.#append(event.audio, event.event_id ?? null);
          break;
        case "input_audio_buffer.commit":
          await this.#commit(event.event_id ?? null);
          break;
        case "input_audio_buffer.clear":
          this.#clear();
          break;
      }
    } catch (err) {
      this.#refuse(err);
    }
  }

  /** Frees the audio decoder. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#decoder.close();
  }

  // ---- client events ----

  async #update(s: TranscriptionSessionUpdate, eventId: string | null): Promise<void> {
    const input = s.audio?.input;
    const next: SessionState = structuredClone(this.#state);
    if (input?.format) {
      next.format = input.format.type === "audio/pcm"
        ? { type: "audio/pcm", rate: 24_000 }
        : { type: input.format.type };
    }
    const tr = input?.transcription;
    if (tr?.language !== undefined && tr.language !== "" && tr.language !== "en") {
      throw new RealtimeEventError(
        "unsupported_language",
        `Only English is transcribed here; language "${tr.language.slice(0, 16)}" is not`,
        "session.audio.input.transcription.language",
        eventId,
      );
    }
    if (tr?.model !== undefined) next.transcription.model = this.#model(tr.model, eventId);
    if (tr?.prompt !== undefined) next.transcription.prompt = tr.prompt;
    if (input && "turn_detection" in input) {
      const td = input.turn_detection;
      next.turnDetection = td === null || td === undefined
        ? null
        : { ...SERVER_VAD_DEFAULTS, ...(td.type === "server_vad" ? td : {}) };
    }
    if (s.include) next.include = s.include.filter((x) => x === LOGPROBS_INCLUDE);
    // Turn detection is the engine's end-of-speech silence, VAD threshold and pre-roll.
    const td = next.turnDetection;
    // (A segment's closing decode never overlaps the next turn: items complete in turn.)
    const overrides = td
      ? {
        overlapClosing: false,
        endSilenceMs: clamp(td.silence_duration_ms ?? 500, 100, 5_000),
        vadThreshold: clamp(td.threshold ?? 0.5, 0.05, 0.95),
        preRollMs: clamp(td.prefix_padding_ms ?? 300, 0, 1_000),
      }
      : { overlapClosing: false };
    await this.#live.control(
      JSON.stringify({ v: PROTOCOL_VERSION, type: "mode", mode: this.#opts.mode, overrides }),
    );
    if (next.format.type !== this.#state.format.type) {
      this.#flushDecoder();
      this.#decoder.close();
      this.#decoder = new RealtimeAudioDecoder(next.format.type);
    }
    if (this.#state.turnDetection !== null && td === null) this.#manual = null;
    this.#state = next;
    this.#emit("session.updated", { session: this.#session() });
  }

  /** The served model a `transcription.model` stands for (its id), or a refusal. */
  #model(requested: string, eventId: string | null): string {
    const models = this.#opts.models;
    const current = this.#live.stream.config.model;
    const currentId = models?.idOf(current) ?? current;
    if (requested === "" || OPENAI_TRANSCRIBE_MODELS.includes(requested)) return currentId;
    const m = models?.lookup(requested);
    if (m && m.name === current) return m.id;
    throw new RealtimeEventError(
      "unsupported_model",
      m
        ? `This session transcribes with ${currentId}; choose ${m.id} when connecting ` +
          `(add ?model=${m.id} to the URL)`
        : `Unknown transcription model "${requested.slice(0, 100)}" (this server has ${
          models?.served().map((k) => k.id).join(", ") || currentId
        }; OpenAI's names stand for ${currentId})`,
      "session.audio.input.transcription.model",
      eventId,
    );
  }

  #append(audio: string, eventId: string | null): void {
    let bytes: Uint8Array;
    try {
      bytes = fromBase64(audio);
    } catch (err) {
      throw new RealtimeEventError(
        "invalid_value",
        `input_audio_buffer.append: ${(err as Error).message}`,
        "audio",
        eventId,
      );
    }
    const before = this.#decoder.takenMs;
    const samples = this.#decoder.push(bytes);
    this.#bufferedMs += this.#decoder.takenMs - before;
    if (samples.length) this.#live.pushPcm(samples);
  }

  async #commit(eventId: string | null): Promise<void> {
    if (this.#bufferedMs < 100) {
      throw new RealtimeEventError(
        "input_audio_buffer_commit_empty",
        `Error committing input audio buffer: buffer too small. Expected at least 100ms of ` +
          `audio, but buffer only has ${this.#bufferedMs.toFixed(2)}ms of audio.`,
        null,
        eventId,
      );
    }
    this.#bufferedMs = 0;
    this.#flushDecoder();
    if (this.#state.turnDetection === null) {
      this.#manual ??= this.#newManual();
      this.#commits++;
    }
    // The open segment is finalized; the flush's `ack` comes after its events.
    await this.#live.control(JSON.stringify({ v: PROTOCOL_VERSION, type: "flush" }));
  }

  #clear(): void {
    this.#bufferedMs = 0;
    this.#decoder.flush();
    // What was said and not yet finalized is dropped: the open segment's results are not sent.
    if (this.#openSegment !== null) this.#cleared.add(this.#openSegment);
    if (this.#manual) this.#manual = null;
    this.#pending = null;
    this.#emit("input_audio_buffer.cleared", {});
  }

  #flushDecoder(): void {
    const tail = this.#decoder.flush();
    if (tail.length) this.#live.pushPcm(tail);
  }

  // ---- hum events → Realtime events ----

  #fromHum(text: string): void {
    if (this.#closed) return;
    const m = JSON.parse(text) as Record<string, unknown>;
    const segment = typeof m.segmentId === "number" ? m.segmentId : null;
    if (segment !== null) {
      this.#openSegment = m.type === "final" ? null : segment;
      if (this.#cleared.has(segment)) {
        if (m.type === "final") this.#cleared.delete(segment);
        return;
      }
    }
    const manual = this.#state.turnDetection === null;
    switch (m.type) {
      case "vad": {
        if (manual) return;
        if (m.state === "speech") {
          this.#pending ??= this.#newItem();
          this.#emit("input_audio_buffer.speech_started", {
            audio_start_ms: m.audioMs,
            item_id: this.#pending,
          });
        } else {
          const item = this.#pending ??
            (this.#openSegment !== null ? this.#items.get(this.#openSegment) : undefined);
          if (item) {
            this.#emit("input_audio_buffer.speech_stopped", {
              audio_end_ms: m.audioMs,
              item_id: item,
            });
          }
        }
        return;
      }
      case "commit": {
        const words = m.words as { word: string; p: number }[];
        const item = manual ? (this.#manual ??= this.#newManual()).id : this.#itemOf(segment!);
        const piece = words.map((w) => w.word).join(" ");
        const delta = this.#begun.has(item) ? " " + piece : piece;
        this.#begun.add(item);
        this.#emit("conversation.item.input_audio_transcription.delta", {
          item_id: item,
          content_index: 0,
          delta,
          ...(this.#logprobs ? { logprobs: logprobsOf(words, !delta.startsWith(" ")) } : {}),
        });
        return;
      }
      case "final": {
        const seconds = ((m.endMs as number) - (m.startMs as number)) / 1000;
        if (manual) {
          const c = this.#manual ??= this.#newManual();
          if (m.text) c.texts.push(m.text as string);
          c.words.push(...(m.words as WordLike[]));
          c.seconds += seconds;
          return;
        }
        const item = this.#itemOf(segment!);
        this.#items.delete(segment!);
        this.#completeItem(item, m.text as string, m.words as WordLike[], seconds, {
          revised: m.revised === true,
          startMs: m.startMs,
          endMs: m.endMs,
        });
        return;
      }
      case "ack": {
        if (m.of === "flush" && this.#commits > 0) {
          this.#commits--;
          const c = this.#manual;
          this.#manual = null;
          if (c) {
            this.#completeItem(
              c.id,
              c.texts.join(" "),
              c.words,
              c.seconds,
              {},
            );
          }
        }
        return;
      }
      case "error":
        this.#emit("error", {
          error: {
            type: m.recoverable === false ? "server_error" : "invalid_request_error",
            code: m.code,
            message: m.message,
            param: null,
            event_id: null,
          },
        });
        return;
      case "ended":
        // The client never ends a Realtime session itself (it hangs up): the server did — say
        // why before the socket or channel closes.
        if (m.reason !== "end" && m.reason !== "deleted") {
          this.#emit("error", {
            error: {
              type: "server_error",
              code: "session_ended",
              message: `The session ended: ${m.reason}` +
                (m.reason === "timeout" ? " (nothing was received for too long)" : ""),
              param: null,
              event_id: null,
            },
          });
        }
        return;
      default:
        // ready, partial, intent, stats, pong: nothing in the Realtime API.
        return;
    }
  }

  #completeItem(
    item: string,
    transcript: string,
    words: WordLike[],
    seconds: number,
    hum: Record<string, unknown>,
  ): void {
    this.#emit("input_audio_buffer.committed", { previous_item_id: this.#previous, item_id: item });
    this.#previous = item;
    this.#begun.delete(item);
    this.#emit("conversation.item.input_audio_transcription.completed", {
      item_id: item,
      content_index: 0,
      transcript,
      ...(this.#logprobs ? { logprobs: logprobsOf(words, true) } : {}),
      usage: { type: "duration", seconds: Math.round(Math.max(0, seconds) * 1000) / 1000 },
      hum: { ...hum, words },
    });
  }

  get #logprobs(): boolean {
    return this.#state.include.includes(LOGPROBS_INCLUDE);
  }

  /** The item of hum segment `segment`: the one speech began for, or a new one. */
  #itemOf(segment: number): string {
    let item = this.#items.get(segment);
    if (!item) {
      item = this.#pending ?? this.#newItem();
      this.#pending = null;
      this.#items.set(segment, item);
    }
    return item;
  }

  #newItem(): string {
    return `item_${this.#id.slice(5, 17)}${String(++this.#itemSeq).padStart(4, "0")}`;
  }

  #newManual() {
    return { id: this.#newItem(), texts: [] as string[], words: [] as WordLike[], seconds: 0 };
  }

  #session(): Record<string, unknown> {
    const s = this.#state;
    return {
      object: "realtime.session",
      type: "transcription",
      id: this.#id,
      audio: {
        input: {
          format: s.format,
          transcription: s.transcription,
          turn_detection: s.turnDetection,
          noise_reduction: null,
        },
      },
      include: s.include,
      hum: { mode: this.#opts.mode, sessionId: this.#live.id },
    };
  }

  #refuse(err: unknown): void {
    const e = err instanceof RealtimeEventError
      ? err
      : new RealtimeEventError("invalid_request", (err as Error).message, null, null);
    this.#emit("error", {
      error: {
        type: "invalid_request_error",
        code: e.code,
        message: e.message,
        param: e.param,
        event_id: e.eventId,
      },
    });
  }

  #emit(type: string, body: Record<string, unknown>): void {
    if (this.#closed && type !== "error") return;
    this.#opts.send({ event_id: `event_${++this.#eventSeq}`, type, ...body });
  }
}

interface WordLike {
  word: string;
  p: number;
}

/** Words' probabilities as Realtime log-probabilities (a space before each word but the first). */
function logprobsOf(words: WordLike[], firstBare: boolean): RealtimeLogprob[] {
  const enc = new TextEncoder();
  return words.map((w, i) => {
    const token = i === 0 && firstBare ? w.word : " " + w.word;
    return {
      token,
      logprob: Math.log(Math.max(1e-9, Math.min(1, w.p))),
      bytes: [...enc.encode(token)],
    };
  });
}
