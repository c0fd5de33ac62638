/**
 * `deno run -A bench/state_cost.ts MODEL… [--states N] [--audio FILE]`: what a model and each
 * decoding state on it cost — resident memory after loading, after allocating N states, and
 * after each state has decoded once (whisper.cpp sizes some buffers on first use) — and how long
 * allocating a state takes, against taking one from a pool. Prints one YAML document per model.
 * Each model is measured in a fresh process, so earlier ones do not blur the figures.
 *
 * @module
 */

import { stringify } from "yaml";
import { WhisperModel } from "../ffi/whisper/mod.ts";
import { resolveModel } from "../server/models/resolve.ts";
import { decodeAudioFile } from "../decode/audio_file.ts";
import { StatePool } from "../server/engine/model_registry.ts";
import { releaseFreeMemory } from "../ffi/native/libc.ts";
import { processMemoryMb } from "../server/telemetry/process_memory.ts";

const rssMb = () => processMemoryMb().rssMb;

const args = Deno.args;
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const states = Number(opt("--states", "4"));
const audioPath = opt("--audio", "../shared/speech/jfk/jfk.wav");
const names = args.filter((a, i) => !a.startsWith("--") && !args[i - 1]?.startsWith("--"));
if (!names.length) {
  console.error("Usage: deno run -A bench/state_cost.ts MODEL… [--states N] [--audio FILE]");
  Deno.exit(2);
}

if (names.length > 1) {
  // One process per model.
  for (const name of names) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL(import.meta.url).pathname,
        name,
        ...args.filter((a) => !names.includes(a)),
      ],
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (!out.success) Deno.exit(1);
  }
  Deno.exit(0);
}

const name = names[0];
const audio = (await decodeAudioFile(audioPath)).samples;
const base = rssMb();
const t0 = performance.now();
const model = await WhisperModel.load(await resolveModel(name), { useGpu: false });
const loadS = (performance.now() - t0) / 1000;
const afterModel = rssMb();
const created = [];
const allocMs: number[] = [];
for (let k = 0; k < states; k++) {
  const t = performance.now();
  created.push(await model.createState());
  allocMs.push(performance.now() - t);
}
const afterStates = rssMb();
for (const st of created) {
  await st.full(audio, { strategy: "greedy", threads: 2, language: "en", noContext: true });
}
const afterDecode = rssMb();
for (const st of created) st.close();
// A pool: the first takes allocate, the takes after giving them back reuse.
const pool = new StatePool(model, { maxIdle: states, idleReleaseMs: 0 });
const taken = await Promise.all(Array.from({ length: states }, () => pool.take()));
for (const st of taken) pool.give(st);
const takeMs: number[] = [];
for (let k = 0; k < states; k++) {
  const t = performance.now();
  taken[k] = await pool.take();
  takeMs.push(performance.now() - t);
}
for (const st of taken) pool.give(st);
pool.close();
model.close();
releaseFreeMemory();
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const r1 = (x: number) => Math.round(x * 10) / 10;
console.log(
  stringify([{
    model: name,
    type: model.info.type,
    load_s: Math.round(loadS * 100) / 100,
    model_mb: r1(afterModel - base),
    states,
    per_state_allocated_mb: r1((afterStates - afterModel) / states),
    per_state_after_first_decode_mb: r1((afterDecode - afterModel) / states),
    create_state_ms_median: r1(median(allocMs)),
    pool_take_ms_median: r1(median(takeMs)),
  }]).trim(),
);
