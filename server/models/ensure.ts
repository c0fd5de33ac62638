/**
 * A first run needs nothing but its command: the models a command is about to open are made
 * present first. A catalogue name that no model folder holds is downloaded into `models/` (progress
 * on stderr, checksum verified, an interrupted download resumed next time); offline
 * (`HUM_OFFLINE=1`), or when the download fails, the error names each missing file, where it comes
 * from, its checksum and the folder to put it in. Paths are not downloaded: a missing file is
 * `resolveModel`'s error.
 *
 * @module
 */

import { findModel, type ModelEntry } from "./catalog.ts";
import { downloadModel, sourceUrl } from "./download.ts";
import { createProgressReporter } from "./progress.ts";
import {
  DEFAULT_MODEL,
  denoEnv,
  looksLikePath,
  MODELS_DIR,
  modelSearchDirs,
  REPO_ROOT,
  resolveModel,
} from "./resolve.ts";

/** Options of {@linkcode ensureModels}. */
export interface EnsureOptions {
  /** Folder a missing model is downloaded into (default `<repo>/models`). */
  dir?: string;
  /** Folders searched for a model already present (default `models/`, `../shared/models/`). */
  searchDirs?: string[];
  /** Downloads forbidden (default: `HUM_OFFLINE` is `1`). */
  offline?: boolean;
  /** Catalogue lookup (default the catalogue); tests give their own entries. */
  find?: (name: string) => ModelEntry | undefined;
  /** Environment lookup (`HUM_MODEL`, `HUM_OFFLINE`, `HUM_MODEL_BASE_URL`). */
  env?: (key: string) => string | undefined;
  /** The fetch implementation (default the global one). */
  fetch?: typeof fetch;
  /** Where progress and notes go (default stderr). */
  write?: (text: string) => void;
  /** Whether `write` is a terminal (a redrawn progress bar instead of a line every 10 %). */
  interactive?: boolean;
  signal?: AbortSignal;
  /** What cannot be done without the models, for the errors (default `start`). */
  doing?: string;
}

function stderrWriter(): (text: string) => void {
  const enc = new TextEncoder();
  return (text) => {
    let data = enc.encode(text);
    while (data.byteLength > 0) data = data.subarray(Deno.stderr.writeSync(data));
  };
}

/** How to fetch `entry` by hand: its URL, checksum and size, and the folder it goes into. */
export function fetchByHand(entry: ModelEntry, dir: string, baseUrl?: string): string {
  const sum = entry.sha256 ? `sha256 ${entry.sha256}` : entry.sha1 ? `sha1 ${entry.sha1}` : "";
  const size = entry.size === undefined ? "" : `${entry.size} bytes`;
  const facts = [sum, size].filter(Boolean).join(", ");
  return `${sourceUrl(entry, baseUrl)}${facts ? ` (${facts})` : ""} → ${dir}/${entry.file}`;
}

/**
 * Makes every model of `specs` present and returns their paths, in order. `undefined` stands for
 * the default Whisper model (`HUM_MODEL`, else tiny.en).
 *
 * @throws Error `Cannot start: …` naming every missing file, its source and its folder, when
 *   offline or when a download failed; `resolveModel`'s error for a path or an unknown name.
 */
export async function ensureModels(
  specs: readonly (string | undefined)[],
  opts: EnsureOptions = {},
): Promise<string[]> {
  const env = opts.env ?? denoEnv;
  const find = opts.find ?? findModel;
  const dir = opts.dir ?? MODELS_DIR;
  const dirs = opts.searchDirs ?? modelSearchDirs(REPO_ROOT, env);
  const offline = opts.offline ?? env("HUM_OFFLINE") === "1";
  const baseUrl = env("HUM_MODEL_BASE_URL") || undefined;
  const names = specs.map((s) => s?.trim() || env("HUM_MODEL")?.trim() || DEFAULT_MODEL);
  const missing: ModelEntry[] = [];
  for (const name of names) {
    try {
      await resolveModel(name, { dirs, env });
    } catch (err) {
      const entry = looksLikePath(name) ? undefined : find(name);
      if (!entry) throw err;
      if (!missing.some((m) => m.name === entry.name)) missing.push(entry);
    }
  }
  if (!missing.length) return await Promise.all(names.map((n) => resolveModel(n, { dirs, env })));
  const byHand = () => missing.map((m) => `  ${fetchByHand(m, dir, baseUrl)}`).join("\n");
  if (offline) {
    throw new Error(
      `Cannot ${opts.doing ?? "start"} offline (HUM_OFFLINE=1): ${missing.length} model file(s) ` +
        `missing; ` +
        `fetch them and put them here:\n${byHand()}`,
    );
  }
  const write = opts.write ?? stderrWriter();
  const interactive = opts.interactive ?? (opts.write ? false : Deno.stderr.isTerminal());
  for (const entry of missing) {
    write(`hum: ${entry.name} is not here yet: downloading it into ${dir}\n`);
    const progress = createProgressReporter({ write, interactive });
    try {
      await downloadModel(entry, {
        dir,
        baseUrl,
        fetch: opts.fetch,
        env,
        signal: opts.signal,
        onProgress: (p) => progress.update(p),
        onWarning: (msg) => write(`WARNING: ${msg}\n`),
      });
    } catch (err) {
      throw new Error(
        `Cannot ${opts.doing ?? "start"}: ${(err as Error).message.replaceAll("\n", " ")}. ` +
          `Without a network, ` +
          `fetch the model file(s) and put them here:\n${byHand()}`,
      );
    } finally {
      progress.end();
    }
  }
  return await Promise.all(names.map((n) => resolveModel(n, { dirs: [dir, ...dirs], env })));
}
