/**
 * A load test: N command-line WebRTC clients at once against one server, each streaming a real
 * recording in real time, session after session, for a duration. Reports word-emission latency
 * (client clock, against the recording's forced alignment when it has one, else against the
 * server's own word times), lost segments (a segment with text but no final event), errors, and
 * the server's memory.
 *
 * @module
 */

import {
  type ClientRun,
  GENERATOR_BUSY_PCT,
  type GeneratorLoad,
  runClients,
  runWorker,
} from "./generator.ts";
import { type ProfileSummary, summarize } from "./profile.ts";
import { parseEvent, type TranscriptEvent } from "../../protocol/events.ts";
import { streamFigures } from "../metrics/stream_latency.ts";
import { quantile, readAlignment, type TimedToken } from "../metrics/word_timing.ts";
import { corpusWer } from "../metrics/wer.ts";
import type { ServerProcess } from "./server_process.ts";

/** One load level. */
export interface LoadOptions {
  url: string;
  sessions: number;
  /** Each client starts sessions until this many seconds have passed (at least one each). */
  durationS: number;
  file: string;
  transport?: "media" | "audio" | "mel" | "ws";
  mode?: "latency" | "balanced" | "accuracy";
  /** Reference transcript, for WER. */
  reference?: string;
  /** Forced alignment of `file` (`*.align.json`), for emission latency. */
  alignPath?: string;
  /** When the server runs as a process of ours, its memory is sampled. */
  server?: ServerProcess;
  /** Clients start spread over this many ms, so they do not decode in lockstep (default 1000). */
  spreadMs?: number;
  /**
   * A file uploaded to `POST /v1/audio/transcriptions` back to back while the live sessions run
   * (one upload at a time): how much uploads cost live sessions, and how fast they go beside them.
   */
  uploadFile?: string;
  /**
   * After the last client is done, wait this long with the server idle and read its memory again
   * (`server_rss_settled_mb`): whether a burst's memory comes back. Default 0: not measured.
   */
  settleS?: number;
  /**
   * Clients per worker process of the load generator (0: every client in this process, the
   * default). See `generator.ts`.
   */
  perWorker?: number;
}

/** What one load level measured. */
export interface LoadReport {
  sessions: number;
  /** Sessions run in all (clients × rounds). */
  runs: number;
  /** Words whose emission was measured. */
  words: number;
  emission_p50_ms: number | null;
  emission_p90_ms: number | null;
  emission_p99_ms: number | null;
  /** Against the alignment (`reference`) or the server's own word times (`server`). */
  latency_basis: "alignment" | "server";
  /** Segments with text but no final event. */
  lost_segments: number;
  /** What the first lost segments looked like (at most 10), with the client that lost each. */
  lost_samples?: (LostSegment & { client: number })[];
  finals: number;
  errors: string[];
  wer_pct?: number;
  server_peak_rss_mb?: number;
  server_rss_start_mb?: number;
  /** The server's RSS `settleS` after the load ended, MB. */
  server_rss_settled_mb?: number;
  /** When it was read, s after the load ended. */
  settled_after_s?: number;
  /** The server's inference queue at the end (`/v1/status` `queue`: waits, drops, degrade level). */
  server_queue?: Record<string, unknown>;
  /** Uploads finished during the level (with `uploadFile`), and their median wall time, s. */
  uploads?: number;
  upload_median_s?: number;
  /** Upload failures (status and message). */
  upload_errors?: string[];
  /**
   * The load generator: its processes, and how busy each one's main (JS) thread and whole
   * process were over the level, % of one core.
   */
  generator: {
    processes: number;
    max_thread_cpu_pct: number;
    thread_cpu_pct: number[];
    process_cpu_pct: number[];
  };
  /**
   * A generator thread passed `GENERATOR_BUSY_PCT` of a core: the level may have measured the
   * generator; {@linkcode sustained} takes no capacity figure from it.
   */
  generator_busy?: boolean;
  /**
   * Seconds the server spent in each stage of the audio's path during the level (its
   * `hum_stage_seconds_total` before and after; see `util/stage_cost.ts`).
   */
  server_stages_s?: Record<string, number>;
  /** Where the server's JS thread spent the level (a server profiled from its start). */
  server_profile?: ProfileSummary;
}

/** Posts `file` to the upload endpoint until `endAt`; wall times and failures. */
async function uploadLoop(
  url: string,
  file: string,
  endAt: number,
): Promise<{ times: number[]; errors: string[] }> {
  const bytes = await Deno.readFile(file);
  const times: number[] = [];
  const errors: string[] = [];
  while (performance.now() < endAt) {
    const form = new FormData();
    form.append("file", new Blob([bytes]), file.split("/").pop()!);
    const t0 = performance.now();
    const res = await fetch(`${url}/v1/audio/transcriptions`, { method: "POST", body: form });
    const body = await res.text();
    if (res.ok) times.push((performance.now() - t0) / 1000);
    else errors.push(`${res.status}: ${body.slice(0, 200)}`);
  }
  return { times, errors };
}

/** Runs one load level; see the module doc. */
export async function runLoad(opts: LoadOptions): Promise<LoadReport> {
  const align: TimedToken[] | null = opts.alignPath ? readAlignment(opts.alignPath) : null;
  const spread = opts.spreadMs ?? 1000;
  const errors: string[] = [];
  const latencies: number[] = [];
  const texts: string[] = [];
  let runs = 0;
  let lost = 0;
  const lostSamples: NonNullable<LoadReport["lost_samples"]> = [];
  let finals = 0;
  let peakRss = 0;
  const rssStart = opts.server ? (await opts.server.memory()).rssMb : undefined;
  const stagesBefore = await stageSeconds(opts.url);
  // A server profiled from its start: this level's part of the profile begins now.
  const profiling = opts.server?.profiling ?? null;
  const profileFromMs = profiling?.elapsedMs() ?? 0;
  const poll = opts.server
    ? setInterval(async () => {
      try {
        peakRss = Math.max(peakRss, (await opts.server!.memory()).rssMb);
      } catch {
        // The server is busy or gone; the errors show elsewhere.
      }
    }, 1000)
    : undefined;
  const endAt = performance.now() + opts.durationS * 1000;
  const onRun = (r: ClientRun) => {
    const k = r.client;
    runs++;
    if (r.error) errors.push(`client ${k}: ${r.error}`);
    const events: TranscriptEvent[] = [];
    for (const m of r.messages) {
      if (typeof m.seq !== "number") continue;
      try {
        events.push(parseEvent(JSON.stringify(m)));
      } catch (err) {
        errors.push(`client ${k}: ${(err as Error).message}`);
      }
    }
    for (const e of events) {
      if (e.type === "error") errors.push(`client ${k}: ${e.code}: ${e.message}`);
    }
    const lostHere = lostSegmentDetails(events);
    lost += lostHere.length;
    for (const seg of lostHere) {
      if (lostSamples.length < 10) lostSamples.push({ client: k, ...seg });
    }
    finals += events.filter((e) => e.type === "final").length;
    texts.push(events.flatMap((e) => (e.type === "final" ? [e.text] : [])).join(" "));
    if (align) latencies.push(...streamFigures(events, align, 1000).emissionMs);
    else {
      for (const e of events) {
        if (e.type === "commit") {
          for (const w of e.words) latencies.push(e.emittedMs - w.endMs);
        }
      }
    }
  };
  // The clients, `perWorker` to a worker process (0: all in this one).
  const spec = {
    url: opts.url,
    file: opts.file,
    transport: opts.transport ?? "media",
    mode: opts.mode ?? "latency",
    sessions: opts.sessions,
    spreadMs: spread,
    endAtMs: Date.now() + opts.durationS * 1000,
  };
  const perWorker = opts.perWorker ?? 0;
  const workers = perWorker > 0 ? Math.ceil(opts.sessions / perWorker) : 0;
  const clients = Array.from({ length: opts.sessions }, (_, k) => k);
  // Client k goes to worker k mod workers, so each worker's clients start spread over the level.
  const generating = workers
    ? Promise.all(
      Array.from(
        { length: workers },
        (_, w) => runWorker({ ...spec, clients: clients.filter((k) => k % workers === w) }, onRun),
      ),
    )
    : runClients({ ...spec, clients }, onRun).then((l) => [l]);
  const uploads = opts.uploadFile ? uploadLoop(opts.url, opts.uploadFile, endAt) : null;
  let generator: GeneratorLoad[] = [];
  try {
    generator = await generating;
  } finally {
    clearInterval(poll);
  }
  const up = await uploads;
  const profile = profiling ? summarize(await profiling.stop(), profileFromMs) : undefined;
  const stagesAfter = await stageSeconds(opts.url);
  const sorted = latencies.slice().sort((a, b) => a - b);
  const q = (p: number) => (sorted.length ? Math.round(quantile(sorted, p)) : null);
  const report: LoadReport = {
    sessions: opts.sessions,
    runs,
    words: sorted.length,
    emission_p50_ms: q(0.5),
    emission_p90_ms: q(0.9),
    emission_p99_ms: q(0.99),
    latency_basis: align ? "alignment" : "server",
    lost_segments: lost,
    ...(lostSamples.length ? { lost_samples: lostSamples } : {}),
    finals,
    errors,
    generator: {
      processes: generator.length,
      max_thread_cpu_pct: Math.max(...generator.map((g) => g.threadCpuPct)),
      thread_cpu_pct: generator.map((g) => g.threadCpuPct),
      process_cpu_pct: generator.map((g) => g.processCpuPct),
    },
  };
  if (report.generator.max_thread_cpu_pct > GENERATOR_BUSY_PCT) report.generator_busy = true;
  if (stagesBefore && stagesAfter) {
    report.server_stages_s = Object.fromEntries(
      Object.entries(stagesAfter).map(([k, v]) => [k, round3(v - (stagesBefore[k] ?? 0))]),
    );
  }
  if (profile) report.server_profile = profile;
  if (up) {
    report.uploads = up.times.length;
    const t = up.times.slice().sort((a, b) => a - b);
    if (t.length) report.upload_median_s = Math.round(quantile(t, 0.5) * 100) / 100;
    report.upload_errors = up.errors;
  }
  if (opts.reference !== undefined) {
    const wer = corpusWer(texts.map((hyp) => ({ ref: opts.reference!, hyp }))).wer;
    report.wer_pct = Math.round(wer * 10000) / 100;
  }
  if (opts.server) {
    const m = await opts.server.memory();
    report.server_peak_rss_mb = Math.max(peakRss, m.rssMb);
    report.server_rss_start_mb = rssStart;
    report.server_queue = (await opts.server.status()).queue as Record<string, unknown>;
    if (opts.settleS) {
      await new Promise((r) => setTimeout(r, opts.settleS! * 1000));
      report.server_rss_settled_mb = (await opts.server.memory()).rssMb;
      report.settled_after_s = opts.settleS;
    }
  }
  return report;
}

/** The server's `hum_stage_seconds_total` by stage; null when `/metrics` does not answer. */
export async function stageSeconds(url: string): Promise<Record<string, number> | null> {
  try {
    const res = await fetch(`${url}/metrics`);
    if (!res.ok) return (await res.body?.cancel(), null);
    const out: Record<string, number> = {};
    for (
      const m of (await res.text()).matchAll(/^hum_stage_seconds_total\{stage="([^"]+)"\} (\S+)$/gm)
    ) {
      out[m[1]] = Number(m[2]);
    }
    return out;
  } catch {
    return null;
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/**
 * The file beside `file` with extension `ext` in place of its own (`.txt`: the reference
 * transcript, `.align.json`: the forced alignment), if there is one.
 */
export function siblingFile(file: string, ext: string): string | undefined {
  const path = file.replace(/\.[^./]+$/, ext);
  try {
    return Deno.statSync(path).isFile ? path : undefined;
  } catch {
    return undefined;
  }
}

/** What a lost segment looked like to its client: enough to tell why it got no final. */
export interface LostSegment {
  segmentId: number;
  /** Partials with text it had, and the last one's text and audio time. */
  partials: number;
  lastPartial: string;
  lastPartialMs: number;
  /** Words committed to it (a commit without a final is lost too). */
  committed: number;
  /** The session's last stats note (decodes, retries, decodes not run) and degrade level. */
  lastStats: string;
  /** The types of the session's next events after the segment's last one, in order. */
  after: string[];
}

/** The segments of a session that showed text but never got a final, as the client saw them. */
export function lostSegmentDetails(events: readonly TranscriptEvent[]): LostSegment[] {
  const finalized = new Set<number>();
  for (const e of events) if (e.type === "final") finalized.add(e.segmentId);
  const lost = new Map<number, LostSegment & { lastIndex: number }>();
  events.forEach((e, i) => {
    if (e.type !== "partial" && e.type !== "commit") return;
    if (finalized.has(e.segmentId) || (e.type === "partial" && !e.text.trim())) return;
    const seg = lost.get(e.segmentId) ?? {
      segmentId: e.segmentId,
      partials: 0,
      lastPartial: "",
      lastPartialMs: 0,
      committed: 0,
      lastStats: "",
      after: [],
      lastIndex: i,
    };
    if (e.type === "partial") {
      seg.partials++;
      seg.lastPartial = e.text.slice(0, 200);
      seg.lastPartialMs = e.audioMs;
    } else seg.committed += e.words.length;
    seg.lastIndex = i;
    lost.set(e.segmentId, seg);
  });
  const stats = events.filter((e) => e.type === "stats").at(-1);
  return [...lost.values()].map(({ lastIndex, ...seg }) => ({
    ...seg,
    lastStats: stats && stats.type === "stats"
      ? `${stats.note ?? ""}${stats.degraded ? ` (degraded ${stats.degraded})` : ""}`.trim()
      : "",
    after: events.slice(lastIndex + 1, lastIndex + 9).map((e) =>
      "segmentId" in e ? `${e.type} ${e.segmentId}` : e.type
    ),
  }));
}

/** Segments of a session that showed text (a partial or a commit) but never got a final. */
export function lostSegments(events: readonly TranscriptEvent[]): number {
  return lostSegmentDetails(events).length;
}

/**
 * The largest session count whose p90 emission latency is within `boundMs` with no segment lost
 * (0 if none), levels taken in order up to the first that fails; a level whose load generator was
 * busy (`generator_busy`) ends the count too: it gives no capacity figure.
 */
export function sustained(reports: readonly LoadReport[], boundMs: number): number {
  let best = 0;
  for (const r of [...reports].sort((a, b) => a.sessions - b.sessions)) {
    if (
      r.emission_p90_ms === null || r.emission_p90_ms > boundMs || r.lost_segments > 0 ||
      r.generator_busy
    ) break;
    best = r.sessions;
  }
  return best;
}
