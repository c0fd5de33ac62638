/**
 * The one error type audio decoding raises.
 *
 * @module
 */

/**
 * Why audio could not be decoded: `unsupported` (a format or codec this service does not
 * decode: HTTP 415), `too_long` (past the duration limit: 413), `invalid` (empty, corrupt,
 * truncated to nothing, absurd parameters, unreadable: 400).
 */
export type AudioDecodeErrorKind = "unsupported" | "too_long" | "invalid";

/**
 * An audio file could not be decoded. The message reads
 * `Cannot decode audio: <path> <reason>`, e.g.
 * `Cannot decode audio: /x/y.wav is empty (0 bytes)`.
 */
export class AudioDecodeError extends Error {
  /** The file (or, for bytes, the name they came with). */
  readonly path: string;
  /** What is wrong with it, e.g. "does not exist". */
  readonly reason: string;
  /** What kind of failure it is (default `invalid`). */
  readonly kind: AudioDecodeErrorKind;

  constructor(
    path: string,
    reason: string,
    options?: ErrorOptions & { kind?: AudioDecodeErrorKind },
  ) {
    super(`Cannot decode audio: ${path} ${reason}`, options);
    this.name = "AudioDecodeError";
    this.path = path;
    this.reason = reason;
    this.kind = options?.kind ?? "invalid";
  }
}
