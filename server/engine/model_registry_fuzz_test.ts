import fc from "fast-check";
import { join } from "node:path";
import { MODEL_SIZES, readModelHeader, sizeOf } from "./model_registry.ts";
import { assert } from "../../ffi/testing/assert.ts";
import { hasShared, sharedPath } from "../../ffi/testing/shared.ts";
import { bytes, expectContractError, fuzz, mutated, rejected } from "../../ffi/testing/fuzz.ts";

const TINY = "models/ggml-tiny.en.bin";

/** The first bytes of a real model (or a made-up header of the same shape without the data). */
async function realHead(): Promise<Uint8Array> {
  if (!hasShared(TINY)) {
    const b = new Uint8Array(64);
    const v = new DataView(b.buffer);
    v.setUint32(0, 0x67676d6c, true);
    [51864, 1500, 384, 6, 4, 448, 384, 6, 4, 80, 1].forEach((x, i) =>
      v.setInt32(4 + 4 * i, x, true)
    );
    return b;
  }
  using f = await Deno.open(sharedPath(TINY));
  const b = new Uint8Array(64);
  let got = 0;
  while (got < b.length) {
    const n = await f.read(b.subarray(got));
    if (n === null) break;
    got += n;
  }
  return b;
}

Deno.test("readModelHeader: any file (a session may name any path) is a header or a 'Cannot read model' error", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hum-fuzz-header-" });
  const head = await realHead();
  try {
    await fuzz(
      "model_registry.readModelHeader",
      fc.asyncProperty(fc.oneof(bytes(100), mutated(head, 4)), async (b) => {
        const path = join(dir, "m.bin");
        await Deno.writeFile(path, b);
        let h;
        const err = await rejected(async () => (h = await readModelHeader(path)));
        expectContractError(err, [Error], "Cannot read model ");
        if (!h) return;
        assert(Object.values(h).every(Number.isInteger), "a field that is not an integer");
        assert(MODEL_SIZES.includes(sizeOf(h)), "size");
      }),
      { runs: 200 },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
