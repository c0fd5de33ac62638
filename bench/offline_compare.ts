/**
 * Offline comparison run: the same workload through several offline SUTs (hum-helix's
 * `transcribe`, whisper.cpp's `whisper-cli` with and without its VAD), one file at a time, with
 * corpus WER after Whisper's English normaliser and RTFx from wall time. Results go to YAML with
 * provenance. The full benchmark harness (`deno task bench`) builds on these pieces.
 *
 * Usage: deno run -A bench/offline_compare.ts --workload DIR|MANIFEST [--sut hum,whisper-cli,whisper-cli-vad]
 *        [--model PATH] [--threads 2] [--beam 5] [--limit N] [--out FILE.yaml] [--hum-args "..."]
 *
 * @module
 */

import { stringify } from "yaml";
import { ensureWhisperBuild } from "../ffi/whisper/build.ts";
import { sharedPath } from "../ffi/testing/shared.ts";
import { decodeAudioFile } from "../server/decode/audio_file.ts";
import { corpusWer } from "./metrics/wer.ts";
import { loadDataset, type WorkloadItem } from "./workloads/dataset.ts";
import { type OfflineSut, transcribeCliSut, whisperCliSut } from "./suts/offline.ts";

interface Args {
  workload: string;
  suts: string[];
  model: string;
  vad: string;
  threads: number;
  beam: number;
  limit?: number;
  out?: string;
  humArgs: string[];
}

function parse(argv: string[]): Args {
  const get = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const workload = get("--workload");
  if (!workload) throw new Error("Cannot run: --workload DIR|MANIFEST is required");
  return {
    workload,
    suts: (get("--sut") ?? "hum,whisper-cli").split(","),
    model: get("--model") ?? sharedPath("models/ggml-tiny.en.bin"),
    vad: get("--vad-model") ?? sharedPath("models/ggml-silero-v5.1.2.bin"),
    threads: Number(get("--threads") ?? 2),
    beam: Number(get("--beam") ?? 5),
    limit: get("--limit") ? Number(get("--limit")) : undefined,
    out: get("--out"),
    humArgs: (get("--hum-args") ?? "").split(/\s+/).filter(Boolean),
  };
}

async function durationOf(item: WorkloadItem): Promise<number> {
  if (item.durationS !== undefined) return item.durationS;
  return (await decodeAudioFile(item.audioPath)).durationS;
}

function gitCommit(): string {
  try {
    const out = new Deno.Command("git", { args: ["rev-parse", "--short", "HEAD"], stdout: "piped" })
      .outputSync();
    return new TextDecoder().decode(out.stdout).trim();
  } catch {
    return "unknown";
  }
}

async function main(): Promise<void> {
  const a = parse(Deno.args);
  const items = loadDataset(a.workload, { limit: a.limit });
  const build = await ensureWhisperBuild({ quiet: true });
  const cfg = { modelPath: a.model, threads: a.threads, beam: a.beam };
  const suts: OfflineSut[] = a.suts.map((name) => {
    switch (name) {
      case "hum":
        return transcribeCliSut({ ...cfg, vadModelPath: a.vad, extraArgs: a.humArgs });
      case "whisper-cli":
      case "whisper-cli-vad":
        if (!build.cli) throw new Error("Cannot run whisper-cli: the build has none");
        return whisperCliSut(build.cli, {
          ...cfg,
          vadModelPath: name.endsWith("vad") ? a.vad : undefined,
        });
      default:
        throw new Error(`Cannot run: unknown SUT "${name}" (hum, whisper-cli, whisper-cli-vad)`);
    }
  });
  let audioS = 0;
  for (const item of items) audioS += await durationOf(item);

  // Files go through every SUT in turn (interleaved), so that machine noise falls on all alike.
  const runs = suts.map(() => ({
    pairs: [] as { ref: string; hyp: string }[],
    perItem: [] as unknown[],
    wallS: 0,
  }));
  for (const item of items) {
    for (let k = 0; k < suts.length; k++) {
      const r = await suts[k].transcribe(item.audioPath);
      runs[k].wallS += r.wallS;
      runs[k].pairs.push({ ref: item.reference, hyp: r.text });
      runs[k].perItem.push({ id: item.id, wall_s: round(r.wallS, 3), hyp: r.text });
    }
    Deno.stderr.writeSync(new TextEncoder().encode("."));
  }
  Deno.stderr.writeSync(new TextEncoder().encode("\n"));
  const results = [];
  for (let k = 0; k < suts.length; k++) {
    const sut = suts[k];
    const { pairs, perItem, wallS } = runs[k];
    const wer = corpusWer(pairs);
    const line = {
      sut: sut.name,
      command: sut.describe("FILE").join(" "),
      items: items.length,
      audio_s: round(audioS, 2),
      wall_s: round(wallS, 2),
      rtfx: round(audioS / wallS, 2),
      wer_pct: round(wer.wer * 100, 2),
      substitutions: wer.substitutions,
      deletions: wer.deletions,
      insertions: wer.insertions,
      ref_words: wer.refWords,
    };
    console.log(
      `${sut.name.padEnd(16)} WER ${
        line.wer_pct.toFixed(2)
      } % (S ${line.substitutions} D ${line.deletions} ` +
        `I ${line.insertions} / ${line.ref_words})  wall ${line.wall_s} s  RTFx ${line.rtfx}`,
    );
    results.push({ ...line, per_item: perItem });
  }
  if (a.out) {
    const doc = {
      benchmark: "offline-compare",
      workload: a.workload,
      run_config: { model: a.model, threads: a.threads, beam: a.beam, vad_model: a.vad },
      provenance: {
        commit: gitCommit(),
        date: new Date().toISOString(),
        cpus: navigator.hardwareConcurrency,
        deno: Deno.version.deno,
        whisper_build: build.key,
      },
      results,
    };
    await Deno.writeTextFile(a.out, stringify(doc));
  }
}

function round(x: number, d: number): number {
  return Math.round(x * 10 ** d) / 10 ** d;
}

if (import.meta.main) {
  try {
    await main();
  } catch (err) {
    console.error((err as Error).message);
    Deno.exit(1);
  }
}
