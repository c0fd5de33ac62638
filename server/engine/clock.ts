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
  /**
   * Whether work may run in the background, beside the session's other work (a segment's closing
   * decode while the next segment's audio is taken): then {@linkcode background} runs it.
   */
  readonly overlaps: boolean;
  /**
   * Runs compute work that does not hold the session up: time passes for it as for the work
   * beside it. Where the clock does not {@linkcode overlaps}, it only runs `work` (its caller
   * awaits it in place, and the measures inside charge it).
   */
  background<T>(work: () => Promise<T>): Promise<T>;
}

/** Wall-clock time since `start()`. */
export class RealClock implements SessionClock {
  #t0: number | null = null;
  readonly #perfNow: () => number;
  readonly overlaps = true;

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

  background<T>(work: () => Promise<T>): Promise<T> {
    return work();
  }
}

/** Options of a {@linkcode SimulatedClock}. */
export interface SimulatedClockOptions {
  /**
   * Turns a piece of work's real duration into the time charged for it (default: the real
   * duration). A constant (`() => 0`) makes a session's decode points, and so its transcript,
   * independent of how fast the machine happened to be: a determinism check.
   */
  charge?: (realMs: number) => number;
  /**
   * Whether background work runs beside the session's other work (default: only when `charge` is
   * the real duration — a fixed charge would make the overlap, and so the transcript, depend on
   * the machine again). Without, a session awaits it in place.
   */
  overlaps?: boolean;
  /** Wall clock, ms (default `performance.now`; tests give a fake). */
  wallNow?: () => number;
}

/**
 * Simulated time: audio arrives on this clock, and compute time is added when work is done.
 * Audio of length `d` pushed at clock time `t` cannot be consumed before `t = audioEndMs`.
 *
 * Background work (a closing decode beside the next segment's audio) ties the clock to the wall
 * while it runs: time passes as it really does, audio arrives at its real pace
 * ({@linkcode arrival} waits for it) and the work beside it is not charged again — so what
 * overlaps in a live session overlaps here, on the same cores. When the last background work ends
 * the clock is free to jump to the next audio again.
 */
export class SimulatedClock implements SessionClock {
  #t = 0;
  readonly #charge: (realMs: number) => number;
  readonly #wall: () => number;
  readonly overlaps: boolean;
  /** Background works running. */
  #running = 0;
  /** While tied: the clock and wall times the tie began at. */
  #tie: { t: number; wall: number } | null = null;
  /** Wall time tied before the current tie, ms (what work running across a tie is not charged). */
  #tiedBefore = 0;
  /** Waiting for a tie to end. */
  #untied: (() => void)[] = [];

  /** See {@linkcode SimulatedClockOptions}. */
  constructor(opts: SimulatedClockOptions = {}) {
    this.#charge = opts.charge ?? ((ms) => ms);
    this.#wall = opts.wallNow ?? (() => performance.now());
    this.overlaps = opts.overlaps ?? opts.charge === undefined;
  }

  start(): void {}

  now(): number {
    const tie = this.#tie;
    if (!tie) return this.#t;
    return Math.max(this.#t, tie.t + this.#charge(this.#wall() - tie.wall));
  }

  /** Waits (in simulated time) until audio up to `audioEndMs` has arrived. */
  waitForAudio(audioEndMs: number): void {
    if (this.#tie) {
      throw new Error("Cannot jump to audio while background work runs: await arrival()");
    }
    this.#t = Math.max(this.#t, audioEndMs);
  }

  /**
   * Resolves once audio up to `audioEndMs` has arrived: at once (the clock jumps there) unless
   * background work ties the clock to the wall; then when that much time has really passed, or
   * the work ended.
   */
  async arrival(audioEndMs: number): Promise<void> {
    while (this.#tie && this.now() < audioEndMs) {
      const ms = Math.max(1, Math.ceil(audioEndMs - this.now()));
      let timer: ReturnType<typeof setTimeout> | undefined;
      let wake = () => {};
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, ms);
        this.#untied.push(resolve);
      });
      clearTimeout(timer);
      this.#untied = this.#untied.filter((f) => f !== wake);
    }
    if (!this.#tie) this.#t = Math.max(this.#t, audioEndMs);
  }

  /** Charges `ms` of compute time. */
  spend(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`Cannot spend ${ms} ms: must be a non-negative number`);
    this.#t += ms;
  }

  /**
   * Runs `work`, charging its real duration (as `charge` sees it) to the clock, less any part of
   * it that background work tied the clock to the wall for (that time passed already).
   */
  async measure<T>(work: () => Promise<T>): Promise<T> {
    const w0 = this.#wall();
    const tied0 = this.#tiedUntil(w0);
    try {
      return await work();
    } finally {
      const w1 = this.#wall();
      const untied = (w1 - w0) - (this.#tiedUntil(w1) - tied0);
      if (untied > 0) this.spend(this.#charge(untied));
    }
  }

  /** Runs `work` beside the session's other work, the clock tied to the wall meanwhile. */
  async background<T>(work: () => Promise<T>): Promise<T> {
    if (!this.overlaps) return await work();
    if (this.#running++ === 0) this.#tie = { t: this.#t, wall: this.#wall() };
    try {
      return await work();
    } finally {
      if (--this.#running === 0) {
        const tie = this.#tie!;
        const wall = this.#wall();
        this.#t = Math.max(this.#t, tie.t + this.#charge(wall - tie.wall));
        this.#tiedBefore += wall - tie.wall;
        this.#tie = null;
        const waiting = this.#untied;
        this.#untied = [];
        for (const f of waiting) f();
      }
    }
  }

  /** Wall time the clock has been tied up to wall time `wall`, ms. */
  #tiedUntil(wall: number): number {
    return this.#tiedBefore + (this.#tie ? Math.max(0, wall - this.#tie.wall) : 0);
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
