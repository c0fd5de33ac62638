/**
 * The inference scheduler: every session's decodes go through it, so a machine runs a bounded
 * number of decodes at once (its slots) however many sessions are open.
 *
 * - **Slots.** On a CPU, cores ÷ threads per decode (2 cores, 2 threads: one decode at a time;
 *   two would only split the cores); on a GPU, configured.
 * - **Fairness.** When a slot frees, the waiting job of the session furthest behind real time
 *   goes first (its lag is read at that moment, not when it queued); a segment's closing decode
 *   counts as `finalBonusMs` further behind (a person is waiting for that final); ties go to the
 *   oldest. No session starves: a session passed over falls further behind and so moves up.
 * - **Coalescing.** A session never queues two jobs: a newer request from the same session
 *   replaces its waiting one, which is answered "replaced" and not run.
 * - **Deadlines.** A job whose deadline passed while it waited is dropped, not run (a rolling
 *   hypothesis of audio that newer audio has overtaken); its session asks again with the newer
 *   buffer. The job chosen to run next is never dropped: dropping the session furthest behind
 *   would only make it wait another turn. Closing decodes carry no deadline.
 * - **Batch work comes last.** File transcriptions (`batch` jobs) run only when no live
 *   session's job waits, so an upload never delays a live session by more than the one window
 *   it may be decoding already; a batch job that has waited `batchPatienceMs` competes as if it
 *   were that much behind, so live sessions that fill every slot do not starve uploads forever.
 *   Batch waits do not count towards the degrade level (an upload queued behind live sessions is
 *   not a sign of overload).
 * - **Degrading on purpose.** The scheduler tracks how long jobs wait (a moving average). Past
 *   the first threshold it asks sessions for larger chunks, past the second also for greedy
 *   closing decodes and for new sessions to take a smaller model; sessions report the level in
 *   their `stats` events.
 *
 * The clock is injected, so tests drive it with fake time and fake jobs.
 *
 * @module
 */

/** What a session asks the scheduler for. */
export interface JobRequest {
  /** The session asking; a second request from it replaces its waiting one. */
  sessionId: string;
  /**
   * `rolling`: a provisional hypothesis; `final`: a segment's closing decode; `batch`: a window
   * of a file transcription (lowest priority).
   */
  kind: "rolling" | "final" | "batch";
  /** How far the session is behind real time now, ms (read when a slot frees). */
  lagMs?: () => number;
  /** Scheduler-clock time after which the job is no longer useful (rolling decodes). */
  deadlineMs?: number;
}

/** The answer to a request: run now (and release the slot after), or do not run. */
export type Grant =
  | { run: true; waitedMs: number; release: () => void }
  | { run: false; waitedMs: number; reason: "replaced" | "deadline" | "closed" };

/** What became of one job, for metrics: how long it waited, and how long it ran or why not. */
export interface JobReport {
  kind: JobRequest["kind"];
  waitedMs: number;
  /** Time it held the slot (granted jobs). */
  ranMs?: number;
  /** Why it did not run. */
  dropped?: "replaced" | "deadline" | "closed";
}

/** How hard the scheduler asks sessions to save work: 0 none, 1 larger chunks, 2 also less search. */
export type DegradeLevel = 0 | 1 | 2;

/** Options of an {@linkcode InferenceScheduler}. */
export interface SchedulerOptions {
  /** Decodes at once (default: cores ÷ threadsPerJob, at least 1). */
  slots?: number;
  /** Threads each decode uses, for the default slot count (default 2). */
  threadsPerJob?: number;
  /** Scheduler clock, ms (default `performance.now`). */
  now?: () => number;
  /** Mean wait, ms, past which level 1 / level 2 apply (default 400 / 1200). */
  degradeAtMs?: [number, number];
  /** Weight of the newest wait in the moving average (default 0.2). */
  smoothing?: number;
  /** How much further behind a closing decode counts, ms (default 1000). */
  finalBonusMs?: number;
  /** How long a batch job waits before it competes with live sessions, ms (default 10 000). */
  batchPatienceMs?: number;
}

/** Counters of a scheduler, for status and metrics. */
export interface SchedulerStats {
  slots: number;
  running: number;
  queued: number;
  granted: number;
  dropped: { replaced: number; deadline: number };
  /** Moving average of the wait before a slot, ms. */
  meanWaitMs: number;
  degradeLevel: DegradeLevel;
}

interface Waiting {
  req: JobRequest;
  at: number;
  seq: number;
  resolve: (g: Grant) => void;
}

/** The scheduler; see the module doc. */
export class InferenceScheduler {
  readonly slots: number;
  readonly #now: () => number;
  readonly #thresholds: [number, number];
  readonly #alpha: number;
  readonly #finalBonusMs: number;
  readonly #batchPatienceMs: number;
  readonly #waiting = new Map<string, Waiting>();
  #running = 0;
  #seq = 0;
  #granted = 0;
  #dropped = { replaced: 0, deadline: 0 };
  #meanWaitMs = 0;
  #closed = false;
  /** Told what became of each job (metrics). */
  onJob?: (report: JobReport) => void;

  constructor(opts: SchedulerOptions = {}) {
    const threads = Math.max(1, opts.threadsPerJob ?? 2);
    this.slots = Math.max(1, Math.floor(opts.slots ?? navigator.hardwareConcurrency / threads));
    this.#now = opts.now ?? (() => performance.now());
    this.#thresholds = opts.degradeAtMs ?? [400, 1200];
    this.#alpha = opts.smoothing ?? 0.2;
    this.#finalBonusMs = opts.finalBonusMs ?? 1000;
    this.#batchPatienceMs = opts.batchPatienceMs ?? 10_000;
  }

  /** The scheduler's clock, ms (deadlines are on it). */
  now(): number {
    return this.#now();
  }

  /** Asks for a slot; resolves when the job may run, or when it will not run. */
  acquire(req: JobRequest): Promise<Grant> {
    const at = this.#now();
    if (this.#closed) return Promise.resolve({ run: false, waitedMs: 0, reason: "closed" });
    const earlier = this.#waiting.get(req.sessionId);
    if (earlier) {
      this.#waiting.delete(req.sessionId);
      this.#dropped.replaced++;
      this.#report(earlier, at, "replaced");
    }
    return new Promise<Grant>((resolve) => {
      this.#waiting.set(req.sessionId, { req, at, seq: this.#seq++, resolve });
      this.#dispatch();
    });
  }

  /** Withdraws a session's waiting job (the session closed); it is answered "closed". */
  cancel(sessionId: string): void {
    const w = this.#waiting.get(sessionId);
    if (!w) return;
    this.#waiting.delete(sessionId);
    this.#report(w, this.#now(), "closed");
  }

  /** The level of degradation sessions should apply now. */
  get degradeLevel(): DegradeLevel {
    const [one, two] = this.#thresholds;
    return this.#meanWaitMs >= two ? 2 : this.#meanWaitMs >= one ? 1 : 0;
  }

  /** Counters now. */
  get stats(): SchedulerStats {
    return {
      slots: this.slots,
      running: this.#running,
      queued: this.#waiting.size,
      granted: this.#granted,
      dropped: { ...this.#dropped },
      meanWaitMs: Math.round(this.#meanWaitMs),
      degradeLevel: this.degradeLevel,
    };
  }

  /** Answers every waiting job "closed"; later requests are answered so at once. */
  close(): void {
    this.#closed = true;
    for (const id of [...this.#waiting.keys()]) this.cancel(id);
  }

  /** Answers a job that will not run. */
  #report(w: Waiting, now: number, reason: "replaced" | "deadline" | "closed"): void {
    w.resolve({ run: false, waitedMs: now - w.at, reason });
    this.onJob?.({ kind: w.req.kind, waitedMs: now - w.at, dropped: reason });
  }

  #dispatch(): void {
    while (this.#running < this.slots && this.#waiting.size) {
      const now = this.#now();
      const job = this.#pick(now);
      if (!job) return;
      this.#waiting.delete(job.req.sessionId);
      const waitedMs = now - job.at;
      if (job.req.kind !== "batch") this.#meanWaitMs += this.#alpha * (waitedMs - this.#meanWaitMs);
      this.#running++;
      this.#granted++;
      let released = false;
      job.resolve({
        run: true,
        waitedMs,
        release: () => {
          if (released) return;
          released = true;
          this.#running--;
          this.onJob?.({ kind: job.req.kind, waitedMs, ranMs: this.#now() - now });
          this.#dispatch();
        },
      });
    }
  }

  /** How urgent a waiting job is, ms behind: see the module doc. */
  #score(w: Waiting, now: number): number {
    if (w.req.kind === "batch") {
      const overdue = now - w.at - this.#batchPatienceMs;
      return overdue > 0 ? overdue : -Infinity;
    }
    return (w.req.lagMs?.() ?? 0) + (w.req.kind === "final" ? this.#finalBonusMs : 0);
  }

  /** Returns the job to run next, and drops the other jobs past their deadline. */
  #pick(now: number): Waiting | undefined {
    let best: Waiting | undefined;
    let bestScore = -Infinity;
    const waiting = [...this.#waiting.values()];
    for (const w of waiting) {
      const score = this.#score(w, now);
      if (!best || score > bestScore || (score === bestScore && w.seq < best.seq)) {
        best = w;
        bestScore = score;
      }
    }
    for (const w of waiting) {
      if (w === best || w.req.deadlineMs === undefined || now <= w.req.deadlineMs) continue;
      this.#waiting.delete(w.req.sessionId);
      this.#dropped.deadline++;
      this.#report(w, now, "deadline");
    }
    return best;
  }
}
