/**
 * A network impairment shim on the sending side: packets go in in send order and come out
 * dropped (a share `loss`, each packet independently) or reordered (a share `reorder` of the
 * packets not dropped are held back and sent after the next `depth` packets that do go out), as
 * a lossy, reordering network would deliver them. Every decision comes from a generator seeded
 * with `seed` (`util/random.ts`, mulberry32), so a run is the same every time. The CLI client puts its RTP packets through it
 * (`--loss`, `--reorder`, `--seed`); the fault suite uses it to check what the server's jitter
 * buffer and Opus concealment make of such a stream.
 *
 * @module
 */

import { SeededRandom } from "../util/random.ts";

/** How packets are impaired. */
export interface ImpairmentOptions {
  /** Share of packets dropped, 0 ≤ loss < 1 (default 0). */
  loss?: number;
  /** Share of the packets not dropped that are sent late, 0 ≤ reorder < 1 (default 0). */
  reorder?: number;
  /** A late packet goes out after this many later packets (default 1). */
  depth?: number;
  /** Seed of the generator (default 1): the same seed impairs the same way. */
  seed?: number;
}

/** What an {@linkcode Impairment} did so far. */
export interface ImpairmentCounts {
  /** Packets taken in. */
  offered: number;
  /** Packets dropped. */
  dropped: number;
  /** Packets sent after later ones. */
  reordered: number;
  /** Packets sent (in time or late). */
  sent: number;
}

/** Drops and reorders packets; see the module doc. */
export class Impairment<T> {
  readonly #loss: number;
  readonly #reorder: number;
  readonly #depth: number;
  readonly #rng: SeededRandom;
  /** Late packets, each with how many more packets must go out before it. */
  readonly #held: { packet: T; left: number }[] = [];
  readonly counts: ImpairmentCounts = { offered: 0, dropped: 0, reordered: 0, sent: 0 };

  constructor(opts: ImpairmentOptions = {}) {
    const loss = opts.loss ?? 0, reorder = opts.reorder ?? 0, depth = opts.depth ?? 1;
    if (!(loss >= 0 && loss < 1)) throw new RangeError(`loss must be in [0, 1), got ${loss}`);
    if (!(reorder >= 0 && reorder < 1)) {
      throw new RangeError(`reorder must be in [0, 1), got ${reorder}`);
    }
    if (!(Number.isInteger(depth) && depth >= 1)) {
      throw new RangeError(`depth must be a whole number ≥ 1, got ${depth}`);
    }
    this.#loss = loss;
    this.#reorder = reorder;
    this.#depth = depth;
    this.#rng = new SeededRandom(opts.seed ?? 1);
  }

  /** Whether it does anything at all. */
  get active(): boolean {
    return this.#loss > 0 || this.#reorder > 0;
  }

  /** Takes the next packet in send order; returns the packets to send now, in order. */
  push(packet: T): T[] {
    this.counts.offered++;
    // Both draws happen for every packet, so loss and reordering decisions stay independent.
    const lost = this.#rng.next() < this.#loss;
    const late = this.#rng.next() < this.#reorder;
    if (lost) {
      this.counts.dropped++;
      return [];
    }
    if (late) {
      this.#held.push({ packet, left: this.#depth });
      return [];
    }
    const out = [packet];
    for (let i = 0; i < this.#held.length;) {
      const h = this.#held[i];
      if (--h.left > 0) {
        i++;
        continue;
      }
      this.#held.splice(i, 1);
      out.push(h.packet);
      this.counts.reordered++;
    }
    this.counts.sent += out.length;
    return out;
  }

  /** At the end of the stream: the packets still held back (sent late: nothing follows them). */
  flush(): T[] {
    const out = this.#held.splice(0).map((h) => h.packet);
    this.counts.sent += out.length;
    return out;
  }
}
