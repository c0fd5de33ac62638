/**
 * `deno task bench [DEFINITION.yaml] [--baseline RESULTS.yaml] [--out RESULTS.yaml]`: runs a
 * benchmark definition (default `bench/definitions/default.yaml`), shows progress and a results
 * table, writes the results with provenance to `bench/results/<run>.yaml` and its HTML report
 * beside them, and with `--baseline`
 * compares them metric by metric: exit 1 on a regression beyond the definition's tolerances.
 * `deno task bench --compare RESULTS.yaml --baseline BASE.yaml` compares without running. A soak
 * definition (one with a `soak:` section, e.g. `bench/definitions/soak.yaml`) runs its variants
 * instead (`soak/runner.ts`) and writes its figures the same way, without an HTML report.
 *
 * @module
 */

import { join } from "node:path";
import { z } from "zod";
import { Document, type Scalar, stringify, visit } from "yaml";
import {
  type CommandSpec,
  flagSchema,
  type FlagTable,
  helpText,
  parseFlags,
} from "../util/flags.ts";
import { runCommand } from "../util/command.ts";
import { loadAnyDefinition, type SoakDefinition } from "./definition.ts";
import { runBenchmark } from "./harness/runner.ts";
import { compareResults, readResults, writeResults } from "./harness/baseline.ts";
import { comparisonText, progressLine, resultsTable, sweeps, sweepText } from "./harness/table.ts";
import { REPO_ROOT } from "../ffi/whisper/build.ts";
import { writeReport } from "./report/cli.ts";
import { runSoak } from "./soak/runner.ts";
import { soakTable } from "./soak/figures.ts";

/** The flags of `deno task bench`. */
export const BENCH_FLAGS = {
  out: {
    flag: "--out",
    arg: "PATH",
    schema: z.string().min(1).optional(),
    defaultHelp: "bench/results/",
    help: "results file, or a folder for <run id>.yaml",
  },
  baseline: {
    flag: "--baseline",
    arg: "PATH",
    schema: z.string().min(1).optional(),
    help: "compare with these results; exit 1 on a regression",
  },
  compare: {
    flag: "--compare",
    arg: "PATH",
    schema: z.string().min(1).optional(),
    help: "compare PATH with --baseline, without running anything",
  },
} as const satisfies FlagTable;

/** `deno task bench`: its usage and flags. */
export const BENCH_COMMAND: CommandSpec<typeof BENCH_FLAGS> = {
  usage: "deno task bench [DEFINITION.yaml] [options]",
  about: "Runs a benchmark definition (default bench/definitions/default.yaml) and writes its " +
    "results (YAML, with provenance).",
  flags: BENCH_FLAGS,
  positional: { key: "file", arity: "optional" },
};

const Options = flagSchema(BENCH_FLAGS).extend({
  file: z.string().min(1).default(join(REPO_ROOT, "bench", "definitions", "default.yaml")),
});
type Options = z.infer<typeof Options>;

/** Parses the command line. */
export function parseArgs(args: string[]): Options | "help" {
  return parseFlags(BENCH_COMMAND, Options, args);
}

/** Where the results go: `--out` as a file, or `<run id>.yaml` in `--out` as a folder or the default. */
export function resultsPath(out: string | undefined, runId: string): string {
  if (!out) return join(REPO_ROOT, "bench", "results", `${runId}.yaml`);
  let isDir = out.endsWith("/");
  try {
    isDir ||= Deno.statSync(out).isDirectory;
  } catch {
    // Not there yet: a file path.
  }
  return isDir ? join(out, `${runId}.yaml`) : out;
}

async function bench(opts: Options): Promise<number> {
  if (opts.compare) {
    if (!opts.baseline) throw new Error("Cannot compare: --compare needs --baseline");
    const report = compareResults(readResults(opts.compare), readResults(opts.baseline));
    console.log(comparisonText(report));
    return report.regressions ? 1 : 0;
  }
  const any = loadAnyDefinition(opts.file);
  if (any.kind === "soak") return await soak(any.def, opts);
  const def = any.def;
  const baseline = opts.baseline ? readResults(opts.baseline) : null;
  const tty = Deno.stderr.isTerminal();
  const enc = new TextEncoder();
  let lastCell = 0;
  const results = await runBenchmark(def, {
    definitionPath: opts.file,
    definitionText: Deno.readTextFileSync(opts.file),
    onProgress: (p) => {
      if (tty) Deno.stderr.writeSync(enc.encode(`\r\x1b[2K${progressLine(p)}`));
      else if (p.cell !== lastCell) console.error(progressLine(p));
      lastCell = p.cell;
    },
  });
  if (tty) Deno.stderr.writeSync(enc.encode("\r\x1b[2K"));
  console.log(resultsTable(results));
  const out = resultsPath(opts.out, results.run_id);
  try {
    await Deno.mkdir(join(out, ".."), { recursive: true });
    await writeResults(out, results);
  } catch (err) {
    // A run can take an hour: its results are not lost to a bad path.
    console.log(stringify(results));
    throw new Error(`Cannot write ${out}: ${(err as Error).message} (the results are above)`);
  }
  const html = await writeReport([out]);
  const sweepLines = sweepText(sweeps(results, def.sessions_bound), def.sessions_bound);
  if (sweepLines) console.log(`\n${sweepLines}`);
  console.log(`\nresults: ${out}\nreport: ${html}`);
  let code = results.cells.some((c) => c.error) ? 1 : 0;
  if (baseline) {
    const report = compareResults(results, baseline);
    console.log(`\nagainst ${opts.baseline}:\n${comparisonText(report)}`);
    if (report.regressions) code = 1;
  }
  return code;
}

/**
 * A soak definition: its variants one after the other, a table, the results file (no HTML
 * report: it shows cells, and a soak has none). Exit 1 on a lost segment or an honest error.
 */
async function soak(def: SoakDefinition, opts: Options): Promise<number> {
  if (opts.baseline) throw new Error("Cannot compare a soak with --baseline: compare its figures");
  const results = await runSoak(def, {
    definitionPath: opts.file,
    definitionText: Deno.readTextFileSync(opts.file),
  });
  console.log(soakTable(results.soak.variants));
  const out = resultsPath(opts.out, results.run_id);
  // Each RSS sample ([s, MB]) on one line.
  const doc = new Document(results, { aliasDuplicateObjects: false });
  visit(doc, {
    Seq(_, node) {
      if (
        node.items.length === 2 && node.items.every((x) => typeof (x as Scalar).value === "number")
      ) {
        node.flow = true;
      }
    },
  });
  const text = doc.toString({ lineWidth: 0 });
  try {
    await Deno.mkdir(join(out, ".."), { recursive: true });
    await Deno.writeTextFile(out, text);
  } catch (err) {
    console.log(text);
    throw new Error(`Cannot write ${out}: ${(err as Error).message} (the results are above)`);
  }
  console.log(`\nresults: ${out}`);
  const bad = results.soak.variants.some((v) =>
    v.error || !v.honest || v.honest.lost_segments > 0 || v.honest.errors > 0
  );
  return bad ? 1 : 0;
}

if (import.meta.main) {
  Deno.exit(await runCommand(Deno.args, helpText(BENCH_COMMAND), parseArgs, bench));
}
