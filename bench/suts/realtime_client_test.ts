import { realtimeToEvents } from "./realtime_client.ts";
import { streamFigures } from "../metrics/stream_latency.ts";
import { assertEquals } from "../../ffi/testing/assert.ts";

Deno.test("realtimeToEvents: deltas become commits, completions finals, one item one segment", () => {
  const words = [
    { word: "ask", startMs: 100, endMs: 300, p: 0.9 },
    { word: "not", startMs: 300, endMs: 500, p: 0.8 },
  ];
  const events = realtimeToEvents([
    { type: "session.created", receivedMs: 0 },
    { type: "input_audio_buffer.speech_started", item_id: "a", receivedMs: 120 },
    {
      type: "conversation.item.input_audio_transcription.delta",
      item_id: "a",
      delta: "ask",
      receivedMs: 900,
    },
    {
      type: "conversation.item.input_audio_transcription.delta",
      item_id: "a",
      delta: " not",
      receivedMs: 1500,
    },
    { type: "input_audio_buffer.committed", item_id: "a", receivedMs: 1900 },
    {
      type: "conversation.item.input_audio_transcription.completed",
      item_id: "a",
      transcript: "ask not",
      hum: { words, startMs: 100, endMs: 500 },
      receivedMs: 2000,
    },
    {
      type: "conversation.item.input_audio_transcription.completed",
      item_id: "b",
      transcript: "what your",
      receivedMs: 4000,
    },
  ]);
  assertEquals(events.map((e) => [e.type, e.seq, e.emittedMs]), [
    ["commit", 0, 900],
    ["commit", 1, 1500],
    ["final", 2, 2000],
    ["final", 3, 4000],
  ]);
  const f = events[2];
  if (f.type !== "final") throw new Error("final");
  assertEquals([f.segmentId, f.text, f.words], [0, "ask not", words]);
  const g = events[3];
  if (g.type !== "final") throw new Error("final");
  assertEquals([g.segmentId, g.words.map((w) => w.word)], [1, ["what", "your"]]);
  // The metrics read them as any stream: "ask" counts from its delta, "your" from its final.
  const fig = streamFigures(events, [
    { word: "ask", startMs: 100, endMs: 300 },
    { word: "not", startMs: 300, endMs: 500 },
    { word: "what", startMs: 2_600, endMs: 2_800 },
    { word: "your", startMs: 2_800, endMs: 3_000 },
  ]);
  assertEquals(fig.emissionMs, [600, 1_000, 1_200, 1_000]);
});
