/**
 * A definition's workload → its items: a dataset (any layout {@linkcode loadDataset} reads)
 * narrowed by glob, count and total duration, or a synthetic signal (silence, noise, a dataset's
 * items joined) written once as a 16 kHz WAV so external SUTs can read it too.
 *
 * @module
 */

import { join, resolve } from "node:path";
import { loadDataset, type WorkloadItem } from "./dataset.ts";
import type { WorkloadDef } from "../definition.ts";
import { decodeAudioFile } from "../../decode/audio_file.ts";
import { SF_FORMAT, writeSoundFile } from "../../ffi/sndfile/mod.ts";
import { SAMPLE_RATE_HZ } from "../../protocol/audio.ts";
import { SeededRandom } from "../../util/random.ts";

/** A loaded workload: its items, and their total audio. */
export interface Workload {
  name: string;
  items: WorkloadItem[];
  durationS: number;
}

/**
 * A glob (`*` within a path part, `**` across parts, `?` one character, `{a,b}` either
 * alternative; alternatives hold no glob characters of their own) as a RegExp. An unclosed `{`
 * is an error.
 */
export function globToRegExp(glob: string): RegExp {
  const literal = (c: string) => c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*" && glob[i + 1] === "*") {
      re += ".*";
      i++;
      if (glob[i + 1] === "/") i++;
    } else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "{") {
      const end = glob.indexOf("}", i);
      if (end < 0) throw new Error(`Cannot read glob "${glob}": "{" at ${i} is never closed`);
      re += `(?:${
        glob.slice(i + 1, end).split(",").map((a) => [...a].map(literal).join("")).join("|")
      })`;
      i = end;
    } else re += literal(c);
  }
  return new RegExp(`^${re}$`);
}

async function durationOf(item: WorkloadItem): Promise<number> {
  return item.durationS ?? (await decodeAudioFile(item.audioPath)).durationS;
}

/**
 * Loads a workload. Relative sources are taken from `baseDir` (the definition's folder);
 * synthetic audio goes to `cacheDir`; `loaded` holds the workloads loaded so far (for `concat`).
 */
export async function loadWorkload(
  def: WorkloadDef,
  baseDir: string,
  cacheDir: string,
  loaded: Map<string, Workload> = new Map(),
): Promise<Workload> {
  if ("source" in def) {
    let items = loadDataset(resolve(baseDir, def.source), {
      match: def.include ? globToRegExp(def.include) : undefined,
      limit: def.limit,
    });
    const kept: WorkloadItem[] = [];
    let total = 0;
    for (const item of items) {
      const d = await durationOf(item);
      if (def.max_duration_s !== undefined && kept.length && total + d > def.max_duration_s) break;
      kept.push({ ...item, durationS: d });
      total += d;
    }
    items = kept;
    return { name: def.name, items, durationS: total };
  }
  const s = def.synthetic;
  let samples: Float32Array;
  let reference = "";
  if (s.kind === "silence") samples = new Float32Array(Math.round(s.seconds * SAMPLE_RATE_HZ));
  else if (s.kind === "noise") {
    const rng = new SeededRandom(0x2545f491, "xorshift32");
    samples = new Float32Array(Math.round(s.seconds * SAMPLE_RATE_HZ)).map(() =>
      (rng.next() - 0.5) * 2 * s.amplitude
    );
  } else {
    const of = loaded.get(s.of!);
    if (!of) throw new Error(`Cannot build workload ${def.name}: ${s.of} is not loaded before it`);
    const gap = new Float32Array(Math.round(s.gap_s * SAMPLE_RATE_HZ));
    const parts: Float32Array[] = [];
    for (const item of of.items) {
      parts.push((await decodeAudioFile(item.audioPath)).samples, gap);
    }
    samples = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) (samples.set(p, o), o += p.length);
    reference = of.items.map((i) => i.reference).join(" ");
  }
  await Deno.mkdir(cacheDir, { recursive: true });
  const audioPath = join(cacheDir, `${def.name}.wav`);
  writeSoundFile(audioPath, samples, {
    sampleRate: SAMPLE_RATE_HZ,
    channels: 1,
    format: SF_FORMAT.WAV | SF_FORMAT.PCM_16,
  });
  const durationS = samples.length / SAMPLE_RATE_HZ;
  return { name: def.name, items: [{ id: def.name, audioPath, reference, durationS }], durationS };
}
