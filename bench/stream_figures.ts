/**
 * `deno run -A bench/stream_figures.ts --align-dir DIR [--gap-ms 500] [--yaml OUT] EVENTS...`:
 * streaming figures (word-emission, first-partial and finalization latency, streaming WER) from
 * event streams written by `deno task stream --out <id>.events.jsonl`, against
 * `<DIR>/<id>.align.json` and `<DIR>/<id>.txt`.
 *
 * @module
 */

import { stringify } from "yaml";
import { parseEvent, type TranscriptEvent } from "../protocol/events.ts";
import { SessionMessageSchema } from "../protocol/control.ts";
import { readAlignment } from "./metrics/word_timing.ts";
import { type PooledFigures, poolFigures, streamFigures } from "./metrics/stream_latency.ts";

/**
 * Reads a JSON-lines event file; errors name the file and line. Session messages (`ready`, `pong`,
 * `ack`, `ended`: what `deno task client` also prints) are skipped.
 */
export function readEvents(path: string): TranscriptEvent[] {
  const lines = Deno.readTextFileSync(path).split("\n");
  const events: TranscriptEvent[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    if (!line.includes('"seq"') && SessionMessageSchema.safeParse(JSON.parse(line)).success) return;
    try {
      events.push(parseEvent(line));
    } catch (err) {
      throw new Error(`${path}:${i + 1}: ${(err as Error).message}`);
    }
  });
  return events;
}

/** Runs the command; returns the pooled figures. */
export function main(args: string[]): PooledFigures {
  let alignDir = "";
  let gapMs = 500;
  let yamlOut = "";
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--align-dir") alignDir = args[++i] ?? "";
    else if (a === "--gap-ms") gapMs = Number(args[++i]);
    else if (a === "--yaml") yamlOut = args[++i] ?? "";
    else if (a.startsWith("-")) throw new Error(`Unknown option ${a}`);
    else files.push(a);
  }
  if (!alignDir || !files.length || !(gapMs >= 0)) {
    throw new Error(
      "Usage: stream_figures.ts --align-dir DIR [--gap-ms MS] [--yaml OUT] EVENTS...",
    );
  }
  const figures = [];
  const refs: string[] = [];
  const perFile: Record<string, unknown> = {};
  for (const f of files) {
    const id = f.split("/").pop()!.replace(/(\.events)?\.jsonl$/, "");
    const fig = streamFigures(readEvents(f), readAlignment(`${alignDir}/${id}.align.json`), gapMs);
    figures.push(fig);
    refs.push(Deno.readTextFileSync(`${alignDir}/${id}.txt`));
    const one = poolFigures([fig], [refs[refs.length - 1]]);
    perFile[id] = one;
    console.log(
      `${id}: WER ${one.wer}% emission p50 ${one.emissionP50Ms} p90 ${one.emissionP90Ms} ms; ` +
        `first partial p50 ${one.firstPartialP50Ms}; final p50 ${one.finalizationP50Ms}; ` +
        `max lag ${one.maxLagMs}`,
    );
  }
  const pooled = poolFigures(figures, refs);
  console.log(`pooled: ${JSON.stringify(pooled)}`);
  if (yamlOut) {
    Deno.writeTextFileSync(yamlOut, stringify({ gapMs, pooled, files: perFile }));
  }
  return pooled;
}

if (import.meta.main) {
  try {
    main(Deno.args);
  } catch (err) {
    console.error((err as Error).message);
    Deno.exit(1);
  }
}
