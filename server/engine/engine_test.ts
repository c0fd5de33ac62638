import { assert, assertEquals } from "../../ffi/testing/assert.ts";
import { releaseFreeMemory } from "../../ffi/native/libc.ts";
import { Engine } from "./engine.ts";
import { SimulatedClock } from "./clock.ts";
import { streamFinals } from "./testing.ts";
import { decodeAudioFile } from "../../decode/audio_file.ts";
import { hasShared, sharedPath } from "../../ffi/testing/shared.ts";

const MODEL = "models/ggml-tiny.en.bin";
const Q5 = "models/ggml-tiny.en-q5_1.bin";
const VAD = "models/ggml-silero-v5.1.2.bin";
const JFK = "speech/jfk/jfk.wav";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test({
  name: "the engine hands free heap memory back on its interval, not when 0, and stops once closed",
  ignore: !releaseFreeMemory(), // glibc only
  fn: async () => {
    const off = new Engine({ scheduler: false, heapTrimIntervalMs: 0 });
    const on = new Engine({ scheduler: false, heapTrimIntervalMs: 40 });
    try {
      await sleep(300);
      assertEquals(off.heapTrims, 0);
      assert(on.heapTrims >= 3, `${on.heapTrims} trims in 300 ms at a 40 ms interval`);
    } finally {
      await on.close();
      await off.close();
    }
    const after = on.heapTrims;
    await sleep(150);
    assertEquals(on.heapTrims, after, "no trim after close");
  },
});

Deno.test({
  name: "sessions hold no decoding state between decodes: three sessions streaming at once " +
    "through one slot (and the express slot) share two states at most, and every one gets its finals",
  ignore: !hasShared(MODEL, VAD, JFK),
  sanitizeResources: false,
  fn: async () => {
    const jfk = (await decodeAudioFile(sharedPath(JFK))).samples;
    const e = new Engine({
      model: sharedPath(MODEL),
      vadModel: sharedPath(VAD),
      intents: null,
      scheduler: { slots: 1 },
    });
    try {
      // Real compute charged: the three sessions' decodes meet at the one slot.
      const finals = await Promise.all(
        [0, 1, 2].map(() => streamFinals(e, jfk, { mode: "latency", clock: new SimulatedClock() })),
      );
      for (const f of finals) assert(f.join(" ").toLowerCase().includes("your country"), `${f}`);
      const [name] = e.models.status.map((m) => m.name);
      const { model, pool } = await e.models.get(name);
      assertEquals(pool.counts.used, 0, "no state held once the decodes are done");
      // One slot and the express slot (a segment's first decode beside a closing one, decision
      // 015): at most two decodes at once, so at most two states.
      assert(pool.counts.idle <= 2, `${pool.counts.idle} idle states`);
      // A library that reseeds its generators (decision 014) reuses every state; without, each
      // closing decode (beam search) gets a new one, which is not kept (see StatePool.give).
      const closings = finals.reduce((n, f) => n + f.length, 0);
      const most = model.library.reseeds ? 2 : 2 + closings;
      assert(
        pool.counts.created <= most,
        `${pool.counts.created} states made for ${closings} closing decodes`,
      );
    } finally {
      await e.close();
    }
  },
});

Deno.test({
  name: "closingModel: a session's closing decodes run on the second model, its rolling decodes " +
    "on its own (a two-model cascade)",
  ignore: !hasShared(MODEL, Q5, VAD, JFK),
  sanitizeResources: false,
  fn: async () => {
    const jfk = (await decodeAudioFile(sharedPath(JFK))).samples;
    const e = new Engine({ model: sharedPath(MODEL), vadModel: sharedPath(VAD), intents: null });
    try {
      const finals = await streamFinals(e, jfk, {
        mode: "accuracy",
        clock: new SimulatedClock(),
        overrides: { closingModel: sharedPath(Q5) },
      });
      assert(finals.join(" ").toLowerCase().includes("your country"), `${finals}`);
      const made = async (path: string) => (await e.models.get(path)).pool.counts.created;
      assert(await made(sharedPath(MODEL)) >= 1, "rolling decodes on the session's model");
      assert(await made(sharedPath(Q5)) >= 1, "closing decodes on closingModel");
    } finally {
      await e.close();
    }
  },
});
