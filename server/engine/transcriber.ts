/**
 * The decoder seam of a streaming session. {@linkcode Transcriber} is what a session asks for a
 * hypothesis of its open segment's buffer; {@linkcode WhisperTranscriber} is the real one over
 * libwhisper: each decode waiting for a slot of the inference scheduler, then taking a decoding
 * state from the model's pool for its length (a session holds none between decodes), the decode
 * parameters and
 * the prompt, and the retries and checks tied to decoding (a loop decoded again with the full encoder window, a
 * collapsed hypothesis decoded again without the prompt, a loop that survives cut to its first
 * copy). `testing.ts` ships a scripted fake for tests that do not test whisper.
 *
 * @module
 */

import {
  type DecodeOptions,
  MAX_PREFIX_TOKENS,
  type WhisperModel,
  type WhisperState,
} from "../../ffi/whisper/mod.ts";
import { audioCtxFor } from "./clock.ts";
import { dropAnnotations, dropLoops, findLoops, hasNearRepeat, judge } from "./hallucination.ts";
import { melWindow } from "./mel_window.ts";
import type { StreamConfig } from "./modes.ts";
import type { StatePool } from "./model_registry.ts";
import type { DegradeLevel, InferenceScheduler } from "./scheduler.ts";
import { timeStageAsync } from "../../util/stage_cost.ts";
import { spreadWords, timeTokensByHints, wordKey, wordsFromTokens } from "./words.ts";
import type { TimedWord } from "../../protocol/transcript.ts";

/**
 * Whisper's encoder frames for a whole 30 s window. Not a tunable: the model's architecture
 * (1500 frames of 20 ms), which the scaled window (`audioCtxFor`) is a part of.
 */
export const FULL_AUDIO_CTX = 1500;

/** `Hypothesis.rejected` of a decode the scheduler did not run. */
export const NOT_RUN = "not run";

/** A decoded hypothesis of a buffer. */
export interface Hypothesis {
  /** Its words, timed on the stream's time, ms. */
  words: TimedWord[];
  text: string;
  /**
   * Why it does not count: a hallucination guard's verdict (`judge`), {@linkcode NOT_RUN}, or
   * null when it counts.
   */
  rejected: string | null;
  /**
   * The decode was forced to begin with `DecodeRequest.continues`' text: its words are the ones
   * after it (the segment's own), not the earlier segments' again.
   */
  continued?: true;
}

/** The buffer a decode hears: an open segment from its start. */
export interface DecodeWindow {
  /** 16 kHz mono samples, or for mel input log-mel values (80 a 10 ms frame). */
  values: Float32Array;
  /** What `values` holds (a session's first input fixes it). */
  input: "pcm" | "mel";
  /** Length of the buffer, ms. */
  durationMs: number;
  /** Where the buffer starts on the stream's time, ms (word times are shifted by it). */
  startMs: number;
  /**
   * Where the segment's speech begins and ends, ms: a text-only decode (no word times) spreads
   * its words over it.
   */
  speechMs: [number, number];
}

/** One decode a session asks for. */
export interface DecodeRequest {
  window: DecodeWindow;
  /**
   * `rolling`: a provisional hypothesis of the growing segment (under a scheduler it may be
   * dropped, see {@linkcode NOT_RUN}); `final`: the segment's closing decode.
   */
  kind: "rolling" | "final";
  /** A rolling decode beside the session's own closing decode (the scheduler's express slot). */
  express?: boolean;
  /** 1 = greedy; more = beam search. */
  beamSize: number;
  /** The session's configuration (decode parameters, retries' thresholds, prompt length). */
  config: StreamConfig;
  /** The text of the session's earlier segments, oldest first: the prompt is their end. */
  history: readonly string[];
  /**
   * A window that begins with earlier segments' audio (a closing decode's context): their final
   * text, and where the segment's own speech begins, ms. With `finalContextPrefix`, a text-only
   * decode on a library that `forcesPrefix` begins with that text rather than decoding it again
   * (decision 026) and spreads its words over the segment's speech alone. For a rolling decode
   * (`rollingPrefix`): the segment's committed words and where the last one ends.
   */
  continues?: { text: string; speechMs: number };
  /** How stale the text the person sees is now, ms (read by the scheduler when a slot frees). */
  lagMs: () => number;
  /** Runs native compute work on the session's clock (a simulated clock charges its time). */
  measure<T>(work: () => Promise<T>): Promise<T>;
  /** Called once the decode is about to run (its slot granted): before any native call. */
  onRun?: () => void;
}

/** What a transcriber counts over a session (the closing `stats` note). */
export interface TranscriberCounts {
  /** Native decodes run (retries included). */
  decodes: number;
  /** Loops decoded again with the full encoder window. */
  retries: number;
  /** Collapsed hypotheses decoded again without the prompt. */
  collapses: number;
  /** Closing decodes that said a phrase twice with the prompt, decoded again without it. */
  promptRepeats: number;
  /** Rolling decodes forced to continue their commits (`rollingPrefix`) that heard nothing, decoded again whole. */
  bareContinuations: number;
  /** Decodes the scheduler did not run. */
  dropped: number;
}

/** Counts of a transcriber that has done nothing yet. */
export function noCounts(): TranscriberCounts {
  return {
    decodes: 0,
    retries: 0,
    collapses: 0,
    promptRepeats: 0,
    bareContinuations: 0,
    dropped: 0,
  };
}

/** Decodes a session's buffers; one decode at a time. */
export interface Transcriber {
  /** Decodes `req.window` and judges the result. */
  decode(req: DecodeRequest): Promise<Hypothesis>;
  /** What it did so far. */
  readonly counts: Readonly<TranscriberCounts>;
  /** Whether decodes wait for an inference scheduler (which may not run them). */
  readonly scheduled: boolean;
  /** The scheduler's degrade level now (0 without one). */
  readonly degradeLevel: DegradeLevel;
  /** Live sessions per slot of the scheduler now, at least 1 (1 without one). */
  readonly loadShare: number;
  /** Drops a decode waiting for its slot: it resolves {@linkcode NOT_RUN}. */
  cancel(): void;
  /** Frees the decoding state (after the last decode). Idempotent. */
  close(): void;
}

/** Makes a session's transcriber (see `EngineOptions.transcribers`). */
export type TranscriberFactory = (session: {
  /** The session's configuration (its model name included). */
  config: StreamConfig;
  sessionId?: string;
}) => Promise<Transcriber>;

/** What a {@linkcode WhisperTranscriber} decodes with. */
export interface WhisperTranscriberOptions {
  /** The shared model. */
  model: WhisperModel;
  /** Where the decoding state comes from and goes back to (default: its own, on `model`). */
  states?: StatePool;
  /** The machine's inference scheduler; none: decode at once. */
  scheduler?: InferenceScheduler;
  /** Names the session to the scheduler (default: a random id). */
  sessionId?: string;
}

/** The real transcriber over libwhisper; see the module doc. */
export class WhisperTranscriber implements Transcriber {
  readonly #model: WhisperModel;
  readonly #states: StatePool | undefined;
  readonly #scheduler: InferenceScheduler | undefined;
  readonly #key: string;
  readonly #counts: TranscriberCounts = noCounts();
  /**
   * Without a pool: the transcriber's own decoding state, made at its first decode and kept (a
   * session that never decodes never holds one).
   */
  #own: Promise<WhisperState> | null = null;
  /** The own state once made (freed at `close`). */
  #ownState: WhisperState | null = null;
  /** Decodes on the own state run one at a time: the tail of that queue. */
  #ownTurn: Promise<void> = Promise.resolve();
  /**
   * The pooled states held now: only during decodes — each decode takes one once its slot is
   * granted and gives it back when done, so a machine holds about as many states as decodes run
   * at once, not one per session (a session's closing decode and its next segment's first decode
   * may hold two). whisper.cpp keeps nothing a later decode needs: every decode passes its prompt
   * (`no_context`), and attention is exact whatever a state decoded before (decision 007;
   * `determinism_test.ts`); a state that ran a beam search is not reused (decision 013).
   */
  readonly #taken = new Set<WhisperState>();
  #closed = false;

  private constructor(opts: WhisperTranscriberOptions) {
    this.#model = opts.model;
    this.#states = opts.states;
    this.#scheduler = opts.scheduler;
    this.#key = opts.sessionId ?? crypto.randomUUID();
  }

  /**
   * A transcriber on the shared model. It holds no decoding state: with a pool, each decode takes
   * one for its length; without, its own is made at the first decode.
   */
  static open(opts: WhisperTranscriberOptions): Promise<WhisperTranscriber> {
    return Promise.resolve(new WhisperTranscriber(opts));
  }

  /**
   * Whether it holds a decoding state now: with a pool, while a decode runs; without, from its
   * first decode until `close`.
   */
  get holdsState(): boolean {
    return this.#taken.size > 0 || this.#ownState !== null;
  }

  /**
   * A decoding state for one decode, and how to give it back: from the pool (given back by
   * {@linkcode #release}), or the transcriber's own (made once; a make that failed is tried again
   * at the next decode; decodes on it wait their turn).
   */
  async #acquire(): Promise<WhisperState> {
    if (this.#states) {
      const st = await this.#states.take();
      if (this.#closed) {
        this.#states.give(st);
        throw new Error("Cannot decode: the transcriber is closed");
      }
      this.#taken.add(st);
      return st;
    }
    this.#own ??= this.#model.createState().then(
      (st) => {
        if (this.#closed) st.close();
        else this.#ownState = st;
        return st;
      },
      (err) => {
        this.#own = null;
        throw err;
      },
    );
    const st = await this.#own;
    if (this.#closed) throw new Error("Cannot decode: the transcriber is closed");
    return st;
  }

  /** Runs `work` with a decoding state, given back (or freed, after a beam search) after it. */
  async #withState<T>(beamSize: () => number, work: (st: WhisperState) => Promise<T>): Promise<T> {
    if (this.#states) {
      const st = await this.#acquire();
      try {
        return await work(st);
      } finally {
        this.#release(st, beamSize());
      }
    }
    const turn = this.#ownTurn;
    let done = () => {};
    this.#ownTurn = new Promise<void>((r) => done = r);
    try {
      await turn;
      return await work(await this.#acquire());
    } finally {
      done();
    }
  }

  /**
   * A decode is done with pooled state `st`: it goes back to the pool, unless it ran a beam
   * search (`beamSize` > 1) on a library that does not reseed its generators: then it is freed
   * (`StatePool.give`: its random number generator has moved on, and the next beam search on it
   * would decode the same audio differently; decisions 013 and 014).
   */
  #release(st: WhisperState, beamSize: number): void {
    this.#taken.delete(st);
    this.#states?.give(st, beamSize > 1);
  }

  get counts(): Readonly<TranscriberCounts> {
    return this.#counts;
  }

  get scheduled(): boolean {
    return this.#scheduler !== undefined;
  }

  get degradeLevel(): DegradeLevel {
    return this.#scheduler?.degradeLevel ?? 0;
  }

  get loadShare(): number {
    return this.#scheduler?.loadShare ?? 1;
  }

  cancel(): void {
    this.#scheduler?.cancel(this.#key);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // A pooled state in use goes back when its decode ends (`#release`); the own state is freed
    // after the decode on it (if any), or once it comes when still being made (`#acquire`).
    const own = this.#ownState;
    if (own) {
      this.#ownState = null;
      this.#ownTurn.then(() => own.close());
    }
  }

  /**
   * Waits for a slot (a rolling decode that waited past its deadline is not run), then decodes
   * (greedy only at the scheduler's degrade level 2) and checks the result.
   */
  async decode(req: DecodeRequest): Promise<Hypothesis> {
    if (this.#closed) throw new Error("Cannot decode: the transcriber is closed");
    const scheduler = this.#scheduler;
    if (!scheduler) {
      return await this.#withState(() => req.beamSize, (state) => {
        req.onRun?.();
        return this.#decodeChecked(state, req, req.beamSize);
      });
    }
    const final = req.kind === "final";
    const grant = await scheduler.acquire({
      sessionId: this.#key,
      kind: req.kind,
      express: req.express,
      lagMs: req.lagMs,
      deadlineMs: final ? undefined : scheduler.now() +
        Math.max(req.config.rollingDeadlineMs, 2 * req.config.minChunkMs),
    });
    if (!grant.run) {
      this.#counts.dropped++;
      return { words: [], text: "", rejected: NOT_RUN };
    }
    try {
      // The state is taken once the slot is: a decode waiting for its turn holds none.
      let beamSize = req.beamSize;
      return await this.#withState(() => beamSize, (state) => {
        beamSize = scheduler.degradeLevel >= 2 ? 1 : req.beamSize;
        req.onRun?.();
        return this.#decodeChecked(state, req, beamSize);
      });
    } finally {
      grant.release();
    }
  }

  /**
   * Decodes and judges. A loop from a scaled encoder window (Whisper's known instability on
   * windows cut short) is decoded again with the full window (a rolling decode only with
   * `retryRollingLoops`); a loop that survives that is cut to its first copy.
   */
  async #decodeChecked(
    state: WhisperState,
    req: DecodeRequest,
    beamSize: number,
  ): Promise<Hypothesis> {
    const cfg = req.config;
    const final = req.kind === "final";
    const bufferMs = req.window.durationMs;
    // A closing decode hears the full window unless the session takes its share of a loaded
    // machine (`loadShare`): then a window scaled to its audio, as rolling decodes do.
    const fullWindow = final && cfg.finalFullWindow && !(cfg.loadShare && this.loadShare > 1);
    const scaled = cfg.scaleAudioCtx && !fullWindow
      ? audioCtxFor(bufferMs, cfg.audioCtxMarginFrames)
      : 0;
    // Text only (no timestamp tokens) for a full-window closing decode.
    const textOnly = fullWindow;
    let hyp = await this.#decodeOnce(state, req, beamSize, scaled, textOnly);
    // `rollingPrefix`: a continuation that heard nothing (it may have ended at once) is decoded
    // again whole.
    if (!final && hyp.continued && !hyp.words.length) {
      this.#counts.bareContinuations++;
      hyp = await this.#decodeOnce(state, req, beamSize, scaled, textOnly, true, false);
    }
    // A loop, or for the closing decode (which commits everything) any phrase said twice back to
    // back, is checked with the full window: a scaled window invites Whisper to repeat itself.
    const suspicious = hyp.rejected === "repetition" ||
      (final && suspectRepeat(hyp.words.map((w) => wordKey(w.word)), cfg));
    if (
      suspicious && scaled > 0 && scaled < FULL_AUDIO_CTX && (final || cfg.retryRollingLoops)
    ) {
      this.#counts.retries++;
      hyp = await this.#decodeOnce(state, req, beamSize, 0, textOnly);
    }
    // The prompt (the session's recent text) can tip Whisper into a collapsed hypothesis: one
    // word for seconds of speech ("The" for 3–5 s of spk2033 after one history, while the same
    // audio decodes whole without it). Such a hypothesis is decoded again without the prompt.
    if (
      hyp.rejected !== "repetition" && !hyp.continued && promptOf(req) &&
      bufferMs >= cfg.collapseMinMs &&
      hyp.words.length < (bufferMs / 1000) * cfg.collapseWordsPerS
    ) {
      this.#counts.collapses++;
      const bare = await this.#decodeOnce(state, req, beamSize, scaled, textOnly, false);
      if (!bare.rejected && bare.words.length > hyp.words.length) hyp = bare;
    }
    // The prompt can also make a closing decode say a phrase twice: after a speaker said a
    // sentence, the same sentence said again decodes as "as what you can do for your country. Ask
    // what you can do for your country." (jfk, looped). Decoded again without the prompt, the
    // bare hypothesis is taken when it says nothing twice.
    if (
      final && !hyp.rejected && promptOf(req) &&
      suspectRepeat(hyp.words.map((w) => wordKey(w.word)), cfg)
    ) {
      this.#counts.promptRepeats++;
      const bare = await this.#decodeOnce(state, req, beamSize, scaled, textOnly, false);
      if (!bare.rejected && !suspectRepeat(bare.words.map((w) => wordKey(w.word)), cfg)) {
        hyp = bare;
      }
    }
    if (hyp.rejected === "repetition") {
      const words = dropLoops(hyp.words, (w) => wordKey(w.word));
      return { words, text: words.map((w) => w.word).join(" "), rejected: null };
    }
    return hyp;
  }

  /** The native decode of `w`: from samples, or from mel frames set on the state. */
  #native(
    state: WhisperState,
    w: DecodeWindow,
    params: DecodeOptions,
    audioCtx: number,
    bufferMs: number,
  ) {
    if (w.input !== "mel") return state.full(w.values, params);
    // The encoder reads 2 × audio_ctx frames: the window is padded to them with silence (as
    // Whisper pads audio), and the decoder is told where the frames end (as it knows for audio).
    const { mel, nLen } = melWindow(w.values, 2 * (audioCtx || FULL_AUDIO_CTX));
    return state.fullFromMel(mel, nLen, { ...params, durationMs: Math.round(bufferMs) });
  }

  async #decodeOnce(
    state: WhisperState,
    req: DecodeRequest,
    beamSize: number,
    audioCtx: number,
    textOnly: boolean,
    withPrompt = true,
    withPrefix = true,
  ): Promise<Hypothesis> {
    const { config: cfg, window: w } = req;
    this.#counts.decodes++;
    const bufferMs = w.durationMs;
    // Token timestamps need the samples' energy: mel input times tokens from hints instead.
    const tokenTimestamps = !textOnly && w.input !== "mel";
    // A rolling hypothesis's word times from the cross-attention alignment, where asked for.
    const dtw = tokenTimestamps && req.kind === "rolling" && cfg.commitTimes === "dtw" &&
      state.model.aligns;
    const params: DecodeOptions = {
      strategy: beamSize > 1 ? "beam" : "greedy",
      beamSize,
      bestOf: 1,
      threads: threadsFor(req),
      // A closing decode that may run beside the next segment's decodes yields the cores to them.
      nice: req.kind === "final" && cfg.overlapClosing ? cfg.closingNice : 0,
      language: "en",
      noContext: true,
      singleSegment: true,
      noTimestamps: textOnly,
      tokenTimestamps,
      dtw,
      // A loop on a short window stops here rather than filling the text context.
      maxTokens: Math.ceil((bufferMs / 1000) * cfg.maxTokensPerS) + 16,
      // Rolling hypotheses are greedy and final; the closing decode may fall back to sampling.
      temperatureInc: 0,
      audioCtx,
      initialPrompt: (withPrompt && promptOf(req)) || undefined,
    };
    const prefix = withPrefix ? prefixFor(state, req, textOnly) : null;
    if (prefix) params.prefix = prefix;
    // After a forced prefix, the continuation's first timestamp may be anywhere in the window.
    if (prefix && !textOnly) params.maxInitialTs = bufferMs / 1000;
    const result = await req.measure(() =>
      timeStageAsync("whisper", () => this.#native(state, w, params, audioCtx, bufferMs))
    );
    const words: TimedWord[] = [];
    let text = "";
    let noSpeechProb = 0;
    let plogSum = 0;
    let tokens = 0;
    for (const s of result.segments) {
      text += s.text;
      noSpeechProb = Math.max(noSpeechProb, s.noSpeechProb);
      for (const t of s.tokens) {
        if (t.special) continue;
        plogSum += t.plog;
        tokens++;
      }
      const timed = w.input === "mel" && !textOnly
        ? timeTokensByHints(s.tokens, s.t0Ms, s.t1Ms)
        : s.tokens;
      // Sound descriptions ("[BLANK_AUDIO]", "(music)") are not speech: never shown or committed.
      // A decode too short for DTW's filter has no DTW times (-10): its token timestamps serve.
      const aligned = dtw && s.tokens.every((t) => t.special || t.tDtwMs >= 0);
      words.push(
        ...dropAnnotations(
          wordsFromTokens(timed, textOnly ? 0 : w.startMs, aligned),
          (x) => x.word,
        ),
      );
    }
    text = words.map((x) => x.word).join(" ");
    const rejected = judge({
      text,
      noSpeechProb,
      avgLogprob: tokens ? plogSum / tokens : 0,
    });
    // A text-only closing decode has no word times: its words are spread over the segment's
    // speech (committed words keep their own times; commits stay monotonic).
    const speechFromMs = prefix ? req.continues!.speechMs : w.speechMs[0];
    return {
      words: textOnly
        ? spreadWords(words, speechFromMs, w.speechMs[1])
        : prefix
        ? keptBetween(words, speechFromMs, w.startMs + bufferMs)
        : words,
      text: text.trim(),
      rejected,
      ...(prefix ? { continued: true as const } : {}),
    };
  }
}

/**
 * The tokens a decode of `req` is forced to begin with, on a library that `forcesPrefix`:
 * `continues`' text for a text-only closing decode with `finalContextPrefix`; for a rolling decode
 * with `rollingPrefix`, `<|0.00|>` and that text (the segment's committed words). Null otherwise,
 * or when that is more tokens than a prefix may be (the decode then restates it, as without).
 */
function prefixFor(state: WhisperState, req: DecodeRequest, textOnly: boolean): Int32Array | null {
  const rolling = !textOnly && req.kind === "rolling" && req.config.rollingPrefix;
  const closing = textOnly && req.config.finalContextPrefix;
  const text = req.continues?.text.trim();
  if (!text || !(rolling || closing) || !state.model.library.forcesPrefix) return null;
  // Whisper's words begin with a space.
  const words = state.model.tokenize(` ${text}`);
  const tokens = rolling ? Int32Array.from([state.model.info.tokenBeg, ...words]) : words;
  return words.length > 0 && tokens.length <= MAX_PREFIX_TOKENS ? tokens : null;
}

/**
 * A continuation's words with their times kept between `fromMs` (the last committed word's end)
 * and `toMs` (the window's end): after a forced prefix a word's timestamps may fall before the
 * words it follows, or past the audio.
 */
function keptBetween(words: readonly TimedWord[], fromMs: number, toMs: number): TimedWord[] {
  const clamp = (t: number) => Math.min(toMs, Math.max(fromMs, t));
  let last = fromMs;
  return words.map((w) => {
    const startMs = Math.max(last, clamp(w.startMs));
    const endMs = Math.max(startMs, clamp(w.endMs));
    last = endMs;
    return { ...w, startMs, endMs };
  });
}

/**
 * A decode's CPU threads: `threads`; fewer for one beside the session's closing decode
 * (`expressThreads`) and for a closing decode in the background (`closingThreads`).
 */
function threadsFor(req: DecodeRequest): number {
  const cfg = req.config;
  if (req.express) return Math.min(cfg.expressThreads, cfg.threads);
  if (req.kind === "final" && cfg.overlapClosing && cfg.closingThreads > 0) {
    return Math.min(cfg.closingThreads, cfg.threads);
  }
  return cfg.threads;
}

/**
 * The prompt: the most recent `promptChars` (closing decodes) or `rollingPromptChars` (rolling
 * decodes) of the session's earlier segments, whole words.
 */
export function promptOf(req: Pick<DecodeRequest, "config" | "history" | "kind">): string {
  const n = req.kind === "final" ? req.config.promptChars : req.config.rollingPromptChars;
  if (n === 0) return "";
  const text = req.history.join(" ");
  return text.length <= n ? text : text.slice(text.indexOf(" ", text.length - n) + 1);
}

/** A closing decode's words that say a phrase twice back to back, exactly or nearly. */
function suspectRepeat(keys: string[], cfg: StreamConfig): boolean {
  return findLoops(keys, {
        maxRepeats: cfg.finalLoopMaxRepeats,
        minLoopPhrase: cfg.finalLoopMinPhraseWords,
      }).length > 0 || hasNearRepeat(keys);
}
