/**
 * Runs a soak definition: for each variant (`with_hostile`, `without_hostile`), a fresh server
 * process, the honest load (`runLoad`: N real-time WebRTC clients streaming the file session after
 * session for the duration), the server's RSS sampled every `rss_interval_s`, and in
 * `with_hostile` the hostile clients running beside the honest load until it ends. The results
 * are a results file (`results_version: 1`, provenance, no cells) with a `soak` section.
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import type { SoakDef, SoakDefinition } from "../definition.ts";
import { runLoad, siblingFile } from "../loadtest/load.ts";
import { type ServerProcess, startServerProcess } from "../loadtest/server_process.ts";
import { collectProvenance, type Provenance, resultsHead } from "../harness/provenance.ts";
import { ensureWhisperBuild } from "../../ffi/whisper/build.ts";
import { decodeAudioFile } from "../../decode/audio_file.ts";
import { DEFAULT_VAD_MODEL, resolveModel } from "../../server/models/resolve.ts";
import { SAMPLE_RATE_HZ } from "../../protocol/audio.ts";
import {
  honestFigures,
  p90Ratio,
  rssFigures,
  type RssSample,
  type VariantResult,
} from "./figures.ts";
import { runHostile } from "./hostile.ts";
import type { HostileReport } from "./tally.ts";

/** A soak's results file. */
export interface SoakResults {
  results_version: 1;
  benchmark: string;
  run_id: string;
  description?: string;
  provenance: Provenance;
  tolerances: Record<string, never>;
  /** Empty: a soak has no matrix (kept so results readers take the file). */
  cells: [];
  soak: {
    duration_s: number;
    honest: SoakDef["honest"];
    server: SoakDef["server"];
    hostile: SoakDef["hostile"];
    variants: VariantResult[];
    /** Honest p90 emission latency with hostile clients over without (null unless both ran). */
    p90_ratio_with_over_without: number | null;
  };
}

/** Options of {@linkcode runSoak}. */
export interface SoakRunOptions {
  definitionPath: string;
  definitionText: string;
  /** Progress lines (a variant starting, RSS every minute, a variant done). */
  log?: (line: string) => void;
}

/** The server's resident memory, MB: from /proc where there is one, else its `/v1/status`. */
async function rssMb(server: ServerProcess): Promise<number> {
  try {
    const m = Deno.readTextFileSync(`/proc/${server.pid}/status`).match(/^VmRSS:\s+(\d+) kB/m);
    if (m) return Number(m[1]) / 1024;
  } catch {
    // Not Linux, or the process is gone: ask it.
  }
  return (await server.memory()).rssMb;
}

/** Decoding states the server holds (used and idle, every model) by its status; null: unknown. */
export function statesHeld(status: Record<string, unknown>): number | null {
  const models = status.models;
  if (!Array.isArray(models)) return null;
  let n = 0;
  for (const m of models) {
    const st = (m as { states?: { used?: unknown; idle?: unknown } }).states;
    if (!st || typeof st.used !== "number" || typeof st.idle !== "number") continue;
    n += st.used + st.idle;
  }
  return n;
}

/** MB the server's JavaScript engine holds (heap used + external) by its status; null: unknown. */
export function jsMb(status: Record<string, unknown>): number | null {
  const p = status.process as { heap_used_mb?: unknown; external_mb?: unknown } | undefined;
  return typeof p?.heap_used_mb === "number" && typeof p.external_mb === "number"
    ? p.heap_used_mb + p.external_mb
    : null;
}

/** Runs one variant on a fresh server process. */
async function runVariant(
  soak: SoakDef,
  variant: "with_hostile" | "without_hostile",
  file: string,
  log: (line: string) => void,
): Promise<VariantResult> {
  const result: VariantResult = {
    variant,
    wall_s: 0,
    honest: null,
    rss: rssFigures([], soak.rss_interval_s),
    server_sessions: { max: null, at_load_end: null },
    server_alive_at_end: false,
    hostile: {},
  };
  const sessions = result.server_sessions;
  let server: ServerProcess;
  try {
    server = await startServerProcess({
      model: soak.server.model,
      maxSessions: soak.server.max_sessions,
      args: soak.server.args,
    });
  } catch (err) {
    result.error = `the server did not start: ${(err as Error).message}`;
    return result;
  }
  const samples: RssSample[] = [];
  const t0 = performance.now();
  let lastLog = 0;
  /** When the load ended (its last sample), s; later samples are the settled server's. */
  let loadEndS = Infinity;
  const sample = async () => {
    try {
      const mb = await rssMb(server);
      const t = (performance.now() - t0) / 1000;
      const status = await server.status().catch(() => ({} as Record<string, unknown>));
      samples.push([t, mb, statesHeld(status), jsMb(status)]);
      const open = Number(status.sessions);
      if (loadEndS === Infinity && Number.isFinite(open)) {
        sessions.max = Math.max(sessions.max ?? 0, open);
      }
      if (t - lastLog >= 60) {
        lastLog = t;
        log(`soak ${variant}: ${Math.round(t)} s, server RSS ${Math.round(mb)} MB`);
      }
    } catch {
      // The server is gone or not answering: the end-of-variant check says so.
    }
  };
  await sample();
  const timer = setInterval(sample, soak.rss_interval_s * 1000);
  const stopHostile = new AbortController();
  const hostile: Promise<Record<string, HostileReport>> = variant === "with_hostile"
    ? runHostile(soak.hostile, server.url, stopHostile.signal)
    : Promise.resolve({});
  const h = soak.honest;
  const reference = siblingFile(file, ".txt");
  try {
    log(`soak ${variant}: ${h.sessions} honest sessions for ${soak.duration_s} s…`);
    const report = await runLoad({
      url: server.url,
      sessions: h.sessions,
      durationS: soak.duration_s,
      file,
      transport: h.transport,
      mode: h.mode,
      reference: reference ? Deno.readTextFileSync(reference) : undefined,
      alignPath: siblingFile(file, ".align.json"),
      server,
      spreadMs: h.spread_ms,
    });
    result.honest = honestFigures(report);
    result.server_queue = report.server_queue;
    result.server_alive_at_end = true;
    sessions.at_load_end = Number((await server.status()).sessions);
  } catch (err) {
    result.error = `the honest load failed: ${(err as Error).message}`;
  } finally {
    result.wall_s = Math.round((performance.now() - t0) / 100) / 10;
    stopHostile.abort();
    result.hostile = await hostile;
    clearInterval(timer);
    await sample();
    loadEndS = samples.at(-1)?.[0] ?? 0;
    if (soak.settle_s > 0) {
      log(`soak ${variant}: load over; the idle server is sampled again in ${soak.settle_s} s`);
      await new Promise((res) => setTimeout(res, soak.settle_s * 1000));
      await sample();
    }
    result.rss = rssFigures(samples, soak.rss_interval_s, loadEndS);
    try {
      await server.status();
      result.server_alive_at_end = true;
    } catch {
      result.server_alive_at_end = false;
      result.error ??= `the server stopped answering: ${server.log().trim().slice(-500)}`;
    }
    await server.stop();
  }
  return result;
}

/** Runs a soak definition; see the module doc. */
export async function runSoak(def: SoakDefinition, opts: SoakRunOptions): Promise<SoakResults> {
  const log = opts.log ?? ((line: string) => console.error(line));
  const { soak } = def;
  const file = resolve(dirname(resolve(opts.definitionPath)), soak.honest.file);
  const durationS = (await decodeAudioFile(file)).samples.length / SAMPLE_RATE_HZ;
  const provenance = await collectProvenance({
    definitionPath: opts.definitionPath,
    definitionText: opts.definitionText,
    build: await ensureWhisperBuild({ quiet: true }),
    modelFiles: [await resolveModel(soak.server.model), await resolveModel(DEFAULT_VAD_MODEL)],
    workloads: [{
      name: "honest",
      items: [{ id: file.split("/").pop()!, audioPath: file, reference: "" }],
      durationS,
    }],
  });
  const variants: VariantResult[] = [];
  for (const v of soak.variants) variants.push(await runVariant(soak, v, file, log));
  return {
    ...resultsHead(def, provenance),
    tolerances: {},
    cells: [],
    soak: {
      duration_s: soak.duration_s,
      honest: soak.honest,
      server: soak.server,
      hostile: soak.hostile,
      variants,
      p90_ratio_with_over_without: p90Ratio(variants),
    },
  };
}
