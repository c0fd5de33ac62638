/**
 * Streaming modes: `latency`, `balanced` (default) and `accuracy` presets for the rolling-chunk
 * policy, each overridable per session and validated with zod. Units are in the names.
 *
 * @module
 */

import { z } from "zod";
import { describeIssue } from "../../protocol/events.ts";
import { MODE_NAMES, type ModeName } from "../../protocol/modes.ts";

/**
 * When words become committed:
 * - `la2`: LocalAgreement-2, once two consecutive hypotheses agree on them;
 * - `alignatt`: as soon as one hypothesis places a word's end at least `commitMarginMs` before the
 *   end of the audio decoded (the decoder is no longer attending to it), or LA-2 agrees;
 * - `pause`: only when the utterance ends (or reaches its maximum length).
 */
export const COMMIT_POLICIES = ["la2", "alignatt", "pause"] as const;
/** One of {@linkcode COMMIT_POLICIES}. */
export type CommitPolicy = typeof COMMIT_POLICIES[number];

/** Every knob of the streaming policy. */
export const StreamConfigSchema = z.object({
  mode: z.enum(MODE_NAMES),
  /** New audio between two decodes of the growing buffer, ms. */
  minChunkMs: z.number().int().min(100).max(10_000),
  /**
   * Audio a segment holds (pre-roll included) before its first decode, ms; 0: `minChunkMs`. A
   * mode that decodes seldom (to give each decode more to hear) still shows the first words of an
   * utterance soon.
   */
  firstChunkMs: z.number().int().min(0).max(10_000),
  /**
   * Until a segment shows its first words, a decode that heard none is followed by the next
   * after this much new audio rather than `minChunkMs` (only while the segment is younger than
   * `firstChunkMs` + `minChunkMs`: a segment of noise soon decodes at the usual pace); 0: off, ms.
   */
  firstRetryMs: z.number().int().min(0).max(10_000),
  /**
   * Speech that resumes inside the open segment after a pause at least this long (inside speech,
   * or one a short segment is held over: `minSegmentMs`) is decoded `firstChunkMs` (less the
   * pre-roll) after it resumes, as a segment's first words are, rather than at the next
   * `minChunkMs`: a mode that decodes seldom still shows a new phrase's first words soon. 0: off,
   * ms.
   */
  resumeAfterPauseMs: z.number().int().min(0).max(5_000),
  /**
   * With `resumeAfterPauseMs`: the resumed speech is first decoded alone (from the pre-roll
   * before it: a fraction of a second, a cheap decode) and its words are shown after the pending
   * ones as the partial; then the segment's whole buffer is decoded as before, and only such
   * decodes commit. A mode that decodes long segments shows a new phrase's first words without
   * waiting for a decode of all of it.
   */
  resumePreview: z.boolean(),
  /**
   * A segment's closing decode runs in the background: the session goes on taking audio and the
   * next segment's rolling decodes run beside it (the scheduler's express slot), so a new
   * phrase's first words do not wait for the last phrase's final.
   */
  overlapClosing: z.boolean(),
  /**
   * With `overlapClosing`: every rolling decode of the next segment runs beside a closing decode
   * (the express slot), not only those of its first words. Meant for `closingNice`, where the
   * closing decode yields the cores to them rather than sharing them.
   */
  rollingBesideClosing: z.boolean(),
  /**
   * With `overlapClosing`: a segment's rolling decodes take the express slot beside a closing
   * decode for as long as the segment shows no words, however old it is; false: only while it is
   * at most `firstChunkMs` + `minChunkMs` old, so a first decode that heard too little leaves the
   * next to wait for the closing decode (decision 035).
   */
  expressUntilWords: z.boolean(),
  /**
   * With more live sessions than the scheduler has slots, the session takes its share of a
   * slot: `maxDecodeDutyCycle` ÷ (live sessions ÷ slots), less what its closing decodes take,
   * spaces its rolling decodes, and its closing decodes hear a window scaled to the segment
   * rather than the full 30 s (`finalFullWindow`). Alone on its slots it decodes as without.
   */
  loadShare: z.boolean(),
  /**
   * Once the open segment has committed words, a rolling decode hears it from the start of the
   * committed word that begins at least this long before the last committed word ends, rather
   * than from the segment's start; the committed words before that join its prompt (with
   * `rollingPromptChars`). Its cost then follows the words not yet committed, not the segment's
   * length. Not with `contextMs`. 0: the whole segment, ms.
   */
  rollingLookbackMs: z.number().int().min(0).max(30_000),
  /** How words become committed; see {@linkcode COMMIT_POLICIES}. */
  commitPolicy: z.enum(COMMIT_POLICIES),
  /** For `alignatt`: a word ending this long before the decoded audio's end is committed, ms. */
  commitMarginMs: z.number().int().min(0).max(5_000),
  /**
   * For `alignatt`: a word whose probability is below this is not committed by the time margin,
   * nor the words after it, but once the next hypothesis agrees on it (LA-2) or its segment
   * closes: a doubtful word waits a decode rather than being shown and then corrected by the
   * final. 0: off.
   */
  commitMinP: z.number().min(0).max(1),
  /**
   * Where a rolling hypothesis's word times come from: `timestamps`, whisper.cpp's token
   * timestamps (they pile up at the window's end on tiny.en: decision 009); `dtw`, the alignment
   * of the decoder's cross-attention (its alignment heads, as AlignAtt reads them), on a model
   * loaded with alignment heads (the registry does so where the library can) and audio input
   * (mel input times by hints), else timestamps. Measured slower to commit (decision 038).
   */
  commitTimes: z.enum(["timestamps", "dtw"]),
  /** Audio kept before the detected speech onset, ms. */
  preRollMs: z.number().int().min(0).max(1_000),
  /**
   * Committed text (characters, most recent) fed to a segment's closing decode as its prompt;
   * 0 = none.
   */
  promptChars: z.number().int().min(0).max(1_000),
  /**
   * As `promptChars`, for rolling decodes (partials and commits). A prompt costs decoder time in
   * every decode; it is worth most where the words become final.
   */
  rollingPromptChars: z.number().int().min(0).max(1_000),
  /** Silence that ends an utterance (finalize), ms. */
  endSilenceMs: z.number().int().min(100).max(5_000),
  /**
   * A segment shorter than this at the pause (from its start, pre-roll included) does not close
   * at an `endSilenceMs` pause but only at one of `shortEndSilenceMs`, so that a short phrase's
   * closing decode hears what follows it when speech goes on; 0: every segment closes at
   * `endSilenceMs`, ms.
   */
  minSegmentMs: z.number().int().min(0).max(30_000),
  /** See `minSegmentMs`: the silence that ends a short segment, ms. */
  shortEndSilenceMs: z.number().int().min(100).max(5_000),
  /**
   * `minSegmentMs` counts the closing decode's context too (`finalContextMs`: the earlier
   * segments it hears before this one): a short segment closes at an `endSilenceMs` pause when
   * its closing decode hears at least `minSegmentMs` of audio in all.
   */
  minSegmentCountsContext: z.boolean(),
  /**
   * Longest segment, ms (≤ 30 s, Whisper's window): the decoded buffer is the open segment, so
   * this also bounds a decode's cost. Past 60 % of it the segment closes at the first short pause
   * the VAD sees; at the limit it closes where the audio is.
   */
  maxSegmentMs: z.number().int().min(2_000).max(30_000),
  /** 1 = greedy; more = beam search for partials and commits. */
  beamSize: z.number().int().min(1).max(16),
  /** Beam width for the decode that finalizes a segment. */
  finalBeamSize: z.number().int().min(1).max(16),
  /**
   * The closing decode of a segment uses the full 30 s encoder window and no timestamp tokens
   * (more accurate, about 2–3 s per segment on 2 CPU cores; word times are then estimated).
   */
  finalFullWindow: z.boolean(),
  /**
   * A segment's closing decode may revise its committed words: when its words differ from the
   * commits and the rest, the `final` carries the closing decode's words (`revised: true`) and
   * replaces what was committed. Off: commits never change and the final is their concatenation.
   */
  finalRevises: z.boolean(),
  /**
   * Audio before the segment that its closing decode hears as well, ms (0: the segment alone):
   * the previous segments that fit whole (the window is at most 28 s), so a short utterance is
   * decoded with what was said before it, as an offline pass would. Their finals are continued
   * (`finalContextPrefix`) or taken as restated and dropped from the decode's words, and the
   * prompt is the text before them.
   */
  finalContextMs: z.number().int().min(0).max(28_000),
  /**
   * With `finalContextMs`, a full-window closing decode begins with the earlier segments' finals
   * forced as its first words (read in one pass) rather than decoding them again with the beam and
   * dropping them: it decodes the segment's words alone. A library without the prefix patch
   * decodes them again (decision 026).
   */
  finalContextPrefix: z.boolean(),
  /**
   * Audio before the segment that its rolling decodes hear as well, ms (0: the segment alone):
   * as `finalContextMs`, for the hypotheses words are committed from. A short utterance then
   * decodes with what was said before it; the words timed before the segment's onset are the
   * earlier segments' and are dropped.
   */
  contextMs: z.number().int().min(0).max(28_000),
  /**
   * A rolling decode whose hypothesis loops is decoded again with the full encoder window (true);
   * false cuts the loop to its first copy instead, about a second of compute saved each time —
   * for modes whose closing decode revises the commits anyway (decision 009).
   */
  retryRollingLoops: z.boolean(),
  /**
   * When a segment closes, the last rolling hypothesis's words not yet committed are committed
   * before its closing decode runs (that decode may still revise them, with `finalRevises`);
   * false: they wait for the closing decode.
   */
  commitPendingAtClose: z.boolean(),
  /**
   * A rolling decode of a segment with committed words is forced to begin with them (`<|0.00|>`
   * and their text, on a library with the prefix patch): the decoder reads them in one pass and
   * samples only what follows, instead of decoding them again token by token. Its first timestamp
   * may then fall anywhere in the window; its words' times are kept between the last committed
   * word's end and the window's end. A prefixed decode that hears nothing is decoded again
   * without the prefix. Off in every mode: its words' times come out up to 0.7 s later than a
   * whole decode's, so the time-margin commits come later (decision 036).
   */
  rollingPrefix: z.boolean(),
  /**
   * A session of audio samples computes Whisper's log-mel frames once, as the audio arrives
   * (`protocol/mel.ts`, as a privacy-mode client does), and decodes from them; false: whisper.cpp
   * converts each decode's whole window from samples again (its own spectrogram pads 30 s of
   * zeros every time). Fixed by the session's first input. With mel frames, word times come from
   * the timestamp tokens rather than from the samples' energy.
   */
  melOnce: z.boolean(),
  /** Scale the encoder window to the buffer (a large speed-up for short buffers). */
  scaleAudioCtx: z.boolean(),
  /** Extra encoder frames kept over the buffer length when scaling (guards against loops). */
  audioCtxMarginFrames: z.number().int().min(0).max(1500),
  /** Model name or path; empty = the server's default for the mode. */
  model: z.string(),
  /**
   * Model name or path for closing decodes (a two-model cascade: partials and early commits on
   * `model`, the final words from this one); empty = `model`.
   */
  closingModel: z.string(),
  /** CPU threads per decode. */
  threads: z.number().int().min(1).max(64),
  /**
   * CPU threads of a decode beside the session's own closing decode (`overlapClosing`): fewer
   * than `threads`, so that on a small CPU the two share the cores rather than each slowing the
   * other by half.
   */
  expressThreads: z.number().int().min(1).max(64),
  /**
   * CPU threads of a closing decode in a mode with `overlapClosing` (it may run beside the next
   * segment's decodes), 0: `threads`.
   * Fewer leave a core to the next segment's first-words decodes, which then do not share it.
   */
  closingThreads: z.number().int().min(0).max(64),
  /**
   * With `overlapClosing`, a segment's closing decode runs at this much lower CPU priority (a
   * nice value, 1–19; 0: as every other decode): while the next segment's first-words decode runs
   * beside it, that one takes the cores first and the closing decode goes on with what is left. Linux, with the library built here (`hum_whisper_full_niced`); elsewhere it is 0.
   */
  closingNice: z.number().int().min(0).max(19),
  /** Silero VAD speech probability threshold. */
  vadThreshold: z.number().min(0.05).max(0.95),
  /**
   * Largest share of real time a session's rolling decodes may take: when a decode costs more
   * than the audio it covers, the next one waits for more audio instead of falling behind.
   */
  maxDecodeDutyCycle: z.number().min(0.05).max(1),
  /**
   * A rolling decode that waited this long for a scheduler slot is dropped (at least; twice
   * `minChunkMs` when that is longer), ms.
   */
  rollingDeadlineMs: z.number().int().min(100).max(30_000),
  /** Audio after the detected end of speech that a segment's closing decode still hears, ms. */
  finalTailMs: z.number().int().min(0).max(2_000),
  /** Audio between two `stats` events, ms. */
  statsEveryMs: z.number().int().min(500).max(600_000),
  /** A segment's last committed words a new commit is checked against for loops. */
  loopContextWords: z.number().int().min(0).max(500),
  /** Tokens a decode may produce per second of audio (speech runs at 3–5 tokens/s). */
  maxTokensPerS: z.number().int().min(1).max(100),
  /**
   * For closing decodes (they commit everything), stricter loop limits than the hallucination
   * guard's: a phrase of fewer than `finalLoopMinPhraseWords` words said more than this many
   * times back to back, or a longer phrase said twice, is suspect (decoded again with the full
   * encoder window).
   */
  finalLoopMaxRepeats: z.number().int().min(1).max(10),
  /** See `finalLoopMaxRepeats`; words. */
  finalLoopMinPhraseWords: z.number().int().min(1).max(20),
  /** A pause inside speech this long is where a long segment may close, ms. */
  minCutPauseMs: z.number().int().min(32).max(2_000),
  /**
   * A hypothesis of a buffer at least `collapseMinMs` long with fewer than `collapseWordsPerS`
   * words per second has collapsed (the prompt tipped Whisper over): it is decoded again without
   * the prompt, ms.
   */
  collapseMinMs: z.number().int().min(0).max(30_000),
  /** See `collapseMinMs`; words per second. */
  collapseWordsPerS: z.number().min(0).max(10),
  /** Buffers shorter than this are not decoded (Whisper needs about 100 ms at least), ms. */
  minDecodeMs: z.number().int().min(100).max(5_000),
});
/** A complete, validated stream configuration. */
export type StreamConfig = z.infer<typeof StreamConfigSchema>;

const COMMON = {
  firstChunkMs: 0,
  firstRetryMs: 0,
  resumeAfterPauseMs: 0,
  resumePreview: false,
  overlapClosing: true,
  rollingBesideClosing: false,
  expressUntilWords: false,
  loadShare: false,
  rollingLookbackMs: 0,
  retryRollingLoops: true,
  commitPendingAtClose: false,
  rollingPrefix: false,
  finalFullWindow: false,
  finalRevises: false,
  finalContextMs: 0,
  finalContextPrefix: false,
  contextMs: 0,
  commitMarginMs: 600,
  commitMinP: 0,
  commitTimes: "timestamps",
  preRollMs: 200,
  promptChars: 200,
  rollingPromptChars: 200,
  melOnce: false,
  scaleAudioCtx: true,
  audioCtxMarginFrames: 128,
  model: "",
  closingModel: "",
  threads: 2,
  expressThreads: 1,
  closingThreads: 0,
  closingNice: 0,
  vadThreshold: 0.5,
  maxDecodeDutyCycle: 0.7,
  rollingDeadlineMs: 1_000,
  finalTailMs: 300,
  statsEveryMs: 5_000,
  loopContextWords: 40,
  maxTokensPerS: 10,
  finalLoopMaxRepeats: 1,
  finalLoopMinPhraseWords: 2,
  minCutPauseMs: 96,
  collapseMinMs: 2_500,
  collapseWordsPerS: 0.5,
  minDecodeMs: 300,
  minSegmentMs: 0,
  shortEndSilenceMs: 1_200,
  minSegmentCountsContext: false,
} as const;

/**
 * Early commits by a time margin from greedy hypotheses of the open segment every half second;
 * the closing decode (full window, beam 5, the last 10 s before the segment, whose finals it
 * continues) corrects them in the final. Decisions 008, 010 and 026.
 */
const HALF_SECOND_REVISING = {
  ...COMMON,
  // A segment's first decode once it holds 0.4 s (0.2 s of speech after the pre-roll): the
  // first words on screen 0.06 s sooner than at 0.5 s (decision 016).
  firstChunkMs: 400,
  commitPolicy: "alignatt",
  commitMarginMs: 500,
  minChunkMs: 500,
  endSilenceMs: 400,
  minSegmentMs: 5_000,
  maxSegmentMs: 12_000,
  beamSize: 1,
  finalBeamSize: 5,
  finalFullWindow: true,
  finalRevises: true,
  finalContextMs: 10_000,
  // The context's finals forced as the closing decode's first words, not decoded again (026).
  finalContextPrefix: true,
  retryRollingLoops: false,
} as const;

/** The presets. */
export const MODE_PRESETS: Readonly<Record<ModeName, StreamConfig>> = {
  // Balanced's decodes without a prompt (faster decodes: on a CPU that is the delay), and a
  // closing segment's pending words committed before its closing decode (decision 011); the
  // closing decodes at nice 19, so the next segment's decodes take the cores first (decision 023),
  // a new segment's until it shows words (decision 035).
  latency: {
    ...HALF_SECOND_REVISING,
    mode: "latency",
    promptChars: 0,
    rollingPromptChars: 0,
    commitPendingAtClose: true,
    closingNice: 19,
    expressUntilWords: true,
    // Words committed once a decode ends 0.3 s past them: p50 0.07–0.14 s sooner in four of four
    // comparisons, WER no worse (decision 038).
    commitMarginMs: 300,
  },
  balanced: { ...HALF_SECOND_REVISING, mode: "balanced" },
  // Early LA-2 commits from greedy decodes every 1.5 s that the closing decode corrects, with
  // longer segments and a longer pause to end one: more for the closing decode to hear.
  // Decision 008 (the rolling context of 5 s neither helped nor hurt here: decision 010). A
  // segment's first decode after 0.4 s, and speech that resumes after a pause of 0.5 s inside a
  // segment previewed alone, the closing decodes in the background: new words on screen within
  // half a second of their onset (decisions 011, 022).
  accuracy: {
    ...COMMON,
    mode: "accuracy",
    commitPolicy: "la2",
    minChunkMs: 1_500,
    firstChunkMs: 400,
    resumeAfterPauseMs: 500,
    resumePreview: true,
    endSilenceMs: 1_200,
    maxSegmentMs: 28_000,
    beamSize: 1,
    finalBeamSize: 5,
    finalFullWindow: true,
    finalRevises: true,
    contextMs: 5_000,
    finalContextMs: 10_000,
    retryRollingLoops: false,
  },
};

/**
 * A mode's preset with `overrides` applied, validated: unknown keys and out-of-range values are
 * errors naming the field, e.g. `Cannot configure stream: minChunkMs: Too small: …`.
 */
export function resolveStreamConfig(
  mode: ModeName = "balanced",
  overrides: unknown = {},
): StreamConfig {
  const preset = MODE_PRESETS[mode];
  if (!preset) {
    throw new RangeError(
      `Cannot configure stream: mode "${mode}" is not one of ${MODE_NAMES.join(", ")}`,
    );
  }
  if (typeof overrides !== "object" || overrides === null || Array.isArray(overrides)) {
    throw new TypeError("Cannot configure stream: overrides must be an object");
  }
  const r = StreamConfigSchema.strict().safeParse({ ...preset, ...overrides, mode });
  if (!r.success) {
    throw new RangeError(`Cannot configure stream: ${describeIssue(r.error, "config")}`);
  }
  return r.data;
}
