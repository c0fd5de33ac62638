/**
 * When the command-line client's next RTP packet may go out. RTP over UDP has no back-pressure:
 * what the receiving socket's buffer cannot hold is dropped by the kernel. So the client sends
 * one packet per interval of wall clock and never a backlog at once:
 *
 * - at the speaker's pace (`catchUp`), a packet late for its time (this process was held up) goes
 *   out at once, as a browser's audio thread sends what it captured meanwhile, but each after a
 *   turn of the event loop, so a service in the same process reads its socket in between;
 * - faster than real time, a packet more than `slackMs` late moves the schedule on instead: a
 *   process held up (a loaded machine) then sends at the same rate afterwards, not the backlog.
 *   On the 2-core machine, with three busy loops beside it, a client that sent its backlog at
 *   once (without a turn of the event loop) lost 1 171–2 287 of a longform file's 3 359 packets
 *   in three runs (WER 36–54 % against 5.65 %), and in three more none reached the session (the
 *   kernel counted receive-buffer drops, `RcvbufErrors`, each time); paced, none was lost in
 *   three runs (WER 5.65 %).
 *
 * @module
 */

/** How a {@linkcode Pacer} spaces packets. */
export interface PacerOptions {
  /** Wall-clock time between packets, ms (> 0). */
  intervalMs: number;
  /** Late packets go out at once, keeping to the schedule (the speaker's pace); else it slides. */
  catchUp: boolean;
  /** How late a packet may be before the schedule slides (without `catchUp`), ms (default 20). */
  slackMs?: number;
}

/** The schedule of one stream of packets; see the module doc. */
export class Pacer {
  readonly #interval: number;
  readonly #catchUp: boolean;
  readonly #slack: number;
  /** When the next packet is due, ms (on the caller's clock); null before the first. */
  #due: number | null = null;
  /** Times the schedule moved on, and by how much in all (ms). */
  readonly slid = { times: 0, ms: 0 };

  constructor(opts: PacerOptions) {
    if (!(opts.intervalMs > 0)) throw new RangeError(`intervalMs must be > 0: ${opts.intervalMs}`);
    this.#interval = opts.intervalMs;
    this.#catchUp = opts.catchUp;
    this.#slack = opts.slackMs ?? 20;
  }

  /**
   * A packet went out at `nowMs`: how long to wait before the next one, ms. 0 means "after a turn
   * of the event loop", never "at once".
   */
  sent(nowMs: number): number {
    // How late this packet went out against its time.
    let due = this.#due ?? nowMs;
    const late = nowMs - due;
    if (!this.#catchUp && late > this.#slack) {
      // Held up: the next packet is due an interval from now, not at its old time.
      this.slid.times++;
      this.slid.ms += late;
      due = nowMs;
    }
    this.#due = due + this.#interval;
    return Math.max(0, this.#due - nowMs);
  }
}
