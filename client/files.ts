/**
 * The browser client's files as the server serves them: URL path → file. The TypeScript sources
 * are bundled by `build.ts` into `.cache/client/`; {@linkcode clientFiles} builds them first when
 * the bundle is missing or older than its sources.
 *
 * @module
 */

import { buildClient, CLIENT_OUT_DIR, needsBuild } from "./build.ts";

const WEB = new URL("./web/", import.meta.url).pathname;

/** URL path → file path of every file the client needs; builds the bundle when stale. */
export async function clientFiles(): Promise<Record<string, string>> {
  if (await needsBuild()) await buildClient();
  return {
    "/": `${WEB}index.html`,
    "/index.html": `${WEB}index.html`,
    "/style.css": `${WEB}style.css`,
    "/app.js": `${CLIENT_OUT_DIR}/app.js`,
    "/mel_worklet.js": `${CLIENT_OUT_DIR}/mel_worklet.js`,
  };
}
