import { medianMetrics, partialChurn, trialMetrics } from "./metrics.ts";
import type { TranscriptEvent } from "../../protocol/events.ts";
import { assertEquals } from "../../ffi/testing/assert.ts";

let seq = 0;
const ev = (e: Record<string, unknown>) =>
  ({ v: 1, seq: seq++, emittedMs: 0, audioMs: 0, ...e }) as unknown as TranscriptEvent;
const word = (w: string) => ({ word: w, startMs: 0, endMs: 0, p: 1 });

Deno.test("partial churn counts the shown characters taken back, per final character", () => {
  const events = [
    ev({ type: "partial", segmentId: 0, text: "the cat" }),
    // "the cat" → "the cap sat": the shown text keeps "the ca"; 1 character ("t") taken back.
    ev({ type: "partial", segmentId: 0, text: "the cap sat" }),
    ev({ type: "commit", segmentId: 0, words: [word("the"), word("cap")] }),
    // The final keeps everything shown: nothing more taken back.
    ev({ type: "final", segmentId: 0, text: "the cap sat", startMs: 0, endMs: 0, words: [] }),
  ];
  assertEquals(partialChurn(events), 1 / 11);
  // A stream that never shows a partial has no churn.
  assertEquals(
    partialChurn([
      ev({ type: "final", segmentId: 1, text: "hi", startMs: 0, endMs: 0, words: [] }),
    ]),
    0,
  );
});

Deno.test("the cell's figure is each metric's median over trials", () => {
  assertEquals(medianMetrics([{ a: 3, b: 1 }, { a: 1 }, { a: 2, b: 5 }]), { a: 2, b: 3 });
});

Deno.test("media_lost_pct: the share of RTP packets the service never received, for media SUTs only", () => {
  const item = { id: "a", audioPath: "a.wav", reference: "ask not", durationS: 1 };
  const usage = { cpuS: 1, peakRssMb: 100 };
  const out = (media?: { packets: number; lost: number }) => ({
    item,
    text: "ask not",
    wallS: 1,
    ...(media ? { media } : {}),
  });
  // 2 of 200 packets over two sessions.
  const m = trialMetrics([out({ packets: 99, lost: 1 }), out({ packets: 99, lost: 1 })], usage);
  assertEquals(m.media_lost_pct, 1);
  assertEquals(trialMetrics([out({ packets: 50, lost: 0 })], usage).media_lost_pct, 0);
  // No media track, no figure.
  assertEquals("media_lost_pct" in trialMetrics([out()], usage), false);
});
