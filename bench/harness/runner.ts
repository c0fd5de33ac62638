/**
 * The runner: a benchmark definition → a run. Workloads are loaded once; each cell of the matrix
 * (SUT × run config × workload) gets its SUT prepared, its warm-ups, then its trials, each over
 * every item of the workload; each trial's metrics and the median over trials go into the
 * results, with provenance.
 *
 * @module
 */

import { dirname, join, resolve } from "node:path";
import { type Cell, cells, type Definition, type RunConfig } from "../definition.ts";
import { loadWorkload, type Workload } from "../workloads/workload.ts";
import type { ResolvedModels } from "../suts/sut.ts";
import { openSut } from "../suts/open.ts";
import {
  type Distributions,
  type ItemOutcome,
  medianMetrics,
  type Metrics,
  trialMetrics,
} from "./metrics.ts";
import { collectProvenance, type Provenance, resultsHead } from "./provenance.ts";
import { cpuTimes, GpuMemoryPeak } from "./usage.ts";
import { ensureWhisperBuild, REPO_ROOT } from "../../ffi/whisper/build.ts";
import { decodeAudioFile } from "../../decode/audio_file.ts";
import { DEFAULT_VAD_MODEL, resolveModel } from "../../server/models/resolve.ts";

/** Results of one run (what `bench/results/<run>.yaml` holds). */
export interface Results {
  results_version: 1;
  benchmark: string;
  run_id: string;
  description?: string;
  provenance: Provenance;
  tolerances: Record<string, number | string>;
  /** The latency bound of the sessions-sustained figure. */
  sessions_bound?: { metric: string; max: number };
  cells: CellResult[];
}

/** One cell's results. */
export interface CellResult {
  sut: string;
  kind: string;
  run_config: RunConfig;
  workload: string;
  sut_description: Record<string, unknown>;
  /** Median over trials. */
  metrics: Metrics;
  trials: {
    trial: number;
    metrics: Metrics;
    /** Raw values behind percentiles (emission latencies, ms). */
    distributions?: Distributions;
    items: {
      id: string;
      wall_s: number;
      hyp: string;
      /** RTP packets the service received and lost in this session (media SUTs). */
      media?: ItemOutcome["media"];
    }[];
  }[];
  error?: string;
  /** The cell's time limit ran out: what it did (its figures are those items'). */
  truncated?: string;
}

/** What the runner reports as it goes. */
export interface Progress {
  cell: number;
  cells: number;
  label: string;
  trial: number;
  trials: number;
  item: number;
  items: number;
}

/** Options for {@linkcode runBenchmark}. */
export interface RunOptions {
  definitionPath: string;
  definitionText: string;
  onProgress?: (p: Progress) => void;
  /** Where synthetic audio goes; default `.cache/bench`. */
  cacheDir?: string;
  /** Run in-process SUTs in a child process per cell (default true). */
  isolate?: boolean;
}

async function modelsFor(config: RunConfig): Promise<ResolvedModels> {
  return {
    model: await resolveModel(config.model),
    vadModel: await resolveModel(DEFAULT_VAD_MODEL),
  };
}

/** Runs a definition; a cell that fails is recorded with its error and the run goes on. */
export async function runBenchmark(def: Definition, opts: RunOptions): Promise<Results> {
  const baseDir = dirname(resolve(opts.definitionPath));
  const cacheDir = opts.cacheDir ?? join(REPO_ROOT, ".cache", "bench");
  const workloads = new Map<string, Workload>();
  // Dataset workloads first: a `concat` workload joins another's items.
  for (
    const w of [...def.workloads].sort((a, b) =>
      Number("synthetic" in a) - Number("synthetic" in b)
    )
  ) {
    workloads.set(w.name, await loadWorkload(w, baseDir, cacheDir, workloads));
  }
  const matrix = cells(def);
  const modelFiles: string[] = [];
  for (const c of matrix) {
    const m = await modelsFor(c.runConfig);
    modelFiles.push(m.model, m.vadModel);
  }
  const provenance = await collectProvenance({
    definitionPath: opts.definitionPath,
    definitionText: opts.definitionText,
    build: await ensureWhisperBuild({ quiet: true }),
    modelFiles,
    workloads: [...workloads.values()],
  });
  const samplesOf = audioCache();
  const results: CellResult[] = [];
  for (let i = 0; i < matrix.length; i++) {
    const job: CellJob = {
      cell: matrix[i],
      workload: workloads.get(matrix[i].workload.name)!,
      trials: def.trials,
      warmups: def.warmups,
      at: { cell: i + 1, cells: matrix.length },
    };
    // A SUT that runs in this process gets a process of its own, so its CPU and peak memory
    // are its own, not what earlier cells left behind.
    const isolate = (opts.isolate ?? true) &&
      (IN_PROCESS_KINDS.has(job.cell.sut.kind) || job.cell.timeLimitS !== undefined);
    try {
      results.push(
        isolate
          ? await runCellInChild(job, opts.onProgress)
          : await runCell(job, samplesOf, opts.onProgress),
      );
    } catch (err) {
      // A cell whose process could not run is a failed cell; the run goes on.
      results.push(failedCell(job, (err as Error).message));
    }
  }
  return {
    ...resultsHead(def, provenance),
    tolerances: def.tolerances,
    sessions_bound: def.sessions_bound,
    cells: results,
  };
}

/** The result of a cell that could not run at all. */
function failedCell(job: CellJob, error: string): CellResult {
  return {
    sut: job.cell.sut.name,
    kind: job.cell.sut.kind,
    run_config: job.cell.runConfig,
    workload: job.workload.name,
    sut_description: {},
    metrics: {},
    trials: [],
    error,
  };
}

/** SUT kinds that run in the harness's process (unless given a remote URL). */
const IN_PROCESS_KINDS = new Set(["offline", "stream", "webrtc"]);

/** One cell's work, as handed to a child process (plain data). */
export interface CellJob {
  cell: Cell;
  workload: Workload;
  trials: number;
  warmups: number;
  at: { cell: number; cells: number };
}

/** Decoded audio by path, decoded once. */
export function audioCache(): (path: string) => () => Promise<Float32Array> {
  const audio = new Map<string, Float32Array>();
  return (path) => async () => {
    let s = audio.get(path);
    if (!s) audio.set(path, s = (await decodeAudioFile(path)).samples);
    return s;
  };
}

/**
 * Runs a cell in a child process (`cell_worker.ts`): the job goes in on stdin, progress comes
 * back as JSON lines on stderr, the result as JSON on stdout.
 */
async function runCellInChild(
  job: CellJob,
  onProgress?: (p: Progress) => void,
): Promise<CellResult> {
  const worker = new URL("./cell_worker.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", worker],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(job)));
  await writer.close();
  const errors: string[] = [];
  const readErr = (async () => {
    let rest = "";
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      rest += chunk;
      const lines = rest.split("\n");
      rest = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith('{"progress":')) onProgress?.(JSON.parse(line).progress);
        else if (line.trim()) errors.push(line);
      }
    }
  })();
  // A cell with a time limit stops by itself between items; one whose item runs on well past the
  // limit is stopped here (its figures are lost).
  const limitS = job.cell.timeLimitS;
  let killed = false;
  const backstop = limitS === undefined ? undefined : setTimeout(() => {
    killed = true;
    child.kill("SIGKILL");
  }, (limitS + Math.max(60, limitS / 2)) * 1000);
  const out = new Response(child.stdout).text();
  const [status, text] = await Promise.all([child.status, out, readErr]).then(([st, t]) =>
    [st, t] as const
  ).finally(() => clearTimeout(backstop));
  if (killed) {
    throw new Error(
      `Cannot run cell ${job.cell.sut.name} · ${job.cell.runConfig.name} · ${job.workload.name}: ` +
        `stopped, still running well past its time limit of ${limitS} s`,
    );
  }
  if (!status.success || !text.trim()) {
    throw new Error(
      `Cannot run cell ${job.cell.sut.name} · ${job.cell.runConfig.name} · ${job.workload.name}: ` +
        `its process exited ${status.code}: ${errors.slice(-3).join(" | ")}`,
    );
  }
  return JSON.parse(text) as CellResult;
}

/** Runs one cell here: prepares its SUT, warm-ups, trials; a failure is recorded, not thrown. */
export async function runCell(
  job: CellJob,
  samplesOf: (path: string) => () => Promise<Float32Array>,
  onProgress?: (p: Progress) => void,
): Promise<CellResult> {
  const { cell, workload } = job;
  const def = { trials: job.trials, warmups: job.warmups };
  const at = { ...job.at, onProgress };
  const label = `${cell.sut.name} · ${cell.runConfig.name} · ${workload.name}`;
  const result: CellResult = {
    sut: cell.sut.name,
    kind: cell.sut.kind,
    run_config: cell.runConfig,
    workload: workload.name,
    sut_description: {},
    metrics: {},
    trials: [],
  };
  let sut;
  const deadline = cell.timeLimitS ? performance.now() + cell.timeLimitS * 1000 : Infinity;
  // Started before the SUT loads its model, so the model's GPU memory counts.
  const gpu = await GpuMemoryPeak.start();
  try {
    sut = await openSut(cell.sut, cell.runConfig, await modelsFor(cell.runConfig));
    result.sut_description = sut.describe();
    for (let w = 0; w < def.warmups; w++) {
      const first = workload.items[0];
      await sut.run(first, samplesOf(first.audioPath));
    }
    for (let t = 1; t <= def.trials && !result.truncated; t++) {
      const outcomes: ItemOutcome[] = [];
      let peak = 0;
      // In-process SUTs are this process's CPU; external ones its waited-for children's, plus
      // a server process the SUT runs apart.
      const cpu0 = cpuTimes();
      const apart0 = sut.cpuSeconds?.() ?? 0;
      const poll = sut.inProcess
        ? setInterval(() => (peak = Math.max(peak, Deno.memoryUsage().rss / 2 ** 20)), 100)
        : undefined;
      try {
        for (let k = 0; k < workload.items.length; k++) {
          // Out of time: the items done are the trial (at least one, for a figure).
          if (performance.now() >= deadline && outcomes.length) {
            result.truncated = `time limit of ${cell.timeLimitS} s: trial ${t} stopped after ` +
              `${k} of ${workload.items.length} items`;
            break;
          }
          at.onProgress?.({
            ...at,
            label,
            trial: t,
            trials: def.trials,
            item: k + 1,
            items: workload.items.length,
          });
          const item = workload.items[k];
          // `concurrency` copies of the item at once; each outcome carries an equal share of the
          // batch's wall time, so RTFx is the throughput (all audio over the batch's time).
          const n = cell.runConfig.concurrency;
          const t0 = performance.now();
          const outs = await Promise.all(
            Array.from({ length: n }, () => sut!.run(item, samplesOf(item.audioPath))),
          );
          const batchS = (performance.now() - t0) / 1000;
          for (const out of outs) {
            peak = Math.max(peak, out.childPeakRssMb ?? 0);
            outcomes.push({
              item,
              text: out.text,
              wallS: n > 1 ? batchS / n : out.wallS,
              events: out.events,
              media: out.media,
            });
          }
          if (sut.inProcess) peak = Math.max(peak, Deno.memoryUsage().rss / 2 ** 20);
        }
      } finally {
        clearInterval(poll);
      }
      const cpu1 = cpuTimes();
      const cpuS = (sut.inProcess ? cpu1.selfS - cpu0.selfS : cpu1.childrenS - cpu0.childrenS) +
        ((sut.cpuSeconds?.() ?? 0) - apart0);
      const distributions: Distributions = {};
      const usage = { cpuS, peakRssMb: peak, ...(gpu ? { gpuPeakMb: await gpu.sample() } : {}) };
      result.trials.push({
        trial: t,
        metrics: trialMetrics(outcomes, usage, undefined, distributions),
        ...(Object.keys(distributions).length ? { distributions } : {}),
        items: outcomes.map((o) => ({
          id: o.item.id,
          wall_s: Math.round(o.wallS * 1000) / 1000,
          hyp: o.text,
          ...(o.media ? { media: o.media } : {}),
        })),
      });
    }
    result.metrics = medianMetrics(result.trials.map((t) => t.metrics));
  } catch (err) {
    result.error = (err as Error).message;
  } finally {
    gpu?.stop();
    await sut?.close();
  }
  return result;
}
