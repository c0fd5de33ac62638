/**
 * The streaming engine: models loaded once and shared, a session per stream. Each session gets
 * its own whisper state and its own VAD state; the weights of a model are shared by all
 * sessions that use it.
 *
 * @module
 */

import { VadModel, WhisperModel } from "../../ffi/whisper/mod.ts";
import type { IntentClassifier } from "../intent/classifier.ts";
import { DEFAULT_MODEL, DEFAULT_VAD_MODEL, resolveModel } from "../models/resolve.ts";
import type { SessionClock } from "./clock.ts";
import { type ModeName, resolveStreamConfig } from "./modes.ts";
import { StreamSession } from "./stream.ts";
import type { TranscriptEvent } from "../events/protocol.ts";

/** How the engine loads its models. */
export interface EngineOptions {
  /** Model name or path used when a session's config names none; default tiny.en. */
  model?: string;
  /** Silero VAD model name or path. */
  vadModel?: string;
  useGpu?: boolean;
  /** Runs on each final segment. */
  intents?: IntentClassifier | null;
}

/** What a session is opened with. */
export interface SessionOptions {
  mode?: ModeName;
  /** Overrides of the mode's preset, validated (see `resolveStreamConfig`). */
  overrides?: unknown;
  clock?: SessionClock;
  onEvent?: (event: TranscriptEvent) => void;
  sessionId?: string;
}

/** Shared models and the sessions that use them. */
export class Engine {
  readonly #opts: EngineOptions;
  readonly #models = new Map<string, Promise<WhisperModel>>();
  #vadPath: Promise<string> | null = null;
  readonly #sessions = new Set<StreamSession>();
  #closed = false;

  constructor(opts: EngineOptions = {}) {
    this.#opts = opts;
  }

  /** Sessions open now. */
  get sessions(): number {
    return this.#sessions.size;
  }

  /** Loads (once) and returns the model a name or path resolves to. */
  model(nameOrPath = ""): Promise<WhisperModel> {
    const name = nameOrPath || this.#opts.model || DEFAULT_MODEL;
    let m = this.#models.get(name);
    if (!m) {
      m = (async () => {
        const path = await resolveModel(name);
        return await WhisperModel.load(path, { useGpu: this.#opts.useGpu });
      })();
      this.#models.set(name, m);
      // A failed load is not cached: the next session tries again.
      m.catch(() => this.#models.delete(name));
    }
    return m;
  }

  /** Opens a session: validates its config, shares the model, makes its own states. */
  async open(opts: SessionOptions = {}): Promise<StreamSession> {
    if (this.#closed) throw new Error("Cannot open a session: the engine is closed");
    const config = resolveStreamConfig(opts.mode ?? "balanced", opts.overrides ?? {});
    const model = await this.model(config.model);
    this.#vadPath ??= resolveModel(this.#opts.vadModel ?? DEFAULT_VAD_MODEL);
    const vad = await VadModel.load(await this.#vadPath, { threads: 1 });
    let session: StreamSession;
    try {
      session = await StreamSession.open({
        model,
        vad,
        config,
        intents: this.#opts.intents,
        clock: opts.clock,
        onEvent: opts.onEvent,
        sessionId: opts.sessionId,
        onClose: () => this.#sessions.delete(session),
      });
    } catch (err) {
      vad.close();
      throw err;
    }
    this.#sessions.add(session);
    return session;
  }

  /** Closes every session, then the models. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#sessions].map((s) => s.close()));
    for (const m of this.#models.values()) {
      try {
        (await m).close();
      } catch {
        // A model that failed to load has nothing to free.
      }
    }
    this.#models.clear();
  }
}
