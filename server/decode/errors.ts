/**
 * The one error type audio decoding raises.
 *
 * @module
 */

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

  constructor(path: string, reason: string, options?: ErrorOptions) {
    super(`Cannot decode audio: ${path} ${reason}`, options);
    this.name = "AudioDecodeError";
    this.path = path;
    this.reason = reason;
  }
}
