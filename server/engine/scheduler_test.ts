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

Deno.test("batch jobs run freely while no live session decodes, and within their share while one does", async () => {
  let t = 0;
  const s = new InferenceScheduler({
    slots: 1,
    now: () => t,
    batchShare: 0.25,
    batchCreditMs: 3_000,
    liveIdleMs: 2_000,
  });
  try {
    const order: string[] = [];
    const run = (id: string, kind: JobRequest["kind"]) =>
      s.acquire({ sessionId: id, kind }).then((g) => {
        order.push(g.run ? id : `${id}: ${g.reason}`);
        return g as Extract<Grant, { run: true }>;
      });
    // No live session: batch windows run back to back.
    for (let i = 0; i < 3; i++) {
      const g = await run("upload", "batch");
      t += 2_000;
      g.release();
    }
    assertEquals(order, ["upload", "upload", "upload"]);
    // A live session starts: from now on the batch credit decides.
    t += 1_000;
    let live = await run("live", "rolling");
    t += 500;
    const upload = run("upload", "batch");
    const next = run("live", "rolling"); // the live session asks again at once
    live.release();
    await flush();
    // The batch credit is negative (three 2 s runs, each earning 0.5 s: −4.5 s, and 0.375 s
    // earned since): the live job goes.
    assertEquals(order.at(-1), "live");
    assert(s.batchCredit() < 0, `credit ${s.batchCredit()}`);
    live = await next;
    // The live session keeps asking; the batch job gets its turn once the credit is back above 0.
    let ranLive = 0;
    while (!order.includes("upload", 4)) {
      t += 1_000;
      const again = run("live", "rolling");
      live.release();
      await flush();
      if (order.at(-1) === "upload") break;
      live = await again;
      ranLive++;
    }
    // −4125 ms of credit at 0.25 ms a ms: about 16.5 s of live decoding before it is positive.
    assert(ranLive >= 15 && ranLive <= 18, `${ranLive} live decodes before the batch job`);
    const g = await upload;
    t += 2_000;
    g.release();
    // Batch waits stay out of the degrade average.
    assert(s.stats.meanWaitMs < 1_000, `mean wait ${s.stats.meanWaitMs}`);
  } finally {
    s.close();
  }
});

Deno.test("a session's closing decode and its next rolling decode wait side by side; express jobs take the express slot beside their own session's running closing decode only", async () => {
  const { s } = fixture(1);
  const got: string[] = [];
  const ask = (id: string, kind: JobRequest["kind"], express = false) =>
    s.acquire({ sessionId: id, kind, express }).then((g) => {
      got.push(`${id}:${kind}${express ? "!" : ""}:${g.run ? "run" : g.reason}`);
      return g;
    });
  // Session x's closing decode holds the one slot.
  const busy = await ask("x", "final");
  got.length = 0;
  // Session a: its closing decode waits, and a rolling decode of its next segment beside it does
  // not replace it (a second rolling one replaces the first).
  const closing = ask("a", "final");
  const first = ask("a", "rolling");
  const second = ask("a", "rolling");
  await flush();
  assertEquals(got, ["a:rolling:replaced"]);
  assertEquals(s.stats.queued, 2);
  // An express job of a session whose closing decode is not running waits its turn; x's runs
  // beside x's closing decode, in the express slot; a plain rolling job never takes it.
  const other = ask("b", "rolling", true);
  const express = ask("x", "rolling", true);
  await flush();
  assertEquals(got.slice(1), ["x:rolling!:run"]);
  assertEquals(s.stats.running, 2);
  assertEquals(s.stats.express, 1);
  assertEquals(s.stats.queued, 3);
  // Released, the express slot stays free: no waiting express job is beside its own closing.
  const ge = await express;
  assert(ge.run);
  ge.release();
  await flush();
  assertEquals(got.length, 2);
  assertEquals(s.stats.running, 1);
  assert(busy.run);
  busy.release();
  const gc = await closing;
  assertEquals(got.slice(2), ["a:final:run"], "the closing decode counts as further behind");
  assert(gc.run);
  // b's express job does not run beside a's closing decode either.
  await flush();
  assertEquals(got.length, 3);
  gc.release();
  for (const g of [second, other]) {
    const r = await g;
    assert(r.run);
    r.release();
  }
  await first;
  // Cancelling a session withdraws both its kinds.
  const hold = await ask("y", "rolling");
  const g1 = ask("d", "final");
  const g2 = ask("d", "rolling");
  s.cancel("d");
  assertEquals([(await g1).run, (await g2).run], [false, false]);
  assert(hold.run);
  hold.release();
  s.close();
});

Deno.test("live sessions are those with a decode in flight or asked within liveIdleMs; loadShare is them per slot, at least 1", async () => {
  const { s, advance } = fixture(2);
  assertEquals([s.liveSessions, s.loadShare], [0, 1]);
  const grants: Grant[] = [];
  for (const id of ["a", "b", "c"]) {
    s.acquire({ sessionId: id, kind: "rolling" }).then((g) => grants.push(g));
  }
  await flush();
  assertEquals(s.liveSessions, 3);
  assertEquals(s.loadShare, 1.5);
  // a runs for 5 s: it stays live; b and c end theirs at once and are live for 2 s more.
  advance(100);
  const [a, ...rest] = grants;
  for (const g of rest) if (g.run) g.release();
  await flush();
  for (const g of grants.slice(2)) if (g.run) g.release();
  advance(2_500);
  assertEquals(s.liveSessions, 1, "only a, still decoding");
  assert(a.run);
  a.release();
  advance(1_000);
  assertEquals(s.liveSessions, 1, "a ended its decode 1 s ago");
  advance(1_500);
  assertEquals([s.liveSessions, s.loadShare], [0, 1], "none asked or ended one within 2 s");
  s.acquire({ sessionId: "upload", kind: "batch" });
  await flush();
  assertEquals(s.liveSessions, 0, "batch jobs are not live sessions");
});
