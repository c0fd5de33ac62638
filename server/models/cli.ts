/**
 * `deno task model <name>... [options]`: downloads whisper.cpp ggml models and Silero VAD models
 * into `models/`, verified against their published checksums; `--list` shows the catalogue.
 *
 * @module
 */

import { isAbsolute, relative, resolve } from "node:path";
import { z } from "zod";
import {
  type CommandSpec,
  flagSchema,
  type FlagTable,
  helpText,
  parseFlags,
} from "../../util/flags.ts";
import { CATALOG, findModel, hasChecksum, type ModelEntry } from "./catalog.ts";
import { downloadModel, type DownloadResult } from "./download.ts";
import { createProgressReporter, formatSize } from "./progress.ts";
import { modelFileName, MODELS_DIR, modelSearchDirs, REPO_ROOT } from "./resolve.ts";

/** The flags of `deno task model`. */
export const MODEL_FLAGS = {
  dir: {
    flag: "--dir",
    arg: "DIR",
    schema: z.string().min(1).default(MODELS_DIR),
    defaultHelp: "models/ of the repository",
    help: "download folder",
  },
  force: {
    flag: "--force",
    schema: z.boolean().default(false),
    help: "download again even when the file is present",
  },
  verify: {
    flag: "--no-verify",
    sets: false,
    schema: z.boolean().default(true),
    help: "skip an already present file without hashing it",
  },
  allowUnverified: {
    flag: "--allow-unverified",
    schema: z.boolean().default(false),
    help: "download a model that has no published checksum (it cannot be checked)",
  },
  baseUrl: {
    flag: "--base-url",
    arg: "URL",
    schema: z.url({ protocol: /^https?$/ }).optional(),
    defaultHelp: "HUM_MODEL_BASE_URL, else the catalogue's URL",
    help: "fetch <URL>/ggml-<name>.bin instead (a mirror)",
  },
  list: {
    flag: "--list",
    schema: z.boolean().default(false),
    help: "list the known models, their sizes and which are present locally",
  },
} as const satisfies FlagTable;

/** `deno task model`: its usage and flags. */
export const MODEL_COMMAND: CommandSpec<typeof MODEL_FLAGS> = {
  usage: "deno task model <name>... [options]\ndeno task model --list",
  about: "Downloads whisper.cpp ggml models (tiny.en, base-q5_1, large-v3-turbo, ...) and Silero " +
    "VAD models (silero-v5.1.2, silero-v6.2.0), verified against their published checksums. " +
    "Prints the path of each model on stdout; progress and messages go to stderr.",
  flags: MODEL_FLAGS,
  positional: { key: "names", arity: "many" },
};

const Options = flagSchema(MODEL_FLAGS).extend({ names: z.array(z.string().min(1)) });
/** Parsed command line of `deno task model`. */
export type Options = z.infer<typeof Options>;

/** Parses command-line arguments; throws an Error with a one-line reason. */
export function parseArgs(args: string[]): Options | "help" {
  const opts = parseFlags(MODEL_COMMAND, Options, args);
  if (opts !== "help" && !opts.list && opts.names.length === 0) {
    throw new Error("Cannot parse arguments: name a model to download, or --list (see --help)");
  }
  return opts;
}

/** What {@linkcode main} reads and writes; replaceable in tests. */
export interface CliIo {
  /** Writes to standard output. */
  stdout: (text: string) => void;
  /** Writes to standard error. */
  stderr: (text: string) => void;
  /** Whether standard error is a terminal (progress bar vs. plain lines). */
  interactive: boolean;
  /** Fetch implementation for downloads. */
  fetch?: typeof fetch;
  /** Environment lookup (`HUM_MODEL_BASE_URL`). */
  env?: (key: string) => string | undefined;
  /** Aborts running downloads (Ctrl-C). */
  signal?: AbortSignal;
}

function writer(stream: { writeSync(p: Uint8Array): number }): (text: string) => void {
  const enc = new TextEncoder();
  return (text) => {
    let data = enc.encode(text);
    while (data.byteLength > 0) data = data.subarray(stream.writeSync(data));
  };
}

/** `path` relative to the working directory when that is short (`models/…`, `../shared/…`). */
function displayPath(path: string): string {
  const rel = relative(Deno.cwd(), path);
  const ups = rel.split(/[\\/]/).findIndex((part) => part !== "..");
  return rel === "" || isAbsolute(rel) || ups > 1 ? path : rel;
}

async function sizeOf(path: string): Promise<number | null> {
  try {
    const info = await Deno.stat(path);
    return info.isFile ? info.size : null;
  } catch {
    return null;
  }
}

/** Where a model file is present: the download folder first, then the other searched folders. */
async function presence(entry: ModelEntry, dir: string): Promise<string> {
  const dirs = [
    resolve(dir),
    ...modelSearchDirs(REPO_ROOT).filter((d) => resolve(d) !== resolve(dir)),
  ];
  for (const d of dirs) {
    const size = await sizeOf(resolve(d, modelFileName(entry.name)));
    if (size === null) continue;
    const note = entry.size !== undefined && size !== entry.size
      ? " (not the published file: different size)"
      : "";
    return `${displayPath(resolve(d))}${note}`;
  }
  return "-";
}

/** The text of `--list`. */
export async function listModels(dir: string): Promise<string> {
  const rows = [["NAME", "KIND", "SIZE", "CHECKSUM", "PRESENT IN"]];
  for (const e of CATALOG) {
    const sums = [e.sha256 && "sha256", e.sha1 && "sha1"].filter(Boolean).join("+") || "none";
    rows.push([
      e.name,
      e.kind,
      e.size === undefined ? "?" : formatSize(e.size),
      sums,
      await presence(e, dir),
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const lines = rows.map((r) =>
    r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join("  ")
  );
  return `${lines.join("\n")}\n\nDownloads are verified against sha256 (else sha1); "none" needs ` +
    `--allow-unverified. "PRESENT IN" only checks that the file exists.\n`;
}

function describe(result: DownloadResult): string {
  const check = result.verified ? `${result.verified} verified` : "NOT verified";
  const what = result.status === "skipped" ? "already present" : "downloaded";
  const resumed = result.resumedFrom > 0 ? `, resumed from ${formatSize(result.resumedFrom)}` : "";
  return `${result.name}: ${what} ${displayPath(result.path)} (${
    formatSize(result.bytes)
  }, ${check}${resumed})`;
}

/** Runs the command; returns the exit code (0 ok, 1 failed, 2 bad arguments). */
export async function main(args: string[], io: CliIo): Promise<number> {
  let opts: Options | "help";
  try {
    opts = parseArgs(args);
  } catch (err) {
    io.stderr(`${(err as Error).message}\n`);
    return 2;
  }
  if (opts === "help") {
    io.stdout(helpText(MODEL_COMMAND));
    return 0;
  }
  if (opts.list) {
    io.stdout(await listModels(opts.dir));
    if (opts.names.length === 0) return 0;
  }
  const unknown = opts.names.filter((n) => findModel(n) === undefined);
  if (unknown.length > 0) {
    io.stderr(
      `Cannot download ${unknown.map((n) => `"${n}"`).join(", ")}: not a known model name ` +
        `(see \`deno task model --list\`)\n`,
    );
    return 1;
  }
  for (const name of opts.names) {
    const entry = findModel(name)!;
    const progress = createProgressReporter({ write: io.stderr, interactive: io.interactive });
    try {
      if (!hasChecksum(entry) && opts.allowUnverified) {
        io.stderr(`\n!!! ${entry.name} has NO published checksum: it will NOT be verified !!!\n\n`);
      }
      const result = await downloadModel(entry, {
        dir: opts.dir,
        baseUrl: opts.baseUrl,
        force: opts.force,
        verifyExisting: opts.verify,
        allowUnverified: opts.allowUnverified,
        fetch: io.fetch,
        env: io.env,
        signal: io.signal,
        onProgress: (p) => progress.update(p),
        onWarning: (msg) => io.stderr(`WARNING: ${msg}\n`),
      });
      progress.end();
      io.stderr(`${describe(result)}\n`);
      io.stdout(`${resolve(result.path)}\n`);
    } catch (err) {
      progress.end();
      io.stderr(`${String((err as Error).message ?? err).replaceAll("\n", " ")}\n`);
      return 1;
    }
  }
  return 0;
}

if (import.meta.main) {
  const controller = new AbortController();
  const onInterrupt = () => controller.abort();
  try {
    Deno.addSignalListener("SIGINT", onInterrupt);
  } catch {
    // signals unsupported here: Ctrl-C just ends the process, the .part file stays for a resume
  }
  const code = await main(Deno.args, {
    stdout: writer(Deno.stdout),
    stderr: writer(Deno.stderr),
    interactive: Deno.stderr.isTerminal(),
    signal: controller.signal,
  });
  Deno.exit(code);
}
