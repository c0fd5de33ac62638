/**
 * An Opus stream → 16 kHz mono PCM: takes the in-order output of the RTP jitter buffer (packets,
 * lost stretches, the sender's silences) and returns samples whose count always equals the media
 * time that passed, so the session's audio clock never drifts from the sender's:
 * - a packet decodes to its samples, fitted to the length the jitter buffer gives it from the RTP
 *   timestamps (`skip` cut from its start, then cut or padded with zeros to `duration`), so a
 *   payload that claims more time than its timestamps moves the clock by the timestamps' time; a
 *   corrupt one decodes to zeros of that length (or to nothing without one: the jitter buffer
 *   reports its length as a hole before the next packet);
 * - a lost stretch is filled by libopus: the last lost packet from the next packet's in-band FEC
 *   when it carries one, the rest by concealment, and beyond `maxConcealMs` by zeros;
 * - a silence (DTX, a paused sender) is zeros.
 *
 * @module
 */

import { OpusDecoder, OpusError } from "../ffi/opus/mod.ts";
import { SAMPLE_RATE_HZ } from "../protocol/audio.ts";

/**
 * One step of an Opus stream, in media order, as an RTP jitter buffer puts it out (see
 * `server/transport/webrtc/jitter.ts`): a packet, a lost stretch, or a silence the sender did not
 * send (DTX).
 */
export type JitterOutput =
  | {
    kind: "packet";
    payload: Uint8Array;
    timestamp: number;
    /**
     * Media time the packet stands for, in RTP clock units, after `skip` (from the RTP
     * timestamps; absent: whatever the payload decodes to).
     */
    duration?: number;
    /** Media time at the packet's start already covered by the packets before it, cut. */
    skip?: number;
  }
  | {
    kind: "lost";
    /** Lost media time in RTP clock units (from the timestamps around the hole). */
    duration: number;
    /** Lost packets (from the sequence numbers). */
    packets: number;
    /** The packet after the hole: its in-band FEC may hold the last lost one. */
    next: Uint8Array;
  }
  | { kind: "silence"; duration: number };

/** Counters for stats and tests, in ms of 16 kHz audio. */
export interface OpusStreamCounters {
  packets: number;
  corrupt: number;
  fecMs: number;
  concealedMs: number;
  silenceMs: number;
}

/** Options of an {@linkcode OpusStream}. */
export interface OpusStreamOptions {
  /** RTP clock rate of the durations given (Opus over RTP: 48 000). */
  clockRate?: number;
  /** Concealment beyond this becomes zeros, ms (default 200: PLC fades out anyway). */
  maxConcealMs?: number;
}

/** Concealment works in steps of 2.5 ms: 40 samples at 16 kHz. */
const STEP = 40;
/** libopus conceals at most 120 ms per call. */
const MAX_CALL = 1_920;

/** Decodes one Opus stream; see the module doc. */
export class OpusStream {
  readonly #dec: OpusDecoder;
  readonly #clockRate: number;
  readonly #maxConceal: number;
  readonly counters: OpusStreamCounters = {
    packets: 0,
    corrupt: 0,
    fecMs: 0,
    concealedMs: 0,
    silenceMs: 0,
  };

  constructor(opts: OpusStreamOptions = {}) {
    this.#clockRate = opts.clockRate ?? 48_000;
    this.#maxConceal = Math.round(((opts.maxConcealMs ?? 200) * SAMPLE_RATE_HZ) / 1000);
    this.#dec = new OpusDecoder(SAMPLE_RATE_HZ);
  }

  /** The samples for one jitter-buffer output (possibly none). */
  take(item: JitterOutput): Float32Array[] {
    switch (item.kind) {
      case "packet": {
        let pcm: Float32Array | null = null;
        try {
          pcm = this.#dec.decode(item.payload);
          this.counters.packets++;
        } catch (err) {
          if (!(err instanceof OpusError)) throw err;
          this.counters.corrupt++;
        }
        if (item.duration === undefined) return pcm ? [pcm] : [];
        // The timestamps' length, whatever the payload decoded to.
        const n = this.#samples(item.duration);
        const skip = this.#samples(item.skip ?? 0);
        if (pcm && skip === 0 && pcm.length === n) return [pcm];
        if (n === 0) return [];
        const out = new Float32Array(n);
        if (pcm) out.set(pcm.subarray(skip, skip + n));
        return [out];
      }
      case "silence": {
        const n = this.#samples(item.duration);
        this.counters.silenceMs += n / 16;
        return n ? [new Float32Array(n)] : [];
      }
      case "lost":
        return this.#fill(this.#samples(item.duration), item.next);
    }
  }

  /** Fills `n` lost samples: FEC for the last lost packet, concealment, then zeros. */
  #fill(n: number, next: Uint8Array): Float32Array[] {
    const out: Float32Array[] = [];
    let fec = 0;
    try {
      fec = Math.min(n, this.#dec.samplesIn(next));
    } catch {
      // The next packet is corrupt: no FEC from it.
    }
    fec -= fec % STEP;
    let plc = Math.min(n - fec, this.#maxConceal);
    plc -= plc % STEP;
    const zeros = n - fec - plc;
    try {
      for (let left = plc; left > 0;) {
        const k = Math.min(left, MAX_CALL);
        out.push(this.#dec.conceal(k));
        left -= k;
      }
      if (zeros) out.push(new Float32Array(zeros));
      if (fec) out.push(this.#dec.conceal(fec, next));
    } catch (err) {
      if (!(err instanceof OpusError)) throw err;
      // Concealment failed: zeros keep the clock true.
      return [new Float32Array(n)];
    }
    this.counters.concealedMs += plc / 16;
    this.counters.silenceMs += zeros / 16;
    this.counters.fecMs += fec / 16;
    return out;
  }

  #samples(duration: number): number {
    return Math.max(0, Math.round((duration * SAMPLE_RATE_HZ) / this.#clockRate));
  }

  /** Frees the decoder; idempotent. */
  close(): void {
    this.#dec.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
