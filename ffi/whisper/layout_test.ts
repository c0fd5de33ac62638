import { LAYOUTS } from "./layout.ts";
import { ensureWhisperBuild, REPO_ROOT } from "./build.ts";
import { join } from "node:path";

function assertEquals(actual: unknown, expected: unknown, msg: string): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(`${msg}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

Deno.test("whisper.h struct layouts match the offsets the binding uses", async () => {
  const build = await ensureWhisperBuild({ quiet: true });
  const dir = await Deno.makeTempDir({ prefix: "hum-layout-" });
  try {
    const exe = join(dir, "probe");
    const cc = Deno.env.get("CC") ?? "cc";
    const compile = await new Deno.Command(cc, {
      args: [
        "-std=c11",
        ...build.includeDirs.map((d) => `-I${d}`),
        join(REPO_ROOT, "ffi", "whisper", "native", "layout_probe.c"),
        "-o",
        exe,
      ],
    }).output();
    if (!compile.success) {
      throw new Error(`layout probe did not compile:\n${new TextDecoder().decode(compile.stderr)}`);
    }
    const out = await new Deno.Command(exe).output();
    const probed = JSON.parse(new TextDecoder().decode(out.stdout)) as Record<
      string,
      { size: number; fields: Record<string, [number, number]> }
    >;
    for (const [name, layout] of Object.entries(LAYOUTS)) {
      const c = probed[name];
      if (!c) throw new Error(`probe printed no layout for ${name}`);
      assertEquals(layout.size, c.size, `sizeof(${name})`);
      for (const [field, [off, size]] of Object.entries(layout.fields)) {
        assertEquals([off, size], c.fields[field], `${name}.${field} [offset, size]`);
      }
      // Every field the probe knows is in the table too, so the two cannot drift apart.
      assertEquals(Object.keys(layout.fields).sort(), Object.keys(c.fields).sort(), `${name} fields`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
