/**
 * Numbering a session's outgoing events: the engine hands out events stamped with their emission
 * time only; whoever sends them (a live session, the `stream` CLI, the benchmark) gives each the
 * protocol version and the next `seq`, from 0, in the order sent.
 *
 * @module
 */

import { PROTOCOL_VERSION, type TranscriptEvent } from "../../protocol/events.ts";
import type { StreamEvent } from "../engine/stream.ts";

/** Gives events `v` and `seq` (0, 1, 2, … in call order). */
export class EventNumbering {
  #seq = 0;

  /** Events numbered so far. */
  get count(): number {
    return this.#seq;
  }

  /** The event as sent: `v` and the next `seq` first, then its own fields in their order. */
  number(event: StreamEvent): TranscriptEvent {
    return { v: PROTOCOL_VERSION, seq: this.#seq++, ...event } as TranscriptEvent;
  }
}

/** A stream's events as they come, numbered (for a consumer that sends nothing of its own). */
export async function* numbered(
  events: AsyncIterable<StreamEvent>,
): AsyncGenerator<TranscriptEvent> {
  const numbering = new EventNumbering();
  for await (const event of events) yield numbering.number(event);
}
