/**
 * `deno task bench:report RESULTS.yaml… [--out REPORT.html]`: renders the HTML report of one run,
 * or of several (oldest first) with each cell's figures from run to run and the newest run compared
 * with the oldest — a dashboard over past runs. Default output: beside the newest results file.
 *
 * @module
 */

import { readResults } from "../harness/baseline.ts";
import { renderReport } from "./html.ts";

const HELP = `Usage: deno task bench:report RESULTS.yaml... [--out REPORT.html]`;

/** Renders the report of results files; returns the HTML's path. */
export async function writeReport(paths: string[], out?: string): Promise<string> {
  const runs = paths.map(readResults)
    .sort((a, b) => a.provenance.started_at.localeCompare(b.provenance.started_at));
  const dest = out ?? paths[paths.length - 1].replace(/\.ya?ml$/, "") + ".html";
  await Deno.writeTextFile(dest, renderReport(runs));
  return dest;
}

if (import.meta.main) {
  const args = [...Deno.args];
  if (!args.length || args.includes("--help")) {
    console.log(HELP);
    Deno.exit(args.length ? 0 : 2);
  }
  const i = args.indexOf("--out");
  const out = i >= 0 ? args.splice(i, 2)[1] : undefined;
  try {
    console.log(await writeReport(args, out));
  } catch (err) {
    console.error((err as Error).message);
    Deno.exit(1);
  }
}
