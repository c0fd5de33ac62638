/**
 * Errors raised by the libsndfile binding.
 *
 * @module
 */

/** A libsndfile call failed; `message` carries libsndfile's own explanation. */
export class SndfileError extends Error {
  /** The C function that failed. */
  readonly op: string;
  /** libsndfile's error number (`sf_error`), when it gave one. */
  readonly code: number | null;
  /** libsndfile's text for the failure (`sf_strerror`), e.g. "Format not recognised". */
  readonly reason: string;

  constructor(op: string, message: string, reason: string, code: number | null = null) {
    super(message);
    this.name = "SndfileError";
    this.op = op;
    this.reason = reason;
    this.code = code;
  }
}

/**
 * libsndfile's error texts sometimes start with "Error : " and end with a period; ours do neither
 * ("Error : flac decoder lost sync." → "flac decoder lost sync").
 */
export function tidyReason(text: string): string {
  return text.trim().replace(/^Error\s*:\s*/, "").replace(/\.+$/, "");
}
