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
 * - **Coalescing.** A session never queues two jobs of a kind: a newer rolling request from the
 *   same session replaces its waiting one, which is answered "replaced" and not run (a closing
 *   decode waits beside it, and is replaced only by the session's next closing decode).
 * - **An express slot.** A session's closing decode may still run when its next segment begins:
 *   that segment's rolling decodes are `express` and, when every slot is busy and that session's
 *   own closing decode is running, may take one of `expressSlots` more (default 1), so a new
 *   phrase's first words do not wait a whole closing decode. They share the cores with it for a
 *   moment (a short buffer: a small decode). Beside other sessions' decodes they wait their turn:
 *   on a loaded machine the extra decode would only slow every session.
 * - **Deadlines.** A job whose deadline passed while it waited is dropped, not run (a rolling
 *   hypothesis of audio that newer audio has overtaken); its session asks again with the newer
 *   buffer. The job chosen to run next is never dropped: dropping the session furthest behind
 *   would only make it wait another turn. Closing decodes carry no deadline.
 * - **Batch work gets a share.** File transcriptions (`batch` jobs) run freely while no live
 *   session is decoding (none has asked for `liveIdleMs`). While live sessions are, batch jobs
 *   get at most `batchShare` of the slots' time: a credit grows at that rate (up to
 *   `batchCreditMs`) and each batch run spends its length; a batch job goes ahead of live ones
 *   while the credit is positive, and otherwise waits, even with a slot free. Live sessions in
 *   latency mode would take every slot all the time, so "batch only when nothing else waits"
 *   would starve uploads, and "batch whenever it waited long" starved live sessions instead
 *   (measured: decision 006). Batch waits do not count towards the degrade level.
 * - **Shares.** The scheduler counts the live sessions (a decode waiting or running, or one
 *   asked for or ended within `liveIdleMs`); `loadShare` is their number over the slots (at
 *   least 1): how many sessions each slot serves. A session may use it to take its share
 *   (`StreamConfig.loadShare`, off in every mode: decision 018).
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
  /**
   * A rolling decode beside the session's own closing decode: may take an express slot while
   * that closing decode runs.
   */
  express?: boolean;
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
  /** Share of the slots' time batch jobs may take while live sessions decode (default 0.25). */
  batchShare?: number;
  /** Most batch credit saved up, ms of slot time (default 3 000). */
  batchCreditMs?: number;
  /** Live sessions count as decoding until this long after their last request, ms (2 000). */
  liveIdleMs?: number;
  /** Decodes at once beyond `slots`, for `express` jobs only (default 1). */
  expressSlots?: number;
}

/** Counters of a scheduler, for status and metrics. */
export interface SchedulerStats {
  slots: number;
  /** Decodes running, express ones included. */
  running: number;
  /** Express decodes running (beyond the slots). */
  express: number;
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
  readonly #batchShare: number;
  readonly #batchCreditMs: number;
  readonly #liveIdleMs: number;
  /** Batch credit, ms of slot time, as of `#creditAt`. */
  #credit = 0;
  #creditAt: number;
  /** When a live job last asked or finished. */
  #liveAt = -Infinity;
  /** When each live session last asked or finished a job. */
  readonly #liveSeen = new Map<string, number>();
  /** Live jobs waiting or running, by session: such a session is live however long they take. */
  readonly #inFlight = new Map<string, number>();
  /** A dispatch scheduled for when a deferred batch job may run. */
  #wake: ReturnType<typeof setTimeout> | undefined;
  readonly #waiting = new Map<string, Waiting>();
  #running = 0;
  readonly #expressSlots: number;
  #expressRunning = 0;
  /** Closing (`final`) decodes running, by session: express jobs may run beside these only. */
  readonly #closingRunning = new Map<string, number>();
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
    this.#batchShare = Math.min(1, Math.max(0.01, opts.batchShare ?? 0.25));
    this.#batchCreditMs = opts.batchCreditMs ?? 3_000;
    this.#liveIdleMs = opts.liveIdleMs ?? 2_000;
    this.#expressSlots = Math.max(0, Math.floor(opts.expressSlots ?? 1));
    this.#creditAt = this.#now();
  }

  /** The scheduler's clock, ms (deadlines are on it). */
  now(): number {
    return this.#now();
  }

  /** Asks for a slot; resolves when the job may run, or when it will not run. */
  acquire(req: JobRequest): Promise<Grant> {
    const at = this.#now();
    if (this.#closed) return Promise.resolve({ run: false, waitedMs: 0, reason: "closed" });
    const key = waitingKey(req);
    const earlier = this.#waiting.get(key);
    if (earlier) {
      this.#waiting.delete(key);
      this.#dropped.replaced++;
      this.#report(earlier, at, "replaced");
    }
    if (req.kind !== "batch") {
      this.#liveAt = at;
      this.#liveSeen.set(req.sessionId, at);
      this.#track(req.sessionId, 1);
    }
    return new Promise<Grant>((resolve) => {
      this.#waiting.set(key, { req, at, seq: this.#seq++, resolve });
      this.#dispatch();
    });
  }

  /** Withdraws a session's waiting jobs (the session closed); they are answered "closed". */
  cancel(sessionId: string): void {
    for (const kind of ["rolling", "final"] as const) {
      const key = waitingKey({ sessionId, kind });
      const w = this.#waiting.get(key);
      if (!w) continue;
      this.#waiting.delete(key);
      this.#report(w, this.#now(), "closed");
    }
    if (!this.#waiting.size) clearTimeout(this.#wake);
  }

  /**
   * Live sessions now: those with a decode waiting or running, or that asked for or ended one
   * within `liveIdleMs`.
   */
  get liveSessions(): number {
    const since = this.#now() - this.#liveIdleMs;
    for (const [id, at] of this.#liveSeen) {
      if (at < since && !this.#inFlight.has(id)) this.#liveSeen.delete(id);
    }
    return this.#liveSeen.size;
  }

  /** Counts a session's live job in (+1) or out (-1). */
  #track(sessionId: string, by: 1 | -1): void {
    const n = (this.#inFlight.get(sessionId) ?? 0) + by;
    if (n > 0) this.#inFlight.set(sessionId, n);
    else this.#inFlight.delete(sessionId);
  }

  /** Live sessions per slot, at least 1. */
  get loadShare(): number {
    return Math.max(1, this.liveSessions / this.slots);
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
      running: this.#running + this.#expressRunning,
      express: this.#expressRunning,
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
    clearTimeout(this.#wake);
    for (const w of [...this.#waiting.values()]) this.cancel(w.req.sessionId);
  }

  /** Answers a job that will not run. */
  #report(w: Waiting, now: number, reason: "replaced" | "deadline" | "closed"): void {
    if (w.req.kind !== "batch") this.#track(w.req.sessionId, -1);
    w.resolve({ run: false, waitedMs: now - w.at, reason });
    this.onJob?.({ kind: w.req.kind, waitedMs: now - w.at, dropped: reason });
  }

  #dispatch(): void {
    while (this.#waiting.size) {
      const express = this.#running >= this.slots;
      if (express && this.#expressRunning >= this.#expressSlots) return;
      const now = this.#now();
      const job = this.#pick(now, express);
      if (!job) return;
      this.#waiting.delete(waitingKey(job.req));
      const waitedMs = now - job.at;
      // Express jobs ran beside a busy machine: their waits do not say the machine is behind.
      if (job.req.kind !== "batch" && !express) {
        this.#meanWaitMs += this.#alpha * (waitedMs - this.#meanWaitMs);
      }
      if (express) this.#expressRunning++;
      else this.#running++;
      const closing = job.req.kind === "final" ? job.req.sessionId : null;
      if (closing !== null) {
        this.#closingRunning.set(closing, (this.#closingRunning.get(closing) ?? 0) + 1);
      }
      this.#granted++;
      let released = false;
      job.resolve({
        run: true,
        waitedMs,
        release: () => {
          if (released) return;
          released = true;
          if (express) this.#expressRunning--;
          else this.#running--;
          if (closing !== null) {
            const n = (this.#closingRunning.get(closing) ?? 1) - 1;
            if (n > 0) this.#closingRunning.set(closing, n);
            else this.#closingRunning.delete(closing);
          }
          const end = this.#now();
          if (job.req.kind === "batch") {
            this.#refill(end);
            this.#credit -= end - now;
          } else {
            this.#liveAt = end;
            this.#liveSeen.set(job.req.sessionId, end);
            this.#track(job.req.sessionId, -1);
          }
          this.onJob?.({ kind: job.req.kind, waitedMs, ranMs: end - now });
          this.#dispatch();
        },
      });
    }
  }

  /** How urgent a live job is, ms behind: see the module doc. */
  #liveScore(w: Waiting): number {
    return (w.req.lagMs?.() ?? 0) + (w.req.kind === "final" ? this.#finalBonusMs : 0);
  }

  /** Adds the credit batch jobs earned since it was last counted. */
  #refill(now: number): void {
    this.#credit = Math.min(
      this.#batchCreditMs,
      this.#credit + (now - this.#creditAt) * this.#batchShare,
    );
    this.#creditAt = now;
  }

  /** Batch credit now, ms of slot time (may be negative after a long run). */
  batchCredit(): number {
    this.#refill(this.#now());
    return this.#credit;
  }

  /**
   * Returns the job to run next (for an express slot: only an express job), and drops the other
   * jobs past their deadline.
   */
  #pick(now: number, expressOnly = false): Waiting | undefined {
    const all = [...this.#waiting.values()];
    const waiting = expressOnly
      ? all.filter((w) => w.req.express === true && this.#closingRunning.has(w.req.sessionId))
      : all;
    let best: Waiting | undefined;
    let bestScore = -Infinity;
    let oldestBatch: Waiting | undefined;
    for (const w of waiting) {
      if (w.req.kind === "batch") {
        if (!oldestBatch || w.seq < oldestBatch.seq) oldestBatch = w;
        continue;
      }
      const score = this.#liveScore(w);
      if (!best || score > bestScore || (score === bestScore && w.seq < best.seq)) {
        best = w;
        bestScore = score;
      }
    }
    if (oldestBatch) {
      this.#refill(now);
      const liveIdle = !best && now - this.#liveAt >= this.#liveIdleMs;
      if (liveIdle || this.#credit > 0) best = oldestBatch;
      else if (!best) {
        // Live sessions are decoding and the batch share is spent: leave the slot free for
        // them, and look again when either may have changed.
        const ms = Math.min(
          this.#liveIdleMs - (now - this.#liveAt),
          -this.#credit / this.#batchShare,
        );
        clearTimeout(this.#wake);
        this.#wake = setTimeout(() => this.#dispatch(), Math.max(1, Math.ceil(ms) + 1));
      }
    }
    for (const w of all) {
      if (w === best || w.req.deadlineMs === undefined || now <= w.req.deadlineMs) continue;
      this.#waiting.delete(waitingKey(w.req));
      this.#dropped.deadline++;
      this.#report(w, now, "deadline");
    }
    return best;
  }
}

/** A session's waiting job of a kind: its closing decode waits apart from its rolling ones. */
function waitingKey(req: Pick<JobRequest, "sessionId" | "kind">): string {
  return req.kind === "final" ? `${req.sessionId}\u0000final` : req.sessionId;
}
