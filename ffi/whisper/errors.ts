/**
 * Errors raised by the whisper binding. Native failures carry the operation and the return code.
 *
 * @module
 */

/** A libwhisper call failed or returned nothing usable. */
export class WhisperError extends Error {
  /** The C function that failed. */
  readonly op: string;
  /** Its return code, when it returned one. */
  readonly code: number | null;

  constructor(op: string, message: string, code: number | null = null) {
    super(code === null ? message : `${message} (${op} returned ${code})`);
    this.name = "WhisperError";
    this.op = op;
    this.code = code;
  }
}

/** The loaded libwhisper is not the version this binding was written for. */
export class WhisperVersionError extends Error {
  readonly found: string;
  readonly expected: string;

  constructor(path: string, found: string, expected: string) {
    super(
      `Cannot use libwhisper: ${path} is version ${found}, hum-helix needs ${expected}.x ` +
        `(struct layouts differ between versions; rebuild with \`deno task build:whisper\`)`,
    );
    this.name = "WhisperVersionError";
    this.found = found;
    this.expected = expected;
  }
}

/** Throws a {@linkcode WhisperError} when a libwhisper call returned non-zero. */
export function checkCode(op: string, code: number, what: string): void {
  if (code !== 0) throw new WhisperError(op, `Cannot ${what}`, code);
}
