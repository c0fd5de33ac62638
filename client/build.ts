/**
 * Bundles the browser client (`client/src/app.ts`, and the privacy mode's AudioWorklet
 * `client/src/mel_worklet.ts`) for the browser with esbuild into `.cache/client/`, beside a copy
 * of the page and its style (`client/web/`): `deno task build:client`. `deno task start` runs it
 * with `--if-stale` first, which builds only when the bundle is missing or older than any source
 * it is made from; the server itself never builds it (`files.ts`).
 *
 * @module
 */

import * as esbuild from "esbuild";
import { CLIENT_OUT_DIR, needsBuild } from "./files.ts";

export { CLIENT_OUT_DIR, needsBuild } from "./files.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const ENTRIES = {
  app: `${ROOT}client/src/app.ts`,
  mel_worklet: `${ROOT}client/src/mel_worklet.ts`,
};
/** Files served as they are, copied into the bundle folder. */
const COPIED = ["index.html", "style.css"];

/** Bundles the client into `outDir`; throws with esbuild's messages on a build error. */
export async function buildClient(outDir: string = CLIENT_OUT_DIR): Promise<void> {
  await Deno.mkdir(outDir, { recursive: true });
  try {
    await esbuild.build({
      entryPoints: ENTRIES,
      outdir: outDir,
      bundle: true,
      format: "esm",
      target: ["es2022"],
      minify: true,
      sourcemap: "linked",
      logLevel: "warning",
      absWorkingDir: ROOT,
    });
  } finally {
    await esbuild.stop();
  }
  for (const name of COPIED) await Deno.copyFile(`${ROOT}client/web/${name}`, `${outDir}/${name}`);
}

/**
 * Builds the bundle when it is missing or older than its sources (`deno task start`, and the
 * tests that serve the page); returns whether it built.
 */
export async function ensureClientBuilt(): Promise<boolean> {
  if (!(await needsBuild())) return false;
  await buildClient();
  return true;
}

if (import.meta.main) {
  const t0 = performance.now();
  if (Deno.args.includes("--if-stale")) {
    if (await ensureClientBuilt()) {
      console.error(`client built in ${Math.round(performance.now() - t0)} ms → ${CLIENT_OUT_DIR}`);
    }
  } else {
    await buildClient();
    console.error(`client built in ${Math.round(performance.now() - t0)} ms → ${CLIENT_OUT_DIR}`);
  }
}
