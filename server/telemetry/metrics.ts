/**
 * The service's Prometheus metrics (`GET /metrics`, text format 0.0.4, via `prom-client`):
 * sessions, the inference queue, decode and wait time histograms, word-emission latency, RTF,
 * dropped jobs, model load times and errors by kind. Fed by the transcript events of every
 * session, the scheduler's job reports and the registry's session counts.
 *
 * @module
 */

import type { MediaCounters } from "../session/live_session.ts";
import client from "prom-client";
import type { TranscriptEvent } from "../../protocol/events.ts";
import type { JobReport, SchedulerStats } from "../engine/scheduler.ts";
import type { ModelStatus } from "../engine/model_registry.ts";
import { stageTotals } from "../../util/stage_cost.ts";

/** Where the collectors read the server's state at scrape time. */
export interface MetricsSources {
  sessions: () => number;
  capacity: () => number;
  /** Sessions whose client has not connected yet (default: none counted). */
  pending?: () => number;
  scheduler: () => SchedulerStats | null;
  models: () => ModelStatus[];
}

/** A session's media-track packet counts (`LiveSession.counters.media`). */
export type MediaPacketCounts = MediaCounters;

const LATENCY_BUCKETS_S = [0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 6, 8, 12, 20];
const DECODE_BUCKETS_S = [0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10];

/** The metrics of one server; see the module doc. */
export class ServiceMetrics {
  readonly registry: client.Registry = new client.Registry();
  readonly #sessionsTotal: client.Counter<"reason">;
  readonly #errors: client.Counter<"kind">;
  readonly #emission: client.Histogram<string>;
  readonly #decode: client.Histogram<"kind">;
  readonly #wait: client.Histogram<"kind">;
  readonly #dropped: client.Counter<"reason">;
  readonly #rtf: client.Histogram<string>;
  readonly #finals: client.Counter<string>;
  readonly #refused: client.Counter<"reason">;
  readonly #packets: client.Counter<"outcome">;
  readonly #repaired: client.Counter<"by">;

  constructor(sources: MetricsSources) {
    const r = [this.registry];
    new client.Gauge({
      name: "hum_sessions",
      help: "Sessions open now.",
      registers: r,
      collect() {
        this.set(sources.sessions());
      },
    });
    new client.Gauge({
      name: "hum_sessions_pending",
      help: "Sessions whose client has not connected yet (ICE, DTLS), offers being answered " +
        "included.",
      registers: r,
      collect() {
        this.set(sources.pending?.() ?? 0);
      },
    });
    new client.Gauge({
      name: "hum_sessions_capacity",
      help: "Sessions this server admits at once.",
      registers: r,
      collect() {
        this.set(sources.capacity());
      },
    });
    this.#sessionsTotal = new client.Counter({
      name: "hum_sessions_ended_total",
      help: "Sessions ended, by why (the ended message's reason: end, deleted, disconnected, " +
        "timeout, max_duration, shutdown, error, connect_timeout, ice_failed, dtls_failed).",
      labelNames: ["reason"],
      registers: r,
    });
    this.#refused = new client.Counter({
      name: "hum_sessions_refused_total",
      help: "Session requests refused (503 by admission, 429 per key or client), by reason.",
      labelNames: ["reason"],
      registers: r,
    });
    const sched = (pick: (s: SchedulerStats) => number) =>
      function (this: client.Gauge) {
        const s = sources.scheduler();
        this.set(s ? pick(s) : 0);
      };
    new client.Gauge({
      name: "hum_inference_queue_depth",
      help: "Decode jobs waiting for an inference slot.",
      registers: r,
      collect: sched((s) => s.queued),
    });
    new client.Gauge({
      name: "hum_inference_running",
      help: "Decode jobs running now.",
      registers: r,
      collect: sched((s) => s.running),
    });
    new client.Gauge({
      name: "hum_inference_slots",
      help: "Decode jobs the scheduler runs at once.",
      registers: r,
      collect: sched((s) => s.slots),
    });
    new client.Gauge({
      name: "hum_inference_degrade_level",
      help: "0 normal; 1 fewer rolling decodes; 2 also greedy decodes and smaller models.",
      registers: r,
      collect: sched((s) => s.degradeLevel),
    });
    this.#decode = new client.Histogram({
      name: "hum_inference_seconds",
      help: "Time a decode job held its slot, by kind (rolling hypothesis or closing decode).",
      labelNames: ["kind"],
      buckets: DECODE_BUCKETS_S,
      registers: r,
    });
    this.#wait = new client.Histogram({
      name: "hum_inference_wait_seconds",
      help: "Time a decode job waited for a slot, by kind.",
      labelNames: ["kind"],
      buckets: DECODE_BUCKETS_S,
      registers: r,
    });
    this.#dropped = new client.Counter({
      name: "hum_inference_dropped_total",
      help: "Decode jobs not run: replaced by a newer buffer, or past their deadline.",
      labelNames: ["reason"],
      registers: r,
    });
    this.#emission = new client.Histogram({
      name: "hum_word_emission_seconds",
      help: "From a word's end in the audio to its commit event, on the session's clock.",
      buckets: LATENCY_BUCKETS_S,
      registers: r,
    });
    this.#rtf = new client.Histogram({
      name: "hum_session_rtf",
      help: "Compute time per audio time of sessions, at each stats event.",
      buckets: [0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2],
      registers: r,
    });
    this.#finals = new client.Counter({
      name: "hum_final_segments_total",
      help: "Final segments emitted.",
      registers: r,
    });
    this.#errors = new client.Counter({
      name: "hum_errors_total",
      help: "Errors by kind (the error event's code, or the HTTP refusal).",
      labelNames: ["kind"],
      registers: r,
    });
    new client.Gauge({
      name: "hum_model_load_seconds",
      help: "Seconds each model took to load.",
      labelNames: ["model"],
      registers: r,
      collect() {
        this.reset();
        for (const m of sources.models()) {
          if (m.state === "ready" && m.loaded_in_s !== undefined) {
            this.set({ model: m.name }, m.loaded_in_s);
          }
        }
      },
    });
    this.#packets = new client.Counter({
      name: "hum_media_packets_total",
      help: "RTP audio packets of ended sessions: received, and of them reordered (put back in " +
        "order), late (dropped: their place was given up), duplicate and mismatched (the payload " +
        "claimed more time than the RTP timestamps gave it: cut to them); and lost (never received).",
      labelNames: ["outcome"],
      registers: r,
    });
    this.#repaired = new client.Counter({
      name: "hum_media_repaired_seconds_total",
      help:
        "Audio of lost RTP packets in ended sessions, made up by Opus in-band FEC or concealment.",
      labelNames: ["by"],
      registers: r,
    });
    new client.Counter({
      name: "hum_stage_seconds_total",
      help: "Time in each stage of the audio's path since the server started, every session: " +
        "the event loop's own work (jitter, opus_decode, frames, mel, events_out) and the wall " +
        "time of the native calls that run off it (vad, whisper).",
      labelNames: ["stage"],
      registers: r,
      collect() {
        this.reset();
        for (const t of stageTotals()) this.inc({ stage: t.stage }, t.ms / 1000);
      },
    });
    new client.Counter({
      name: "hum_stage_calls_total",
      help: "Calls of each stage of the audio's path since the server started (see " +
        "hum_stage_seconds_total).",
      labelNames: ["stage"],
      registers: r,
      collect() {
        this.reset();
        for (const t of stageTotals()) this.inc({ stage: t.stage }, t.calls);
      },
    });
    new client.Gauge({
      name: "hum_model_failed",
      help: "1 when a model failed to load (its error is in /v1/status), else 0.",
      labelNames: ["model"],
      registers: r,
      collect() {
        this.reset();
        for (const m of sources.models()) this.set({ model: m.name }, m.state === "failed" ? 1 : 0);
      },
    });
    new client.Gauge({
      name: "hum_model_ready",
      help: "1 when a model is loaded and serving, 0 while queued, loading or failed.",
      labelNames: ["model"],
      registers: r,
      collect() {
        this.reset();
        for (const m of sources.models()) this.set({ model: m.name }, m.state === "ready" ? 1 : 0);
      },
    });
  }

  /** Counts what one session event tells (commits' word latencies, finals, errors, RTF). */
  observeEvent(e: TranscriptEvent): void {
    switch (e.type) {
      case "commit":
        for (const w of e.words) this.#emission.observe(Math.max(0, e.emittedMs - w.endMs) / 1000);
        break;
      case "final":
        this.#finals.inc();
        break;
      case "stats":
        if (e.audioMs > 0) this.#rtf.observe(e.rtf);
        break;
      case "error":
        this.#errors.inc({ kind: e.code });
        break;
    }
  }

  /** Counts a decode job (wire it to the scheduler's `onJob`). */
  observeJob(job: JobReport): void {
    if (job.dropped) {
      this.#dropped.inc({ reason: job.dropped });
      return;
    }
    this.#wait.observe({ kind: job.kind }, job.waitedMs / 1000);
    if (job.ranMs !== undefined) this.#decode.observe({ kind: job.kind }, job.ranMs / 1000);
  }

  /** Counts an ended session's media-track packets (its `counters.media`). */
  observeMedia(m: MediaPacketCounts): void {
    if (!m.packets && !m.lost) return;
    this.#packets.inc({ outcome: "received" }, m.packets);
    this.#packets.inc({ outcome: "lost" }, m.lost);
    this.#packets.inc({ outcome: "reordered" }, m.reordered);
    this.#packets.inc({ outcome: "late" }, m.late);
    this.#packets.inc({ outcome: "duplicate" }, m.duplicates);
    this.#packets.inc({ outcome: "mismatched" }, m.mismatched);
    this.#repaired.inc({ by: "fec" }, m.fecMs / 1000);
    this.#repaired.inc({ by: "concealment" }, m.concealedMs / 1000);
  }

  /** Counts a session that ended, by why. */
  sessionEnded(reason: string): void {
    this.#sessionsTotal.inc({ reason });
  }

  /** Counts a refused session request. */
  refused(reason: string): void {
    this.#refused.inc({ reason });
    this.#errors.inc({ kind: `refused_${reason}` });
  }

  /** The exposition text for `GET /metrics`. */
  async text(): Promise<string> {
    return await this.registry.metrics();
  }

  /** The exposition's content type. */
  get contentType(): string {
    return this.registry.contentType;
  }
}
