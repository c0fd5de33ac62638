/**
 * Bundles the browser client (`client/src/app.ts`, and the privacy mode's AudioWorklet
 * `client/src/mel_worklet.ts`) for the browser
 * with esbuild into `.cache/client/`: `deno task build:client`. The server builds it on start when
 * the bundle is missing or older than any source it is made from.
 *
 * @module
 */

import * as esbuild from "esbuild";

const ROOT = new URL("../", import.meta.url).pathname;
/** Where the bundle goes. */
export const CLIENT_OUT_DIR = `${ROOT}.cache/client`;
const ENTRIES = {
  app: `${ROOT}client/src/app.ts`,
  mel_worklet: `${ROOT}client/src/mel_worklet.ts`,
};
/** Folders whose files end up in the bundle. */
const SOURCES = [`${ROOT}client/src`, `${ROOT}protocol`];

async function newest(dir: string): Promise<number> {
  let t = 0;
  for await (const e of Deno.readDir(dir)) {
    if (!e.isFile || e.name.endsWith("_test.ts")) continue;
    t = Math.max(t, (await Deno.stat(`${dir}/${e.name}`)).mtime?.getTime() ?? 0);
  }
  return t;
}

/** Whether the bundle is missing or older than its sources. */
export async function needsBuild(): Promise<boolean> {
  let built = Infinity;
  for (const name of Object.keys(ENTRIES)) {
    try {
      built = Math.min(built, (await Deno.stat(`${CLIENT_OUT_DIR}/${name}.js`)).mtime!.getTime());
    } catch {
      return true;
    }
  }
  for (const dir of SOURCES) if ((await newest(dir)) > built) return true;
  return false;
}

/** Bundles the client; throws with esbuild's messages on a build error. */
export async function buildClient(): Promise<void> {
  await Deno.mkdir(CLIENT_OUT_DIR, { recursive: true });
  try {
    await esbuild.build({
      entryPoints: ENTRIES,
      outdir: CLIENT_OUT_DIR,
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
}

if (import.meta.main) {
  const t0 = performance.now();
  await buildClient();
  console.error(`client built in ${Math.round(performance.now() - t0)} ms → ${CLIENT_OUT_DIR}`);
}
