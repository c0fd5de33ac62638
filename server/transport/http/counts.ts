/**
 * Things in flight counted per key (an API key's name, a client address), with their total:
 * what the per-key and per-client caps of sessions and uploads read.
 *
 * @module
 */

/** Counts per key; a key at zero is forgotten. */
export class CountsByKey {
  readonly #counts = new Map<string, number>();
  #total = 0;

  /** The count of `key` (0 if none). */
  get(key: string): number {
    return this.#counts.get(key) ?? 0;
  }

  /** All keys together. */
  get total(): number {
    return this.#total;
  }

  /** One more for `key`. */
  add(key: string): void {
    this.#counts.set(key, this.get(key) + 1);
    this.#total++;
  }

  /** One fewer for `key` (nothing if it has none). */
  remove(key: string): void {
    const n = this.get(key);
    if (n <= 0) return;
    if (n > 1) this.#counts.set(key, n - 1);
    else this.#counts.delete(key);
    this.#total--;
  }
}
