import { assert } from "../../ffi/testing/assert.ts";
import { RunConfigSchema, SutSchema } from "../definition.ts";
import { commandSut } from "./external.ts";

Deno.test("a command SUT whose program is not installed says so, and how to install it", async () => {
  const config = RunConfigSchema.parse({ name: "c" });
  const models = { model: "/m.bin", vadModel: "/v.bin" };
  const item = { id: "x", audioPath: "/a.wav", reference: "" } as unknown as Parameters<
    ReturnType<typeof commandSut>["run"]
  >[0];
  for (const install of [undefined, "./hum bench:setup"]) {
    const def = SutSchema.parse({
      name: "peer",
      kind: "command",
      command: [".cache/no/such/python", "{audio}"],
      ...(install ? { install } : {}),
    });
    const err = await commandSut(def as never, config, models).run(
      item,
      () => Promise.resolve(new Float32Array(0)),
    ).then(
      () => null,
      (e: Error) => e,
    );
    assert(err?.message.startsWith("Cannot run .cache/no/such/python: not installed"), String(err));
    if (!err) return;
    assert(
      install
        ? err.message.endsWith("(install it with ./hum bench:setup)")
        : !err.message.includes("install it"),
      err.message,
    );
  }
});
