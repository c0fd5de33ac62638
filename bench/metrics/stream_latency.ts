/**
 * Streaming metrics computed from a session's event stream alone (JSON lines of
 * `protocol/events.ts`) against a forced alignment of the same audio:
 *
 * - word-emission latency: when a word first appeared in text the client is never told to take
 *   back → the word's end in the reference (`emittedMs − end`), for every word of the finals that
 *   matches a reference word. A segment's words are its final's (its commits' where it has no
 *   final); a final word that a commit of the segment already showed in the same place counts
 *   from that commit, one the final changed or added counts from the final (a `revised` final
 *   takes back committed words: those count from the final);
 * - first-partial latency: speech onset in the reference → first partial or commit with text;
 * - finalization latency: speech end in the reference → the final event that closes it;
 * - streaming WER: the finals' text against the reference transcript (Whisper's normaliser);
 * - commits taken back: committed words that their segment's final did not keep in place (a
 *   `revised` final's corrections), a share of all committed words.
 *
 * Onsets and ends are reference words preceded / followed by at least `gapMs` of silence.
 *
 * @module
 */

import type { TranscriptEvent } from "../../protocol/events.ts";
import { normalizeEnglish } from "./normalize_en.ts";
import { alignTokens, corpusWer } from "./wer.ts";
import { quantile, type TimedToken } from "./word_timing.ts";

/** The figures of one stream. */
export interface StreamFigures {
  /** Word-emission latencies of matched words, ms. */
  emissionMs: number[];
  /** Reference words (normalised tokens). */
  refWords: number;
  firstPartialMs: number[];
  firstPartialMissed: number;
  finalizationMs: number[];
  finalizationMissed: number;
  /** The finals' text, joined. */
  text: string;
  /** Whether every segment's commits, joined, equal its final text. */
  commitsMatchFinals: boolean;
  /** Committed (normalised) words, and those their final did not keep in place. */
  committedWords: number;
  takenBackWords: number;
  maxLagMs: number;
  /** RTF from the last stats event. */
  rtf: number;
}

function tokens(text: string): string[] {
  return normalizeEnglish(text).split(" ").filter(Boolean);
}

/**
 * Committed (normalised) words, and how many of them their segment's final did not keep in place
 * (an edit-distance alignment of the final's words with the commits'; a segment without a final
 * keeps its commits).
 */
export function takenBack(events: readonly TranscriptEvent[]): {
  committed: number;
  takenBack: number;
} {
  const committed = new Map<number, string[]>();
  const finals = new Map<number, string[]>();
  for (const e of events) {
    if (e.type === "commit") {
      const c = committed.get(e.segmentId) ?? [];
      committed.set(e.segmentId, c);
      for (const w of e.words) c.push(w.word);
    } else if (e.type === "final" && !finals.has(e.segmentId)) {
      finals.set(e.segmentId, tokens(e.text));
    }
  }
  let all = 0;
  let back = 0;
  for (const [id, words] of committed) {
    // Normalised as one text, as the final is ("twenty five" is one token, "25").
    const c = tokens(words.join(" "));
    all += c.length;
    const f = finals.get(id);
    if (!f) continue;
    const kept = alignTokens(f, c).filter((step) => step.op === "hit").length;
    back += c.length - kept;
  }
  return { committed: all, takenBack: back };
}

/**
 * The stream's transcript as normalised tokens, each with the time it was first shown for good:
 * segment by segment (in the order they first appear), a final's tokens, each at the time of the
 * commit that showed it in the same place (aligned to the segment's committed tokens) or else at
 * the final's; a segment without a final, its committed tokens at their commits' times.
 */
export function emittedTokens(events: readonly TranscriptEvent[]): { t: string; at: number }[] {
  const order: number[] = [];
  const committed = new Map<number, { t: string; at: number }[]>();
  const finals = new Map<number, { tokens: string[]; at: number }>();
  for (const e of events) {
    if (e.type !== "commit" && e.type !== "final") continue;
    if (!committed.has(e.segmentId)) (order.push(e.segmentId), committed.set(e.segmentId, []));
    if (e.type === "commit") {
      const c = committed.get(e.segmentId)!;
      for (const w of e.words) for (const t of tokens(w.word)) c.push({ t, at: e.emittedMs });
    } else if (!finals.has(e.segmentId)) {
      finals.set(e.segmentId, { tokens: tokens(e.text), at: e.emittedMs });
    }
  }
  const out: { t: string; at: number }[] = [];
  for (const id of order) {
    const c = committed.get(id)!;
    const f = finals.get(id);
    if (!f) {
      out.push(...c);
      continue;
    }
    let i = 0;
    let j = 0;
    for (const step of alignTokens(f.tokens, c.map((x) => x.t))) {
      if (step.op === "hit") out.push({ t: f.tokens[i], at: Math.min(c[j].at, f.at) });
      else if (step.op !== "insertion") out.push({ t: f.tokens[i], at: f.at });
      if (step.op !== "insertion") i++;
      if (step.op !== "deletion") j++;
    }
  }
  return out;
}

/** Onsets (starts after ≥ gapMs of silence) and ends (before ≥ gapMs) of reference speech. */
export function speechBounds(
  ref: readonly TimedToken[],
  gapMs = 500,
): { onsets: number[]; ends: number[] } {
  const onsets: number[] = [];
  const ends: number[] = [];
  ref.forEach((w, i) => {
    if (i === 0 || w.startMs - ref[i - 1].endMs >= gapMs) onsets.push(w.startMs);
    if (i === ref.length - 1 || ref[i + 1].startMs - w.endMs >= gapMs) ends.push(w.endMs);
  });
  return { onsets, ends };
}

/** Figures of one event stream against its reference words and transcript. */
export function streamFigures(
  events: readonly TranscriptEvent[],
  ref: readonly TimedToken[],
  gapMs = 500,
): StreamFigures {
  const hyp = emittedTokens(events);
  const bySegment = new Map<number, string[]>();
  for (const e of events) {
    if (e.type !== "commit") continue;
    const words = bySegment.get(e.segmentId) ?? [];
    bySegment.set(e.segmentId, words);
    for (const w of e.words) words.push(w.word);
  }
  const refT: { t: string; end: number }[] = [];
  for (const w of ref) for (const t of tokens(w.word)) refT.push({ t, end: w.endMs });
  const emissionMs: number[] = [];
  let i = 0;
  let j = 0;
  for (const step of alignTokens(refT.map((r) => r.t), hyp.map((h) => h.t))) {
    if (step.op === "hit") emissionMs.push(hyp[j].at - refT[i].end);
    if (step.op !== "insertion") i++;
    if (step.op !== "deletion") j++;
  }

  const finals = events.filter((e) => e.type === "final");
  const commitsMatchFinals =
    finals.every((f) =>
      f.type === "final" && (bySegment.get(f.segmentId) ?? []).join(" ") === f.text
    ) && [...bySegment.keys()].every((id) =>
      finals.some((f) =>
        f.type === "final" && f.segmentId === id
      )
    );

  const { onsets, ends } = speechBounds(ref, gapMs);
  const withText = events.filter((e) =>
    (e.type === "partial" && e.text.trim() !== "") || e.type === "commit"
  );
  const firstPartialMs: number[] = [];
  let firstPartialMissed = 0;
  onsets.forEach((onset, k) => {
    const next = onsets[k + 1] ?? Infinity;
    const e = withText.find((x) => x.emittedMs >= onset && x.audioMs >= onset);
    if (e && e.emittedMs < next) firstPartialMs.push(e.emittedMs - onset);
    else firstPartialMissed++;
  });
  const finalizationMs: number[] = [];
  let finalizationMissed = 0;
  ends.forEach((end, k) => {
    const next = ends[k + 1] ?? Infinity;
    const f = finals.find((x) => x.type === "final" && x.emittedMs >= end && x.endMs >= end - 1000);
    if (f && f.emittedMs < next) finalizationMs.push(f.emittedMs - end);
    else finalizationMissed++;
  });

  const churn = takenBack(events);
  let maxLagMs = 0;
  let rtf = 0;
  for (const e of events) {
    if (e.type !== "stats") continue;
    maxLagMs = Math.max(maxLagMs, e.lagMs);
    rtf = e.rtf;
  }
  return {
    emissionMs,
    refWords: refT.length,
    firstPartialMs,
    firstPartialMissed,
    finalizationMs,
    finalizationMissed,
    text: finals.map((f) => f.type === "final" ? f.text : "").join(" "),
    commitsMatchFinals,
    committedWords: churn.committed,
    takenBackWords: churn.takenBack,
    maxLagMs,
    rtf,
  };
}

/** Pooled figures over several streams, rounded for a results file. */
export interface PooledFigures {
  streams: number;
  wer: number;
  emissionP50Ms: number;
  emissionP90Ms: number;
  matchedWords: number;
  refWords: number;
  firstPartialP50Ms: number;
  firstPartialP90Ms: number;
  firstPartialMissed: number;
  finalizationP50Ms: number;
  finalizationP90Ms: number;
  finalizationMissed: number;
  maxLagMs: number;
  meanRtf: number;
  commitsMatchFinals: boolean;
  /** Committed words that their final took back, % of committed words. */
  takenBackPct: number;
}

/** Pools per-stream figures; `refTexts[i]` is the transcript of stream i. */
export function poolFigures(
  figures: readonly StreamFigures[],
  refTexts: readonly string[],
): PooledFigures {
  const sorted = (xs: number[]) => xs.slice().sort((a, b) => a - b);
  const q = (xs: number[], p: number) => (xs.length ? Math.round(quantile(sorted(xs), p)) : NaN);
  const all = (k: "emissionMs" | "firstPartialMs" | "finalizationMs") =>
    figures.flatMap((f) => f[k]);
  const wer = corpusWer(figures.map((f, i) => ({ ref: refTexts[i], hyp: f.text }))).wer;
  return {
    streams: figures.length,
    wer: Math.round(wer * 10_000) / 100,
    emissionP50Ms: q(all("emissionMs"), 0.5),
    emissionP90Ms: q(all("emissionMs"), 0.9),
    matchedWords: all("emissionMs").length,
    refWords: figures.reduce((n, f) => n + f.refWords, 0),
    firstPartialP50Ms: q(all("firstPartialMs"), 0.5),
    firstPartialP90Ms: q(all("firstPartialMs"), 0.9),
    firstPartialMissed: figures.reduce((n, f) => n + f.firstPartialMissed, 0),
    finalizationP50Ms: q(all("finalizationMs"), 0.5),
    finalizationP90Ms: q(all("finalizationMs"), 0.9),
    finalizationMissed: figures.reduce((n, f) => n + f.finalizationMissed, 0),
    maxLagMs: Math.max(0, ...figures.map((f) => f.maxLagMs)),
    meanRtf: Math.round(figures.reduce((n, f) => n + f.rtf, 0) / (figures.length || 1) * 1000) /
      1000,
    commitsMatchFinals: figures.every((f) => f.commitsMatchFinals),
    takenBackPct: Math.round(
      (10_000 * figures.reduce((n, f) => n + f.takenBackWords, 0)) /
        (figures.reduce((n, f) => n + f.committedWords, 0) || 1),
    ) / 100,
  };
}
