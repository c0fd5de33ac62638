/**
 * Turns a model name (`tiny.en`, `silero-v5.1.2`) or a path into the absolute path of a ggml file.
 *
 * Order: an explicit path (anything containing `/` or ending in `.bin`) → `HUM_MODEL` when no
 * name was given → `<repo>/models/ggml-<name>.bin` → `<repo>/../shared/models/ggml-<name>.bin`.
 *
 * @module
 */

import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { findModel } from "./catalog.ts";

/** The Whisper model used when neither a name nor `HUM_MODEL` is given. */
export const DEFAULT_MODEL = "tiny.en";
/** The Silero VAD model used when none is named. */
export const DEFAULT_VAD_MODEL = "silero-v5.1.2";

/** The repository root: two folders above this module. */
export const REPO_ROOT: string = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Where models are downloaded to by default: `HUM_MODELS_DIR`, else `<repo>/models`. */
export const MODELS_DIR: string = resolve(denoEnv("HUM_MODELS_DIR") || join(REPO_ROOT, "models"));

/**
 * The folders searched for `ggml-<name>.bin`, in order, for a repository root: its `models/`
 * (`HUM_MODELS_DIR` instead, for the default root), then the shared data's `models/`
 * (`HUM_SHARED_DIR`, else `../shared` beside the root).
 */
export function modelSearchDirs(
  repoRoot: string = REPO_ROOT,
  env: (key: string) => string | undefined = denoEnv,
): string[] {
  const own = repoRoot === REPO_ROOT ? env("HUM_MODELS_DIR") : undefined;
  const shared = env("HUM_SHARED_DIR") || join(repoRoot, "..", "shared");
  return [resolve(own || join(repoRoot, "models")), resolve(shared, "models")];
}

/** The file name a model is stored under: `ggml-<name>.bin`. */
export function modelFileName(name: string): string {
  return `ggml-${name}.bin`;
}

/** Options of {@linkcode resolveModel}; all optional, for tests and embedders. */
export interface ResolveOptions {
  /** Environment lookup for `HUM_MODEL`; defaults to `Deno.env.get`. */
  env?: (key: string) => string | undefined;
  /** Repository root whose `models/` and `../shared/models/` are searched; defaults to {@linkcode REPO_ROOT}. */
  repoRoot?: string;
  /** Folders to search instead of those of `repoRoot`. */
  dirs?: string[];
  /** Base of relative paths; defaults to the working directory. */
  cwd?: string;
}

/** `Deno.env.get`, or undefined without `--allow-env`. */
export function denoEnv(key: string): string | undefined {
  try {
    return Deno.env.get(key);
  } catch {
    return undefined; // no --allow-env: behave as if unset
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/** Whether `spec` names a file rather than a catalogue model. */
export function looksLikePath(spec: string): boolean {
  return spec.includes("/") || spec.includes("\\") || spec.endsWith(".bin");
}

/**
 * Resolves a model name or path to an absolute path of an existing file.
 *
 * @param nameOrPath a model name (`base-q5_1`), a path (`./my.bin`, `/models/x.bin`), or nothing
 *   for `HUM_MODEL`, then {@linkcode DEFAULT_MODEL}
 * @throws Error `Cannot find model ...` naming every path tried and how to download the model
 */
export async function resolveModel(
  nameOrPath?: string,
  opts: ResolveOptions = {},
): Promise<string> {
  const env = opts.env ?? denoEnv;
  const cwd = opts.cwd ?? Deno.cwd();
  const dirs = opts.dirs ?? modelSearchDirs(opts.repoRoot ?? REPO_ROOT, env);

  let spec = nameOrPath?.trim() || undefined;
  let origin = "";
  if (spec === undefined) {
    spec = env("HUM_MODEL")?.trim() || undefined;
    origin = spec === undefined ? " (the default)" : " (from HUM_MODEL)";
    spec ??= DEFAULT_MODEL;
  }

  const tried: string[] = [];
  if (looksLikePath(spec)) {
    const path = isAbsolute(spec) ? resolve(spec) : resolve(cwd, spec);
    tried.push(path);
    if (await isFile(path)) return path;
    const bare = !spec.includes("/") && !spec.includes("\\");
    if (bare) {
      // `ggml-tiny.en.bin` on its own: also look for that file name in the model folders.
      for (const dir of dirs) {
        const candidate = resolve(dir, spec);
        tried.push(candidate);
        if (await isFile(candidate)) return candidate;
      }
    }
    throw new Error(`Cannot find model file "${spec}"${origin}: tried ${tried.join(", ")}`);
  }

  for (const dir of dirs) {
    const candidate = resolve(dir, modelFileName(spec));
    tried.push(candidate);
    if (await isFile(candidate)) return candidate;
  }
  const hint = findModel(spec) !== undefined
    ? `download it with \`deno task model ${spec}\``
    : `"${spec}" is not a known model name (see \`deno task model --list\`); ` +
      `download one with \`deno task model <name>\``;
  throw new Error(`Cannot find model "${spec}"${origin}: tried ${tried.join(", ")}; ${hint}`);
}
