/**
 * One streaming session: 16 kHz mono PCM in (frames of any length) — or, for a privacy-mode
 * client, Whisper's log-mel frames (10 ms each) — transcript events out. A session's first input
 * fixes which of the two it takes.
 *
 * The audio path inside a session:
 * 1. Silero VAD (with an energy gate) watches every 32 ms window (mel input: the level of each
 *    frame's speech band against the background, `mel_vad.ts`); silence runs no decoder.
 * 2. Speech opens a segment. Its first decode comes once it holds `firstChunkMs` of audio (while
 *    it has shown no words, the next after `firstRetryMs`; and with `resumeAfterPauseMs`, speech
 *    that resumes after a pause inside it is decoded as soon — with `resumePreview`, first alone:
 *    its words follow the pending ones in the partial before the whole buffer is decoded),
 *    then every `minChunkMs` of new audio the segment so far is decoded again,
 *    greedily with timestamp tokens (word times), the session's recent text as the prompt and
 *    `audio_ctx` scaled to the segment; with
 *    `contextMs`, the decode also hears the previous segments (whole, up to that long) and their
 *    restated words are dropped. A segment is at most
 *    `maxSegmentMs` long (it closes at a short pause once it is long), so a decode's cost is
 *    bounded and no buffer trimming at estimated word times is needed.
 * 3. The commit policy (LocalAgreement-2, an AlignAtt-style time margin, or pause-only) turns
 *    hypotheses into committed words, which only a revising final may change; the rest is the
 *    volatile partial.
 * 4. A pause of `endSilenceMs` (or `maxSegmentMs` of speech) finalizes the segment: the buffer is
 *    decoded once more (beam search, no timestamp tokens, optionally the full encoder window:
 *    the accurate decode, measured), everything after the committed words is committed (if that
 *    decode is rejected, the last partial's words are), and a `final` event and the segment's
 *    `intent` follow. A final's text is the concatenation of the segment's commits; with
 *    `finalRevises`, a closing decode whose words differ replaces them (`revised: true`). With
 *    `finalContextMs`, the closing decode hears the previous segments too (whole, at most 28 s in
 *    all): with `finalContextPrefix` it is forced to begin with their finals and decodes only what
 *    follows (decision 026); otherwise their finals are dropped from its words. With
 *    `overlapClosing`, the closing decode runs in the background: the session goes on taking
 *    audio, and the next segment's first decode runs beside it (the scheduler's express slot), so
 *    a new phrase's first words do not wait for the last one's final; meanwhile rolling decodes
 *    get no context (the text before is not final yet). Closing decodes run one after another,
 *    each with the finals before it as its context and prompt.
 * 5. The hallucination guard rejects hypotheses of silence, noise or loops before they count.
 *
 * The session is the pipeline: take input → segment (VAD) → decode → commit → emit. Decoding is
 * its {@linkcode Transcriber}'s (`transcriber.ts`: whisper off the event loop, one decode at a
 * time, each waiting for a slot of the inference scheduler and a pooled decoding state): a rolling
 * decode the scheduler did not run is asked for again with the newer buffer, and under the
 * scheduler's degrade levels rolling decodes come less often (level 1) and every decode is greedy
 * (level 2); `stats` events carry the level.
 *
 * Events come out of one async iterator, in order, stamped with their emission time but not
 * numbered: the live session that sends them numbers them (`v`, `seq`) with its own. A segment's
 * events come in order; with `overlapClosing`, the next segment's first events may come before
 * its `final` and `intent`.
 *
 * @module
 */

import type { VadModel } from "../../ffi/whisper/mod.ts";
import type { TranscriptEvent, Word } from "../../protocol/events.ts";
import type { IntentClassifier } from "../intent/classifier.ts";
import { LocalAgreement, ownWords } from "./agreement.ts";
import { AudioBuffer, type FrameFormat, MEL_FORMAT, PCM_FORMAT } from "./audio_buffer.ts";
import { LogMel } from "../../protocol/mel.ts";
import { timeStage, timeStageAsync } from "../../util/stage_cost.ts";
import { MelVad } from "./mel_vad.ts";
import { RealClock, type SessionClock } from "./clock.ts";
import { dropLoops, isFillerPhrase, repeatsFrom } from "./hallucination.ts";
import type { StreamConfig } from "./modes.ts";
import type { DegradeLevel } from "./scheduler.ts";
import { type Hypothesis, NOT_RUN, promptOf, type Transcriber } from "./transcriber.ts";
import { type SpeechDetector, VAD_WINDOW_MS, VadStream } from "./vad_stream.ts";
import { longestDeletedRun, monotonicWords, sharedWords, wordKey } from "./words.ts";
import type { TimedWord } from "../../protocol/transcript.ts";

/** Omit-distributing helper: an event without the fields named. */
type Without<E, K extends PropertyKey> = E extends unknown ? Omit<E, K> : never;
/** An event as the session makes it, before it is stamped with its emission time. */
export type EventBody = Without<TranscriptEvent, "v" | "seq" | "emittedMs">;
/**
 * An event as a stream hands it out: stamped with its emission time (`emittedMs`, on the
 * session clock) but not numbered; whoever sends it numbers it (`v`, `seq`).
 */
export type StreamEvent = Without<TranscriptEvent, "v" | "seq">;

/** What a session needs. */
export interface StreamOptions {
  /** Decodes the session's buffers (it owns its decoding state; closed with the session). */
  transcriber: Transcriber;
  /** The session's own VAD model (it carries the stream's recurrent state). */
  vad: VadModel;
  config: StreamConfig;
  /** Runs on each final segment; none = no intent events. */
  intents?: IntentClassifier | null;
  /** Default: a real clock started by the first audio pushed. */
  clock?: SessionClock;
  /** Names the session in intent context and errors. */
  sessionId?: string;
  /** Called once the session is closed and its native state freed. */
  onClose?: () => void;
}

/** The longest window a closing decode with context hears (Whisper's 30 s less a margin), ms. */
const MAX_CONTEXT_WINDOW_MS = 28_000;

/** A closed segment, kept as context for later decodes (`contextMs`, `finalContextMs`). */
interface ClosedSegment {
  /** Where its buffer started and where it ended, ms. */
  startMs: number;
  endMs: number;
  text: string;
  words: TimedWord[];
}

/** What a decode hears before its segment, and the prompt's history for it. */
interface DecodeContext {
  /** Where the decoded window starts (a previous segment's start). */
  startMs: number;
  /** The finals' words of the segments in the window before this one. */
  words: TimedWord[];
  /** Final texts before the window: the prompt. */
  history: string[];
}

/**
 * Input is taken in slices that end on this grid of the stream's own time, ms: Silero's window,
 * so segment decisions fall at the same points however the input was framed or batched (not a
 * tunable: the VAD decides per window).
 */
const INGEST_GRID_MS = VAD_WINDOW_MS;

/**
 * A revising closing decode that leaves out this many committed words in a row is decoded again
 * without its prompt, which decides; one that had no prompt is not taken as a revision (it
 * skipped speech; see `#finalize`, `#revision`).
 */
const MAX_DROPPED_COMMITS = 4;
/**
 * A revising closing decode that keeps less than this share of its segment's committed words (when
 * there are at least `MIN_REWRITTEN_COMMITS` of them) rewrote them rather than corrected them. A
 * prompted one is decoded again without its prompt, which decides: with the text before it as the
 * prompt, Whisper may go on from that text instead of hearing the segment (jfk said again through
 * loud noise was finalized as "Ask what your country can do for you." over the committed "and so am
 * I fellow Americans").
 */
const MIN_KEPT_COMMITS_SHARE = 0.5;
/** See `MIN_KEPT_COMMITS_SHARE`. */
const MIN_REWRITTEN_COMMITS = 3;
/**
 * Closing decodes' time per second of audio is read over at least this much audio, ms: a
 * session's first closing decode alone does not starve its rolling decodes.
 */
const MIN_CLOSING_RATE_MS = 10_000;

/** A hypothesis's spoken words (no empty keys), loops cut to their first copy. */
function heardWords(hypothesis: readonly TimedWord[]): TimedWord[] {
  return dropLoops(
    hypothesis.filter((w) => wordKey(w.word) !== ""),
    (w) => wordKey(w.word),
  );
}

interface Segment {
  id: number;
  /** Where the decoded buffer starts (speech onset less the pre-roll). */
  startMs: number;
  /** Where the speech began (VAD), for word times. */
  speechMs: number;
  /** Audio end of the last decode, ms. */
  decodedToMs: number;
  agreement: LocalAgreement;
  /** Every committed word of the segment, in order (a revising closing decode's, once closed). */
  words: TimedWord[];
  partial: string;
  /** The closing decode replaced the committed words (`finalRevises`). */
  revised?: boolean;
  /**
   * Where the speech of a segment shorter than `minSegmentMs` ended, while the segment waits for
   * the longer pause (`shortEndSilenceMs`) or for more speech.
   */
  heldFromMs?: number;
  /**
   * Where speech resumed inside the segment after a pause of `resumeAfterPauseMs` or more, until
   * a decode hears enough of it.
   */
  resumedMs?: number;
}

/** A streaming transcription session; see the module doc. */
export class StreamSession implements AsyncIterable<StreamEvent> {
  #config: StreamConfig;
  /** A configuration waiting for the open segment to close. */
  #nextConfig: StreamConfig | null = null;
  readonly clock: SessionClock;
  readonly #transcriber: Transcriber;
  readonly #vadModel: VadModel;
  #vad: SpeechDetector;
  readonly #opts: StreamOptions;
  /** What the session takes, fixed by its first input. */
  #input: "pcm" | "mel" | null = null;
  /** How the input is framed (samples, or mel frames for a privacy-mode client). */
  #inputFormat: FrameFormat = PCM_FORMAT;
  /**
   * What decodes read: the input as it came, or (`melOnce`) the log-mel frames computed from
   * samples as they arrive.
   */
  #audio = new AudioBuffer();
  /** Samples → log-mel frames, for a session of samples with `melOnce`. */
  #logMel: LogMel | null = null;
  /** Input taken in so far (through the VAD), ms. */
  #takenMs = 0;
  #queue: Float32Array[] = [];
  /** Input short of the next grid point (see INGEST_GRID_MS), taken with the next input. */
  #rest = new Float32Array(0);
  #loop: Promise<void> | null = null;
  #flushRequested = false;
  /**
   * A pause of the input was asked for (see {@linkcode pause}): the queued inputs it comes after
   * (taken first), or null.
   */
  #pauseAfter: number | null = null;
  #ending = false;
  #ended = false;
  #closed = false;
  #emitted = 0;
  #segment: Segment | null = null;
  #nextSegmentId = 0;
  #lastCutMs = 0;
  #history: string[] = [];
  /** Recent closed segments, oldest first (context for closing decodes). */
  #recent: ClosedSegment[] = [];
  #computeMs = 0;
  #loopsDropped = 0;
  /** Segments whose closing decode was rejected and whose partial was committed instead. */
  #partialsKept = 0;
  /** Closing decodes that left out committed words and so revised nothing. */
  #revisionsRefused = 0;
  /**
   * Closing decodes that left out or rewrote committed words with a prompt, decoded again without
   * it.
   */
  #bareClosings = 0;
  /** Segments whose final revised their commits (`finalRevises`). */
  #revisions = 0;
  #lastDecodeMs = 0;
  /** Time the session's closing decodes ran, ms (`loadShare`'s duty cycle). */
  #closingRunMs = 0;
  /** The closing decodes in the background (`overlapClosing`), one after another: their tail. */
  #closings: Promise<void> = Promise.resolve();
  /** Closing decodes in the background, and where the audio each reads begins (ms). */
  #closingsFrom = new Set<{ fromMs: number }>();
  /** Where the VAD's current pause inside speech began, -1 when speaking (`#watchResumption`). */
  #pauseFromMs = -1;
  #degradeLevel: DegradeLevel = 0;
  #nextStatsMs: number;
  #maxLagMs = 0;
  #events: StreamEvent[] = [];
  #waiters: (() => void)[] = [];

  /** A session decoding with `opts.transcriber`; it starts with the first input. */
  constructor(opts: StreamOptions) {
    this.#transcriber = opts.transcriber;
    this.#opts = opts;
    this.#config = opts.config;
    this.#nextStatsMs = opts.config.statsEveryMs;
    this.clock = opts.clock ?? new RealClock();
    this.#vadModel = opts.vad;
    this.#vad = new VadStream(opts.vad, {
      threshold: opts.config.vadThreshold,
      endSilenceMs: opts.config.endSilenceMs,
    });
  }

  /** The configuration in force (see {@linkcode reconfigure}). */
  get config(): StreamConfig {
    return this.#config;
  }

  /**
   * Switches to another validated configuration (e.g. another mode) from the next segment on: a
   * segment in progress finishes under the configuration it began with. The model cannot change
   * within a session (its decoding state belongs to the model).
   */
  reconfigure(config: StreamConfig): void {
    if (this.#closed || this.#ending) {
      throw new Error(`Cannot reconfigure: the session is ${this.#closed ? "closed" : "ended"}`);
    }
    if (config.model !== this.#config.model) {
      throw new RangeError(
        `Cannot reconfigure: the model is fixed for a session (${
          this.#config.model || "default"
        }); open a new session for ${config.model || "the default model"}`,
      );
    }
    this.#nextConfig = config;
    if (!this.#segment) this.#applyConfig();
  }

  /** Takes a waiting configuration, unless a segment's closing decode still runs under the old. */
  #applyConfig(): void {
    const next = this.#nextConfig;
    if (!next || this.#closingsFrom.size) return;
    this.#nextConfig = null;
    this.#config = next;
    this.#vad.configure({ threshold: next.vadThreshold, endSilenceMs: next.endSilenceMs });
    this.#stats(`mode ${next.mode}`);
  }

  /** Audio pushed so far, ms. */
  get audioMs(): number {
    return this.#takenMs +
      this.#inputMs(this.#queue.reduce((n, q) => n + q.length, this.#rest.length));
  }

  /** Audio taken in so far (through the VAD; not what waits in the queue), ms. */
  get processedMs(): number {
    return this.#takenMs;
  }

  /** ms of input in `values` values as pushed. */
  #inputMs(values: number): number {
    const f = this.#inputFormat;
    return (values / f.frameSize) * 1000 / f.framesPerSecond;
  }

  /**
   * Events emitted so far (handed out by the iterator, or waiting in it): a sender that orders
   * its own messages among the stream's events reads this count when each of them arises.
   */
  get emitted(): number {
    return this.#emitted;
  }

  /** Whether the event stream has ended: no more events come (after `end()` or `close()`). */
  get finished(): boolean {
    return this.#ended;
  }

  /** What the session takes: set by its first input (`push` or `pushMel`), null before. */
  get input(): "pcm" | "mel" | null {
    return this.#input;
  }

  /** Compute time spent on this session's audio (VAD and decoding), ms. */
  get computeMs(): number {
    return this.#computeMs;
  }

  /**
   * Queues 16 kHz mono samples (any length). Throws on a closed or ended session and on samples
   * that are not finite numbers (nothing of the bad frame is kept).
   */
  push(samples: Float32Array): void {
    this.#accept("pcm", samples, "audio", "sample");
  }

  /**
   * Queues log-mel frames (privacy mode): 80 log10-power values per 10 ms frame, frame after
   * frame, as `protocol/mel.ts` computes them. Throws as `push` does, and on values that are
   * not whole frames or not in [−40, 40] (log10 of a power).
   */
  pushMel(frames: Float32Array): void {
    this.#accept("mel", frames, "mel frames", "value");
  }

  #accept(kind: "pcm" | "mel", values: Float32Array, what: string, unit: string): void {
    if (this.#closed || this.#ending) {
      throw new Error(`Cannot push ${what}: the session is ${this.#closed ? "closed" : "ended"}`);
    }
    if (!(values instanceof Float32Array)) {
      throw new TypeError(`Cannot push ${what}: ${unit}s must be a Float32Array`);
    }
    if (this.#input && this.#input !== kind) {
      throw new TypeError(
        `Cannot push ${what}: this session takes ${
          this.#input === "pcm" ? "audio samples" : "mel frames"
        } (its first input); a session cannot switch`,
      );
    }
    const limit = kind === "mel" ? 40 : Infinity;
    for (let i = 0; i < values.length; i++) {
      if (!(Math.abs(values[i]) <= limit)) {
        throw new RangeError(
          `Cannot push ${what}: ${unit} ${i} is ${
            Number.isFinite(values[i]) ? "out of range" : "not a finite number"
          }`,
        );
      }
    }
    if (kind === "mel" && values.length % MEL_FORMAT.frameSize) {
      throw new RangeError(
        `Cannot push mel frames: ${values.length} values is not whole ${MEL_FORMAT.frameSize}-bin frames`,
      );
    }
    if (values.length === 0) return;
    if (!this.#input) {
      this.#input = kind;
      if (kind === "mel") {
        this.#inputFormat = MEL_FORMAT;
        this.#audio = new AudioBuffer(MEL_FORMAT);
        this.#vad = new MelVad({ endSilenceMs: this.#config.endSilenceMs });
      } else if (this.#config.melOnce) {
        this.#audio = new AudioBuffer(MEL_FORMAT);
        this.#logMel = new LogMel();
      }
    }
    this.clock.start();
    this.#queue.push(values.slice());
    this.#kick();
  }

  /** Finalizes the open segment now (the speaker is done), after the audio already pushed. */
  async flush(): Promise<void> {
    if (this.#closed) return;
    this.#flushRequested = true;
    this.#kick();
    await this.drain();
    await this.#closings;
  }

  /**
   * The input stopped for now (no audio arrived for a while; more may come later): the audio
   * pushed so far ends as at a silence — speech going on ends where the audio ends, and the open
   * segment is finalized — and later input goes on from there (new speech opens a new segment).
   * Nothing is added to the audio (the clock does not move); a no-op on a closed or ended
   * session.
   */
  pause(): void {
    if (this.#closed || this.#ending || !this.#input) return;
    this.#pauseAfter = this.#queue.length;
    this.#kick();
  }

  /** No more audio: finalizes what is open, emits last stats, and ends the event stream. */
  async end(): Promise<void> {
    if (this.#closed || this.#ending) return this.drain();
    this.#ending = true;
    this.#kick();
    await this.drain();
  }

  /**
   * Resolves once every pushed frame is processed and no work is running but closing decodes in
   * the background (`overlapClosing`; `end`, `flush` and `close` wait for those too).
   */
  async drain(): Promise<void> {
    while (this.#loop) await this.#loop;
  }

  /** Stops at once (after a decode in flight), frees the state and ends the event stream. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    // A decode waiting for a slot is not run.
    this.#transcriber.cancel();
    await this.drain();
    await this.#closings;
    this.#transcriber.close();
    this.#vadModel.close();
    this.#finishEvents();
    this.#opts.onClose?.();
  }

  /**
   * The events, in order, for one consumer; ends after `end()` or `close()`. Events wait here
   * until taken: a session's owner reads them as they come.
   */
  async *[Symbol.asyncIterator](): AsyncIterator<StreamEvent> {
    while (true) {
      const next = this.#events.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.#ended) return;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  #kick(): void {
    if (this.#loop) return;
    this.#loop = this.#run().finally(() => {
      this.#loop = null;
      if (
        !this.#closed &&
        (this.#queue.length || this.#flushRequested || this.#pauseAfter !== null ||
          this.#pendingEnd())
      ) {
        this.#kick();
      }
    });
  }

  #pendingEnd(): boolean {
    return this.#ending && !this.#ended;
  }

  async #run(): Promise<void> {
    try {
      while (this.#queue.length && !this.#closed && this.#pauseAfter !== 0) {
        // Input queued after a pause was asked for waits until the pause is done.
        const frames = this.#queue.splice(0, this.#pauseAfter ?? this.#queue.length);
        if (this.#pauseAfter !== null) this.#pauseAfter -= frames.length;
        await this.#ingest(frames);
      }
      if (this.#closed) return;
      if (this.#pauseAfter === 0) {
        this.#pauseAfter = null;
        await this.#pauseInput();
        // What came after the pause is taken by the next run.
        if (this.#queue.length) return;
      }
      if (this.#flushRequested) {
        this.#flushRequested = false;
        await this.#ingest([], true);
        if (this.#segment) await this.#finalize(this.#audio.endMs);
      }
      if (this.#ending && !this.#ended) {
        try {
          await this.#ingest([], true);
          for (const c of this.#vad.end()) {
            this.#emit({ type: "vad", state: c.state, audioMs: c.audioMs });
          }
          if (this.#segment) await this.#finalize(this.#audio.endMs);
          await this.#closings;
          const n = this.#transcriber.counts;
          this.#stats(
            `end of input; ${n.decodes} decodes, ${n.retries} retried with the full ` +
              `window, ${this.#loopsDropped} looping commits cut, ${n.collapses} collapsed ` +
              `hypotheses decoded again without the prompt, ${n.promptRepeats} closing decodes ` +
              `that repeated a phrase with the prompt decoded again without it, ` +
              (this.config.rollingPrefix
                ? `${n.bareContinuations} rolling continuations that heard nothing decoded ` +
                  `again whole, `
                : "") +
              `${this.#partialsKept} rejected ` +
              `closing decodes whose partial was committed instead` +
              (this.config.finalRevises
                ? `, ${this.#revisions} finals revised their commits, ` +
                  `${this.#bareClosings} closing decodes that left out or rewrote committed words decoded ` +
                  `again without the prompt, ${this.#revisionsRefused} that left them out not ` +
                  `taken as revisions`
                : "") +
              (this.#transcriber.scheduled ? `, ${n.dropped} not run by the scheduler` : ""),
          );
        } finally {
          this.#segment = null;
          this.#finishEvents();
        }
      }
    } catch (err) {
      // A failed decode loses that hypothesis, not the session.
      this.#emit({
        type: "error",
        audioMs: this.#audio.endMs,
        code: "decode_failed",
        message: `${this.#opts.sessionId ?? "session"}: ${(err as Error).message}`,
        recoverable: !this.#closed,
      });
    }
  }

  /**
   * The input paused: everything pushed is taken, open speech ends as at a silence (the VAD's end
   * of input, which it goes on from) and the open segment is finalized.
   */
  async #pauseInput(): Promise<void> {
    await this.#ingest([], true);
    for (const c of this.#vad.end()) {
      this.#emit({ type: "vad", state: c.state, audioMs: c.audioMs });
      if (c.state === "silence" && this.#segment) await this.#finalize(c.audioMs);
    }
    if (this.#segment) await this.#finalize(this.#audio.endMs);
  }

  /** Takes the frames queued since the last step: VAD, segment changes, maybe one decode. */
  async #ingest(frames: Float32Array[], all = false): Promise<void> {
    // Queued input (a decode was running, or a client sent faster than real time) is taken a
    // grid slice at a time, so speech ends and segment limits fall where the audio says, not
    // where a batch ends; what is short of the next grid point waits (`all`: is taken too).
    const input = concat([this.#rest, ...frames]);
    const f = this.#inputFormat;
    const grid = Math.floor((INGEST_GRID_MS * f.framesPerSecond) / 1000) * f.frameSize;
    const whole = all ? input.length : input.length - (input.length % grid);
    this.#rest = input.slice(whole);
    for (let off = 0; off < whole; off += grid) {
      const slice = input.subarray(off, Math.min(whole, off + grid));
      const changes = await this.#measure(async () => {
        const logMel = this.#logMel;
        this.#audio.append(logMel ? timeStage("mel", () => logMel.push(slice)) : slice);
        this.#takenMs += this.#inputMs(slice.length);
        return await timeStageAsync("vad", () => this.#vad.push(slice));
      });
      for (const c of changes) {
        if (c.state === "speech") {
          this.#emit({ type: "vad", state: "speech", audioMs: c.audioMs });
          if (!this.#segment) this.#open(c.audioMs);
          // Speech went on before a held short segment's longer pause was over: it goes on too.
          else this.#segment.heldFromMs = undefined;
        } else {
          this.#emit({ type: "vad", state: "silence", audioMs: c.audioMs });
          if (!this.#segment) continue;
          if (this.#heardBeforeClosing(this.#segment, c.audioMs) < this.config.minSegmentMs) {
            this.#segment.heldFromMs = c.audioMs;
          } else await this.#finalize(c.audioMs);
        }
      }
      this.#watchResumption(slice.length);
      const held = this.#segment?.heldFromMs;
      if (held !== undefined && this.#audio.endMs - held >= this.config.shortEndSilenceMs) {
        await this.#finalize(held);
      }
      await this.#cutLongSegment();
      if (!this.#segment && this.#vad.speaking && this.#vad.pauseSinceMs < 0) {
        // The pause a long segment was cut in is over: the speech goes on in a new segment.
        this.#open(this.#takenMs - this.#inputMs(slice.length));
      }
    }
    const seg = this.#segment;
    // Rolling decodes at most every minChunkMs of audio, and never more than maxDecodeDutyCycle
    // of the time: when a decode costs more than the audio it covers, the next one waits for
    // more audio instead of falling further behind.
    // A segment's first decode may come sooner (`firstChunkMs`: the first words on screen); its
    // buffer is short, so the last decode's cost (a longer buffer's) does not hold it back.
    const first = seg !== null && seg.decodedToMs === seg.startMs && this.config.firstChunkMs > 0;
    // Until the segment shows words, a decode that heard none is soon followed by another.
    const retry = seg !== null && !first && this.config.firstRetryMs > 0 && this.#showsNothing(seg);
    // Speech that resumed after a pause is decoded as soon as a segment's first words are (not
    // under load: then decodes come less often, not more).
    const lead = Math.max(0, this.config.firstChunkMs - this.config.preRollMs);
    const resumed = seg?.resumedMs;
    if (seg && resumed !== undefined && seg.decodedToMs >= resumed + lead) {
      seg.resumedMs = undefined;
    }
    if (
      seg && seg.resumedMs !== undefined && this.#audio.endMs - seg.resumedMs >= lead &&
      this.#audio.endMs > seg.decodedToMs && this.#degradeLevel === 0
    ) {
      const resumedMs = seg.resumedMs;
      seg.resumedMs = undefined;
      if (this.config.resumePreview) await this.#preview(seg, resumedMs);
      await this.#step(seg);
    } else {
      const gapMs = Math.max(
        (first
          ? this.config.firstChunkMs
          : retry
          ? this.config.firstRetryMs
          : this.config.minChunkMs) *
          (this.#degrade() >= 1 ? 2 : 1),
        first || retry ? 0 : this.#lastDecodeMs / this.#dutyCycle(),
      );
      if (seg && this.#audio.endMs - seg.decodedToMs >= gapMs) {
        await this.#step(seg);
      }
    }
    // With context for closing decodes, the audio of the segments before the open one is kept.
    const keepMs = Math.min(
      Math.max(this.config.finalContextMs, this.config.contextMs),
      MAX_CONTEXT_WINDOW_MS,
    );
    // Closing decodes in the background still read theirs.
    let dropMs =
      (this.#segment ? this.#segment.startMs : this.#audio.endMs - this.config.preRollMs) -
      keepMs;
    for (const c of this.#closingsFrom) dropMs = Math.min(dropMs, c.fromMs);
    this.#audio.dropBefore(dropMs);
    if (this.#audio.endMs >= this.#nextStatsMs) {
      this.#nextStatsMs += this.config.statsEveryMs;
      this.#stats();
    }
  }

  /**
   * Notes speech resuming inside the open segment after a pause of `resumeAfterPauseMs` or more,
   * once a slice of `sliceValues` has been taken: a pause inside speech that does not end the
   * segment, or one that a short segment is held over (`minSegmentMs`). The VAD's end of speech
   * is not a resumption: speech must go on.
   */
  #watchResumption(sliceValues: number): void {
    const seg = this.#segment;
    const minPause = this.config.resumeAfterPauseMs;
    if (!seg || minPause <= 0) {
      this.#pauseFromMs = -1;
      return;
    }
    const pause = this.#vad.pauseSinceMs;
    if (pause >= 0) {
      if (this.#pauseFromMs < 0) this.#pauseFromMs = pause;
      return;
    }
    if (!this.#vad.speaking) {
      // The pause outlasted the VAD's end of speech and a short segment is held for more: the
      // pause still began where the speech ended. Speech has not resumed yet.
      if (this.#pauseFromMs < 0 && seg.heldFromMs !== undefined) {
        this.#pauseFromMs = seg.heldFromMs;
      }
      return;
    }
    const resumedAt = this.#takenMs - this.#inputMs(sliceValues);
    if (this.#pauseFromMs >= 0 && resumedAt - this.#pauseFromMs >= minPause) {
      seg.resumedMs = resumedAt;
    }
    this.#pauseFromMs = -1;
  }

  /** Opens a segment for speech that began at `speechMs`. */
  #open(speechMs: number): void {
    this.#applyConfig();
    const startMs = Math.max(this.#lastCutMs, speechMs - this.config.preRollMs);
    this.#segment = {
      id: this.#nextSegmentId++,
      startMs,
      speechMs: Math.max(startMs, speechMs),
      decodedToMs: startMs,
      agreement: new LocalAgreement(),
      words: [],
      partial: "",
    };
  }

  /**
   * Whether `seg` has shown no words yet (none committed, no partial) and is young enough for
   * `firstRetryMs`: decoded, and at most `firstChunkMs` + `minChunkMs` long.
   */
  #showsNothing(seg: Segment): boolean {
    return seg.decodedToMs > seg.startMs && noWordsShown(seg) &&
      this.#audio.endMs - seg.startMs <= this.config.firstChunkMs + this.config.minChunkMs;
  }

  /** One rolling decode of the open segment's buffer. */
  async #step(seg: Segment): Promise<void> {
    const endMs = this.#audio.endMs;
    // Beside a closing decode the segments before are not all known yet: no context. Only the
    // decodes of a segment's first words run beside it (the express slot), unless
    // `rollingBesideClosing`; later ones wait.
    const beside = this.#closingsFrom.size > 0;
    const context = beside ? null : this.#context(seg, endMs, this.config.contextMs);
    // The decodes of a segment's first words hear a fraction of a second: prompted, Whisper
    // mostly goes on from the prompt and loops on that little audio ("but he, but he, …" for
    // "But…"), until `maxTokens` stops it. They go without the prompt.
    const firstWords = seg.decodedToMs === seg.startMs || this.#showsNothing(seg);
    const cut = context ? null : this.#rollingCut(seg);
    // `rollingPrefix`: the decode continues the segment's committed words (forced, not decoded).
    const committed = seg.agreement.committed;
    const continues = this.config.rollingPrefix && !firstWords && !context && !cut &&
        committed.length
      ? {
        text: committed.map((w) => w.word).join(" "),
        speechMs: seg.agreement.committedEndMs,
      }
      : undefined;
    const hyp = await this.#decode(
      seg,
      endMs,
      this.config.beamSize,
      endMs,
      false,
      context,
      !firstWords,
      {
        // `expressUntilWords`: a segment that shows no words yet, however old, is still waiting
        // for its first words (a first decode that heard too little of the phrase would otherwise
        // leave the next to wait for the whole closing decode).
        express: beside && (
          firstWords || this.config.rollingBesideClosing ||
          (this.config.expressUntilWords && noWordsShown(seg))
        ),
        ...(continues ? { continues } : {}),
        ...(cut
          ? {
            from: { startMs: cut.fromMs, speechMs: cut.fromMs },
            history: [...this.#history, cut.before],
          }
          : {}),
      },
    );
    // Not run: the next step decodes the newer buffer.
    if (hyp.rejected === NOT_RUN) return;
    seg.decodedToMs = endMs;
    if (hyp.rejected) return;
    const policy = this.config.commitPolicy;
    // A continuation's words follow the committed ones it was forced to begin with.
    const heard = hyp.continued ? [...committed, ...hyp.words] : ownWords(hyp.words, context);
    const newly = seg.agreement.insert(heard, {
      agree: policy !== "pause",
      commitBeforeMs: policy === "alignatt" ? endMs - this.config.commitMarginMs : undefined,
      minP: this.config.commitMinP,
      ...(cut ? { fromMs: cut.fromMs } : {}),
    });
    this.#commit(seg, newly, endMs);
    this.#partial(seg, endMs);
  }

  /**
   * `rollingLookbackMs`: where a rolling decode of `seg` starts, the start of the committed word
   * that begins at least that long before the last committed word ends (the words from it on are
   * restated by the decode and aligned to the committed ones), and the committed text before it;
   * null to decode the whole segment.
   */
  #rollingCut(seg: Segment): { fromMs: number; before: string } | null {
    const lookback = this.config.rollingLookbackMs;
    const committed = seg.agreement.committed;
    if (lookback <= 0 || !committed.length) return null;
    const limit = seg.agreement.committedEndMs - lookback;
    let i = committed.length - 1;
    while (i > 0 && committed[i].startMs > limit) i--;
    if (i === 0 || committed[i].startMs <= seg.startMs) return null;
    return {
      fromMs: committed[i].startMs,
      before: committed.slice(0, i).map((w) => w.word).join(" "),
    };
  }

  /**
   * `resumePreview`: decodes the speech that resumed at `resumedMs` alone, from the pre-roll
   * before it (a fraction of a second: a cheap decode, greedy and without the prompt, as a
   * segment's first words are), and shows its words after the pending ones as the partial. The
   * agreement does not see them: words are committed from decodes of the whole buffer.
   */
  async #preview(seg: Segment, resumedMs: number): Promise<void> {
    const fromMs = Math.max(seg.startMs, resumedMs - this.config.preRollMs);
    // A decode since the pause heard some of the new speech: its words would be shown twice.
    if (seg.decodedToMs > fromMs) return;
    const endMs = this.#audio.endMs;
    const hyp = await this.#decode(seg, endMs, 1, endMs, false, null, false, {
      express: this.#closingsFrom.size > 0,
      from: { startMs: fromMs, speechMs: resumedMs },
    });
    if (hyp.rejected) return;
    const heard = heardWords(hyp.words);
    // "Thank you." from the pause's tail and a breath, decoded surely (seen on jfk): not shown.
    if (!heard.length || isFillerPhrase(hyp.text)) return;
    this.#partial(seg, endMs, heard);
  }

  /**
   * A long segment closes at the first short pause past 60 % of `maxSegmentMs`, or where the
   * audio is at the limit; speech goes on in a new segment.
   */
  async #cutLongSegment(): Promise<void> {
    const seg = this.#segment;
    if (!seg) return;
    const lengthMs = this.#audio.endMs - seg.startMs;
    const pauseMs = this.#vad.pauseSinceMs;
    const minPauseMs = this.config.minCutPauseMs;
    let cutMs = -1;
    if (lengthMs >= this.config.maxSegmentMs) cutMs = this.#audio.endMs;
    else if (
      lengthMs >= 0.6 * this.config.maxSegmentMs && pauseMs > seg.speechMs &&
      this.#audio.endMs - pauseMs >= minPauseMs
    ) cutMs = pauseMs + minPauseMs / 2;
    if (cutMs < 0) return;
    await this.#finalize(cutMs, cutMs);
    // Speech goes on in a new segment: at once after a cut at the limit; after a cut in a pause,
    // once the pause is over (see #ingest), so a pause that turns out to be the end of speech
    // opens nothing (a segment of trailing silence invites words from the prompt).
    if (this.#vad.speaking && this.#vad.pauseSinceMs < 0) this.#open(cutMs + this.config.preRollMs);
  }

  /**
   * Decodes the segment one last time (beam search, with temperature fallback), commits the
   * rest, and closes the segment. `speechEndMs` is where the speech ended; the decode hears
   * `finalTailMs` more unless `cutMs` bounds it. With `overlapClosing` (and a clock that lets work
   * overlap) that decode runs in the background, after the closing decodes before it; the session
   * goes on at once.
   */
  async #finalize(speechEndMs: number, cutMs = Infinity): Promise<void> {
    const seg = this.#segment!;
    const endMs = Math.min(this.#audio.endMs, speechEndMs + this.config.finalTailMs, cutMs);
    // What the last rolling decode heard is shown as committed now, not after the closing decode.
    if (this.config.commitPendingAtClose && seg.agreement.pending.length) {
      this.#commit(seg, seg.agreement.flush(), Math.max(seg.decodedToMs, seg.startMs));
    }
    this.#segment = null;
    this.#lastCutMs = endMs;
    if (!this.config.overlapClosing || !this.clock.overlaps) {
      await this.#closings;
      await this.#closeSegment(seg, speechEndMs, endMs);
      return;
    }
    const reads = {
      fromMs: seg.startMs - Math.min(this.config.finalContextMs, MAX_CONTEXT_WINDOW_MS),
    };
    this.#closingsFrom.add(reads);
    const before = this.#closings;
    this.#closings = this.clock.background(async () => {
      try {
        await before;
        // A session closed meanwhile stops at once: closing decodes not yet begun are not run.
        if (!this.#closed) await this.#closeSegment(seg, speechEndMs, endMs);
      } catch (err) {
        this.#emit({
          type: "error",
          audioMs: endMs,
          code: "decode_failed",
          message: `${this.#opts.sessionId ?? "session"}: ${(err as Error).message}`,
          recoverable: !this.#closed,
        });
      } finally {
        this.#closingsFrom.delete(reads);
        if (!this.#segment) this.#applyConfig();
      }
    });
  }

  /** The closing decode of `seg` (detached from the session) up to `endMs`, and its final. */
  async #closeSegment(seg: Segment, speechEndMs: number, endMs: number): Promise<void> {
    let closedByDecode = false;
    if (endMs - seg.startMs >= this.config.minDecodeMs) {
      const context = this.#context(seg, endMs, this.config.finalContextMs);
      const history = context?.history ?? this.#history;
      const closing = (prompted: boolean) =>
        this.#decode(seg, endMs, this.config.finalBeamSize, speechEndMs, true, context, prompted);
      // The segment's own words: a decode that continued the context's finals has no others.
      const own = (h: Hypothesis) => h.continued ? h.words : ownWords(h.words, context);
      const hyp = await closing(true);
      if (!hyp.rejected) {
        let words = own(hyp);
        let trusted = false;
        // A closing decode that leaves out a run of committed words either skipped speech that
        // its prompt already said (jfk said a third time lost "and so my fellow Americans") or
        // corrects commits that a prompted rolling decode made up (the sentence said twice). One
        // that keeps few of them may have gone on from its prompt instead of hearing the segment.
        // The segment is decoded again without the prompt, which decides.
        if (
          this.config.finalRevises &&
          (this.#leavesOutCommits(seg, words) || this.#rewritesCommits(seg, words)) &&
          promptOf({ config: this.config, history, kind: "final" })
        ) {
          const bare = await closing(false);
          if (!bare.rejected) {
            words = own(bare);
            trusted = true;
            this.#bareClosings++;
          }
        }
        const revision = this.config.finalRevises
          ? this.#revision(seg, words, endMs, trusted)
          : null;
        if (revision) {
          seg.words = revision;
          seg.revised = true;
          this.#revisions++;
        } else {
          this.#commit(seg, seg.agreement.finish(words), endMs);
        }
        closedByDecode = true;
      }
    }
    // A closing decode that was rejected (or not run) does not drop what the last accepted
    // rolling hypothesis heard: the words the client was shown as the partial are committed.
    if (!closedByDecode && seg.agreement.pending.length) {
      this.#partialsKept++;
      this.#commit(seg, seg.agreement.flush(), endMs);
    }
    await this.#close(seg, endMs);
  }

  /**
   * How much audio a closing decode of `seg` at `endMs` would hear, ms: the segment, and with
   * `minSegmentCountsContext` the earlier segments its closing decode hears before it.
   */
  #heardBeforeClosing(seg: Segment, endMs: number): number {
    const own = endMs - seg.startMs;
    if (!this.config.minSegmentCountsContext) return own;
    const context = this.#context(seg, endMs, this.config.finalContextMs);
    return context ? endMs - context.startMs : own;
  }

  /**
   * What a decode of `seg` up to `endMs` hears before it, at most `wantMs` (`contextMs` for
   * rolling decodes, `finalContextMs` for the closing one): the latest closed segments that fit
   * whole, back to back with it, in a window of at most 28 s; null for none.
   */
  #context(seg: Segment, endMs: number, wantMs: number): DecodeContext | null {
    const want = Math.min(wantMs, MAX_CONTEXT_WINDOW_MS);
    if (want <= 0) return null;
    const earliest = Math.max(
      this.#audio.startMs,
      seg.startMs - want,
      endMs - MAX_CONTEXT_WINDOW_MS,
    );
    let k = this.#recent.length;
    while (k > 0 && this.#recent[k - 1].startMs >= earliest) k--;
    const before = this.#recent.slice(k).filter((c) => c.words.length);
    if (!before.length) return null;
    return {
      startMs: before[0].startMs,
      words: before.flatMap((c) => c.words),
      history: this.#recent.slice(0, k).map((c) => c.text).slice(-8),
    };
  }

  /**
   * The closing decode's words as the segment's final words, when they differ from what the
   * commits and the rest would give (null: they do not, or the decode heard no words).
   */
  #revision(
    seg: Segment,
    hypothesis: readonly TimedWord[],
    endMs: number,
    trusted = false,
  ): TimedWord[] | null {
    const heard = heardWords(hypothesis);
    if (!heard.length) return null;
    // A closing decode that leaves out a run of committed words skipped speech, unless it was
    // decoded without a prompt to judge that (`trusted`): the commits stand and it only adds
    // what follows them.
    if (!trusted && this.#leavesOutCommits(seg, heard)) {
      this.#revisionsRefused++;
      return null;
    }
    const plain = [...seg.words, ...seg.agreement.fresh(hypothesis)];
    if (
      plain.length === heard.length &&
      plain.every((w, i) => wordKey(w.word) === wordKey(heard[i].word))
    ) return null;
    return monotonicWords(heard, seg.startMs, Math.max(endMs, seg.startMs));
  }

  /** Whether `hypothesis` keeps less than `MIN_KEPT_COMMITS_SHARE` of `seg`'s commits. */
  #rewritesCommits(seg: Segment, hypothesis: readonly TimedWord[]): boolean {
    const committed = seg.words.map((w) => wordKey(w.word)).filter((k) => k !== "");
    if (committed.length < MIN_REWRITTEN_COMMITS) return false;
    const heard = heardWords(hypothesis).map((w) => wordKey(w.word));
    return sharedWords(committed, heard) < MIN_KEPT_COMMITS_SHARE * committed.length;
  }

  /** Whether `hypothesis` leaves out `MAX_DROPPED_COMMITS` or more of `seg`'s commits in a row. */
  #leavesOutCommits(seg: Segment, hypothesis: readonly TimedWord[]): boolean {
    return longestDeletedRun(
      seg.words.map((w) => wordKey(w.word)),
      heardWords(hypothesis).map((w) => wordKey(w.word)),
    ) >= MAX_DROPPED_COMMITS;
  }

  async #close(seg: Segment, endMs: number): Promise<void> {
    if (!seg.words.length) return;
    const text = seg.words.map((w) => w.word).join(" ");
    const words = seg.words.map(toWord);
    this.#emit({
      type: "final",
      audioMs: endMs,
      segmentId: seg.id,
      text,
      startMs: Math.round(Math.min(seg.words[0].startMs, endMs)),
      endMs: Math.round(Math.max(endMs, seg.words[seg.words.length - 1].endMs)),
      words,
      ...(seg.revised ? { revised: true as const } : {}),
    });
    this.#history.push(text);
    if (this.#history.length > 8) this.#history.shift();
    this.#recent.push({ startMs: seg.startMs, endMs, text, words: seg.words });
    while (this.#recent.length > 16 || this.#recent[0].endMs < endMs - MAX_CONTEXT_WINDOW_MS) {
      this.#recent.shift();
    }
    await this.#intent(seg.id, text, endMs);
  }

  async #intent(segmentId: number, text: string, audioMs: number): Promise<void> {
    const classifier = this.#opts.intents;
    if (!classifier) return;
    try {
      const r = await classifier.classify(text, {
        previous: this.#history.slice(0, -1),
        language: "en",
        sessionId: this.#opts.sessionId,
      });
      this.#emit({ type: "intent", audioMs, segmentId, ...r });
    } catch (err) {
      this.#emit({
        type: "error",
        audioMs,
        code: "intent_failed",
        message: `Intent classifier failed: ${(err as Error).message}`,
        recoverable: true,
      });
    }
  }

  #commit(seg: Segment, proposed: TimedWord[], audioMs: number): void {
    const newly = this.#withoutLoops(seg, proposed);
    if (!newly.length) return;
    // Committed word times never go backwards and stay inside the audio decoded (a closing
    // decode may end before audio an earlier rolling decode already timed words in).
    const prevEnd = seg.words.length ? seg.words[seg.words.length - 1].endMs : seg.startMs;
    const fixed = monotonicWords(newly, prevEnd, Math.max(audioMs, prevEnd));
    seg.words.push(...fixed);
    this.#emit({ type: "commit", audioMs, segmentId: seg.id, words: fixed.map(toWord) });
  }

  /**
   * `proposed` less any copy of what the segment just said: a hypothesis that loops across
   * decodes ("ladies and gentlemen" again and again) would otherwise commit a little each time.
   */
  #withoutLoops(seg: Segment, proposed: TimedWord[]): TimedWord[] {
    if (!proposed.length) return proposed;
    const tail = seg.words.slice(-this.config.loopContextWords);
    const keys = [...tail, ...proposed].map((w) => wordKey(w.word));
    // A proposal that says again what was just said (a greedy decode looping, as Whisper does on
    // short buffers) is cut where the repetition starts, also when the loop began in the
    // committed words or its copy is not finished yet; the closing decode decides the rest.
    const cut = repeatsFrom(keys, tail.length) - tail.length;
    if (cut >= proposed.length) return proposed;
    this.#loopsDropped++;
    return proposed.slice(0, cut);
  }

  /** Shows the pending words (and `after` them, a preview's) as the partial, when it changed. */
  #partial(seg: Segment, audioMs: number, after: readonly TimedWord[] = []): void {
    const text = [...seg.agreement.pending, ...after].map((w) => w.word).join(" ");
    if (text === seg.partial) return;
    seg.partial = text;
    this.#emit({ type: "partial", audioMs, segmentId: seg.id, text });
  }

  /**
   * Decodes the segment's buffer up to `endMs` with the transcriber (which judges the result).
   * A rolling decode's time (not its wait for a slot) sets the duty cycle's gap.
   */
  async #decode(
    seg: Segment,
    endMs: number,
    beamSize: number,
    speechEndMs = endMs,
    final = false,
    context: DecodeContext | null = null,
    prompted = true,
    opts: {
      express?: boolean;
      /** A window of the segment's later audio only: where it starts and its speech begins. */
      from?: { startMs: number; speechMs: number };
      /** The prompt's text, when prompted, instead of the context's or the session's. */
      history?: readonly string[];
      /** A rolling decode's forced beginning (`rollingPrefix`): the committed words. */
      continues?: { text: string; speechMs: number };
    } = {},
  ): Promise<Hypothesis> {
    const startMs = opts.from?.startMs ?? context?.startMs ?? seg.startMs;
    const speechFromMs = opts.from?.speechMs ?? (context ? startMs : seg.speechMs);
    const values = this.#audio.slice(startMs, endMs);
    let t0 = -1;
    try {
      return await this.#transcriber.decode({
        window: {
          values,
          input: this.#audio.format === MEL_FORMAT ? "mel" : "pcm",
          durationMs: this.#audio.valuesToMs(values.length),
          startMs,
          speechMs: [speechFromMs, Math.max(opts.from?.speechMs ?? seg.speechMs, speechEndMs)],
        },
        kind: final ? "final" : "rolling",
        ...(opts.express ? { express: true } : {}),
        beamSize,
        config: this.config,
        history: prompted ? opts.history ?? context?.history ?? this.#history : [],
        ...(final && context
          ? {
            continues: { text: context.words.map((w) => w.word).join(" "), speechMs: seg.speechMs },
          }
          : opts.continues
          ? { continues: opts.continues }
          : {}),
        // How stale the text shown to the person is.
        lagMs: () => this.clock.now() - seg.decodedToMs,
        measure: (work) => this.#measure(work),
        onRun: () => {
          this.#degrade();
          t0 = this.clock.now();
        },
      });
    } finally {
      // On the session clock: wall time in real time, the time charged in a simulation.
      if (t0 >= 0) {
        if (final) this.#closingRunMs += this.clock.now() - t0;
        else this.#lastDecodeMs = this.clock.now() - t0;
      }
    }
  }

  /**
   * The share of the time this session's rolling decodes may take: `maxDecodeDutyCycle`, or with
   * `loadShare` on a machine with more live sessions than slots, its share of a slot less what
   * its closing decodes took per second of audio so far (at least 5 %).
   */
  #dutyCycle(): number {
    const duty = this.config.maxDecodeDutyCycle;
    const share = this.config.loadShare ? this.#transcriber.loadShare : 1;
    if (share <= 1) return duty;
    const closing = this.#closingRunMs / Math.max(this.#audio.endMs, MIN_CLOSING_RATE_MS);
    return Math.max(0.05, duty / share - closing);
  }

  /** The scheduler's degrade level, noted in a `stats` event when it changes. */
  #degrade(): DegradeLevel {
    const level = this.#transcriber.degradeLevel;
    if (level !== this.#degradeLevel) {
      this.#degradeLevel = level;
      this.#stats(
        level === 0
          ? "load: back to normal"
          : level === 1
          ? "load: degraded, rolling decodes half as often"
          : "load: degraded, rolling decodes half as often and greedy decodes only",
      );
    }
    return level;
  }

  async #measure<T>(work: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await this.clock.measure(work);
    } finally {
      this.#computeMs += performance.now() - t0;
    }
  }

  #stats(note?: string): void {
    const audioMs = this.#audio.endMs;
    const lagMs = Math.max(0, this.clock.now() - audioMs);
    this.#maxLagMs = Math.max(this.#maxLagMs, lagMs);
    this.#emit({
      type: "stats",
      audioMs,
      lagMs: Math.round(lagMs),
      rtf: audioMs > 0 ? round3(this.#computeMs / audioMs) : 0,
      mode: this.config.mode,
      ...(this.#degradeLevel ? { degraded: this.#degradeLevel } : {}),
      ...(note ? { note } : {}),
    });
  }

  #emit(body: EventBody): void {
    if (this.#ended) return;
    this.#emitted++;
    this.#events.push({
      emittedMs: Math.round(this.clock.now()),
      ...body,
      audioMs: Math.round(body.audioMs),
    } as StreamEvent);
    this.#wake();
  }

  #finishEvents(): void {
    this.#ended = true;
    this.#wake();
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }
}

function concat(parts: Float32Array[]): Float32Array {
  if (parts.length === 1) return parts[0];
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) (out.set(p, o), o += p.length);
  return out;
}

function toWord(w: TimedWord): Word {
  return {
    word: w.word,
    startMs: Math.round(w.startMs),
    endMs: Math.round(Math.max(w.startMs, w.endMs)),
    p: Math.min(1, Math.max(0, round3(w.p))),
  };
}

/** Whether `seg` shows no words yet: none committed, no partial. */
function noWordsShown(seg: Segment): boolean {
  return seg.words.length === 0 && seg.partial === "";
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
