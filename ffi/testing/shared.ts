/**
 * Where the read-only test data lives (`../shared` beside the repository, or `HUM_SHARED_DIR`):
 * real Whisper models and human speech with reference transcripts.
 *
 * @module
 */

import { join, resolve } from "node:path";
import { REPO_ROOT } from "../whisper/build.ts";
import { MODELS_DIR } from "../../server/models/resolve.ts";

/** The shared data folder. */
export const SHARED_DIR: string = resolve(
  Deno.env.get("HUM_SHARED_DIR") ?? join(REPO_ROOT, "..", "shared"),
);

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * A path inside the shared folder. A model (`models/<file>`) the shared folder lacks is taken
 * from the repository's own `models/` when it is there (`test_data.ts` downloads the test models
 * into it on a machine without the shared data).
 */
export function sharedPath(...parts: string[]): string {
  const path = join(SHARED_DIR, ...parts);
  const rel = join(...parts).split(/[\\/]/);
  if (rel.length === 2 && rel[0] === "models" && !isFile(path)) {
    const own = join(MODELS_DIR, rel[1]);
    if (isFile(own)) return own;
  }
  return path;
}

/** Whether every named shared file exists (tests that need them are ignored otherwise). */
export function hasShared(...relPaths: string[]): boolean {
  return relPaths.every((p) => isFile(sharedPath(p)));
}
