/**
 * The streaming engine: models loaded once and shared, a session per stream. Each session gets
 * its own whisper state and its own VAD state; the weights of a model are shared by all
 * sessions that use it.
 *
 * @module
 */

import { VadModel, type WhisperModel } from "../../ffi/whisper/mod.ts";
import { releaseFreeMemory } from "../../ffi/native/libc.ts";
import type { IntentClassifier } from "../intent/classifier.ts";
import { DEFAULT_MODEL, DEFAULT_VAD_MODEL, resolveModel } from "../models/resolve.ts";
import type { SessionClock } from "./clock.ts";
import { resolveStreamConfig, type StreamConfig } from "./modes.ts";
import type { ModeName } from "../../protocol/modes.ts";
import { StreamSession } from "./stream.ts";
import { InferenceScheduler, type SchedulerOptions } from "./scheduler.ts";
import { ModelRegistry, type ModelSize } from "./model_registry.ts";
import { transcribeOffline } from "./offline.ts";
import type { Transcript, TranscriptSegment } from "../../protocol/transcript.ts";
import { type TranscriberFactory, WhisperTranscriber } from "./transcriber.ts";
import { CascadeTranscriber } from "./cascade.ts";

/**
 * The largest model each mode takes when a session names none: latency mode stays on a tiny
 * model (a base model's decodes alone take longer than its latency budget on a CPU).
 */
export const MODE_MAX_MODEL: Record<ModeName, ModelSize> = {
  latency: "tiny",
  balanced: "base",
  accuracy: "large",
};

/** How the engine loads its models. */
export interface EngineOptions {
  /** Model name or path used when a session's config names none; default tiny.en. */
  model?: string;
  /**
   * Models to load in the background at start, smallest first. With them, a session that names
   * no model gets the largest ready one its mode allows (`MODE_MAX_MODEL`), or the smallest while
   * the scheduler is at its highest degrade level.
   */
  models?: string[];
  /** Idle decoding states kept per model for the next sessions (default 4). */
  maxIdleStates?: number;
  /**
   * An idle decoding state unused this long is freed and its pages returned to the system, ms
   * (default 60 000; 0: kept while the engine runs).
   */
  idleStateReleaseMs?: number;
  /**
   * How often free heap memory is handed back to the system, ms (default 30 000; 0: only when a
   * session ends or idle states are freed). Memory that other parts of the process free later,
   * once the garbage collector reclaims their buffers (refused data-channel messages, ended
   * connections), is otherwise kept by the C allocator (decision 003).
   */
  heapTrimIntervalMs?: number;
  /** Silero VAD model name or path. */
  vadModel?: string;
  useGpu?: boolean;
  /**
   * Flash attention for the models (live sessions and uploads). Default: on where the library
   * masks its K/V padding (the one built here), off otherwise: whisper.cpp's own flash attention
   * makes a decode depend on what the decoding state decoded before (decisions 007, 021).
   */
  flashAttn?: boolean;
  /** Runs on each final segment. */
  intents?: IntentClassifier | null;
  /**
   * The inference scheduler all sessions' decodes go through: one given, options for one
   * (default: slots from cores ÷ 2 threads), or `false` for none (each session decodes at once).
   */
  scheduler?: InferenceScheduler | SchedulerOptions | false;
  /**
   * Makes each live session's transcriber. Default: whisper on the session's model (loaded once
   * and shared), its decodes through the scheduler. Tests give a fake (`testing.ts`): then no
   * whisper model is loaded for live sessions.
   */
  transcribers?: TranscriberFactory;
}

/** What a session is opened with. */
export interface SessionOptions {
  mode?: ModeName;
  /** Overrides of the mode's preset, validated (see `resolveStreamConfig`). */
  overrides?: unknown;
  clock?: SessionClock;
  sessionId?: string;
}

/** What a file transcription ({@linkcode Engine.transcribe}) is asked for. */
export interface BatchOptions {
  /** Model name; default: the largest ready model accuracy mode allows (or the default model). */
  model?: string;
  /** Spoken language, or `auto` (multilingual models); default `en`, or `auto` when multilingual. */
  language?: string;
  /** Text the decoder is conditioned on in every window (names, spelling, style). */
  prompt?: string;
  /** Decoding temperature; 0 (default) is beam search, above it sampling. */
  temperature?: number;
  /**
   * `timestamps` for segment and word times; `none` for text alone. With `timestamps`, a model
   * loaded with alignment heads decodes text only (more accurate: decision 001) and times its
   * words by the cross-attention alignment (DTW); another decodes timestamp tokens.
   */
  wordTimes?: "timestamps" | "none";
  /** Beam width (default 5). */
  beam?: number;
  /** CPU threads per decode (default 2). */
  threads?: number;
  onProgress?: (done: number) => void;
  onSegments?: (segments: TranscriptSegment[], window: number, windows: number) => void;
  signal?: AbortSignal;
}

/** A file transcription asked for something this engine cannot do (a client's mistake). */
export class BatchRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BatchRequestError";
  }
}

/** A finished file transcription. */
export interface BatchResult {
  transcript: Transcript;
  /** The model's name or path as routed. */
  model: string;
  /** Whether the model is multilingual. */
  multilingual: boolean;
  /** The language's full name as whisper knows it ("english"). */
  languageName: string;
  /** Wall time of decoding (VAD and windows, with the waits for slots), ms. */
  decodeMs: number;
}

/** Shared models and the sessions that use them. */
export class Engine {
  readonly #opts: EngineOptions;
  /** The loaded models and their pools of decoding states. */
  readonly models: ModelRegistry;
  #vadPath: Promise<string> | null = null;
  readonly #sessions = new Set<StreamSession>();
  #closed = false;
  /** Where every session's decodes wait for a slot (null: none). */
  readonly scheduler: InferenceScheduler | null;
  #trimTimer: ReturnType<typeof setInterval> | undefined;
  #heapTrims = 0;

  constructor(opts: EngineOptions = {}) {
    this.#opts = opts;
    const s = opts.scheduler ?? {};
    this.scheduler = s === false
      ? null
      : s instanceof InferenceScheduler
      ? s
      : new InferenceScheduler(s);
    this.models = new ModelRegistry({
      useGpu: opts.useGpu,
      flashAttn: opts.flashAttn,
      maxIdleStates: opts.maxIdleStates,
      idleStateReleaseMs: opts.idleStateReleaseMs,
      // The states' buffers were freed: give their pages back (decision 003).
      onStatesReleased: () => releaseFreeMemory(),
    });
    if (opts.models?.length) void this.models.preload(opts.models);
    const trimMs = opts.heapTrimIntervalMs ?? 30_000;
    if (trimMs > 0) {
      const timer = setInterval(() => {
        if (releaseFreeMemory()) this.#heapTrims++;
      }, trimMs);
      // The timer alone does not keep the process alive.
      Deno.unrefTimer(timer);
      this.#trimTimer = timer;
    }
  }

  /** How many periodic heap trims have run (`heapTrimIntervalMs`; none where not glibc). */
  get heapTrims(): number {
    return this.#heapTrims;
  }

  /**
   * Whether a session can be served now: with a background list, once any of its models is
   * loaded; without one, always (the default model loads with the first session that needs it).
   */
  get ready(): boolean {
    return this.#opts.models?.length ? this.models.anyReady : true;
  }

  /**
   * The models a client may name: the background list, or without one the default model (those
   * that failed to load included: naming one gets its load error).
   */
  get servedModels(): string[] {
    return this.#opts.models?.length ? [...this.#opts.models] : [this.#opts.model || DEFAULT_MODEL];
  }

  /** Sessions open now. */
  get sessions(): number {
    return this.#sessions.size;
  }

  /** Loads (once) and returns the model a name or path resolves to. */
  async model(nameOrPath = ""): Promise<WhisperModel> {
    return (await this.models.get(nameOrPath || this.#opts.model || DEFAULT_MODEL)).model;
  }

  /** The model a session of `mode` that names `requested` (maybe nothing) gets. */
  async #pick(mode: ModeName, requested: string): Promise<string> {
    if (requested) return requested;
    if (!this.#opts.models?.length) return this.#opts.model || DEFAULT_MODEL;
    await this.models.whenAnyReady();
    const overloaded = (this.scheduler?.degradeLevel ?? 0) >= 2;
    return this.models.route(MODE_MAX_MODEL[mode], overloaded) ?? this.#opts.model ??
      DEFAULT_MODEL;
  }

  /**
   * Opens a session: validates its config, shares the model and its pool of decoding states. Its
   * events
   * come out of the session's async iterator.
   */
  async open(opts: SessionOptions = {}): Promise<StreamSession> {
    if (this.#closed) throw new Error("Cannot open a session: the engine is closed");
    const config = resolveStreamConfig(opts.mode ?? "balanced", opts.overrides ?? {});
    const transcribers = this.#opts.transcribers ?? await this.#whisperFor(config);
    this.#vadPath ??= resolveModel(this.#opts.vadModel ?? DEFAULT_VAD_MODEL);
    const vad = await VadModel.load(await this.#vadPath, { threads: 1 });
    let session: StreamSession;
    try {
      session = new StreamSession({
        transcriber: await transcribers({ config, sessionId: opts.sessionId }),
        vad,
        config,
        intents: this.#opts.intents,
        clock: opts.clock,
        sessionId: opts.sessionId,
        onClose: () => {
          this.#sessions.delete(session);
          // The session's native buffers were freed on a worker thread: give the pages back.
          releaseFreeMemory();
        },
      });
    } catch (err) {
      vad.close();
      throw err;
    }
    this.#sessions.add(session);
    return session;
  }

  /** Whisper transcribers on the model a session of `config` gets (loaded once, shared). */
  async #whisperFor(config: StreamConfig): Promise<TranscriberFactory> {
    const name = await this.#pick(config.mode, config.model);
    const { model, pool } = await this.models.get(name);
    const scheduler = this.scheduler ?? undefined;
    if (!config.closingModel || config.closingModel === name) {
      return ({ sessionId }) =>
        WhisperTranscriber.open({ model, states: pool, scheduler, sessionId });
    }
    // A two-model cascade: closing decodes on `closingModel`, under the same scheduler key.
    const closing = await this.models.get(config.closingModel);
    if (closing.model.info.nMels !== model.info.nMels) {
      throw new RangeError(
        `Cannot open a session: closingModel ${config.closingModel} takes ` +
          `${closing.model.info.nMels} mel bins, the session's model ${name} ${model.info.nMels}`,
      );
    }
    return async ({ sessionId }) => {
      const key = sessionId ?? crypto.randomUUID();
      return new CascadeTranscriber(
        await WhisperTranscriber.open({ model, states: pool, scheduler, sessionId: key }),
        await WhisperTranscriber.open({
          model: closing.model,
          states: closing.pool,
          scheduler,
          sessionId: key,
        }),
      );
    };
  }

  /**
   * Transcribes a whole recording (an upload) with accuracy defaults: Silero VAD windows of at
   * most 28 s, each decoded with beam search (`transcribeOffline`). It shares the models and
   * their state pools with live sessions, and every decode goes through the scheduler as a
   * `batch` job, behind live sessions' decodes.
   */
  async transcribe(samples: Float32Array, opts: BatchOptions = {}): Promise<BatchResult> {
    if (this.#closed) throw new Error("Cannot transcribe: the engine is closed");
    opts.signal?.throwIfAborted();
    const name = await this.#pick("accuracy", opts.model ?? "");
    const { model, pool } = await this.models.get(name);
    const multilingual = model.info.multilingual;
    const language = opts.language ?? (multilingual ? "auto" : "en");
    if (!multilingual && language !== "en" && language !== "auto") {
      throw new BatchRequestError(
        `Cannot transcribe ${language}: the model ${name} is English-only (use en, or a multilingual model)`,
      );
    }
    if (language !== "auto" && model.languageId(language) < 0) {
      throw new BatchRequestError(`Cannot transcribe: unknown language code "${language}"`);
    }
    this.#vadPath ??= resolveModel(this.#opts.vadModel ?? DEFAULT_VAD_MODEL);
    const vad = await VadModel.load(await this.#vadPath, { threads: 1 });
    const state = await pool.take();
    const jobId = `batch-${crypto.randomUUID()}`;
    const scheduler = this.scheduler;
    const slot = scheduler
      ? async () => {
        const onAbort = () => scheduler.cancel(jobId);
        opts.signal?.addEventListener("abort", onAbort);
        try {
          const grant = await scheduler.acquire({ sessionId: jobId, kind: "batch" });
          if (!grant.run) {
            opts.signal?.throwIfAborted();
            throw new Error(`Cannot transcribe: the inference scheduler ${grant.reason} the job`);
          }
          return grant.release;
        } finally {
          opts.signal?.removeEventListener("abort", onAbort);
        }
      }
      : undefined;
    const t0 = performance.now();
    const beam = opts.beam ?? 5;
    const sampling = (opts.temperature ?? 0) > 0;
    try {
      const transcript = await transcribeOffline(state, samples, {
        decode: {
          strategy: sampling || beam <= 1 ? "greedy" : "beam",
          beamSize: sampling || beam <= 1 ? undefined : beam,
          temperature: opts.temperature || undefined,
          threads: opts.threads ?? 2,
          language,
          initialPrompt: opts.prompt || undefined,
        },
        vad,
        wordTimes: opts.wordTimes !== "timestamps"
          ? "none"
          : state.model.aligns
          ? "dtw"
          : "timestamps",
        onProgress: opts.onProgress,
        onSegments: opts.onSegments,
        signal: opts.signal,
        slot,
      });
      return {
        transcript,
        model: name,
        multilingual,
        languageName: model.languageName(transcript.language) ?? transcript.language,
        decodeMs: performance.now() - t0,
      };
    } finally {
      // A state that ran beam search or sampling is not reused (`StatePool.give`), unless the
      // library reseeds its generators at every decode (decision 014).
      pool.give(state, sampling || beam > 1);
      vad.close();
    }
  }

  /** Closes every session, then the models. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#trimTimer);
    await Promise.all([...this.#sessions].map((s) => s.close()));
    this.scheduler?.close();
    await this.models.close();
  }
}
