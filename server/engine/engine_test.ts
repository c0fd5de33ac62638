import { assert, assertEquals } from "../../ffi/testing/assert.ts";
import { releaseFreeMemory } from "../../ffi/native/libc.ts";
import { Engine } from "./engine.ts";

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
