/**
 * SUTs that run a program per workload item: whisper.cpp's own `whisper-cli` (built from the same
 * sources as libwhisper) and any `command` that takes an audio file and prints a transcript or
 * hum-helix events as JSON lines. Wall time includes the program's start-up and model load, as a
 * user of that program pays it. The harness takes its CPU time from the kernel's account of
 * waited-for children; its peak RSS comes from polling the child's high-water mark and the
 * resident memory of its whole process tree (a launcher that runs the work in a child of its own
 * is measured whole), whichever is larger.
 *
 * @module
 */

import type { RunConfig, SutDef } from "../definition.ts";
import { parseEvent, type TranscriptEvent } from "../../protocol/events.ts";
import type { ResolvedModels, Sut, SutOutput } from "./sut.ts";
import { processMemoryMb, processTreeRssMb } from "../../server/telemetry/process_memory.ts";

/** The program's peak so far: its own high-water mark, or its process tree's resident sum now. */
const peakRssMb = (pid: number) => Math.max(processMemoryMb(pid).peakRssMb, processTreeRssMb(pid));

/** Runs `argv`, timing it; throws with the end of its stderr when it fails. */
async function runProgram(
  argv: string[],
  env?: Record<string, string>,
  install?: string,
): Promise<{ stdout: string; wallS: number; peakRssMb: number }> {
  const t0 = performance.now();
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(argv[0], {
      args: argv.slice(1),
      stdout: "piped",
      stderr: "piped",
      env,
    })
      .spawn();
  } catch (err) {
    const missing = err instanceof Deno.errors.NotFound;
    throw new Error(
      `Cannot run ${argv[0]}: ` +
        (missing
          ? `not installed${install ? ` (install it with ${install})` : ""}`
          : (err as Error).message),
    );
  }
  let peak = 0;
  const poll = setInterval(() => (peak = Math.max(peak, peakRssMb(child.pid))), 100);
  const out = await child.output().finally(() => clearInterval(poll));
  const wallS = (performance.now() - t0) / 1000;
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-3).join(" | ");
    throw new Error(`Cannot run ${argv.join(" ")}: exit ${out.code}: ${err}`);
  }
  return {
    stdout: new TextDecoder().decode(out.stdout),
    wallS,
    peakRssMb: peak,
  };
}

/** whisper.cpp's `whisper-cli`: beam search as configured, text only, optionally its Silero VAD. */
export function whisperCliSut(
  name: string,
  cliPath: string,
  config: RunConfig,
  models: ResolvedModels,
  vad: boolean,
): Sut {
  const argv = (file: string) => [
    cliPath,
    "-m",
    models.model,
    "-f",
    file,
    "-t",
    String(config.threads),
    "-bs",
    String(config.beam),
    "-np",
    "-nt",
    ...(config.backend === "cpu" ? ["-ng"] : []),
    ...(vad ? ["--vad", "-vm", models.vadModel] : []),
  ];
  return {
    name,
    kind: "whisper-cli",
    inProcess: false,
    describe: () => ({ command: argv("{audio}").join(" ") }),
    async run(item) {
      const r = await runProgram(argv(item.audioPath));
      const text = r.stdout.split("\n").map((l) => l.trim()).filter(Boolean).join(" ");
      return { text, wallS: r.wallS, childPeakRssMb: r.peakRssMb };
    },
    close: () => Promise.resolve(),
  };
}

/**
 * Fills `{audio}`, `{model}`, `{vad_model}`, `{threads}`, `{beam}`, `{mode}` and `{deno}` (the
 * Deno running the harness) in an argument.
 */
export function fillTemplate(
  arg: string,
  values: Record<string, string>,
): string {
  return arg.replace(/\{(\w+)\}/g, (m, k: string) => {
    if (!Object.hasOwn(values, k)) {
      throw new Error(
        `Cannot run command: unknown placeholder ${m} (${Object.keys(values).join(", ")})`,
      );
    }
    return values[k];
  });
}

/** Any program as a SUT; see the definition's `command` SUT. */
export function commandSut(
  def: Extract<SutDef, { kind: "command" }>,
  config: RunConfig,
  models: ResolvedModels,
): Sut {
  const argv = (file: string) =>
    def.command.map((a) =>
      fillTemplate(a, {
        audio: file,
        model: models.model,
        vad_model: models.vadModel,
        threads: String(config.threads),
        beam: String(config.beam),
        mode: config.mode,
        deno: Deno.execPath(),
      })
    );
  return {
    name: def.name,
    kind: "command",
    inProcess: false,
    describe: () => ({ command: argv("{audio}").join(" "), output: def.output }),
    async run(item): Promise<SutOutput> {
      const r = await runProgram(argv(item.audioPath), def.env, def.install);
      const base = { wallS: r.wallS, childPeakRssMb: r.peakRssMb };
      if (def.output === "text") return { ...base, text: r.stdout.trim() };
      const events: TranscriptEvent[] = [];
      for (const line of r.stdout.split("\n")) {
        if (!line.trim()) continue;
        const raw = JSON.parse(line);
        // Session messages (ready, ended …) carry no seq; only events count.
        if (typeof raw === "object" && raw && "seq" in raw) events.push(parseEvent(line));
      }
      const text = events.flatMap((e) => e.type === "final" ? [e.text] : []).join(" ");
      return { ...base, text, events };
    },
    close: () => Promise.resolve(),
  };
}
