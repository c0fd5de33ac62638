/**
 * A size limit on inbound data-channel messages that holds WHILE they are reassembled.
 *
 * werift 0.25.2 keeps every SCTP DATA chunk of a message in memory until its last fragment
 * arrives, whatever its size: a client that ignores the `a=max-message-size` of the answer could
 * make the server hold a 60 MB message before the session saw it and refused it. This hook,
 * installed on the SCTP association of each peer, counts what is held per message and stream
 * as each DATA chunk arrives:
 *
 * - an ordered message (every client channel is ordered) whose fragments held so far pass the
 *   limit is refused: its fragments are dropped, the ones still to come are acknowledged and
 *   dropped as they arrive, and the stream moves past it, so the channel and the session go on
 *   (the transport tells the client with a `message_too_large` error event);
 * - unordered fragments held on a stream past the limit, or more held on the whole association
 *   than the receive window a sender must respect ({@linkcode DEFAULT_MAX_HELD_BYTES}), mean a
 *   peer breaking the rules: the association takes nothing more and the transport ends the
 *   session (it closes the peer, which sends SCTP ABORT).
 *
 * So the memory a session's inbound SCTP holds is bounded by the server (the limit per message,
 * the window per association), not by what the sender sends.
 *
 * It wraps werift internals (`receiveDataChunk`, `markReceived`, `receive`, the inbound streams'
 * `reassembly` and `streamSequenceNumber`, `advertisedRwnd`) on the one association instance;
 * {@linkcode assertWeriftInternals} throws when they are missing (werift is pinned to 0.25.2 in
 * deno.json; its test fails loudly if an upgrade changes them).
 *
 * @module
 */

/** werift's DATA chunk flags (sctp.js: SCTP_DATA_LAST_FRAG, _FIRST_FRAG, _UNORDERED). */
const LAST_FRAG = 0x01;
const UNORDERED = 0x04;

/** werift's initial receive window (`advertisedRwnd`), bytes. */
export const WERIFT_RECEIVE_WINDOW = 1024 * 1024;
/**
 * Most bytes the association may hold unreassembled before the peer counts as breaking the rules:
 * the receive window an honest sender stays within, and a message's worth of slack.
 */
export const DEFAULT_MAX_HELD_BYTES = WERIFT_RECEIVE_WINDOW + 64 * 1024;
/**
 * Fewest bytes a fragment is counted as when capping how many are held: a message may come in at
 * most `limit / MIN_FRAGMENT_BYTES + 1` of them (honest stacks fragment at about 1 200 bytes), the
 * association may hold at most `maxHeldBytes / MIN_FRAGMENT_BYTES`. Without it a sender of tiny
 * fragments could make a message of the limit cost far more than the limit (a chunk object each)
 * and werift's reassembly walk quadratic.
 */
export const MIN_FRAGMENT_BYTES = 256;

/** The parts of a werift `DataChunk` the hook reads. */
interface DataChunk {
  streamId: number;
  streamSeqNum: number;
  tsn: number;
  flags: number;
  userData: Uint8Array;
}

/** The parts of a werift `InboundStream` the hook reads and changes. */
interface InboundStream {
  reassembly: DataChunk[];
  streamSequenceNumber: number;
  popMessages(): Iterable<[number, number, Uint8Array]>;
}

/** The parts of a werift `SCTP` association the hook wraps. */
interface SctpInternals {
  receiveDataChunk(chunk: DataChunk): void;
  markReceived(tsn: number): boolean;
  receive(streamId: number, ppId: number, data: Uint8Array): void;
  getInboundStream(streamId: number): InboundStream;
  inboundStreams: Record<number, InboundStream>;
  advertisedRwnd: number;
}

/**
 * Throws unless `sctp` (a werift `SCTP` association) has the internals the hook relies on, with
 * the shapes werift 0.25.2 gives them.
 */
export function assertWeriftInternals(sctp: unknown): asserts sctp is SctpInternals {
  const s = sctp as Record<string, unknown> | null;
  const missing = [
    "receiveDataChunk",
    "markReceived",
    "receive",
    "getInboundStream",
  ].filter((m) => typeof s?.[m] !== "function");
  if (typeof s?.advertisedRwnd !== "number") missing.push("advertisedRwnd");
  if (typeof s?.inboundStreams !== "object" || s.inboundStreams === null) {
    missing.push("inboundStreams");
  }
  if (!missing.length) {
    // An inbound stream, made the way werift makes one (and not kept: none was asked for).
    const probe = (sctp as SctpInternals).getInboundStream.call(
      { inboundStreams: {} } as unknown as SctpInternals,
      0,
    ) as Partial<InboundStream> | undefined;
    if (!Array.isArray(probe?.reassembly)) missing.push("InboundStream.reassembly");
    if (typeof probe?.streamSequenceNumber !== "number") {
      missing.push("InboundStream.streamSequenceNumber");
    }
    if (typeof probe?.popMessages !== "function") missing.push("InboundStream.popMessages");
  }
  if (missing.length) {
    throw new Error(
      `werift's SCTP internals changed (missing: ${
        missing.join(", ")
      }): the data-channel message limit (server/transport/webrtc/sctp_limit.ts) needs werift 0.25.2`,
    );
  }
}

/** What the limit does when a message or a peer goes over. */
export interface MessageLimitOptions {
  /** Largest message taken, bytes (the session's `maxMessageBytes`). */
  maxMessageBytes: number;
  /** Most bytes held unreassembled on the association (default {@linkcode DEFAULT_MAX_HELD_BYTES}). */
  maxHeldBytes?: number;
  /**
   * An ordered message went over the limit (in bytes, or in fragments) and was refused (dropped)
   * on stream `streamId`; `heldBytes` in `fragments` had arrived of it. The stream goes on.
   */
  onRefused?: (streamId: number, heldBytes: number, fragments: number) => void;
  /** The peer broke the rules: nothing more is taken from it; the caller should close it. */
  onAbort?: (reason: string) => void;
}

/** What the limit saw (tests, figures). */
export interface MessageLimitCounters {
  /** Most bytes one message ever had held (at most the limit plus one chunk). */
  peakMessageBytes: number;
  /** Most bytes the association ever had held unreassembled. */
  peakHeldBytes: number;
  /** Bytes held unreassembled now. */
  heldBytes: number;
  /** DATA chunks held unreassembled now. */
  heldChunks: number;
  /** Messages refused. */
  refused: number;
  /** Bytes of refused messages dropped (acknowledged, never kept). */
  droppedBytes: number;
  /** Why the association was given up, or null. */
  aborted: string | null;
}

/** Per stream: bytes held per ordered message (by its stream sequence number), and refusals. */
interface StreamState {
  /** Bytes held of each ordered message not yet delivered, by SSN. */
  bytes: Map<number, number>;
  /** Fragments held of each ordered message not yet delivered, by SSN. */
  pieces: Map<number, number>;
  /** Sum of `bytes`. */
  ordered: number;
  /** All bytes held on the stream (ordered and unordered). */
  held: number;
  /** The stream's next SSN when last looked at. */
  next: number;
  /** Refused ordered messages still dropped, by SSN: whether their last fragment came. */
  refused: Map<number, boolean>;
}

/** SSNs a refused message stays dropped for after the stream moved past it (late fragments). */
const REFUSED_KEPT = 1024;

const u16 = (n: number) => n & 0xffff;
/** Whether SSN `a` comes after `b` (serial number arithmetic). */
const ssnAfter = (a: number, b: number) => a !== b && u16(a - b) < 0x8000;

/**
 * Installs the limit on one werift `SCTP` association (`pc.sctpTransport.sctp`) and returns its
 * counters. Installing twice on the same association returns the first installation's counters.
 * Throws (see {@linkcode assertWeriftInternals}) when werift's internals are not as expected.
 */
export function limitInboundMessages(
  association: unknown,
  opts: MessageLimitOptions,
): MessageLimitCounters {
  assertWeriftInternals(association);
  const sctp = association;
  const already = installed.get(sctp);
  if (already) return already;
  const limit = opts.maxMessageBytes;
  const maxHeld = opts.maxHeldBytes ?? DEFAULT_MAX_HELD_BYTES;
  const maxPieces = Math.ceil(limit / MIN_FRAGMENT_BYTES) + 1;
  const maxHeldChunks = Math.ceil(maxHeld / MIN_FRAGMENT_BYTES);
  const counters: MessageLimitCounters = {
    peakMessageBytes: 0,
    peakHeldBytes: 0,
    heldBytes: 0,
    heldChunks: 0,
    refused: 0,
    droppedBytes: 0,
    aborted: null,
  };
  installed.set(sctp, counters);
  const streams = new Map<number, StreamState>();
  const stateOf = (id: number, inbound: InboundStream) => {
    let s = streams.get(id);
    if (!s) {
      s = {
        bytes: new Map(),
        pieces: new Map(),
        ordered: 0,
        held: 0,
        next: inbound.streamSequenceNumber,
        refused: new Map(),
      };
      streams.set(id, s);
    }
    return s;
  };

  const receiveDataChunk = sctp.receiveDataChunk;
  const markReceived = sctp.markReceived;
  const receive = sctp.receive;
  /** Whether the chunk being handled was new (werift's `markReceived` said not a duplicate). */
  let fresh = false;
  sctp.markReceived = function (tsn) {
    const duplicate = markReceived.call(this, tsn);
    fresh = !duplicate;
    return duplicate;
  };
  // Every message werift delivers (to the data channels) is no longer held.
  sctp.receive = function (streamId, ppId, data) {
    const s = streams.get(streamId);
    if (s) s.held -= data.length;
    counters.heldBytes -= data.length;
    receive.call(this, streamId, ppId, data);
  };

  /** Drops the chunks not kept from the stream's reassembly and gives their bytes back to the window. */
  const drop = (inbound: InboundStream, keep: (c: DataChunk) => boolean, s: StreamState) => {
    let bytes = 0;
    inbound.reassembly = inbound.reassembly.filter((c) => {
      if (keep(c)) return true;
      bytes += c.userData.length;
      return false;
    });
    s.held -= bytes;
    counters.heldBytes -= bytes;
    counters.droppedBytes += bytes;
    sctp.advertisedRwnd += bytes;
  };

  /**
   * Forgets the counts of messages the stream moved past (werift delivered them), lets it move
   * past refused messages whose last fragment came, and delivers what that (or a drop) unblocked.
   */
  const advance = (inbound: InboundStream, s: StreamState, pop: boolean) => {
    for (;;) {
      const next = inbound.streamSequenceNumber;
      const forget = (n: number) => {
        s.ordered -= s.bytes.get(n) ?? 0;
        s.bytes.delete(n);
        s.pieces.delete(n);
      };
      if (u16(next - s.next) > s.bytes.size) {
        for (const n of s.bytes.keys()) if (ssnAfter(next, n)) forget(n);
      } else {
        for (let n = s.next; n !== next; n = u16(n + 1)) if (s.bytes.has(n)) forget(n);
      }
      s.next = next;
      for (const ssn of s.refused.keys()) {
        if (ssnAfter(next, u16(ssn + REFUSED_KEPT))) s.refused.delete(ssn);
      }
      if (s.refused.get(next) === true) {
        // A refused message's last fragment came: the stream goes on after it.
        inbound.streamSequenceNumber = u16(next + 1);
      } else if (!pop) return;
      pop = false;
      for (const [id, ppId, data] of inbound.popMessages()) {
        sctp.advertisedRwnd += data.length;
        sctp.receive(id, ppId, data);
      }
    }
  };

  const abort = (reason: string) => {
    counters.aborted = reason;
    counters.heldChunks = 0;
    // Nothing more is kept: free what is held.
    for (const [id, inbound] of Object.entries(sctp.inboundStreams)) {
      const s = streams.get(Number(id));
      if (s) drop(inbound, () => false, s);
      else inbound.reassembly = [];
    }
    opts.onAbort?.(reason);
  };

  sctp.receiveDataChunk = function (chunk) {
    // A peer given up on: nothing more is taken (not even acknowledged).
    if (counters.aborted) return;
    const inbound = sctp.getInboundStream(chunk.streamId);
    // werift and the limit touch only this chunk's stream: what it holds now, less before.
    const chunksBefore = inbound.reassembly.length;
    try {
      take.call(this, chunk, inbound);
    } finally {
      if (!counters.aborted) counters.heldChunks += inbound.reassembly.length - chunksBefore;
    }
    if (!counters.aborted && counters.heldChunks > maxHeldChunks) {
      abort(`${counters.heldChunks} DATA chunks held unreassembled, over the receive window`);
    }
  };

  function take(this: SctpInternals, chunk: DataChunk, inbound: InboundStream): void {
    const s = stateOf(chunk.streamId, inbound);
    const ordered = (chunk.flags & UNORDERED) === 0;
    const len = chunk.userData.length;
    const ssn = chunk.streamSeqNum;
    fresh = false;
    if (ordered && s.refused.has(ssn)) {
      // A fragment of a refused message: acknowledged (werift's own handling), then dropped.
      receiveDataChunk.call(this, chunk);
      if (fresh) {
        s.held += len;
        counters.heldBytes += len;
        drop(inbound, (c) => c.tsn !== chunk.tsn, s);
        if (chunk.flags & LAST_FRAG) s.refused.set(ssn, true);
      }
      advance(inbound, s, true);
      return;
    }
    receiveDataChunk.call(this, chunk);
    if (!fresh) return;
    // werift added the chunk (and may have delivered messages, which `receive` took off).
    s.held += len;
    counters.heldBytes += len;
    if (ordered) {
      s.bytes.set(ssn, (s.bytes.get(ssn) ?? 0) + len);
      s.pieces.set(ssn, (s.pieces.get(ssn) ?? 0) + 1);
      s.ordered += len;
    }
    advance(inbound, s, false);
    // What is held now, of this chunk's message (when it is still held) and on the association.
    const message = ordered ? (s.bytes.get(ssn) ?? 0) : s.held - s.ordered;
    const pieces = ordered ? (s.pieces.get(ssn) ?? 0) : 0;
    counters.peakMessageBytes = Math.max(counters.peakMessageBytes, message);
    counters.peakHeldBytes = Math.max(counters.peakHeldBytes, counters.heldBytes);
    if (message > limit || pieces > maxPieces) {
      if (!ordered) {
        abort(`unordered messages over ${limit} bytes held on stream ${chunk.streamId}`);
        return;
      }
      // Refuse it: its fragments go, the ones to come will be dropped as they arrive.
      const ours = (c: DataChunk) => (c.flags & UNORDERED) === 0 && c.streamSeqNum === ssn;
      const lastCame = inbound.reassembly.some((c) => ours(c) && (c.flags & LAST_FRAG) !== 0);
      drop(inbound, (c) => !ours(c), s);
      s.bytes.delete(ssn);
      s.pieces.delete(ssn);
      s.ordered -= message;
      s.refused.set(ssn, lastCame);
      counters.refused++;
      opts.onRefused?.(chunk.streamId, message, pieces);
      advance(inbound, s, true);
    } else if (counters.heldBytes > maxHeld) {
      abort(`${counters.heldBytes} bytes held unreassembled, over the receive window`);
    }
  }
  return counters;
}

/** Associations the limit is installed on. */
const installed = new WeakMap<object, MessageLimitCounters>();
