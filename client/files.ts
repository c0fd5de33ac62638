/**
 * The browser client's files as the server serves them: URL path → file, all in the bundle
 * folder `.cache/client/` that `build.ts` writes (`deno task build:client`; `deno task start`
 * runs it first when the bundle is missing or stale). The server never builds it: without a
 * bundle the page answers 503 saying to run `deno task build:client`. Nothing here imports
 * esbuild.
 *
 * @module
 */

const ROOT = new URL("../", import.meta.url).pathname;

/** Where the bundle goes. */
export const CLIENT_OUT_DIR = `${ROOT}.cache/client`;

/** The bundle's files (each in the bundle folder) → the URL paths they are served at. */
export const BUNDLE_FILES: Readonly<Record<string, readonly string[]>> = {
  "index.html": ["/", "/index.html"],
  "style.css": ["/style.css"],
  "app.js": ["/app.js"],
  "mel_worklet.js": ["/mel_worklet.js"],
};

/** Folders whose files end up in the bundle (the page and style are copied from `client/web`). */
export const CLIENT_SOURCES: readonly string[] = [
  `${ROOT}client/src`,
  `${ROOT}client/web`,
  `${ROOT}protocol`,
];

/** URL path → file path of every file the client needs, in the bundle folder `dir`. */
export function clientFiles(dir: string = CLIENT_OUT_DIR): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [name, paths] of Object.entries(BUNDLE_FILES)) {
    for (const p of paths) files[p] = `${dir}/${name}`;
  }
  return files;
}

async function newest(dir: string): Promise<number> {
  let t = 0;
  for await (const e of Deno.readDir(dir)) {
    if (!e.isFile || e.name.endsWith("_test.ts")) continue;
    t = Math.max(t, (await Deno.stat(`${dir}/${e.name}`)).mtime?.getTime() ?? 0);
  }
  return t;
}

/** Whether the bundle in `dir` is there and newer than every source it is made from. */
export async function clientBundleState(
  dir: string = CLIENT_OUT_DIR,
): Promise<"ready" | "missing" | "stale"> {
  let built = Infinity;
  for (const name of Object.keys(BUNDLE_FILES)) {
    try {
      built = Math.min(built, (await Deno.stat(`${dir}/${name}`)).mtime!.getTime());
    } catch {
      return "missing";
    }
  }
  for (const src of CLIENT_SOURCES) if ((await newest(src)) > built) return "stale";
  return "ready";
}

/** Whether the bundle is missing or older than its sources. */
export async function needsBuild(dir: string = CLIENT_OUT_DIR): Promise<boolean> {
  return (await clientBundleState(dir)) !== "ready";
}

/**
 * What the server logs at start when the bundle is not ready, or null when it is: the page
 * answers 503 while it is missing, and serves the old bundle while it is stale.
 */
export async function clientBundleWarning(dir: string = CLIENT_OUT_DIR): Promise<string | null> {
  const state = await clientBundleState(dir);
  if (state === "ready") return null;
  return state === "missing"
    ? `the browser client is not built (${dir}): the page answers 503 until \`deno task build:client\` builds it`
    : `the browser client in ${dir} is older than its sources: \`deno task build:client\` rebuilds it`;
}
