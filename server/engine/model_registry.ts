/**
 * The models of a server: each loaded once (one whisper context) and shared by every session
 * that uses it, with a pool of decoding states per model (a session takes a state and gives it
 * back when it closes, instead of allocating and freeing one each time).
 *
 * Models named in the configuration load in the background, smallest first (by the encoder's
 * width × depth read from the file's header, then the file's size: tiny.en-q5_1, tiny.en,
 * base-q5_1), so the server takes sessions as soon as the first one is ready. A session that
 * names no model is routed to the largest ready model its mode allows.
 *
 * @module
 */

import {
  dtwHeadsFor,
  openWhisper,
  WhisperModel,
  type WhisperState,
} from "../../ffi/whisper/mod.ts";
import { resolveModel } from "../models/resolve.ts";

/** Whisper's model sizes, smallest first (`whisper_model_type_readable`). */
export const MODEL_SIZES = ["tiny", "base", "small", "medium", "large"] as const;
/** A Whisper model size. */
export type ModelSize = typeof MODEL_SIZES[number];

/** The part of a ggml Whisper file's header that tells its size. */
export interface ModelHeader {
  nVocab: number;
  nAudioCtx: number;
  nAudioState: number;
  nAudioLayer: number;
  nTextState: number;
  nTextLayer: number;
  nMels: number;
  /** Quantization / float type as whisper.cpp stores it (with its version factor folded in). */
  ftype: number;
}

/** The size name of a header (from the encoder's width, as whisper.cpp names model types). */
export function sizeOf(h: ModelHeader): ModelSize {
  // whisper.cpp: 4 layers tiny, 6 base, 12 small, 24 medium, 32 large.
  if (h.nAudioLayer <= 4) return "tiny";
  if (h.nAudioLayer <= 6) return "base";
  if (h.nAudioLayer <= 12) return "small";
  if (h.nAudioLayer <= 24) return "medium";
  return "large";
}

/**
 * Reads a ggml Whisper model file's hyperparameters: after the magic `ggml` come eleven
 * little-endian int32 values (whisper.cpp's `whisper_model_load`: n_vocab, n_audio_ctx,
 * n_audio_state, n_audio_head, n_audio_layer, n_text_ctx, n_text_state, n_text_head,
 * n_text_layer, n_mels, ftype). Checked against a loaded model in the tests.
 */
export async function readModelHeader(path: string): Promise<ModelHeader> {
  const f = await Deno.open(path);
  try {
    const buf = new Uint8Array(48);
    let got = 0;
    while (got < buf.length) {
      const n = await f.read(buf.subarray(got));
      if (n === null) break;
      got += n;
    }
    const v = new DataView(buf.buffer);
    if (got < 48 || v.getUint32(0, true) !== 0x67676d6c) {
      throw new Error(`Cannot read model ${path}: not a whisper.cpp ggml model`);
    }
    const i = (k: number) => v.getInt32(4 + 4 * k, true);
    return {
      nVocab: i(0),
      nAudioCtx: i(1),
      nAudioState: i(2),
      nAudioLayer: i(4),
      nTextState: i(6),
      nTextLayer: i(8),
      nMels: i(9),
      ftype: i(10),
    };
  } finally {
    f.close();
  }
}

/** A model clients may name: `id` as they send it (`tiny.en`), `name` as the engine knows it. */
export interface ServedModel {
  id: string;
  /** The name or path the model is configured as (what {@linkcode ModelRegistry.get} takes). */
  name: string;
}

/** The id clients use for a model the engine knows by `name`: `…/ggml-tiny.en.bin` → `tiny.en`. */
export function modelId(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? name;
  return base.replace(/^ggml-/, "").replace(/\.bin$/, "");
}

/** The models configured as `names`, with the ids clients use for them. */
export function servedModels(names: readonly string[]): ServedModel[] {
  return names.map((name) => ({ id: modelId(name), name }));
}

/**
 * The model of `served` a client's `requested` stands for — its id (`tiny.en`) or the name it is
 * configured as (`models/ggml-tiny.en.bin`) — or undefined. Sessions and uploads both look their
 * `model` up here, so both accept the same names, and no client can make the server open a file
 * of its choosing.
 */
export function lookupModel(
  served: readonly ServedModel[],
  requested: string,
): ServedModel | undefined {
  return served.find((m) => m.id === requested || m.name === requested);
}

/** Where a model is in its life. */
export type ModelState = "queued" | "loading" | "ready" | "failed";

/** A model as `/v1/status` reports it. */
export interface ModelStatus {
  name: string;
  state: ModelState;
  size?: ModelSize;
  /** Seconds the load took (ready or failed). */
  loaded_in_s?: number;
  /** Decoding states: in use by sessions, and idle in the pool. */
  states?: { used: number; idle: number };
  error?: string;
}

/** Options of a {@linkcode StatePool}. */
export interface StatePoolOptions {
  /** Idle states kept, at most (default 4). */
  maxIdle?: number;
  /**
   * An idle state unused for this long is freed, ms (default 60 000; 0: kept until the pool
   * closes): a burst of sessions leaves no standing memory once it has passed.
   */
  idleReleaseMs?: number;
  /** Called after idle states were freed (the engine returns the pages to the system). */
  onReleased?: (count: number) => void;
}

/**
 * Idle decoding states of one model, handed to sessions and taken back. A state keeps its
 * buffers between sessions, which is what saves the allocation; at most `maxIdle` are kept, and
 * none longer than `idleReleaseMs` unused.
 */
export class StatePool {
  readonly model: WhisperModel;
  readonly maxIdle: number;
  readonly idleReleaseMs: number;
  readonly #onReleased?: (count: number) => void;
  /** Idle states, the most recently given back last, each with when (performance.now()). */
  #idle: { state: WhisperState; since: number }[] = [];
  #used = 0;
  #created = 0;
  #released = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(model: WhisperModel, opts: StatePoolOptions = {}) {
    this.model = model;
    this.maxIdle = opts.maxIdle ?? 4;
    this.idleReleaseMs = opts.idleReleaseMs ?? 60_000;
    this.#onReleased = opts.onReleased;
  }

  /** An idle state (the most recently used), or a new one. */
  async take(): Promise<WhisperState> {
    let st = this.#idle.pop()?.state;
    while (st?.closed) st = this.#idle.pop()?.state;
    if (!st) {
      st = await this.model.createState();
      this.#created++;
    }
    this.#used++;
    return st;
  }

  /**
   * Takes a state back: kept idle if there is room, freed otherwise. `sampled`: its decode drew
   * from the state's random number generator (a beam search, which whisper.cpp 1.9.1 samples even
   * at temperature 0, or sampling). Unless the library reseeds the generator at every decode
   * (decision 014), such a state carries it on into the next such decode, which would decode the
   * same audio differently: it is freed whatever the room (decision 013).
   */
  give(st: WhisperState, sampled = false): void {
    this.#used--;
    const reusable = !sampled || this.model.library.reseeds;
    if (
      reusable && !st.closed && !this.model.closed && this.#idle.length < this.maxIdle
    ) {
      this.#idle.push({ state: st, since: performance.now() });
      this.#arm();
    } else st.close();
  }

  /** States in use, idle, allocated in all, and freed for having idled too long. */
  get counts(): { used: number; idle: number; created: number; released: number } {
    return {
      used: this.#used,
      idle: this.#idle.length,
      created: this.#created,
      released: this.#released,
    };
  }

  /**
   * Frees the states idle since before `now - idleReleaseMs` and returns how many; the pool's
   * timer calls it, tests may too.
   */
  sweep(now = performance.now()): number {
    if (this.idleReleaseMs <= 0) return 0;
    // The oldest are first: the ones given back longest ago.
    let n = 0;
    while (this.#idle.length && now - this.#idle[0].since >= this.idleReleaseMs) {
      this.#idle.shift()!.state.close();
      n++;
    }
    if (n) {
      this.#released += n;
      this.#onReleased?.(n);
    }
    this.#arm();
    return n;
  }

  /** Frees the idle states (the pool stays usable). */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const { state } of this.#idle.splice(0)) state.close();
  }

  /** Schedules the next sweep for when the oldest idle state expires (none if none is idle). */
  #arm(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const oldest = this.#idle[0];
    if (!oldest || this.idleReleaseMs <= 0) return;
    const due = Math.max(0, oldest.since + this.idleReleaseMs - performance.now());
    const timer = setTimeout(() => this.sweep(), due + 1);
    // The sweep never keeps a process alive by itself.
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }
}

interface Entry {
  name: string;
  state: ModelState;
  header?: ModelHeader;
  bytes?: number;
  model?: Promise<WhisperModel>;
  pool?: StatePool;
  loadedInS?: number;
  error?: string;
}

/** Options of a {@linkcode ModelRegistry}. */
export interface ModelRegistryOptions {
  useGpu?: boolean;
  /**
   * Flash attention. Default: on where the library masks its K/V padding (`masksPadding`, the
   * library built here: decision 021), off otherwise — whisper.cpp 1.9.1's own flash attention
   * attends that padding, which holds what the decoding state decoded before, so the same audio
   * decodes differently after other audio (decision 007). Exact attention has no padding.
   */
  flashAttn?: boolean;
  /** Idle states kept per model (default 4). */
  maxIdleStates?: number;
  /** An idle state unused this long is freed, ms (default 60 000; 0: never). */
  idleStateReleaseMs?: number;
  /** Called after idle states were freed. */
  onStatesReleased?: (count: number) => void;
  /** Name or path → file (default `resolveModel`). */
  resolve?: (name: string) => Promise<string>;
  /** Loads a model file (default `WhisperModel.load`). */
  load?: (path: string) => Promise<WhisperModel>;
}

/** The models of a server; see the module doc. */
export class ModelRegistry {
  readonly #opts: ModelRegistryOptions;
  readonly #entries = new Map<string, Entry>();
  #closed = false;
  #background: Promise<void> = Promise.resolve();
  #readyWaiters: (() => void)[] = [];

  constructor(opts: ModelRegistryOptions = {}) {
    this.#opts = opts;
  }

  /**
   * Queues models to load in the background, smallest first; resolves when they are ordered
   * (their headers read), not when they are loaded ({@linkcode whenAnyReady} waits for that).
   * A name that cannot be read is reported `failed` and the others still load.
   */
  async preload(names: string[]): Promise<void> {
    const fresh: Entry[] = [];
    for (const name of names) {
      if (this.#entries.has(name)) continue;
      const e: Entry = { name, state: "queued" };
      this.#entries.set(name, e);
      try {
        const path = await this.#resolve(name);
        e.header = await readModelHeader(path);
        e.bytes = (await Deno.stat(path)).size;
        fresh.push(e);
      } catch (err) {
        e.state = "failed";
        e.error = (err as Error).message;
      }
    }
    fresh.sort((a, b) => rank(a) - rank(b) || a.bytes! - b.bytes!);
    // Status lists models in load order.
    for (const e of fresh) {
      this.#entries.delete(e.name);
      this.#entries.set(e.name, e);
    }
    this.#background = this.#background.then(async () => {
      for (const e of fresh) {
        if (this.#closed) return;
        await this.#startLoad(e).catch(() => {});
      }
    });
  }

  /** Resolves once any model is ready (at once if one is). */
  whenAnyReady(): Promise<void> {
    if (this.ready.length) return Promise.resolve();
    return new Promise((r) => this.#readyWaiters.push(r));
  }

  /** Resolves when the background loads queued so far have finished (loaded or failed). */
  settled(): Promise<void> {
    return this.#background;
  }

  /** The loaded model a name or path stands for, loading it now if it is not. */
  async get(name: string): Promise<{ model: WhisperModel; pool: StatePool }> {
    if (this.#closed) throw new Error("Cannot use a model: the server is shutting down");
    let e = this.#entries.get(name);
    if (!e) {
      e = { name, state: "queued" };
      this.#entries.set(name, e);
    }
    if (e.state === "failed" || !e.model) {
      // A failed load is tried again by the next session that names the model.
      await this.#startLoad(e);
    }
    const model = await e.model!;
    return { model, pool: e.pool! };
  }

  /**
   * The name of the largest ready model no bigger than `maxSize` (for a session that names no
   * model), or of the smallest ready one when `smallest` (under load); null when none is ready.
   */
  route(maxSize: ModelSize = "large", smallest = false): string | null {
    const fit = this.ready.filter((e) => !e.header || rank(e) <= MODEL_SIZES.indexOf(maxSize));
    const pool = fit.length ? fit : this.ready;
    if (!pool.length) return null;
    pool.sort((a, b) => rank(a) - rank(b) || (a.bytes ?? 0) - (b.bytes ?? 0));
    return (smallest ? pool[0] : pool[pool.length - 1]).name;
  }

  /** Every model known, in load order, as `/v1/status` reports them. */
  get status(): ModelStatus[] {
    return [...this.#entries.values()].map((e) => ({
      name: e.name,
      state: e.state,
      ...(e.header ? { size: sizeOf(e.header) } : {}),
      ...(e.loadedInS !== undefined ? { loaded_in_s: e.loadedInS } : {}),
      ...(e.pool ? { states: { used: e.pool.counts.used, idle: e.pool.counts.idle } } : {}),
      ...(e.error ? { error: e.error } : {}),
    }));
  }

  /** Whether any model is ready. */
  get anyReady(): boolean {
    return this.ready.length > 0;
  }

  private get ready(): Entry[] {
    return [...this.#entries.values()].filter((e) => e.state === "ready");
  }

  /** Frees the idle decoding states of every model (e.g. under memory pressure); returns how many. */
  releaseIdleStates(): number {
    let n = 0;
    for (const e of this.#entries.values()) {
      if (!e.pool) continue;
      n += e.pool.counts.idle;
      e.pool.close();
    }
    return n;
  }

  /** Frees every pool and model (sessions must be closed first). */
  async close(): Promise<void> {
    this.#closed = true;
    for (const e of this.#entries.values()) {
      if (!e.model) continue;
      try {
        const m = await e.model;
        e.pool?.close();
        m.close();
      } catch {
        // A model that failed to load has nothing to free.
      }
    }
    this.#entries.clear();
  }

  #resolve(name: string): Promise<string> {
    return (this.#opts.resolve ?? resolveModel)(name);
  }

  #startLoad(e: Entry): Promise<WhisperModel> {
    if (e.model && e.state !== "failed") return e.model;
    e.state = "loading";
    e.error = undefined;
    const t0 = performance.now();
    e.model = (async () => {
      const path = await this.#resolve(e.name);
      e.header ??= await readModelHeader(path);
      e.bytes ??= (await Deno.stat(path)).size;
      const load = this.#opts.load ?? (async (p) => {
        const lib = await openWhisper();
        const flashAttn = this.#opts.flashAttn ?? lib.masksPadding;
        // Alignment heads for word times by DTW (uploads' timed formats, `commitTimes: dtw`), only
        // with the dtw-flash patch: with it a decode runs the alignment pass only when it asks
        // for those times, and a decode too short to align does not abort the process.
        const heads = lib.alignsWithFlash ? dtwHeadsFor(p) : null;
        return WhisperModel.load(p, {
          useGpu: this.#opts.useGpu,
          flashAttn,
          ...(heads ? { dtwHeads: heads } : {}),
        });
      });
      return await load(path);
    })();
    e.model.then(
      (m) => {
        e.state = "ready";
        e.loadedInS = round2((performance.now() - t0) / 1000);
        e.pool = new StatePool(m, {
          maxIdle: this.#opts.maxIdleStates,
          idleReleaseMs: this.#opts.idleStateReleaseMs,
          onReleased: this.#opts.onStatesReleased,
        });
        const w = this.#readyWaiters.splice(0);
        for (const f of w) f();
      },
      (err) => {
        e.state = "failed";
        e.loadedInS = round2((performance.now() - t0) / 1000);
        e.error = (err as Error).message;
      },
    );
    return e.model;
  }
}

function rank(e: { header?: ModelHeader }): number {
  return e.header ? MODEL_SIZES.indexOf(sizeOf(e.header)) : MODEL_SIZES.length;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
