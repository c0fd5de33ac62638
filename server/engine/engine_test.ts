import { assert, assertEquals } from "../../ffi/testing/assert.ts";
import { releaseFreeMemory } from "../../ffi/native/libc.ts";
import { Engine } from "./engine.ts";
import { SimulatedClock } from "./clock.ts";
import { streamFinals } from "./testing.ts";
import { decodeAudioFile } from "../../decode/audio_file.ts";
import { hasShared, sharedPath } from "../../ffi/testing/shared.ts";

const MODEL = "models/ggml-tiny.en.bin";
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
    "through one slot share one state for their rolling decodes, and every one gets its finals",
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
      const { pool } = await e.models.get(name);
      assertEquals(pool.counts.used, 0, "no state held once the decodes are done");
      assert(pool.counts.idle <= 1, "one slot: at most one state waits for the next decode");
      // The rolling decodes share one state; each closing decode (beam search) gets a new one,
      // which is not kept (see StatePool.give).
      const closings = finals.reduce((n, f) => n + f.length, 0);
      assert(
        pool.counts.created <= 1 + closings,
        `${pool.counts.created} states made for ${closings} closing decodes`,
      );
    } finally {
      await e.close();
    }
  },
});
