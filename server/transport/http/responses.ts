/**
 * The small answers every route gives: JSON bodies, a refusal's `{error}`, a wrong method's 405
 * with `Allow`, a CORS preflight.
 *
 * @module
 */

/** A JSON response with `status` and extra `headers`. */
export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** A refusal: `{error}` with `status`. */
export function fail(status: number, error: string): Response {
  return json(status, { error });
}

/**
 * A `405` for `method` on `where` (a path, or what it names): `{error}` saying which methods to
 * use, and an `Allow` header listing them and `OPTIONS` (every route answers a preflight).
 */
export function methodNotAllowed(
  method: string,
  where: string,
  allowed: readonly string[],
): Response {
  return json(405, {
    error: `Method ${method} not allowed on ${where} (use ${allowed.join(" or ")})`,
  }, { allow: [...allowed, "OPTIONS"].join(", ") });
}

/** The answer to a CORS preflight (`OPTIONS`); the app adds the CORS headers. */
export function preflight(): Response {
  return new Response(null, { status: 204 });
}
