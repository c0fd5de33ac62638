/**
 * Benchmark definitions: YAML files (`bench/definitions/*.yaml`) that name the workloads, the
 * systems under test (SUTs), the run configs, which combinations to run (the matrix), trials,
 * warm-ups and the tolerances a baseline comparison uses. Validated with zod; an error names the
 * path inside the document (`suts.1.kind: …`).
 *
 * @module
 */

import { parse } from "yaml";
import { z } from "zod";
import { MODE_NAMES } from "../protocol/modes.ts";
import { describeIssue } from "../protocol/events.ts";

const Name = z.string().regex(/^[A-Za-z0-9][\w.-]*$/, "a name of letters, digits, . _ -");

/** Where a workload's items come from: a dataset folder or manifest, or a synthetic signal. */
export const WorkloadSchema = z.union([
  z.strictObject({
    name: Name,
    /** LibriSpeech layout, a manifest.tsv, or audio + .txt side by side; relative to the file. */
    source: z.string().min(1),
    /** Keep items whose path inside the source matches this glob (`*` `**` `?`). */
    include: z.string().min(1).optional(),
    /** At most this many items (after sorting by id). */
    limit: z.number().int().positive().optional(),
    /** Stop adding items once this much audio is taken, seconds. */
    max_duration_s: z.number().positive().optional(),
  }),
  z.strictObject({
    name: Name,
    synthetic: z.strictObject({
      kind: z.enum(["silence", "noise", "concat"]),
      /** Length of silence or noise, seconds. */
      seconds: z.number().positive().max(600).default(10),
      /** Noise amplitude (uniform, peak). */
      amplitude: z.number().positive().max(1).default(0.01),
      /** For `concat`: the items of another workload joined, with this much silence between. */
      of: Name.optional(),
      gap_s: z.number().min(0).max(10).default(1),
    }),
  }),
]);

/** One system under test. */
export const SutSchema = z.discriminatedUnion("kind", [
  /** hum-helix's offline path in process (VAD windows, beam search), timed without model load. */
  z.strictObject({ name: Name, kind: z.literal("offline") }),
  /**
   * The streaming engine in process: on a computationally aware simulated clock, or paced at the
   * speaker's real time (`realtime`, what concurrency sweeps need: sessions idle between chunks).
   */
  z.strictObject({ name: Name, kind: z.literal("stream"), realtime: z.boolean().default(false) }),
  /**
   * The service end to end through the WebRTC CLI client; without `url`, a service started in
   * the harness process. Real time by default, event times on the client's clock.
   */
  z.strictObject({
    name: Name,
    kind: z.literal("webrtc"),
    url: z.string().url().optional(),
    /**
     * Without a `url`: start the service in the harness's process (`inprocess`), or as a process
     * of its own (`process`: its CPU and memory measured apart from the clients', as in
     * `deno task loadtest`; use it for concurrency sweeps through the service).
     */
    server: z.enum(["inprocess", "process"]).default("inprocess"),
    transport: z.enum(["media", "audio", "mel"]).default("media"),
    realtime: z.boolean().default(true),
  }),
  /**
   * The service's file upload (`POST /v1/audio/transcriptions`); without a `url`, a service
   * started as a process apart.
   */
  z.strictObject({
    name: Name,
    kind: z.literal("upload"),
    url: z.string().url().optional(),
    response_format: z.enum(["json", "text", "verbose_json"]).default("json"),
  }),
  /** whisper.cpp's own `whisper-cli`, built from the same sources; one process per file. */
  z.strictObject({
    name: Name,
    kind: z.literal("whisper-cli"),
    /** Use its Silero VAD (`--vad`). */
    vad: z.boolean().default(false),
  }),
  /**
   * Any program: `command` is argv with `{audio}`, `{model}`, `{threads}`, `{beam}`, `{deno}` … filled in; it
   * prints the transcript as text, or hum-helix events as JSON lines (`output: events`).
   */
  z.strictObject({
    name: Name,
    kind: z.literal("command"),
    command: z.array(z.string().min(1)).min(1),
    output: z.enum(["text", "events"]).default("text"),
    env: z.record(z.string(), z.string()).optional(),
  }),
]);

/** One run config: the settings a SUT runs with. */
export const RunConfigSchema = z.strictObject({
  name: Name,
  /** Model name (tiny.en …) or path. */
  model: z.string().min(1).default("tiny.en"),
  threads: z.number().int().min(1).max(64).default(2),
  /** Beam width for offline decoding and whisper-cli; 1 = greedy. */
  beam: z.number().int().min(1).max(16).default(5),
  /** Streaming mode (stream SUTs). */
  mode: z.enum(MODE_NAMES).default("balanced"),
  /** Streaming settings over the mode's preset (e.g. `minChunkMs`), validated by the engine. */
  overrides: z.record(z.string(), z.union([z.number(), z.boolean(), z.string()])).default({}),
  backend: z.enum(["cpu", "gpu"]).default("cpu"),
  /** Sessions (or processes) running the same item at once; metrics pool over all of them. */
  concurrency: z.number().int().min(1).max(64).default(1),
});

/** A tolerance: absolute (`0.5`) or relative (`"10%"`). */
const Tolerance = z.union([
  z.number().min(0),
  z.string().regex(/^\d+(\.\d+)?%$/, 'a number, or a percentage such as "10%"'),
]);

/** A benchmark definition. */
export const DefinitionSchema = z.strictObject({
  benchmark: Name,
  description: z.string().optional(),
  workloads: z.array(WorkloadSchema).min(1),
  suts: z.array(SutSchema).min(1),
  run_configs: z.array(RunConfigSchema).min(1),
  /** Combinations to run; default every SUT × run config × workload. */
  matrix: z.array(z.strictObject({
    sut: Name,
    run_config: Name,
    workload: Name,
  })).min(1).optional(),
  trials: z.number().int().min(1).max(100).default(1),
  /** Untimed runs of each cell's first item before its trials (loads caches and models). */
  warmups: z.number().int().min(0).max(10).default(0),
  /** The latency bound of the "sessions sustained" figure of concurrency sweeps. */
  sessions_bound: z.strictObject({
    metric: z.string().default("emission_p90_ms"),
    max: z.number().positive().default(2000),
  }).default({ metric: "emission_p90_ms", max: 2000 }),
  /** Per metric, how much worse than the baseline still passes. */
  tolerances: z.record(z.string(), Tolerance).default({}),
});

/** A validated benchmark definition. */
export type Definition = z.infer<typeof DefinitionSchema>;
export type WorkloadDef = z.infer<typeof WorkloadSchema>;
export type SutDef = z.infer<typeof SutSchema>;
export type RunConfig = z.infer<typeof RunConfigSchema>;

/** One cell of the matrix. */
export interface Cell {
  sut: SutDef;
  runConfig: RunConfig;
  workload: WorkloadDef;
}

/** Parses and validates a definition's YAML text; `label` names it in errors. */
export function parseDefinition(text: string, label = "definition"): Definition {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw new SyntaxError(`Cannot read ${label}: not YAML (${(err as Error).message})`);
  }
  const r = DefinitionSchema.safeParse(raw);
  if (!r.success) {
    throw new TypeError(`Cannot read ${label}: ${describeIssue(r.error, "document")}`);
  }
  const def = r.data;
  for (
    const [what, list] of [
      ["workload", def.workloads],
      ["SUT", def.suts],
      ["run config", def.run_configs],
    ] as const
  ) {
    const seen = new Set<string>();
    for (const x of list) {
      if (seen.has(x.name)) {
        throw new TypeError(`Cannot read ${label}: two ${what}s named ${x.name}`);
      }
      seen.add(x.name);
    }
  }
  for (const w of def.workloads) {
    if ("synthetic" in w && w.synthetic.kind === "concat") {
      const of = w.synthetic.of;
      if (!of || !def.workloads.some((x) => x.name === of && "source" in x)) {
        throw new TypeError(
          `Cannot read ${label}: workloads.${w.name}: concat needs "of" naming a dataset workload`,
        );
      }
    }
  }
  cells(def, label);
  return def;
}

/** Reads and validates a definition file. */
export function loadDefinition(path: string): Definition {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (err) {
    throw new Error(`Cannot read definition ${path}: ${(err as Error).message}`);
  }
  return parseDefinition(text, path);
}

/** The matrix's cells, in order (every combination when the definition has no matrix). */
export function cells(def: Definition, label = "definition"): Cell[] {
  const find = <T extends { name: string }>(list: T[], name: string, what: string, i: number) => {
    const x = list.find((y) => y.name === name);
    if (!x) {
      throw new TypeError(
        `Cannot read ${label}: matrix.${i}.${what}: no ${what.replace("_", " ")} named ${name}`,
      );
    }
    return x;
  };
  if (def.matrix) {
    return def.matrix.map((m, i) => ({
      sut: find(def.suts, m.sut, "sut", i),
      runConfig: find(def.run_configs, m.run_config, "run_config", i),
      workload: find(def.workloads, m.workload, "workload", i),
    }));
  }
  const out: Cell[] = [];
  for (const sut of def.suts) {
    for (const runConfig of def.run_configs) {
      for (const workload of def.workloads) out.push({ sut, runConfig, workload });
    }
  }
  return out;
}

/** A tolerance as a function: may `now` be this much worse than `base` (in the bad direction)? */
export function allowedWorse(tolerance: number | string | undefined, base: number): number {
  if (tolerance === undefined) return 0;
  if (typeof tolerance === "number") return tolerance;
  return (Math.abs(base) * Number(tolerance.slice(0, -1))) / 100;
}
