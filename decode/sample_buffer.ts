/**
 * A growable buffer of float samples: decoders push blocks of a count they do not know in advance
 * and take the whole at the end, trimmed to length.
 *
 * @module
 */

/** A growable Float32Array. */
export class SampleBuffer {
  #data: Float32Array<ArrayBuffer>;
  /** Samples pushed so far. */
  length = 0;

  /** `capacity`: samples to allocate up front (at least 1024). */
  constructor(capacity: number) {
    this.#data = new Float32Array(Math.max(1024, capacity));
  }

  /** Appends `samples`. */
  push(samples: Float32Array): void {
    if (this.length + samples.length > this.#data.length) {
      const grown = new Float32Array(Math.max(this.#data.length * 2, this.length + samples.length));
      grown.set(this.#data.subarray(0, this.length));
      this.#data = grown;
    }
    this.#data.set(samples, this.length);
    this.length += samples.length;
  }

  /** The samples, trimmed to length. */
  take(): Float32Array<ArrayBuffer> {
    return this.length === this.#data.length ? this.#data : this.#data.slice(0, this.length);
  }
}
