import { type Grant, InferenceScheduler, type JobRequest } from "./scheduler.ts";
import { assert, assertEquals } from "../../ffi/testing/assert.ts";

/** A scheduler on fake time, and a log of what ran. */
function fixture(slots = 1, opts: { degradeAtMs?: [number, number] } = {}) {
  let t = 0;
  const s = new InferenceScheduler({ slots, now: () => t, ...opts });
  return {
    s,
    advance: (ms: number) => (t += ms),
    now: () => t,
  };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

Deno.test("the slot count comes from cores and threads, or is given", () => {
  assertEquals(new InferenceScheduler({ slots: 3 }).slots, 3);
  const derived = new InferenceScheduler({ threadsPerJob: 2 }).slots;
  assertEquals(derived, Math.max(1, Math.floor(navigator.hardwareConcurrency / 2)));
  assertEquals(new InferenceScheduler({ threadsPerJob: 1024 }).slots, 1, "at least one");
});

Deno.test("no more jobs run at once than there are slots", async () => {
  const { s } = fixture(2);
  const grants: Grant[] = [];
  for (const id of ["a", "b", "c"]) {
    s.acquire({ sessionId: id, kind: "rolling" }).then((g) => grants.push(g));
  }
  await flush();
  assertEquals(grants.length, 2);
  assertEquals(s.stats.running, 2);
  assertEquals(s.stats.queued, 1);
  const g = grants[0];
  assert(g.run);
  g.release();
  g.release(); // releasing twice frees one slot only
  await flush();
  assertEquals(grants.length, 3);
  assertEquals(s.stats.running, 2);
});

Deno.test("the session furthest behind real time goes first; finals count as further behind", async () => {
  const { s } = fixture(1);
  const order: string[] = [];
  const lags: Record<string, number> = { a: 100, b: 2500, c: 900, d: 200 };
  const run = (id: string, kind: JobRequest["kind"] = "rolling") =>
    s.acquire({ sessionId: id, kind, lagMs: () => lags[id] }).then((g) => {
      order.push(id);
      if (g.run) setTimeout(g.release, 0);
    });
  const blocker = await s.acquire({ sessionId: "x", kind: "rolling" });
  const all = [run("a"), run("b"), run("c"), run("d", "final")];
  // Lags are read when the slot frees, not when the job queued.
  lags.a = 3000;
  assert(blocker.run);
  blocker.release();
  await Promise.all(all);
  // a (3000) > b (2500) > d (200 + 1000 for a final) > c (900)
  assertEquals(order, ["a", "b", "d", "c"]);
});

Deno.test("no session starves: one that keeps asking is passed over only while others are further behind", async () => {
  const { s, advance } = fixture(1);
  // Three sessions whose lag grows while they wait and resets when they run.
  const lastRun: Record<string, number> = { a: 0, b: 0, c: 0 };
  let t = 0;
  const runs: string[] = [];
  const loop = async (id: string) => {
    for (let k = 0; k < 10; k++) {
      const g = await s.acquire({ sessionId: id, kind: "rolling", lagMs: () => t - lastRun[id] });
      assert(g.run);
      runs.push(id);
      t += 100;
      advance(100);
      lastRun[id] = t;
      g.release();
      await flush();
    }
  };
  await Promise.all([loop("a"), loop("b"), loop("c")]);
  assertEquals(runs.length, 30);
  // Round robin emerges: in every window of three runs, each session runs once.
  for (let k = 0; k + 3 <= runs.length; k += 3) {
    assertEquals(new Set(runs.slice(k, k + 3)).size, 3, runs.join(""));
  }
});

Deno.test("a newer request from a session replaces its waiting one", async () => {
  const { s } = fixture(1);
  const blocker = await s.acquire({ sessionId: "x", kind: "rolling" });
  const first = s.acquire({ sessionId: "a", kind: "rolling" });
  const second = s.acquire({ sessionId: "a", kind: "rolling" });
  const old = await first;
  assertEquals([old.run, !old.run && old.reason], [false, "replaced"]);
  assertEquals(s.stats.queued, 1, "the session has one job waiting, not two");
  assert(blocker.run);
  blocker.release();
  assert((await second).run);
  assertEquals(s.stats.dropped.replaced, 1);
});

Deno.test("a job past its deadline is dropped, not run, unless it is the one to run next", async () => {
  const { s, advance, now } = fixture(1);
  const blocker = await s.acquire({ sessionId: "x", kind: "rolling" });
  const deadlineMs = now() + 500;
  const late = s.acquire({ sessionId: "a", kind: "rolling", deadlineMs, lagMs: () => 100 });
  const next = s.acquire({ sessionId: "c", kind: "rolling", deadlineMs, lagMs: () => 1500 });
  const fin = s.acquire({ sessionId: "b", kind: "final" });
  advance(800);
  assert(blocker.run);
  blocker.release();
  // Scores: c 1500, the final 0 + 1000, a 100; a and c are both past their deadline.
  const n = await next;
  assert(n.run, "expired too, but the one to run next: run, not dropped");
  const g = await late;
  assertEquals([g.run, !g.run && g.reason, g.waitedMs], [false, "deadline", 800]);
  n.release();
  assert((await fin).run, "the closing decode has no deadline");
  assertEquals(s.stats.dropped.deadline, 1);
});

Deno.test("long waits raise the degrade level; short ones bring it back", async () => {
  const { s, advance } = fixture(1, { degradeAtMs: [400, 1200] });
  const reported: number[] = [];
  s.onJob = (job) => reported.push(job.waitedMs);
  assertEquals(s.degradeLevel, 0);
  // Two sessions taking turns: each asks while the other holds the slot for `waitMs`.
  let current = await s.acquire({ sessionId: "x", kind: "rolling" });
  let turn = 0;
  const cycle = async (waitMs: number) => {
    const next = s.acquire({ sessionId: turn++ % 2 ? "x" : "y", kind: "rolling" });
    advance(waitMs);
    assert(current.run);
    current.release();
    current = await next;
  };
  for (let k = 0; k < 15; k++) await cycle(2000);
  assertEquals(s.degradeLevel, 2);
  assertEquals(s.stats.meanWaitMs > 1200, true);
  for (let k = 0; k < 30; k++) await cycle(0);
  assertEquals(s.degradeLevel, 0);
  // Every grant's wait is reported once (the last grant is still held, so 45 of 46 so far).
  assertEquals(reported.length, 45, "every grant's wait is recorded once");
  assertEquals(s.stats.granted, 46);
});

Deno.test("closing answers waiting and later jobs without running them", async () => {
  const { s } = fixture(1);
  const blocker = await s.acquire({ sessionId: "x", kind: "rolling" });
  const waiting = s.acquire({ sessionId: "a", kind: "final" });
  s.close();
  const g = await waiting;
  assertEquals([g.run, !g.run && g.reason], [false, "closed"]);
  const later = await s.acquire({ sessionId: "b", kind: "final" });
  assertEquals(later.run, false);
  assert(blocker.run);
  blocker.release();
});

Deno.test("batch jobs run only when no live job waits, until they have waited their patience", async () => {
  let t = 0;
  const s = new InferenceScheduler({ slots: 1, now: () => t, batchPatienceMs: 5_000 });
  const order: string[] = [];
  const run = (id: string, kind: JobRequest["kind"], lag = 0) =>
    s.acquire({ sessionId: id, kind, lagMs: () => lag }).then((g) => {
      order.push(id);
      return g;
    });
  const blocker = await s.acquire({ sessionId: "x", kind: "rolling" });
  const upload1 = run("upload-1", "batch");
  const upload2 = run("upload-2", "batch");
  const live = run("live", "rolling", 0);
  assert(blocker.run);
  blocker.release();
  const g1 = await live;
  assertEquals(order, ["live"], "a live job with no lag at all goes before a batch job");
  assert(g1.run);
  g1.release();
  const g2 = await upload1;
  assertEquals(order, ["live", "upload-1"], "with no live job waiting, the oldest batch job runs");
  // While upload-1 runs, a live session queues, and upload-2 has now waited past its patience.
  const late = run("live-2", "rolling", 2_000);
  t += 8_000;
  assert(g2.run);
  g2.release();
  await upload2;
  assertEquals(
    order,
    ["live", "upload-1", "upload-2"],
    "waited 8 s with 5 s patience: counts 3 s behind, more than the live session's 2 s",
  );
  const g3 = await upload2;
  assert(g3.run);
  g3.release();
  await late;
  // Live waits were 0, 0 and 8000 ms: 0.2 × 8000. Had upload-2's 8 s counted too, 2880.
  assertEquals(s.stats.meanWaitMs, 1600, "batch waits stay out of the degrade average");
});
