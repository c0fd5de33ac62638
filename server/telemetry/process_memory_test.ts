import { processMemoryMb, processTreeRssMb } from "./process_memory.ts";
import { assert } from "../../ffi/testing/assert.ts";

Deno.test({
  name: "a process tree's memory: a launcher whose child holds 80 MB reads 80 MB or more",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    // sh starts a child that fills 80 MB and waits: the launcher itself stays small.
    const child = new Deno.Command("sh", {
      args: ["-c", "python3 -c 'x = bytearray(80 * 2**20); import time; time.sleep(5)'; true"],
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      let tree = 0;
      for (let i = 0; i < 50 && tree < 80; i++) {
        await new Promise((r) => setTimeout(r, 100));
        tree = processTreeRssMb(child.pid);
      }
      const own = processMemoryMb(child.pid).rssMb;
      assert(tree >= 80, `the tree holds ${tree} MB`);
      assert(own < 40, `the launcher alone holds ${own} MB`);
    } finally {
      child.kill("SIGKILL");
      await child.status;
    }
    assert(processTreeRssMb(999_999_999) === 0, "a process that is not there holds nothing");
  },
});
