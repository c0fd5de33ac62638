/**
 * The small answers every route gives: JSON bodies, a refusal's `{error}`, a CORS preflight.
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

/** The answer to a CORS preflight (`OPTIONS`); the app adds the CORS headers. */
export function preflight(): Response {
  return new Response(null, { status: 204 });
}
