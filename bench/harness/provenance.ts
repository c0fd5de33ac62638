/**
 * Provenance of a benchmark run: enough to reproduce it and to tell two runs' conditions apart —
 * the code (git commit, dirty flag), the definition (sha256), the runtimes (Deno, V8, whisper.cpp
 * version, backend and cmake flags), the machine (CPU model, cores, memory, GPU), the inputs
 * (sha256 of every model file, a hash of each workload's file list) and when it ran.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { basename } from "node:path";
import type { BuildInfo } from "../../ffi/whisper/build.ts";
import type { Workload } from "../workloads/workload.ts";

/** What a results file records about the conditions of its run. */
export interface Provenance {
  git_commit: string;
  git_dirty: boolean;
  definition_path: string;
  definition_sha256: string;
  deno: string;
  v8: string;
  whisper_cpp: { version: string; backend: string; build_key: string; cmake_flags: string[] };
  cpu_model: string;
  cores: number;
  memory_gb: number;
  gpu: { name: string; driver: string; memory_mb: number } | null;
  os: string;
  hostname: string;
  models: Record<string, string>;
  workloads: Record<string, { files: number; audio_s: number; list_sha256: string }>;
  started_at: string;
  finished_at?: string;
}

function run(cmd: string, args: string[]): string | null {
  try {
    const out = new Deno.Command(cmd, { args, stdout: "piped", stderr: "null" }).outputSync();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : null;
  } catch {
    return null;
  }
}

/** sha256 of a text, hex. */
export function sha256Text(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** sha256 of a file, hex, read in chunks. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  using f = await Deno.open(path);
  const buf = new Uint8Array(1 << 20);
  while (true) {
    const n = await f.read(buf);
    if (n === null) break;
    hash.update(buf.subarray(0, n));
  }
  return hash.digest("hex");
}

function fileSize(path: string): number {
  try {
    return Deno.statSync(path).size;
  } catch {
    return -1;
  }
}

function cpuModel(): string {
  try {
    const m = Deno.readTextFileSync("/proc/cpuinfo").match(/^model name\s*:\s*(.+)$/m);
    if (m) return m[1].trim();
  } catch { /* not Linux */ }
  return Deno.build.arch;
}

function gpu(): Provenance["gpu"] {
  const out = run("nvidia-smi", [
    "--query-gpu=name,driver_version,memory.total",
    "--format=csv,noheader,nounits",
  ]);
  if (!out) return null;
  const [name, driver, mem] = out.split("\n")[0].split(",").map((s) => s.trim());
  return { name, driver, memory_mb: Number(mem) };
}

/** Provenance at the start of a run (`finished_at` is set when it ends). */
export async function collectProvenance(opts: {
  definitionPath: string;
  definitionText: string;
  build: BuildInfo;
  modelFiles: string[];
  workloads: Workload[];
}): Promise<Provenance> {
  const models: Record<string, string> = {};
  for (const f of [...new Set(opts.modelFiles)].sort()) models[f] = await sha256File(f);
  const workloads: Provenance["workloads"] = {};
  for (const w of opts.workloads) {
    workloads[w.name] = {
      files: w.items.length,
      audio_s: Math.round(w.durationS * 100) / 100,
      // Ids, file names and sizes: the same data gives the same hash wherever it is mounted.
      list_sha256: sha256Text(
        w.items.map((i) => `${i.id}\t${basename(i.audioPath)}\t${fileSize(i.audioPath)}`).join(
          "\n",
        ),
      ),
    };
  }
  const status = run("git", ["status", "--porcelain", "--untracked-files=no"]);
  return {
    git_commit: run("git", ["rev-parse", "HEAD"]) ?? "unknown",
    git_dirty: status === null ? true : status.length > 0,
    definition_path: opts.definitionPath,
    definition_sha256: sha256Text(opts.definitionText),
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    whisper_cpp: {
      version: opts.build.version,
      backend: opts.build.backend,
      build_key: opts.build.key,
      cmake_flags: opts.build.cmakeFlags,
    },
    cpu_model: cpuModel(),
    cores: navigator.hardwareConcurrency,
    memory_gb: Math.round(Deno.systemMemoryInfo().total / 2 ** 30 * 10) / 10,
    gpu: gpu(),
    os: `${Deno.build.os} ${Deno.osRelease()}`,
    hostname: Deno.hostname(),
    models,
    workloads,
    started_at: new Date().toISOString(),
  };
}

/**
 * The head every results file starts with: format version, benchmark, run id (from when it
 * started), description and provenance, the run marked finished now.
 */
export function resultsHead(
  def: { benchmark: string; description?: string },
  provenance: Provenance,
): {
  results_version: 1;
  benchmark: string;
  run_id: string;
  description?: string;
  provenance: Provenance;
} {
  provenance.finished_at = new Date().toISOString();
  return {
    results_version: 1,
    benchmark: def.benchmark,
    run_id: `${provenance.started_at.replace(/[:.]/g, "-")}-${def.benchmark}`,
    ...(def.description ? { description: def.description } : {}),
    provenance,
  };
}
