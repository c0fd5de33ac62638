import fc from "fast-check";
import { fillTemplate } from "./external.ts";
import { assert, assertEquals } from "../../ffi/testing/assert.ts";
import { expectContractError, fuzz, thrown } from "../../ffi/testing/fuzz.ts";

const VALUES = { audio: "/a.wav", model: "/m.bin", threads: "2", beam: "5", mode: "balanced" };

Deno.test("fillTemplate: any argument of a definition's command is filled from its values, or refused by placeholder", () => {
  const piece = fc.oneof(
    fc.constantFrom(...Object.keys(VALUES), "constructor", "toString", "__proto__", "valueOf", "x")
      .map((k) => `{${k}}`),
    fc.string({ maxLength: 8 }),
  );
  fuzz(
    "bench.fillTemplate",
    fc.property(fc.array(piece, { maxLength: 5 }).map((p) => p.join("")), (arg) => {
      let out: string | undefined;
      const err = thrown(() => (out = fillTemplate(arg, VALUES)));
      expectContractError(err, [Error], "Cannot run command: unknown placeholder ");
      const keys = [...arg.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const unknown = keys.find((k) => !Object.hasOwn(VALUES, k));
      if (unknown !== undefined) return assert(err, `{${unknown}} was filled in: ${out}`);
      assert(!err, String(err));
      assertEquals(
        out,
        arg.replace(/\{(\w+)\}/g, (_, k: string) => VALUES[k as keyof typeof VALUES]),
      );
    }),
    { runs: 300 },
  );
});

Deno.test("a placeholder named like an Object.prototype key is unknown (fuzz counterexample)", () => {
  // `{constructor}` used to become "function Object() { [native code] }", `{__proto__}` "undefined".
  for (const k of ["constructor", "toString", "__proto__"]) {
    const err = thrown(() => fillTemplate(`--x={${k}}`, VALUES));
    assert(err instanceof Error && err.message.includes(`unknown placeholder {${k}}`), String(err));
  }
  assertEquals(fillTemplate("{audio}:{beam}", VALUES), "/a.wav:5");
});
