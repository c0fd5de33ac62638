import { ModelRegistry, readModelHeader, sizeOf, StatePool } from "./model_registry.ts";
import { WhisperModel, type WhisperState } from "../../ffi/whisper/mod.ts";
import { hasShared, sharedPath } from "../../ffi/testing/shared.ts";
import { assert, assertEquals, assertRejects } from "../../ffi/testing/assert.ts";

const TINY = "models/ggml-tiny.en.bin";
const TINY_Q = "models/ggml-tiny.en-q5_1.bin";
const BASE_Q = "models/ggml-base-q5_1.bin";
const ALL = [TINY, TINY_Q, BASE_Q];

Deno.test({
  name: "a model file's header agrees with what whisper.cpp reads from it",
  ignore: !hasShared(...ALL),
  async fn() {
    for (const rel of ALL) {
      const h = await readModelHeader(sharedPath(rel));
      using m = await WhisperModel.load(sharedPath(rel));
      assertEquals(
        [h.nVocab, h.nAudioCtx, h.nMels, sizeOf(h)],
        [m.info.nVocab, m.info.nAudioCtx, m.info.nMels, m.info.type],
        rel,
      );
    }
    await assertRejects(() => readModelHeader(sharedPath("speech/manifest.tsv")), Error, "ggml");
  },
});

/** A fake model whose load the test finishes when it wants. */
function fakeLoads() {
  const pending = new Map<string, PromiseWithResolvers<WhisperModel>>();
  const fake = (path: string) =>
    ({
      path,
      closed: false,
      close() {},
      createState: () => Promise.resolve({ closed: false, close() {} } as unknown as WhisperState),
    }) as unknown as WhisperModel;
  return {
    load: (path: string) => {
      const p = Promise.withResolvers<WhisperModel>();
      pending.set(path, p);
      return p.promise;
    },
    finish: (path: string) => pending.get(path)!.resolve(fake(path)),
    fail: (path: string) => pending.get(path)!.reject(new Error("bad file")),
    started: () => [...pending.keys()],
  };
}

const tick = () => new Promise((r) => setTimeout(r, 10));

Deno.test({
  name: "background loading goes smallest first and serves the first model before the next is done",
  ignore: !hasShared(...ALL),
  async fn() {
    const loads = fakeLoads();
    const reg = new ModelRegistry({
      resolve: (n) => Promise.resolve(sharedPath(n)),
      load: loads.load,
    });
    await reg.preload([BASE_Q, TINY, TINY_Q]);
    await tick();
    // One at a time, tiny.en-q5_1 (smallest file of the tiny ones) first.
    assertEquals(loads.started(), [sharedPath(TINY_Q)]);
    assertEquals(reg.status.map((m) => [m.name, m.state]), [
      [TINY_Q, "loading"],
      [TINY, "queued"],
      [BASE_Q, "queued"],
    ]);
    assertEquals(reg.anyReady, false);
    assertEquals(reg.route(), null);
    const ready = reg.whenAnyReady();
    loads.finish(sharedPath(TINY_Q));
    await ready;
    await tick();
    assertEquals(reg.route("base"), TINY_Q, "the only ready model, while tiny.en loads");
    assertEquals(reg.status[1].state, "loading");
    loads.finish(sharedPath(TINY));
    await tick();
    loads.fail(sharedPath(BASE_Q));
    await reg.settled();
    await tick();
    assertEquals(reg.status.map((m) => m.state), ["ready", "ready", "failed"]);
    assertEquals(reg.status[2].error, "bad file");
    assertEquals(reg.route("base"), TINY, "base failed: the largest ready tiny model");
    assertEquals(reg.route("base", true), TINY_Q, "under load: the smallest");
    await reg.close();
  },
});

Deno.test({
  name: "routing takes the largest ready model a mode allows; a failed model is tried again",
  ignore: !hasShared(...ALL),
  async fn() {
    const reg = new ModelRegistry({ resolve: (n) => Promise.resolve(sharedPath(n)) });
    await reg.preload([TINY, BASE_Q, TINY_Q]);
    await reg.settled();
    assertEquals(reg.status.map((m) => [m.name, m.state, m.size]), [
      [TINY_Q, "ready", "tiny"],
      [TINY, "ready", "tiny"],
      [BASE_Q, "ready", "base"],
    ]);
    assert(reg.status.every((m) => (m.loaded_in_s ?? -1) >= 0));
    assertEquals(reg.route("tiny"), TINY);
    assertEquals(reg.route("base"), BASE_Q);
    assertEquals(reg.route("large"), BASE_Q);
    // get() of a name not preloaded loads it there and then; a missing file fails, and is
    // tried again the next time.
    await assertRejects(() => reg.get("models/none.bin"), Error);
    assertEquals(reg.status.at(-1)?.state, "failed");
    await assertRejects(() => reg.get("models/none.bin"), Error);
    await reg.close();
  },
});

Deno.test({
  name: "a state pool hands back idle states and keeps at most maxIdle",
  ignore: !hasShared(TINY),
  async fn() {
    using model = await WhisperModel.load(sharedPath(TINY));
    const pool = new StatePool(model, { maxIdle: 1 });
    const a = await pool.take();
    const b = await pool.take();
    assertEquals(pool.counts, { used: 2, idle: 0, created: 2, released: 0 });
    pool.give(a);
    pool.give(b);
    assertEquals(pool.counts, { used: 0, idle: 1, created: 2, released: 0 });
    assert(b.closed, "one past maxIdle is freed");
    const again = await pool.take();
    assert(again === a, "the idle state is reused");
    assertEquals(pool.counts.created, 2);
    pool.give(again);
    pool.close();
    assert(a.closed);
  },
});

Deno.test({
  name: "a state pool frees states left idle past idleReleaseMs, oldest first, and says so",
  ignore: !hasShared(TINY),
  async fn() {
    using model = await WhisperModel.load(sharedPath(TINY));
    const released: number[] = [];
    const pool = new StatePool(model, {
      maxIdle: 4,
      idleReleaseMs: 60_000,
      onReleased: (n) => released.push(n),
    });
    try {
      const [a, b, c] = [await pool.take(), await pool.take(), await pool.take()];
      pool.give(a);
      pool.give(b);
      const t0 = performance.now();
      assertEquals(pool.sweep(t0 + 59_000), 0, "not yet idle long enough");
      await new Promise((r) => setTimeout(r, 5));
      // c comes back later: at t0 + 59.999 s a and b have idled a minute, c has not.
      const t1 = performance.now();
      pool.give(c);
      assertEquals(pool.sweep(t1 + 59_999), 2);
      assert(a.closed && b.closed && !c.closed);
      assertEquals(released, [2]);
      assertEquals(pool.counts, { used: 0, idle: 1, created: 3, released: 2 });
      // A state handed out again is not freed under its user.
      const again = await pool.take();
      assert(again === c);
      assertEquals(pool.sweep(t1 + 10_000_000), 0);
      assert(!again.closed);
      pool.give(again);
    } finally {
      pool.close();
    }
  },
});

Deno.test({
  name: "a state pool's own timer frees idle states with no sweep asked for",
  ignore: !hasShared(TINY),
  async fn() {
    using model = await WhisperModel.load(sharedPath(TINY));
    const released: number[] = [];
    const pool = new StatePool(model, { idleReleaseMs: 20, onReleased: (n) => released.push(n) });
    try {
      const st = await pool.take();
      pool.give(st);
      // (The pool's timer does not keep the process alive: this wait does.)
      while (!released.length) await new Promise((r) => setTimeout(r, 5));
      assertEquals(released, [1]);
      assert(st.closed);
      assertEquals(pool.counts.idle, 0);
    } finally {
      pool.close();
    }
  },
});
