import { emittedTokens, poolFigures, speechBounds, streamFigures } from "./stream_latency.ts";
import { PROTOCOL_VERSION, type TranscriptEvent } from "../../protocol/events.ts";
import { assertEquals } from "../../ffi/testing/assert.ts";

let seq = 0;
const ev = (e: Record<string, unknown>) =>
  ({ v: PROTOCOL_VERSION, seq: seq++, audioMs: 0, ...e }) as unknown as TranscriptEvent;
const word = (w: string) => ({ word: w, startMs: 0, endMs: 0, p: 1 });
const ref = [
  { word: "hello", startMs: 0, endMs: 400 },
  { word: "mister", startMs: 450, endMs: 800 },
  { word: "smith", startMs: 850, endMs: 1200 },
  // 1 s of silence: a new onset.
  { word: "bye", startMs: 2200, endMs: 2500 },
];

Deno.test("emission, first-partial and finalization latency from events alone", () => {
  const events = [
    ev({ type: "partial", segmentId: 0, text: "hello", emittedMs: 300, audioMs: 300 }),
    ev({ type: "commit", segmentId: 0, words: [word("Hello"), word("Mr.")], emittedMs: 1000 }),
    ev({ type: "commit", segmentId: 0, words: [word("Smyth")], emittedMs: 1500 }),
    ev({
      type: "final",
      segmentId: 0,
      text: "Hello Mr. Smyth",
      startMs: 0,
      endMs: 1300,
      words: [],
      emittedMs: 1700,
    }),
    ev({ type: "commit", segmentId: 1, words: [word("bye.")], emittedMs: 3000, audioMs: 2600 }),
    ev({
      type: "final",
      segmentId: 1,
      text: "bye.",
      startMs: 2200,
      endMs: 2600,
      words: [],
      emittedMs: 3100,
    }),
    ev({ type: "stats", lagMs: 250, rtf: 0.5, mode: "balanced", emittedMs: 3100 }),
  ];
  const f = streamFigures(events, ref);
  // "Mr." normalises to "mister"; "Smyth" does not match "smith".
  assertEquals(f.emissionMs, [600, 200, 500]);
  assertEquals(f.firstPartialMs, [300, 800]);
  assertEquals(f.finalizationMs, [500, 600]);
  assertEquals([f.commitsMatchFinals, f.maxLagMs, f.rtf], [true, 250, 0.5]);
  const p = poolFigures([f], ["hello mister smith bye"]);
  assertEquals([p.wer, p.emissionP50Ms, p.matchedWords, p.refWords], [25, 500, 3, 4]);
});

Deno.test("a final that is not its commits is flagged; missing events count as missed", () => {
  const events = [
    ev({ type: "commit", segmentId: 0, words: [word("hello")], emittedMs: 900 }),
    ev({
      type: "final",
      segmentId: 0,
      text: "hello there",
      startMs: 0,
      endMs: 500,
      words: [],
      emittedMs: 900,
    }),
  ];
  const f = streamFigures(events, ref);
  assertEquals(f.commitsMatchFinals, false);
  assertEquals([f.firstPartialMissed, f.finalizationMissed], [1, 2]);
  assertEquals(speechBounds(ref, 2000), { onsets: [0], ends: [2500] });
});

Deno.test("a final that revises its commits: words it changed count from the final, the rest from their commits", () => {
  const final = (segmentId: number, text: string, emittedMs: number) =>
    ev({
      type: "final",
      segmentId,
      text,
      startMs: 0,
      endMs: 0,
      words: [],
      emittedMs,
      revised: true,
    });
  const events = [
    ev({ type: "commit", segmentId: 0, words: [word("Hello"), word("Mr.")], emittedMs: 1000 }),
    ev({ type: "commit", segmentId: 0, words: [word("Smyth"), word("and")], emittedMs: 1500 }),
    // The final changes "Smyth" and takes "and" back.
    final(0, "Hello, Mr. Smith.", 2000),
    // A segment without a final counts its commits.
    ev({ type: "commit", segmentId: 1, words: [word("bye")], emittedMs: 2900 }),
  ];
  assertEquals(emittedTokens(events), [
    { t: "hello", at: 1000 },
    { t: "mister", at: 1000 },
    { t: "smith", at: 2000 },
    { t: "bye", at: 2900 },
  ]);
  const f = streamFigures(events, ref);
  assertEquals(f.emissionMs, [600, 200, 800, 400]);
  assertEquals(f.commitsMatchFinals, false);
  // Of 5 committed words the final took back "smyth" and "and".
  assertEquals([f.committedWords, f.takenBackWords], [5, 2]);
  assertEquals(poolFigures([f], ["hello mister smith bye"]).takenBackPct, 40);
  // A word committed after its final (not sent so, but the metric must not credit it) counts from
  // the final.
  const late = [
    final(0, "hello", 500),
    ev({ type: "commit", segmentId: 0, words: [word("hello")], emittedMs: 900 }),
  ];
  assertEquals(emittedTokens(late), [{ t: "hello", at: 500 }]);
});
