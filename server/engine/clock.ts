/**
 * The session clock events are stamped with (`emittedMs`): ms since the first audio sample
 * arrived. In real time it is wall time; in a computationally aware simulation audio "arrives"
 * as fast as it is consumed and the clock advances only with the compute time spent on it, so
 * latencies include processing without waiting in real time.
 *
 * @module
 */

/** A session clock. */
export interface SessionClock {
  /** ms since the first audio sample arrived (0 before it). */
  now(): number;
  /** Marks the arrival of the first sample. Idempotent. */
  start(): void;
  /** Runs compute work; a simulated clock charges its duration, a real one just runs it. */
  measure<T>(work: () => Promise<T>): Promise<T>;
}

/** Wall-clock time since `start()`. */
export class RealClock implements SessionClock {
  #t0: number | null = null;
  readonly #perfNow: () => number;

  constructor(perfNow: () => number = () => performance.now()) {
    this.#perfNow = perfNow;
  }

  start(): void {
    this.#t0 ??= this.#perfNow();
  }

  now(): number {
    return this.#t0 === null ? 0 : this.#perfNow() - this.#t0;
  }

  measure<T>(work: () => Promise<T>): Promise<T> {
    return work();
  }
}

/**
 * Simulated time: audio arrives on this clock, and compute time is added when work is done.
 * Audio of length `d` pushed at clock time `t` cannot be consumed before `t = audioEndMs`.
 */
export class SimulatedClock implements SessionClock {
  #t = 0;
  readonly #charge: (realMs: number) => number;

  /**
   * `charge` turns a piece of work's real duration into the time charged for it (default: the
   * real duration). A constant (`() => 0`) makes a session's decode points, and so its
   * transcript, independent of how fast the machine happened to be: a determinism check.
   */
  constructor(opts: { charge?: (realMs: number) => number } = {}) {
    this.#charge = opts.charge ?? ((ms) => ms);
  }

  start(): void {}

  now(): number {
    return this.#t;
  }

  /** Waits (in simulated time) until audio up to `audioEndMs` has arrived. */
  waitForAudio(audioEndMs: number): void {
    this.#t = Math.max(this.#t, audioEndMs);
  }

  /** Charges `ms` of compute time. */
  spend(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`Cannot spend ${ms} ms: must be a non-negative number`);
    this.#t += ms;
  }

  /** Runs `work`, charging its real duration (as `charge` sees it) to the clock. */
  async measure<T>(work: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await work();
    } finally {
      this.spend(this.#charge(performance.now() - t0));
    }
  }
}

/**
 * Encoder frames (`audio_ctx`) for a buffer of `bufferMs`: Whisper's 1500 frames cover 30 s, so
 * a short buffer needs proportionally fewer; `marginFrames` more guard against the runaway
 * repetition a window cut too close causes. Rounded up to a multiple of 64, at most 1500.
 */
export function audioCtxFor(bufferMs: number, marginFrames = 128): number {
  if (!(bufferMs >= 0)) throw new RangeError(`Cannot size audio_ctx: bufferMs is ${bufferMs}`);
  const frames = Math.ceil((bufferMs / 30_000) * 1500) + marginFrames;
  return Math.min(1500, Math.ceil(frames / 64) * 64);
}
