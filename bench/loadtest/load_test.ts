import { type LoadReport, lostSegmentDetails, lostSegments, runLoad, sustained } from "./load.ts";
import { startServerProcess } from "./server_process.ts";
import { loadTable } from "./cli.ts";
import { TEST_SERVER_MODELS } from "../../server/transport/http/testing.ts";
import type { TranscriptEvent } from "../../protocol/events.ts";
import { hasShared, sharedPath } from "../../ffi/testing/shared.ts";
import { assert, assertEquals } from "../../ffi/testing/assert.ts";

const JFK = "speech/jfk/jfk.wav";

Deno.test("a segment with text but no final is lost; one without text is not", () => {
  const ev = (e: Record<string, unknown>) => ({ v: 1, seq: 0, emittedMs: 0, audioMs: 0, ...e });
  const events = [
    ev({ type: "partial", segmentId: 0, text: "hello" }),
    ev({ type: "commit", segmentId: 0, words: [] }),
    ev({ type: "final", segmentId: 0, text: "hello", startMs: 0, endMs: 1, words: [] }),
    ev({ type: "partial", segmentId: 1, text: "" }),
    ev({ type: "partial", segmentId: 2, text: "never finished" }),
  ] as unknown as TranscriptEvent[];
  assertEquals(lostSegments(events), 1);
});

Deno.test("a lost segment is described: its partials, commits, the last stats and what came after", () => {
  const ev = (e: Record<string, unknown>) => ({ v: 1, seq: 0, emittedMs: 0, audioMs: 0, ...e });
  const events = [
    ev({ type: "stats", lagMs: 0, rtf: 0.5, mode: "latency", note: "early" }),
    ev({ type: "partial", segmentId: 3, text: "ask not", audioMs: 900 }),
    ev({ type: "partial", segmentId: 3, text: "ask not what", audioMs: 1200 }),
    ev({ type: "vad", state: "silence" }),
    ev({ type: "partial", segmentId: 4, text: "and so", audioMs: 2000 }),
    ev({ type: "final", segmentId: 4, text: "and so", startMs: 0, endMs: 1, words: [] }),
    ev({ type: "stats", lagMs: 0, rtf: 0.5, mode: "latency", note: "end of input", degraded: 2 }),
  ] as unknown as TranscriptEvent[];
  const lost = lostSegmentDetails(events);
  assertEquals(lost.length, 1);
  assertEquals(lost[0].segmentId, 3);
  assertEquals([lost[0].partials, lost[0].lastPartial, lost[0].lastPartialMs], [
    2,
    "ask not what",
    1200,
  ]);
  assertEquals(lost[0].committed, 0);
  assertEquals(lost[0].lastStats, "end of input (degraded 2)");
  assertEquals(lost[0].after, ["vad", "partial 4", "final 4", "stats"]);
  assertEquals(lostSegmentDetails(events.slice(4)), [], "a finalized segment is not lost");
});

Deno.test("sessions sustained: the largest N within the bound before the first miss, loss or busy generator", () => {
  const r = (sessions: number, p90: number | null, lost = 0) =>
    ({ sessions, emission_p90_ms: p90, lost_segments: lost }) as LoadReport;
  assertEquals(sustained([r(4, 2500), r(1, 900), r(2, 1500)], 2000), 2);
  assertEquals(sustained([r(1, 900), r(2, 1500, 1)], 2000), 1, "a lost segment fails the level");
  assertEquals(sustained([r(1, 2100)], 2000), 0);
  const busy = { ...r(4, 1500), generator_busy: true } as LoadReport;
  assertEquals(sustained([r(1, 900), r(2, 1500), busy], 2000), 2, "a busy generator's level");
});

Deno.test({
  name: "4 sessions at once over WebRTC against a server process, from 2 generator processes: " +
    "every session gets its finals, and each generator reports its CPU",
  ignore: !hasShared(...TEST_SERVER_MODELS, JFK),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const server = await startServerProcess({
      model: sharedPath(TEST_SERVER_MODELS[0]),
      vadModel: sharedPath(TEST_SERVER_MODELS[1]),
      args: ["--no-refuse-when-overloaded"],
    });
    try {
      const report = await runLoad({
        url: server.url,
        sessions: 4,
        durationS: 1,
        file: sharedPath(JFK),
        transport: "audio",
        mode: "latency",
        reference: Deno.readTextFileSync(sharedPath("speech/jfk/jfk.txt")),
        server,
        perWorker: 2,
      });
      console.log(loadTable([report]));
      assertEquals(report.generator.processes, 2);
      for (const pct of report.generator.thread_cpu_pct) assert(pct > 0 && pct < 400, `${pct}`);
      assertEquals(
        report.generator.max_thread_cpu_pct,
        Math.max(...report.generator.thread_cpu_pct),
      );
      assertEquals(report.errors, []);
      assertEquals(report.runs, 4);
      assertEquals(report.lost_segments, 0);
      assert(report.finals >= 4, `every session got its final segments (${report.finals})`);
      assert(report.words >= 4 * 15, `words were committed and timed (${report.words})`);
      assert(report.wer_pct! < 30, `the text survives the load (WER ${report.wer_pct} %)`);
      assert(report.server_peak_rss_mb! > 100, "the server's memory was read from its status");
      const status = await server.status();
      assertEquals([status.sessions, status.done], [0, 4]);
    } finally {
      await server.stop();
    }
  },
});
