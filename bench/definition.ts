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
    /** Keep items whose path inside the source matches this glob (`*` `**` `?` `{a,b}`). */
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
    /**
     * What the client sends: an Opus `media` track, PCM16 frames on the `audio` channel, log-mel
     * frames on `mel`, PCM16 frames over a WebSocket (`ws`, `GET /v1/sessions/ws`: the same
     * session without WebRTC), or OpenAI's Realtime API through the official Python client
     * (`realtime`, `/v1/realtime?intent=transcription`, 24 kHz PCM16; needs the tools venv of
     * `deploy/k8s/tools.sh`; always at the speaker's pace).
     */
    transport: z.enum(["media", "audio", "mel", "ws", "realtime"]).default("media"),
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
    /** How to install the program when it is missing (shown in the cell's error). */
    install: z.string().min(1).optional(),
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
    /**
     * The cell's time budget, s: once it is spent, the cell starts no further item or trial and
     * its figures are those of the items done (`truncated` says so); a cell in a process of its
     * own that runs on well past it is stopped. For a short lease of a machine: every part yields
     * what it can.
     */
    time_limit_s: z.number().positive().max(86_400).optional(),
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

/** A positive number of seconds, at most a day. */
const Seconds = z.number().positive().max(86_400);

/**
 * The hostile clients of a soak, each bounded: how many at once or how often. A kind left out
 * does not run.
 */
export const HostileSchema = z.strictObject({
  /** Uploads whose body trickles in a byte at a time (raw TCP), reopened when the server cuts one. */
  trickle: z.strictObject({
    clients: z.number().int().min(1).max(16),
    /** Seconds between two bytes. */
    byte_every_s: Seconds.default(3),
  }).optional(),
  /** Session offers (a real SDP) posted, then the client peer closed without connecting. */
  unconnected_post: z.strictObject({
    /** One offer per this many seconds. */
    every_s: Seconds,
  }).optional(),
  /** A connected session sent one message of `bytes` on its `audio` channel; a new one each time. */
  oversized: z.strictObject({
    every_s: Seconds,
    bytes: z.number().int().min(1).max(64 * 2 ** 20).default(4 * 2 ** 20),
    /** How long to watch for the server's answer before leaving, s. */
    wait_s: Seconds.default(10),
  }).optional(),
  /** Connected sessions whose Opus track carries random payloads (20 ms RTP timestamps). */
  junk_rtp: z.strictObject({
    clients: z.number().int().min(1).max(16).default(1),
    /** How long each junk session sends, s, before it leaves. */
    session_s: Seconds.default(30),
    /** Pause before the next junk session, s. */
    pause_s: Seconds.default(5),
  }).optional(),
});

/** The variants of a soak: the same honest load with and without the hostile clients. */
export const SOAK_VARIANTS = ["with_hostile", "without_hostile"] as const;

/** A soak: real-time sessions for a long time beside bounded hostile clients. */
export const SoakSchema = z.strictObject({
  /** How long each variant's honest clients keep starting sessions, s. */
  duration_s: Seconds,
  /** The server, started as a process of its own for each variant (`deno task start` flags). */
  server: z.strictObject({
    model: z.string().min(1).default("tiny.en"),
    max_sessions: z.number().int().min(1).max(10_000).default(32),
    /** More `serve.ts` flags, e.g. `--no-refuse-when-overloaded`. */
    args: z.array(z.string().min(1)).default([]),
  }).default({ model: "tiny.en", max_sessions: 32, args: [] }),
  /** The honest load: as `deno task loadtest`, one level. */
  honest: z.strictObject({
    sessions: z.number().int().min(1).max(64),
    /** Audio file, relative to the definition; its .txt and .align.json beside it are used. */
    file: z.string().min(1),
    transport: z.enum(["media", "audio", "mel", "ws"]).default("media"),
    mode: z.enum(MODE_NAMES).default("latency"),
    /** Clients start spread over this many ms. */
    spread_ms: z.number().int().min(0).max(600_000).default(1000),
  }),
  /** Seconds between two samples of the server's RSS. */
  rss_interval_s: Seconds.default(10),
  /**
   * After the load, the idle server is sampled this much longer (past `--idle-state-release-s`)
   * before it is stopped: what RSS comes back to tells held memory from a leak, s.
   */
  settle_s: z.number().min(0).max(3_600).default(0),
  hostile: HostileSchema.default({}),
  /** Which variants run, in this order, each on a fresh server process. */
  variants: z.array(z.enum(SOAK_VARIANTS)).min(1).max(2)
    .refine((v) => new Set(v).size === v.length, "each variant at most once")
    .default([...SOAK_VARIANTS]),
});

/** A soak definition: a `soak:` section instead of workloads, SUTs and run configs. */
export const SoakDefinitionSchema = z.strictObject({
  benchmark: Name,
  description: z.string().optional(),
  soak: SoakSchema,
});

/** A validated soak definition. */
export type SoakDefinition = z.infer<typeof SoakDefinitionSchema>;
export type SoakDef = z.infer<typeof SoakSchema>;
export type HostileDef = z.infer<typeof HostileSchema>;

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
  /** Its time budget, s (`matrix[].time_limit_s`). */
  timeLimitS?: number;
}

/** Parses and validates a definition's YAML text; `label` names it in errors. */
export function parseDefinition(text: string, label = "definition"): Definition {
  const raw = readYaml(text, label);
  if (isSoak(raw)) {
    throw new TypeError(`Cannot read ${label}: a soak definition (it has "soak:"), not a matrix`);
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

function readYaml(text: string, label: string): unknown {
  try {
    return parse(text);
  } catch (err) {
    throw new SyntaxError(`Cannot read ${label}: not YAML (${(err as Error).message})`);
  }
}

function isSoak(raw: unknown): boolean {
  return typeof raw === "object" && raw !== null && "soak" in raw;
}

/** Parses and validates a soak definition's YAML text; `label` names it in errors. */
export function parseSoakDefinition(text: string, label = "definition"): SoakDefinition {
  const r = SoakDefinitionSchema.safeParse(readYaml(text, label));
  if (!r.success) {
    throw new TypeError(`Cannot read ${label}: ${describeIssue(r.error, "document")}`);
  }
  const { soak } = r.data;
  if (soak.variants.includes("with_hostile") && !Object.values(soak.hostile).some(Boolean)) {
    throw new TypeError(
      `Cannot read ${label}: soak.hostile: the with_hostile variant needs at least one hostile ` +
        "client (trickle, unconnected_post, oversized, junk_rtp)",
    );
  }
  return r.data;
}

/** A definition of either kind: a matrix of cells, or a soak. */
export type AnyDefinition =
  | { kind: "matrix"; def: Definition }
  | { kind: "soak"; def: SoakDefinition };

/** Parses a definition of either kind: a document with a `soak:` section is a soak. */
export function parseAnyDefinition(text: string, label = "definition"): AnyDefinition {
  return isSoak(readYaml(text, label))
    ? { kind: "soak", def: parseSoakDefinition(text, label) }
    : { kind: "matrix", def: parseDefinition(text, label) };
}

function readDefinitionText(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch (err) {
    throw new Error(`Cannot read definition ${path}: ${(err as Error).message}`);
  }
}

/** Reads and validates a definition file of either kind. */
export function loadAnyDefinition(path: string): AnyDefinition {
  return parseAnyDefinition(readDefinitionText(path), path);
}

/** Reads and validates a definition file. */
export function loadDefinition(path: string): Definition {
  return parseDefinition(readDefinitionText(path), path);
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
      ...(m.time_limit_s ? { timeLimitS: m.time_limit_s } : {}),
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
