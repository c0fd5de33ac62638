import fc from "fast-check";
import { isAbsolute, join, relative } from "node:path";
import { looksLikePath, modelFileName, resolveModel } from "./resolve.ts";
import { findModel } from "./catalog.ts";
import { assert, assertEquals } from "../../ffi/testing/assert.ts";
import { expectContractError, fuzz, rejected } from "../../ffi/testing/fuzz.ts";

/** Model names a client might send (a session's `model` is any string of up to 200 characters). */
const spec = fc.oneof(
  fc.constantFrom(
    "tiny.en",
    "base-q5_1",
    "x",
    "ggml-x.bin",
    "./ggml-x.bin",
    "../x",
    "..",
    ".",
    "",
    " ",
    "a\0b",
  ),
  fc.constantFrom("constructor", "__proto__", "toString", "hasOwnProperty"),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
);

Deno.test("resolveModel: any name is an existing file's absolute path, or a 'Cannot find model' error", async () => {
  const root = await Deno.makeTempDir({ prefix: "hum-fuzz-models-" });
  const models = join(root, "models"), cwd = join(root, "cwd");
  await Deno.mkdir(models), await Deno.mkdir(cwd);
  await Deno.writeTextFile(join(models, "ggml-x.bin"), "x");
  await Deno.writeTextFile(join(cwd, "ggml-x.bin"), "x");
  try {
    await fuzz(
      "models.resolveModel",
      fc.asyncProperty(spec, fc.option(spec, { nil: undefined }), async (name, env) => {
        let path: string | undefined;
        const err = await rejected(async () =>
          path = await resolveModel(name, { dirs: [models], cwd, env: () => env })
        );
        expectContractError(err, [Error], /^Cannot find model/);
        if (!path) return;
        assert(isAbsolute(path) && (await Deno.stat(path)).isFile, `${path} is not a file`);
        // A name (not a path) resolves only inside the model folders, as ggml-<name>.bin.
        const given = name.trim() || env?.trim() || "tiny.en";
        if (!looksLikePath(given)) {
          assertEquals(relative(models, path), modelFileName(given), "outside the model folder");
        }
      }),
      { runs: 300 },
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("findModel: any name is a catalogue entry of that name, or undefined", () => {
  fuzz(
    "models.findModel",
    fc.property(spec, (name) => {
      const e = findModel(name);
      assert(e === undefined || e.name === name, `${name} found ${e?.name}`);
    }),
    { runs: 300 },
  );
});
