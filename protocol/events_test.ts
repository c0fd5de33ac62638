import { parseEvent, PROTOCOL_VERSION, type TranscriptEvent } from "./events.ts";
import { assertEquals, assertThrows } from "../ffi/testing/assert.ts";

const word = { word: "hello", startMs: 100, endMs: 400, p: 0.9 };

Deno.test("every event type round-trips through JSON", () => {
  const base = { v: PROTOCOL_VERSION, seq: 0, audioMs: 400, emittedMs: 900 } as const;
  const events: TranscriptEvent[] = [
    { ...base, type: "partial", segmentId: 0, text: "hello wor" },
    { ...base, type: "commit", segmentId: 0, words: [word] },
    {
      ...base,
      type: "final",
      segmentId: 0,
      text: "hello",
      startMs: 100,
      endMs: 400,
      words: [word],
    },
    { ...base, type: "intent", segmentId: 0, intent: "greeting", confidence: 0.8, slots: {} },
    { ...base, type: "vad", state: "speech" },
    { ...base, type: "stats", lagMs: 120, rtf: 0.4, mode: "balanced" },
    { ...base, type: "error", code: "bad_message", message: "Cannot parse", recoverable: true },
  ];
  for (const e of events) assertEquals(parseEvent(JSON.stringify(e)), e);
});

Deno.test("bad events are refused with the field at fault", () => {
  const cases: [unknown, RegExp][] = [
    [{ v: 1, seq: 0, audioMs: 0, emittedMs: 0, type: "nope" }, /type/],
    [
      { v: 2, seq: 0, audioMs: 0, emittedMs: 0, type: "vad", state: "speech" },
      /^Cannot parse event: v:/,
    ],
    [{ v: 1, seq: -1, audioMs: 0, emittedMs: 0, type: "vad", state: "speech" }, /seq/],
    [{ v: 1, seq: 0, audioMs: 0, emittedMs: 0, type: "commit", segmentId: 0, words: [] }, /words/],
    [
      {
        v: 1,
        seq: 0,
        audioMs: 0,
        emittedMs: 0,
        type: "commit",
        segmentId: 0,
        words: [{ ...word, endMs: 50 }],
      },
      /words\.0/,
    ],
  ];
  for (const [raw, re] of cases) {
    assertThrows(() => parseEvent(JSON.stringify(raw)), TypeError, re);
  }
  assertThrows(() => parseEvent("{not json"), SyntaxError, /not JSON/);
});
