/**
 * The metrics of one trial (a SUT over a workload's items) and their directions: corpus WER and
 * CER after Whisper's English normaliser, RTFx, CPU, peak memory and GPU memory, and for streaming SUTs the
 * latencies against forced alignments (word emission p50/p90/p99, first partial, finalization),
 * lag and partial churn.
 *
 * @module
 */

import type { TranscriptEvent } from "../../protocol/events.ts";
import { corpusCer, corpusWer } from "../metrics/wer.ts";
import { streamFigures, takenBack } from "../metrics/stream_latency.ts";
import { quantile, readAlignment } from "../metrics/word_timing.ts";
import type { WorkloadItem } from "../workloads/dataset.ts";
import type { SutOutput } from "../suts/sut.ts";

/** Which way is better, per metric (the baseline comparison's directions). */
export const METRIC_DIRECTIONS: Record<string, "lower" | "higher"> = {
  wer_pct: "lower",
  cer_pct: "lower",
  rtfx: "higher",
  cpu_s: "lower",
  peak_rss_mb: "lower",
  gpu_peak_mb: "lower",
  emission_p50_ms: "lower",
  emission_p90_ms: "lower",
  emission_p99_ms: "lower",
  first_partial_p50_ms: "lower",
  finalization_p50_ms: "lower",
  max_lag_ms: "lower",
  partial_churn: "lower",
  commits_taken_back_pct: "lower",
  words_on_silence: "lower",
  media_lost_pct: "lower",
};

/** Tolerances used when a definition names none for a metric. */
export const DEFAULT_TOLERANCES: Record<string, number | string> = {
  wer_pct: 0.5,
  cer_pct: 0.5,
  rtfx: "10%",
  cpu_s: "15%",
  peak_rss_mb: "10%",
  gpu_peak_mb: "10%",
  emission_p50_ms: "15%",
  emission_p90_ms: "15%",
  emission_p99_ms: "25%",
  first_partial_p50_ms: "15%",
  finalization_p50_ms: "15%",
  max_lag_ms: "25%",
  partial_churn: "25%",
  commits_taken_back_pct: 1,
  media_lost_pct: 0.5,
};

/**
 * The least change of a metric that counts, whatever the relative tolerance: below these a
 * difference is timer and scheduler noise (a 10 ms CPU difference on a 10 s silence).
 */
export const NOISE_FLOORS: Record<string, number> = {
  cpu_s: 0.5,
  peak_rss_mb: 25,
  gpu_peak_mb: 50,
  emission_p50_ms: 100,
  emission_p90_ms: 100,
  emission_p99_ms: 150,
  first_partial_p50_ms: 100,
  finalization_p50_ms: 100,
  max_lag_ms: 250,
  partial_churn: 0.05,
};

/** Cells that took less than this, seconds, are too short to time (RTFx, CPU not compared). */
export const MIN_TIMED_WALL_S = 1;

/** One item's outcome in a trial. */
export interface ItemOutcome {
  item: WorkloadItem;
  text: string;
  wallS: number;
  events?: TranscriptEvent[];
  /** What the service received on a media track in this session (its `ended` message). */
  media?: SutOutput["media"];
}

/** A trial's metrics (numbers only; absent when they do not apply). */
export type Metrics = Record<string, number>;

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/**
 * How much shown text was taken back, per character of final text: a segment's shown text is its
 * committed words and the partial after them; each update counts the characters of the old shown
 * text that the new one does not keep, and the final replaces it once more.
 */
export function partialChurn(events: readonly TranscriptEvent[]): number {
  const shown = new Map<number, { committed: string; partial: string }>();
  let rewritten = 0;
  let finalChars = 0;
  const text = (s: { committed: string; partial: string }) =>
    [s.committed, s.partial].filter(Boolean).join(" ");
  const update = (id: number, next: { committed: string; partial: string }) => {
    const before = text(shown.get(id) ?? { committed: "", partial: "" });
    const after = text(next);
    let k = 0;
    while (k < before.length && k < after.length && before[k] === after[k]) k++;
    rewritten += before.length - k;
    shown.set(id, next);
  };
  for (const e of events) {
    if (e.type === "partial") {
      update(e.segmentId, { committed: shown.get(e.segmentId)?.committed ?? "", partial: e.text });
    } else if (e.type === "commit") {
      const s = shown.get(e.segmentId) ?? { committed: "", partial: "" };
      const words = e.words.map((w) => w.word).join(" ");
      // Committed words come out of the partial: what is left of it is still shown.
      const rest = s.partial.startsWith(words) ? s.partial.slice(words.length).trim() : "";
      update(e.segmentId, {
        committed: [s.committed, words].filter(Boolean).join(" "),
        partial: rest,
      });
    } else if (e.type === "final") {
      update(e.segmentId, { committed: e.text, partial: "" });
      finalChars += e.text.length;
    }
  }
  return finalChars ? rewritten / finalChars : 0;
}

/** Raw values behind a trial's percentiles (for the report's distributions). */
export type Distributions = Record<string, number[]>;

/**
 * The metrics of one trial; `distributions` receives the raw values behind the percentiles
 * (word-emission latencies, ms, sorted).
 */
export function trialMetrics(
  outcomes: readonly ItemOutcome[],
  usage: { cpuS: number; peakRssMb: number; gpuPeakMb?: number },
  gapMs = 1000,
  distributions: Distributions = {},
): Metrics {
  const pairs = outcomes.map((o) => ({ ref: o.item.reference, hyp: o.text }));
  const audioS = outcomes.reduce((n, o) => n + (o.item.durationS ?? 0), 0);
  const wallS = outcomes.reduce((n, o) => n + o.wallS, 0);
  const wer = corpusWer(pairs);
  const m: Metrics = {
    items: outcomes.length,
    ref_words: wer.refWords,
    audio_s: round(audioS),
    wall_s: round(wallS, 3),
    hyp_words: wer.hypWords,
    // On a workload without speech every word put out is a hallucination.
    ...(wer.refWords
      ? { wer_pct: round(wer.wer * 100), cer_pct: round(corpusCer(pairs).cer * 100) }
      : { words_on_silence: wer.hypWords }),
    rtfx: round(wallS > 0 ? audioS / wallS : 0),
    cpu_s: round(usage.cpuS),
    peak_rss_mb: round(usage.peakRssMb, 1),
    // Device-wide GPU memory above its level before the SUT loaded, when there is a GPU.
    ...(usage.gpuPeakMb === undefined ? {} : { gpu_peak_mb: round(usage.gpuPeakMb) }),
  };
  // Media SUTs: the share of RTP packets the service never received. Loss on the loopback means
  // the figures measured a network or a held-up sender as well as the service.
  const media = outcomes.flatMap((o) => o.media ? [o.media] : []);
  if (media.length) {
    const lost = media.reduce((n, x) => n + x.lost, 0);
    const all = media.reduce((n, x) => n + x.packets + x.lost, 0);
    m.media_lost_pct = round(all ? (100 * lost) / all : 0, 2);
  }
  const streams = outcomes.filter((o) => o.events);
  if (!streams.length) return m;
  const emission: number[] = [];
  const firstPartial: number[] = [];
  const finalization: number[] = [];
  let maxLag = 0;
  let committed = 0;
  let back = 0;
  for (const o of streams) {
    const events = o.events!;
    for (const e of events) if (e.type === "stats") maxLag = Math.max(maxLag, e.lagMs);
    const churn = takenBack(events);
    committed += churn.committed;
    back += churn.takenBack;
    if (!o.item.alignPath) continue;
    const f = streamFigures(events, readAlignment(o.item.alignPath), gapMs);
    emission.push(...f.emissionMs);
    firstPartial.push(...f.firstPartialMs);
    finalization.push(...f.finalizationMs);
  }
  const q = (xs: number[], p: number) => Math.round(quantile(xs.slice().sort((a, b) => a - b), p));
  if (emission.length) {
    distributions.emission_ms = emission.map(Math.round).sort((a, b) => a - b);
    m.emission_p50_ms = q(emission, 0.5);
    m.emission_p90_ms = q(emission, 0.9);
    m.emission_p99_ms = q(emission, 0.99);
    m.emitted_words = emission.length;
  }
  if (firstPartial.length) m.first_partial_p50_ms = q(firstPartial, 0.5);
  if (finalization.length) m.finalization_p50_ms = q(finalization, 0.5);
  m.max_lag_ms = maxLag;
  m.partial_churn = round(
    streams.reduce((n, o) => n + partialChurn(o.events!), 0) / streams.length,
    3,
  );
  if (committed) m.commits_taken_back_pct = round((100 * back) / committed, 2);
  return m;
}

/** The median of each metric over trials (the cell's figure). */
export function medianMetrics(trials: readonly Metrics[]): Metrics {
  const keys = new Set(trials.flatMap((t) => Object.keys(t)));
  const out: Metrics = {};
  for (const k of keys) {
    const xs = trials.map((t) => t[k]).filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
    if (!xs.length) continue;
    const mid = Math.floor(xs.length / 2);
    out[k] = xs.length % 2 ? xs[mid] : round((xs[mid - 1] + xs[mid]) / 2, 3);
  }
  return out;
}
