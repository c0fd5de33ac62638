import { resultsPath } from "./cli.ts";
import { assertEquals } from "../ffi/testing/assert.ts";
import { join } from "node:path";

Deno.test("--out names a results file, or a folder for <run id>.yaml", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assertEquals(resultsPath(dir, "r1"), join(dir, "r1.yaml"), "an existing folder");
    assertEquals(resultsPath(`${dir}/new/`, "r1"), join(dir, "new", "r1.yaml"), "a trailing /");
    assertEquals(resultsPath(`${dir}/x.yaml`, "r1"), `${dir}/x.yaml`, "a file");
    assertEquals(resultsPath(undefined, "r1").endsWith(join("bench", "results", "r1.yaml")), true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
