/**
 * Workload items from a dataset folder: LibriSpeech layout (`*.trans.txt` beside the audio), a
 * `manifest.tsv` (path + reference), or audio files with a `.txt` transcript side by side.
 * A `.align.json` beside an audio file is noted for emission-latency metrics.
 *
 * @module
 */

import { basename, dirname, extname, join, relative } from "node:path";

/** One utterance or recording with its reference transcript. */
export interface WorkloadItem {
  /** Stable id (the file name without extension). */
  id: string;
  audioPath: string;
  reference: string;
  /** Duration in seconds when the dataset states it. */
  durationS?: number;
  /** Forced word alignment beside the audio, if any. */
  alignPath?: string;
}

/** Options for {@linkcode loadDataset}. */
export interface DatasetOptions {
  /** Keep items whose path (relative to the dataset root) matches. */
  match?: RegExp;
  /** At most this many items, after sorting by id. */
  limit?: number;
}

const AUDIO_EXT = new Set([".wav", ".flac", ".mp3", ".ogg", ".opus"]);

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function* walk(dir: string): Generator<string> {
  for (const e of [...Deno.readDirSync(dir)].sort((a, b) => a.name.localeCompare(b.name))) {
    const p = join(dir, e.name);
    if (e.isDirectory) yield* walk(p);
    else if (e.isFile) yield p;
  }
}

function withAlign(item: WorkloadItem): WorkloadItem {
  const align = item.audioPath.slice(0, -extname(item.audioPath).length) + ".align.json";
  return exists(align) ? { ...item, alignPath: align } : item;
}

function fromManifest(path: string): WorkloadItem[] {
  const lines = Deno.readTextFileSync(path).split("\n").filter((l) => l.trim());
  const header = lines.shift()?.split("\t") ?? [];
  const col = (name: string) => header.indexOf(name);
  if (col("path") < 0 || col("reference") < 0) {
    throw new Error(`Cannot read workload: ${path} has no "path" and "reference" columns`);
  }
  return lines.map((line) => {
    const f = line.split("\t");
    const audioPath = join(dirname(path), f[col("path")]);
    const d = col("duration_s") >= 0 ? Number(f[col("duration_s")]) : NaN;
    return withAlign({
      id: basename(audioPath, extname(audioPath)),
      audioPath,
      reference: f[col("reference")],
      ...(Number.isFinite(d) ? { durationS: d } : {}),
    });
  });
}

function fromFolder(root: string): WorkloadItem[] {
  const items: WorkloadItem[] = [];
  for (const p of walk(root)) {
    if (p.endsWith(".trans.txt")) {
      for (const line of Deno.readTextFileSync(p).split("\n")) {
        const m = line.match(/^(\S+)\s+(.*)$/);
        if (!m) continue;
        const audio = [".flac", ".wav"].map((e) => join(dirname(p), m[1] + e)).find(exists);
        if (audio) items.push(withAlign({ id: m[1], audioPath: audio, reference: m[2].trim() }));
      }
    } else if (AUDIO_EXT.has(extname(p))) {
      const txt = p.slice(0, -extname(p).length) + ".txt";
      if (exists(txt)) {
        items.push(withAlign({
          id: basename(p, extname(p)),
          audioPath: p,
          reference: Deno.readTextFileSync(txt).trim(),
        }));
      }
    }
  }
  return items;
}

/** Loads the items of a dataset folder or manifest file, sorted by id. */
export function loadDataset(path: string, opts: DatasetOptions = {}): WorkloadItem[] {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch {
    throw new Error(`Cannot read workload: ${path} does not exist`);
  }
  const root = info.isFile ? dirname(path) : path;
  let items = info.isFile ? fromManifest(path) : fromFolder(path);
  if (opts.match) items = items.filter((i) => opts.match!.test(relative(root, i.audioPath)));
  items.sort((a, b) => a.id.localeCompare(b.id));
  if (opts.limit !== undefined) items = items.slice(0, opts.limit);
  if (items.length === 0) {
    throw new Error(`Cannot read workload: no audio with a transcript in ${path}`);
  }
  return items;
}
