/**
 * Offline systems under test: each transcribes one audio file per call in its own process, so
 * wall time includes start-up and model load the way a user running the command pays it.
 *
 * @module
 */

import { join } from "node:path";
import { REPO_ROOT } from "../../ffi/whisper/build.ts";

/** Run config shared by the offline SUTs. */
export interface OfflineRunConfig {
  modelPath: string;
  threads: number;
  beam: number;
  /** Silero VAD model, for SUTs that use it. */
  vadModelPath?: string;
  /** Extra arguments for the SUT's command line. */
  extraArgs?: string[];
}

/** One transcription by an SUT. */
export interface OfflineOutput {
  text: string;
  wallS: number;
}

/** An offline system under test. */
export interface OfflineSut {
  readonly name: string;
  /** The command it runs, for provenance. */
  describe(file: string): string[];
  transcribe(file: string): Promise<OfflineOutput>;
}

async function timed(
  cmd: string,
  args: string[],
  env?: Record<string, string>,
): Promise<OfflineOutput> {
  const t0 = performance.now();
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped", env }).output();
  const wallS = (performance.now() - t0) / 1000;
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-3).join(" | ");
    throw new Error(`Cannot run ${cmd}: exit ${out.code}: ${err}`);
  }
  return { text: new TextDecoder().decode(out.stdout), wallS };
}

/** `deno task transcribe` (hum-helix's offline path) as an SUT. */
export function transcribeCliSut(cfg: OfflineRunConfig): OfflineSut {
  const args = (file: string) => [
    "run",
    "--allow-all",
    join(REPO_ROOT, "server", "cli", "transcribe.ts"),
    file,
    "--model",
    cfg.modelPath,
    "--threads",
    String(cfg.threads),
    "--beam",
    String(cfg.beam),
    ...(cfg.vadModelPath ? ["--vad-model", cfg.vadModelPath] : ["--no-vad"]),
    ...(cfg.extraArgs ?? []),
  ];
  return {
    name: "hum-transcribe",
    describe: (file) => [Deno.execPath(), ...args(file)],
    async transcribe(file) {
      const r = await timed(Deno.execPath(), args(file));
      return { ...r, text: r.text.trim() };
    },
  };
}

/** whisper.cpp's own `whisper-cli`, built from the same sources, as an SUT. */
export function whisperCliSut(cliPath: string, cfg: OfflineRunConfig): OfflineSut {
  const args = (file: string) => [
    "-m",
    cfg.modelPath,
    "-f",
    file,
    "-t",
    String(cfg.threads),
    "-bs",
    String(cfg.beam),
    "-np",
    "-nt",
    ...(cfg.vadModelPath ? ["--vad", "-vm", cfg.vadModelPath] : []),
    ...(cfg.extraArgs ?? []),
  ];
  return {
    name: cfg.vadModelPath ? "whisper-cli-vad" : "whisper-cli",
    describe: (file) => [cliPath, ...args(file)],
    async transcribe(file) {
      const r = await timed(cliPath, args(file));
      return { ...r, text: r.text.split("\n").map((l) => l.trim()).filter(Boolean).join(" ") };
    },
  };
}
