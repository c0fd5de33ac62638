import { assertEquals } from "../testing/assert.ts";
import { releaseFreeMemory, tuneAllocator } from "./libc.ts";

const glibc = releaseFreeMemory();

Deno.test({
  name: "tuneAllocator sets the arena cap and mmap threshold glibc accepts, and leaves the user's",
  ignore: !glibc,
  fn: () => {
    // The server's own settings (this process runs other tests too).
    assertEquals(tuneAllocator({}, () => undefined), {
      arenaMax: 2,
      mmapThresholdBytes: 1024 * 1024,
    });
    const user = (k: string) => (k === "MALLOC_ARENA_MAX" ? "4" : undefined);
    assertEquals(tuneAllocator({}, user), { arenaMax: null, mmapThresholdBytes: 1024 * 1024 });
  },
});
