/**
 * RTP reordering for one audio track: packets go in as they arrive (any order, duplicates, late
 * ones), and come out in sequence order, with every hole named — a lost packet (its duration, and
 * the packet after it, whose in-band FEC may recover it) or a silence the sender did not send (DTX:
 * the RTP timestamp jumps while the sequence number does not). The audio clock therefore advances
 * by exactly the sender's media time, whatever the network does.
 *
 * The RTP timestamps, not the payloads, say how long each packet is: a packet is first taken to
 * be as long as its payload says (`durationOf`), and when the next packet's timestamp shows it was
 * shorter (a payload claiming 120 ms on packets 20 ms apart: junk, or a broken sender), the
 * overlap is cut from the start of the next packet (`skip`) and counted (`mismatched`). A packet
 * shorter than the timestamp step leaves a hole, filled as loss or the sender's silence. So junk
 * payloads move the clock by the timestamps' time, whatever they decode to; a timestamp that goes
 * back (a sender restarting its clock) starts the clock afresh from it. A timestamp that jumps
 * ahead is believed only as far as it can be true: 120 ms per missing packet, and silences the
 * sender did not send no further ahead of the time that passed here than 2 s (see `#hole`).
 *
 * A missing packet is waited for at most `waitMs` (measured on the caller's clock) before it is
 * declared lost; a packet arriving after that is dropped as late. Two packets in a row, in
 * sequence, from far behind the stream (more than `capacity` packets) are a sender that restarted
 * its numbering: the stream goes on from them.
 *
 * @module
 */

import type { JitterOutput } from "../../../decode/opus_stream.ts";

/** What comes out, in media order (declared by `decode/`, which takes it). */

/** One RTP packet's fields the buffer needs. */
export interface RtpAudioPacket {
  /** RTP sequence number (16 bits, wraps). */
  seq: number;
  /** RTP timestamp (32 bits, wraps), in `clockRate` units. */
  timestamp: number;
  /** The Opus payload. */
  payload: Uint8Array;
}

/** Options of a {@linkcode JitterBuffer}. */
export interface JitterOptions {
  /** The longest wait for a missing packet, ms (default 60). */
  waitMs?: number;
  /** RTP clock rate (Opus: 48 000). */
  clockRate?: number;
  /** Holes longer than this are reported as this long, ms (default 10 000). */
  maxHoleMs?: number;
  /** Packets held at most (a sender far ahead is flushed as loss; default 200). */
  capacity?: number;
  /**
   * A payload's duration in RTP clock units (for Opus: `opus_packet_get_nb_samples` at 48 kHz).
   * It tells a sender's silence (DTX) from a packet that follows on directly. May throw on a
   * corrupt payload.
   */
  durationOf: (payload: Uint8Array) => number;
}

/** Counters for stats and tests. */
export interface JitterCounters {
  received: number;
  duplicates: number;
  late: number;
  lost: number;
  reordered: number;
  /**
   * Packets whose payload claimed more time than the RTP timestamps gave them (the next packet's
   * timestamp came before the payload's end).
   */
  mismatched: number;
  /** Media time cut from the packets after `mismatched` ones (what they overlapped), RTP units. */
  mismatchedTime: number;
}

const SEQ_MOD = 0x10000;
const TS_MOD = 0x1_0000_0000;
/** The longest Opus packet, ms: a payload is never taken to be longer. */
const MAX_PACKET_MS = 120;
/**
 * How far the sender's silences (timestamp jumps without a missing packet) may run ahead of the
 * time that passed here, ms: network jitter, and a stall that delivers packets in a burst.
 */
const SILENCE_SLACK_MS = 2_000;

/** Reorders one RTP stream. */
export class JitterBuffer {
  readonly #waitMs: number;
  readonly #clockRate: number;
  readonly #maxHole: number;
  readonly #capacity: number;
  readonly #durationOf: (payload: Uint8Array) => number;
  /** Held packets by unwrapped sequence number, with arrival time. */
  readonly #held = new Map<number, { p: RtpAudioPacket; at: number }>();
  /** Unwrapped sequence number expected next; null before the first packet. */
  #next: number | null = null;
  /**
   * Where the media put out so far ends (unwrapped RTP timestamp): the next packet's timestamp
   * is expected here.
   */
  #nextTs = 0;
  /**
   * The last packet put out: its unwrapped timestamp, and where its payload said it ends; null
   * before one (or after a restart).
   */
  #prev: { ts: number; end: number } | null = null;
  readonly #maxPacket: number;
  /**
   * Silence (timestamp jumps without a missing packet) the sender may still claim, RTP units,
   * and when it was last topped up with the time that passed (caller's clock).
   */
  #silenceCredit: number;
  #silenceAt: number | null = null;
  /** The highest unwrapped sequence number seen. */
  #highest = 0;
  /** Since when the packet at `#next` has been known missing (caller's clock), or null. */
  #missingSince: number | null = null;
  /** The last packet that arrived far behind the stream, if the one before it was not such. */
  #stray: { n: number; p: RtpAudioPacket; at: number } | null = null;
  readonly counters: JitterCounters = {
    received: 0,
    duplicates: 0,
    late: 0,
    lost: 0,
    reordered: 0,
    mismatched: 0,
    mismatchedTime: 0,
  };

  constructor(opts: JitterOptions) {
    this.#durationOf = opts.durationOf;
    this.#waitMs = opts.waitMs ?? 60;
    this.#clockRate = opts.clockRate ?? 48_000;
    this.#maxHole = Math.round(((opts.maxHoleMs ?? 10_000) * this.#clockRate) / 1000);
    this.#capacity = opts.capacity ?? 200;
    this.#maxPacket = Math.round((MAX_PACKET_MS * this.#clockRate) / 1000);
    this.#silenceCredit = Math.min(
      this.#maxHole,
      Math.round((SILENCE_SLACK_MS * this.#clockRate) / 1000),
    );
  }

  /** Packets held, waiting for an earlier one. */
  get held(): number {
    return this.#held.size;
  }

  /** Takes one arrived packet at `nowMs`; returns what is ready to go out. */
  push(packet: RtpAudioPacket, nowMs: number): JitterOutput[] {
    this.counters.received++;
    if (this.#next === null) {
      this.#next = packet.seq;
      this.#highest = packet.seq;
      this.#nextTs = packet.timestamp;
    }
    const n = unwrapNear(packet.seq & 0xffff, this.#highest, SEQ_MOD);
    if (n < this.#next) {
      // Far behind what went out long ago: a stray old packet, or a sender that restarted its
      // numbering. Two such packets in a row, in sequence, are a restart: go on from them.
      const stray = this.#stray;
      if (this.#next - n > this.#capacity) {
        if (stray && n === stray.n + 1) return this.#restart(stray, { n, p: packet, at: nowMs });
        this.#stray = { n, p: packet, at: nowMs };
      } else {
        this.#stray = null;
      }
      this.counters.late++;
      return [];
    }
    this.#stray = null;
    if (this.#held.has(n)) {
      this.counters.duplicates++;
      return [];
    }
    if (n < this.#highest) this.counters.reordered++;
    this.#highest = Math.max(this.#highest, n);
    this.#held.set(n, { p: packet, at: nowMs });
    return this.poll(nowMs);
  }

  /** Releases what is ready at `nowMs`: call it on a timer too, so a lost packet is not waited for forever. */
  poll(nowMs: number): JitterOutput[] {
    const out: JitterOutput[] = [];
    this.#release(nowMs, false, out);
    return out;
  }

  /**
   * The sender restarted its sequence numbers at `first` (then `second`): what the old numbering
   * still holds goes out, then the stream goes on from `first`, its timestamps taken afresh.
   */
  #restart(
    first: { n: number; p: RtpAudioPacket; at: number },
    second: { n: number; p: RtpAudioPacket; at: number },
  ): JitterOutput[] {
    const out: JitterOutput[] = [];
    this.#release(second.at, true, out);
    this.counters.late--; // `first` was counted late; it is taken after all
    this.#stray = null;
    this.#next = first.n;
    this.#highest = second.n;
    this.#nextTs = first.p.timestamp;
    this.#prev = null;
    this.#held.set(first.n, first);
    this.#held.set(second.n, second);
    this.#release(second.at, false, out);
    return out;
  }

  /** Emits what is ready at `nowMs` (with `all`, everything held) into `out`. */
  #release(nowMs: number, all: boolean, out: JitterOutput[]): void {
    if (this.#next === null) return;
    for (;;) {
      const head = this.#held.get(this.#next);
      if (head) {
        this.#held.delete(this.#next);
        this.#missingSince = null;
        this.#emit(head.p, 0, nowMs, out);
        continue;
      }
      if (this.#held.size === 0) break;
      // Missing since the first packet after it arrived: that packet has waited as long.
      this.#missingSince ??= Math.min(...[...this.#held.values()].map((h) => h.at));
      const overfull = this.#held.size >= this.#capacity;
      if (!all && !overfull && nowMs - this.#missingSince < this.#waitMs) break;
      // Give up on the missing packets: jump to the earliest one held.
      const first = Math.min(...this.#held.keys());
      const lost = first - this.#next;
      const held = this.#held.get(first)!;
      this.#held.delete(first);
      this.counters.lost += lost;
      this.#next = first;
      this.#missingSince = null;
      this.#emit(held.p, lost, nowMs, out);
    }
  }

  /**
   * The hole before a packet, in RTP units, from a timestamp gap of `gap` after `lost` missing
   * packets: each lost packet is at most 120 ms long; beyond that the hole is a silence the
   * sender did not send (DTX), time that passed at the sender, so all such silences together may
   * not run more than `SILENCE_SLACK_MS` ahead of the time that passed here. At most
   * `maxHoleMs`. An absurd timestamp jump is cut to that.
   */
  #hole(gap: number, lost: number, nowMs: number): number {
    const passed = this.#silenceAt === null ? 0 : Math.max(0, nowMs - this.#silenceAt);
    this.#silenceAt = nowMs;
    this.#silenceCredit = Math.min(
      this.#maxHole,
      this.#silenceCredit + (passed * this.#clockRate) / 1000,
    );
    if (gap <= 0) return 0;
    const inLost = Math.min(gap, lost * this.#maxPacket);
    const silence = Math.min(gap - inLost, Math.max(0, Math.floor(this.#silenceCredit)));
    this.#silenceCredit -= silence;
    return Math.min(this.#maxHole, inLost + silence);
  }

  /** Emits `p` (the packet at `#next`) after `lost` missing ones, at `nowMs`. */
  #emit(p: RtpAudioPacket, lost: number, nowMs: number, out: JitterOutput[]): void {
    const ts = unwrapNear(p.timestamp >>> 0, this.#nextTs, TS_MOD);
    const hole = this.#hole(ts - this.#nextTs, lost, nowMs);
    if (hole > 0) {
      out.push(
        lost > 0
          ? { kind: "lost", duration: hole, packets: lost, next: p.payload }
          : { kind: "silence", duration: hole },
      );
    }
    let duration = 0;
    try {
      duration = Math.min(this.#maxPacket, Math.max(0, this.#durationOf(p.payload)));
    } catch {
      // A corrupt payload: its length shows up as a hole before the next packet.
    }
    // The packets before ended past this one's timestamp: their payloads claimed more time than
    // the timestamps gave them, and what overlaps is cut from this one. A timestamp before the
    // last packet's is a sender restarting its clock: the clock goes on from it.
    const prev = this.#prev;
    const overlap = prev && ts >= prev.ts ? this.#nextTs - ts : 0;
    const skip = Math.min(duration, Math.max(0, overlap));
    if (prev && ts >= prev.ts && ts < prev.end) this.counters.mismatched++;
    this.counters.mismatchedTime += skip;
    out.push({
      kind: "packet",
      payload: p.payload,
      timestamp: p.timestamp,
      duration: duration - skip,
      ...(skip ? { skip } : {}),
    });
    this.#next = (this.#next ?? 0) + 1;
    this.#prev = { ts, end: ts + duration };
    this.#nextTs = overlap > 0 ? Math.max(this.#nextTs, ts + duration) : ts + duration;
  }
}

/** `value` (a counter that wraps at `mod`) unwrapped to the candidate nearest `ref`. */
function unwrapNear(value: number, ref: number, mod: number): number {
  const base = ref - (ref % mod + mod) % mod;
  let best = base + value;
  for (const c of [best - mod, best + mod]) {
    if (Math.abs(c - ref) < Math.abs(best - ref)) best = c;
  }
  return best;
}
