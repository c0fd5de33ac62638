/**
 * The one error type the HTTP side raises for a request it refuses: an HTTP status, a message
 * that says what is wrong (the body's `error`), and extra headers (`Retry-After`,
 * `WWW-Authenticate`). `App` turns it into a JSON response.
 *
 * @module
 */

/** A refused request; see the module doc. */
export class HttpError extends Error {
  /** The HTTP status to answer with. */
  readonly status: number;
  /** Headers to add to the answer. */
  readonly headers: Record<string, string>;
  /** A machine-readable reason, sent as `reason` beside `error` (e.g. `uploads_full`). */
  readonly reason?: string;

  constructor(
    status: number,
    message: string,
    opts: { headers?: Record<string, string>; reason?: string; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "HttpError";
    this.status = status;
    this.headers = opts.headers ?? {};
    if (opts.reason !== undefined) this.reason = opts.reason;
  }
}
