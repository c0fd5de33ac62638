/**
 * The browser client's files (the page, its bundle, styles, icons): `GET`/`HEAD` on a path of the
 * table → the file, with its content type and `Cache-Control: no-cache`. A path not in the table
 * is a `404`; a file of the table that is missing is the client not being built, a `503` that
 * says how to build it.
 *
 * @module
 */

import { fail } from "../responses.ts";

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml",
  json: "application/json",
  webmanifest: "application/manifest+json",
};

/** The static files; see the module doc. */
export class StaticRoute {
  readonly #files: Record<string, string>;

  /** `files`: URL path → file path. */
  constructor(files: Record<string, string> = {}) {
    this.#files = files;
  }

  /** The file at URL `path`. */
  async serve(path: string): Promise<Response> {
    const file = this.#files[path];
    if (!file) return fail(404, `Nothing at ${path}`);
    let body: Uint8Array;
    try {
      body = await Deno.readFile(file);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) {
        return fail(
          503,
          `The browser client is not built (${file}): run \`deno task build:client\``,
        );
      }
      throw err;
    }
    const ext = file.slice(file.lastIndexOf(".") + 1);
    return new Response(body as Uint8Array<ArrayBuffer>, {
      headers: {
        "content-type": TYPES[ext] ?? "application/octet-stream",
        "cache-control": "no-cache",
      },
    });
  }
}
