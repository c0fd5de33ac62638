/**
 * `deno task check:prebuilt` (`./hum check:prebuilt`): fails unless `./hum start` would find
 * everything it builds already built, for the current settings (`HUM_BACKEND`,
 * `HUM_WHISPER_PORTABLE`, …): libwhisper in build.ts's cache, the log filter, the browser client's
 * bundle; and unless the dynamic loader finds every library libwhisper's build needs. The image
 * (Dockerfile) runs it as its last build step, as the runtime user, so that a stale or misplaced
 * cache fails the image build instead of a container start. It builds nothing.
 *
 * @module
 */

import { join } from "node:path";
import { existsSync, findWhisperBuild, logShimPath } from "../../ffi/whisper/build.ts";
import { needsBuild } from "../../client/build.ts";

/**
 * Libraries that only the NVIDIA driver provides: the container runtime mounts them into a GPU
 * container, so an image has none of them while it is built.
 */
export const DRIVER_LIBRARIES: readonly string[] = ["libcuda.so.1"];

/** The sonames that `ldd` output reports as `not found`. */
export function unresolvedLibraries(lddOutput: string): string[] {
  const out: string[] = [];
  for (const line of lddOutput.split("\n")) {
    const m = line.match(/^\s*(\S+)\s+=>\s+not found\s*$/);
    if (m && !out.includes(m[1])) out.push(m[1]);
  }
  return out;
}

/** What is missing for `./hum start`, one line each; empty when everything is in place. */
export async function prebuiltProblems(): Promise<string[]> {
  const problems: string[] = [];
  const lookup = await findWhisperBuild();
  if (!lookup.current) {
    problems.push(`libwhisper (${lookup.backend}) is not built: no ${lookup.dir}/build.json`);
  } else {
    const bin = join(lookup.current.library, "..");
    for (const e of Deno.readDirSync(bin)) {
      if (!e.isFile || !e.name.includes(".so")) continue; // the files, not their soname links
      const ldd = await new Deno.Command("ldd", { args: [join(bin, e.name)], stdout: "piped" })
        .output();
      const missing = unresolvedLibraries(new TextDecoder().decode(ldd.stdout))
        .filter((l) => !DRIVER_LIBRARIES.includes(l));
      if (missing.length) problems.push(`${e.name} needs ${missing.join(", ")}: not found`);
    }
  }
  const shim = await logShimPath();
  if (!existsSync(shim)) problems.push(`the log filter is not built: no ${shim}`);
  if (await needsBuild()) problems.push("the client bundle (.cache/client) is missing or stale");
  return problems;
}

if (import.meta.main) {
  const problems = await prebuiltProblems();
  if (problems.length) {
    for (const p of problems) console.error(`check:prebuilt: ${p}`);
    Deno.exit(1);
  }
  const { current } = await findWhisperBuild();
  console.log(`check:prebuilt: ready: ${current!.library} (${current!.key}), log filter, client`);
}
