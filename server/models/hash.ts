/**
 * Incremental SHA-256 + SHA-1 over a byte stream (node:crypto, which Deno implements natively;
 * crypto.subtle cannot digest a stream), and the comparison of digests with a catalogue entry.
 *
 * @module
 */

import { createHash, type Hash } from "node:crypto";

/** Both digests of some bytes, lower-case hex. */
export interface Digests {
  /** SHA-256, 64 hex digits. */
  sha256: string;
  /** SHA-1, 40 hex digits. */
  sha1: string;
}

/** Feeds chunks to SHA-256 and SHA-1 at once. */
export class DualHasher {
  #sha256: Hash = createHash("sha256");
  #sha1: Hash = createHash("sha1");
  #bytes = 0;

  /** Adds a chunk. */
  update(chunk: Uint8Array): void {
    this.#sha256.update(chunk);
    this.#sha1.update(chunk);
    this.#bytes += chunk.byteLength;
  }

  /** Bytes hashed so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Finishes both digests; the hasher cannot be used afterwards. */
  digest(): Digests {
    return { sha256: this.#sha256.digest("hex"), sha1: this.#sha1.digest("hex") };
  }
}

/** Reads `path` from the start into `hasher`, chunk by chunk (constant memory). */
export async function hashFileInto(path: string, hasher: DualHasher): Promise<void> {
  using file = await Deno.open(path, { read: true });
  const buf = new Uint8Array(1 << 20);
  for (;;) {
    const n = await file.read(buf);
    if (n === null) break;
    hasher.update(buf.subarray(0, n));
  }
}

/** SHA-256 and SHA-1 of the whole file at `path`. */
export async function hashFile(path: string): Promise<Digests> {
  const hasher = new DualHasher();
  await hashFileInto(path, hasher);
  return hasher.digest();
}

/** Checksums a file is expected to have. */
export interface Expected {
  /** Expected SHA-256 (hex), when known. */
  sha256?: string;
  /** Expected SHA-1 (hex), when known. */
  sha1?: string;
}

/** Outcome of comparing digests with what a catalogue entry expects. */
export type Verdict =
  | { ok: true; algorithm: "sha256" | "sha1"; sha1Disagrees: boolean }
  | { ok: false; algorithm: "sha256" | "sha1"; expected: string; actual: string }
  | { ok: null };

/**
 * Compares `actual` with `expected`. SHA-256 decides when the entry has one (SHA-1 is then only
 * reported when it disagrees, a catalogue error worth a warning but not a failed download);
 * otherwise SHA-1 decides. `{ ok: null }` when there is nothing to compare with.
 */
export function verify(expected: Expected, actual: Digests): Verdict {
  if (expected.sha256 !== undefined) {
    const e = expected.sha256.toLowerCase();
    if (e !== actual.sha256) {
      return { ok: false, algorithm: "sha256", expected: e, actual: actual.sha256 };
    }
    const sha1Disagrees = expected.sha1 !== undefined &&
      expected.sha1.toLowerCase() !== actual.sha1;
    return { ok: true, algorithm: "sha256", sha1Disagrees };
  }
  if (expected.sha1 !== undefined) {
    const e = expected.sha1.toLowerCase();
    if (e !== actual.sha1) {
      return { ok: false, algorithm: "sha1", expected: e, actual: actual.sha1 };
    }
    return { ok: true, algorithm: "sha1", sha1Disagrees: false };
  }
  return { ok: null };
}
