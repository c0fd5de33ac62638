/**
 * `deno task loadtest --sessions 1,2,4,8 --duration 60 --file F`: N concurrent WebRTC clients on
 * loopback, each streaming F in real time, for each N. Without `--url` it starts the service as
 * a process of its own for each level (so its memory is measured apart from the clients'). Prints
 * a table and the largest N whose p90 word-emission latency stays within the bound; `--out`
 * writes the reports as YAML.
 *
 * @module
 */

import { z } from "zod";
import { stringify } from "yaml";
import {
  type CommandSpec,
  flagSchema,
  type FlagTable,
  helpText,
  parseFlags,
} from "../../util/flags.ts";
import { runCommand } from "../../util/command.ts";
import { type LoadReport, runLoad, siblingFile, sustained } from "./load.ts";
import { GENERATOR_BUSY_PCT } from "./generator.ts";
import { freePort, type ServerProcess, startServerProcess } from "./server_process.ts";

/** The flags of `deno task loadtest`. */
export const LOADTEST_FLAGS = {
  file: {
    flag: "--file",
    arg: "F",
    schema: z.string().min(1),
    help: "audio file (its .txt and .align.json beside it are used if present); or give it as " +
      "the one argument",
  },
  sessions: {
    flag: "--sessions",
    arg: "N[,N…]",
    schema: z.string().regex(/^\d+(,\d+)*$/, "must be N or N,N,…").default("1,2,4")
      .transform((s) => s.split(",").map(Number)),
    help: "concurrent clients per level",
  },
  duration: {
    flag: "--duration",
    arg: "S",
    schema: z.coerce.number().positive().default(60),
    unit: "s",
    help: "how long each level runs (at least one session per client)",
  },
  url: {
    flag: "--url",
    arg: "URL",
    schema: z.string().url().optional(),
    defaultHelp: "start one per level on loopback",
    help: "a running server",
  },
  mode: {
    flag: "--mode",
    arg: "M",
    schema: z.enum(["latency", "balanced", "accuracy"]).default("latency"),
    help: "latency | balanced | accuracy",
  },
  transport: {
    flag: "--transport",
    arg: "T",
    schema: z.enum(["media", "audio", "mel", "ws"]).default("media"),
    help: "media | audio | mel | ws (PCM16 over a WebSocket)",
  },
  slots: {
    flag: "--slots",
    arg: "N",
    schema: z.coerce.number().int().positive().optional(),
    defaultHelp: "the server's",
    help: "inference slots of the server started here",
  },
  model: {
    flag: "--model",
    arg: "NAME|PATH",
    schema: z.string().min(1).optional(),
    defaultHelp: "the server's",
    help: "model of the server started here",
  },
  boundMs: {
    flag: "--bound-ms",
    arg: "MS",
    schema: z.coerce.number().positive().default(2000),
    unit: "ms",
    help: 'p90 emission latency bound for "sustained"',
  },
  upload: {
    flag: "--upload",
    arg: "FILE",
    schema: z.string().min(1).optional(),
    help: "also upload FILE back to back during each level (live sessions beside file " +
      "transcription)",
  },
  profile: {
    flag: "--profile",
    schema: z.boolean().default(false),
    help: "profile the server's JS thread at each level (V8 inspector) and print where its time " +
      "went, beside the stage timers of /metrics",
  },
  perWorker: {
    flag: "--per-worker",
    arg: "N",
    schema: z.coerce.number().int().min(0).max(256).default(8),
    help: "clients per worker process of the load generator (0: all in this process); a level " +
      "whose generator thread passes 70 % of a core gives no capacity figure",
  },
  settle: {
    flag: "--settle",
    arg: "S",
    schema: z.coerce.number().min(0).max(3600).default(0),
    unit: "s",
    help: "after each level, leave the server idle this long and read its memory again (does a " +
      "burst's memory come back?)",
  },
  serverArgs: {
    flag: "--server-arg",
    arg: "ARG",
    repeat: "append",
    schema: z.array(z.string()).default([]),
    help: "a flag for the server started here (repeat it: --server-arg=--idle-state-release-s " +
      "--server-arg=0)",
  },
  out: {
    flag: "--out",
    arg: "FILE",
    schema: z.string().optional(),
    help: "write the reports as YAML",
  },
} as const satisfies FlagTable;

/** `deno task loadtest`: its usage and flags. */
export const LOADTEST_COMMAND: CommandSpec<typeof LOADTEST_FLAGS> = {
  usage: "deno task loadtest --file F [options]",
  about: "N concurrent WebRTC clients, each streaming F in real time, session after session.",
  flags: LOADTEST_FLAGS,
  positional: { key: "file", arity: "optional" },
};

const Options = flagSchema(LOADTEST_FLAGS);
type Options = z.infer<typeof Options>;

/** Parses the command line; throws an Error with a one-line reason. */
export function parseArgs(args: string[]): Options | "help" {
  return parseFlags(LOADTEST_COMMAND, Options, args);
}

const s = (ms: number | null) => (ms === null ? "–" : (ms / 1000).toFixed(2));

/** The reports as a text table. */
export function loadTable(reports: readonly LoadReport[]): string {
  const head = [
    "sessions",
    "runs",
    "words",
    "p50 s",
    "p90 s",
    "p99 s",
    "lost",
    "errors",
    "WER %",
    "server MB",
    "settled MB",
    "uploads",
    "gen %",
  ];
  const rows = reports.map((r) => [
    String(r.sessions),
    String(r.runs),
    String(r.words),
    s(r.emission_p50_ms),
    s(r.emission_p90_ms),
    s(r.emission_p99_ms),
    String(r.lost_segments),
    String(r.errors.length),
    r.wer_pct === undefined ? "–" : r.wer_pct.toFixed(2),
    r.server_peak_rss_mb === undefined ? "–" : `${r.server_rss_start_mb}→${r.server_peak_rss_mb}`,
    r.server_rss_settled_mb === undefined ? "–" : String(r.server_rss_settled_mb),
    r.uploads === undefined ? "–" : `${r.uploads} (${r.upload_median_s ?? "–"} s)`,
    // The busiest generator thread, % of a core; "!" past the limit.
    `${r.generator.max_thread_cpu_pct}${r.generator_busy ? "!" : ""}`,
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [head, ...rows].map((r) => r.map((x, i) => x.padStart(w[i])).join("  ")).join("\n");
}

async function main(opts: Options): Promise<number> {
  const reference = siblingFile(opts.file, ".txt");
  const base = {
    file: opts.file,
    durationS: opts.duration,
    mode: opts.mode,
    transport: opts.transport,
    alignPath: siblingFile(opts.file, ".align.json"),
    reference: reference ? Deno.readTextFileSync(reference) : undefined,
    uploadFile: opts.upload,
    settleS: opts.settle,
    perWorker: opts.perWorker,
  };
  const reports: LoadReport[] = [];
  for (const n of opts.sessions) {
    let server: ServerProcess | undefined;
    const profilePort = opts.profile && !opts.url ? freePort() : undefined;
    if (!opts.url) {
      server = await startServerProcess({
        maxSessions: Math.max(64, n),
        slots: opts.slots,
        model: opts.model,
        // Measure latency at every N: refusing sessions under load is admission's job, not here.
        args: ["--no-refuse-when-overloaded", ...opts.serverArgs],
        inspectPort: profilePort,
      });
    }
    console.error(`loadtest: ${n} sessions for ${opts.duration} s…`);
    try {
      reports.push(
        await runLoad({ ...base, url: opts.url ?? server!.url, sessions: n, server }),
      );
    } finally {
      await server?.stop();
    }
    const last = reports.at(-1)!;
    for (const e of last.errors.slice(0, 5)) console.error(`  ${e}`);
    for (const l of (last.lost_samples ?? []).slice(0, 5)) {
      console.error(
        `  lost: client ${l.client} segment ${l.segmentId} ("${l.lastPartial}" at ${l.lastPartialMs} ms, ` +
          `${l.committed} words committed; then ${l.after.join(", ")}; ${l.lastStats})`,
      );
    }
    if (last.generator_busy) {
      console.error(
        `  the load generator's busiest thread ran at ${last.generator.max_thread_cpu_pct} % of a ` +
          `core (over ${GENERATOR_BUSY_PCT} %): this level measured the generator too, and gives ` +
          `no capacity figure (lower --per-worker)`,
      );
    }
    if (last.server_stages_s) {
      const stages = Object.entries(last.server_stages_s).filter(([, v]) => v > 0)
        .map(([k, v]) => `${k} ${v.toFixed(2)}`).join(", ");
      console.error(`  server stage time, s: ${stages}`);
    }
    if (last.server_profile) {
      const top = last.server_profile.categories.slice(0, 14)
        .map((c) => `${c.category} ${c.pct} %`).join(", ");
      console.error(
        `  server JS thread (${(last.server_profile.totalMs / 1000).toFixed(1)} s): ${top}`,
      );
    }
    if (last.server_queue) {
      console.error(`  server queue at the end: ${JSON.stringify(last.server_queue)}`);
    }
  }
  console.log(loadTable(reports));
  const basis = reports[0]?.latency_basis === "alignment"
    ? "against the forced alignment"
    : "against the server's word times";
  console.log(
    `Sessions sustained at p90 ≤ ${opts.boundMs / 1000} s (${basis}, no lost segments, ` +
      `generator under ${GENERATOR_BUSY_PCT} % of a core a thread): ` +
      `${sustained(reports, opts.boundMs)}`,
  );
  if (opts.out) {
    await Deno.writeTextFile(
      opts.out,
      stringify({ file: opts.file, mode: opts.mode, transport: opts.transport, reports }),
    );
  }
  return reports.some((r) => r.errors.length || r.lost_segments) ? 1 : 0;
}

if (import.meta.main) {
  Deno.exit(await runCommand(Deno.args, helpText(LOADTEST_COMMAND), parseArgs, main));
}
