import { fileURLToPath } from "node:url";
import { LAYOUTS } from "./layout.ts";
import { CONSTANTS } from "./symbols.ts";

function assertEquals(actual: unknown, expected: unknown, msg: string): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(`${msg}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

const CC = Deno.env.get("CC") ?? "cc";
const HEADER = "sndfile.h";

/** Why the probe cannot be built here, or `null` when it can (a C compiler and the header). */
async function missingToolchain(): Promise<string | null> {
  const src = `#include <${HEADER}>\nint main(void) { return 0; }\n`;
  let out: Deno.CommandOutput;
  try {
    const child = new Deno.Command(CC, {
      args: ["-x", "c", "-fsyntax-only", "-"],
      stdin: "piped",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(src));
    await w.close();
    out = await child.output();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return `no C compiler: \`${CC}\` is not on PATH`;
    throw err;
  }
  if (!out.success) {
    return `<${HEADER}> is missing (install libsndfile1-dev): ${
      new TextDecoder().decode(out.stderr).trim().split("\n")[0]
    }`;
  }
  return null;
}

Deno.test("sndfile.h struct layouts and constants match the ones the binding uses", async (t) => {
  const missing = await missingToolchain();
  if (missing) {
    console.warn(`SKIPPED sndfile layout check: ${missing}`);
    await t.step({ name: `skipped: ${missing}`, ignore: true, fn: () => {} });
    return;
  }
  const dir = await Deno.makeTempDir({ prefix: "hum-sndfile-layout-" });
  try {
    const exe = `${dir}/probe`;
    const compile = await new Deno.Command(CC, {
      args: ["-std=c11", fileURLToPath(new URL("./layout_probe.c", import.meta.url)), "-o", exe],
    }).output();
    if (!compile.success) {
      throw new Error(`layout probe did not compile:\n${new TextDecoder().decode(compile.stderr)}`);
    }
    const out = await new Deno.Command(exe).output();
    const probed = JSON.parse(new TextDecoder().decode(out.stdout)) as Record<string, unknown>;
    for (const [name, layout] of Object.entries(LAYOUTS)) {
      const c = probed[name] as { size: number; fields: Record<string, [number, number]> };
      if (!c) throw new Error(`probe printed no layout for ${name}`);
      assertEquals(layout.size, c.size, `sizeof(${name})`);
      for (const [field, [off, size]] of Object.entries(layout.fields)) {
        assertEquals([off, size], c.fields[field], `${name}.${field} [offset, size]`);
      }
      // Every field the probe knows is in the table too, so the two cannot drift apart.
      assertEquals(
        Object.keys(layout.fields).sort(),
        Object.keys(c.fields).sort(),
        `${name} fields`,
      );
    }
    const constants = probed.constants as Record<string, number>;
    assertEquals(Object.keys(CONSTANTS).sort(), Object.keys(constants).sort(), "constant names");
    for (const [name, value] of Object.entries(CONSTANTS)) {
      assertEquals(value, constants[name], name);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
