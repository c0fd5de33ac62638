/**
 * The project's one seeded random generator: the same seed gives the same numbers on every run
 * and platform, for simulated packet loss (`client/impair.ts`, the server's inbound loss), the
 * bench's synthetic noise and the tests' "random" inputs. Never for anything secret.
 *
 * Two recipes, kept because seeded outputs are pinned (tests, bench workloads): mulberry32 (the
 * default: good statistics for its size) and xorshift32 (Marsaglia's 13/17/5 triple).
 *
 * @example
 * ```ts
 * import { SeededRandom } from "./random.ts";
 * const a = new SeededRandom(7), b = new SeededRandom(7);
 * if (a.next() !== b.next()) throw new Error("same seed, same numbers");
 * ```
 *
 * @module
 */

/** Which recipe a {@linkcode SeededRandom} runs. */
export type RandomAlgorithm = "mulberry32" | "xorshift32";

/** A deterministic generator of 32-bit numbers from a seed. */
export class SeededRandom {
  #s: number;
  readonly #xorshift: boolean;

  /**
   * `seed` is taken as an unsigned 32-bit integer. xorshift32 never leaves state 0, so a seed of
   * 0 starts it at 1.
   */
  constructor(seed: number, algorithm: RandomAlgorithm = "mulberry32") {
    this.#xorshift = algorithm === "xorshift32";
    this.#s = this.#xorshift ? (seed >>> 0 || 1) : seed >>> 0;
  }

  /** The next number, an unsigned 32-bit integer. */
  nextUint32(): number {
    if (this.#xorshift) {
      let x = this.#s;
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (this.#s = x >>> 0);
    }
    this.#s = (this.#s + 0x6d2b79f5) >>> 0;
    let t = this.#s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** The next number, uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 0x1_0000_0000;
  }
}

/** `() => number` uniform in [0, 1), for callers that want a function. */
export function seededRandom(
  seed: number,
  algorithm: RandomAlgorithm = "mulberry32",
): () => number {
  const r = new SeededRandom(seed, algorithm);
  return () => r.next();
}
