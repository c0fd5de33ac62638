/**
 * A child process that runs one cell of a benchmark for the runner: reads a {@linkcode CellJob}
 * as JSON on stdin, reports progress as JSON lines on stderr, and prints the cell's results as
 * JSON on stdout. In-process SUTs run here so that their CPU time and peak memory are their own.
 *
 * @module
 */

import { audioCache, type CellJob, runCell } from "./runner.ts";

const job = JSON.parse(await new Response(Deno.stdin.readable).text()) as CellJob;
const enc = new TextEncoder();
const result = await runCell(job, audioCache(), (progress) => {
  Deno.stderr.writeSync(enc.encode(JSON.stringify({ progress }) + "\n"));
});
await Deno.stdout.write(enc.encode(JSON.stringify(result)));
// Native libraries may keep threads or handles alive; the cell is done.
Deno.exit(0);
