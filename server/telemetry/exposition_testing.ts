/**
 * For tests: Prometheus text exposition parsed by the official Python client's parser
 * (`parse_exposition.py`, in the tools venv that `deploy/k8s/tools.sh` sets up).
 *
 * @module
 */

import { join } from "node:path";
import { REPO_ROOT } from "../../ffi/whisper/build.ts";

/** A metric family as the parser reads it. */
export interface MetricFamily {
  name: string;
  type: string;
  samples: { name: string; labels: Record<string, string>; value: number }[];
}

const PYTHON = join(
  Deno.env.get("HUM_CACHE_DIR") ?? join(REPO_ROOT, ".cache"),
  "tools",
  "venv",
  "bin",
  "python",
);

/** Whether the parser is installed. */
export const HAVE_PARSER: boolean = (() => {
  try {
    return Deno.statSync(PYTHON).isFile;
  } catch {
    return false;
  }
})();

/** Parses exposition text; throws with the parser's message when it is malformed. */
export async function parseExposition(text: string): Promise<MetricFamily[]> {
  const child = new Deno.Command(PYTHON, {
    args: [join(REPO_ROOT, "server", "telemetry", "parse_exposition.py")],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(text));
  await w.close();
  const out = await child.output();
  if (!out.success) {
    throw new Error(`Prometheus text does not parse: ${new TextDecoder().decode(out.stderr)}`);
  }
  return JSON.parse(new TextDecoder().decode(out.stdout));
}
