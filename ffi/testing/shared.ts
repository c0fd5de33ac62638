/**
 * Where the read-only test data lives (`../shared` beside the repository, or `HUM_SHARED_DIR`):
 * real Whisper models and human speech with reference transcripts.
 *
 * @module
 */

import { join, resolve } from "node:path";
import { REPO_ROOT } from "../whisper/build.ts";

/** The shared data folder. */
export const SHARED_DIR: string = resolve(
  Deno.env.get("HUM_SHARED_DIR") ?? join(REPO_ROOT, "..", "shared"),
);

/** A path inside the shared folder. */
export function sharedPath(...parts: string[]): string {
  return join(SHARED_DIR, ...parts);
}

/** Whether every named shared file exists (tests that need them are ignored otherwise). */
export function hasShared(...relPaths: string[]): boolean {
  return relPaths.every((p) => {
    try {
      return Deno.statSync(sharedPath(p)).isFile;
    } catch {
      return false;
    }
  });
}
