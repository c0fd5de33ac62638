import { type ClientRun, cpuNow, runWorker } from "./generator.ts";
import { hasShared, sharedPath } from "../../ffi/testing/shared.ts";
import { assert, assertEquals } from "../../ffi/testing/assert.ts";

Deno.test("the generator's CPU clock: a busy main thread's time shows in it, within the wall time", () => {
  const c0 = cpuNow();
  const t0 = performance.now();
  let x = 0;
  while (performance.now() - t0 < 200) x += Math.sqrt(x + 1);
  const wall = performance.now() - t0;
  const c1 = cpuNow();
  assert(x > 0);
  assert(c1.threadMs !== null && c0.threadMs !== null, "Linux: the main thread's own figure");
  const thread = c1.threadMs - c0.threadMs;
  assert(thread > 0 && thread <= wall + 20, `thread ${thread} ms in ${wall} ms`);
  assert(c1.processMs - c0.processMs >= thread - 20, "the process's time includes its thread's");
});

Deno.test({
  name: "a worker process runs its clients and streams each session back, then its load; a " +
    "client that cannot connect is a session with an error, not a lost worker",
  ignore: !hasShared("speech/jfk/jfk.wav"),
  sanitizeResources: false,
  fn: async () => {
    const runs: ClientRun[] = [];
    const load = await runWorker({
      // Nothing listens on the discard port: every session fails at once.
      url: "http://127.0.0.1:9",
      file: sharedPath("speech/jfk/jfk.wav"),
      transport: "audio",
      mode: "latency",
      clients: [1, 3],
      sessions: 4,
      spreadMs: 10,
      endAtMs: Date.now(),
    }, (r) => runs.push(r));
    assertEquals(runs.map((r) => r.client).sort(), [1, 3]);
    for (const r of runs) assert(r.error, JSON.stringify(r));
    assertEquals(load.clients, 2);
    assert(load.threadCpuPct >= 0 && load.processCpuPct >= 0, JSON.stringify(load));
  },
});
