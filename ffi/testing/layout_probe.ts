/**
 * Test helpers that prove a binding's byte-layout table against the C header itself: compile the
 * binding's `layout_probe.c` (written with the macros of `layout_probe.h`) with `cc`, run it, and
 * compare the offsets, sizes and constants it prints with the ones the binding uses.
 *
 * @module
 */

import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { assertEquals } from "./assert.ts";
import type { StructLayout } from "../native/layout.ts";

/** The C compiler: `CC`, else `cc`. */
const CC = Deno.env.get("CC") ?? "cc";

/** The folder of `layout_probe.h`, on every probe's include path. */
const PROBE_HEADER_DIR = dirname(fileURLToPath(import.meta.url));

/** A struct as the probe prints it: its size and every field as [offset, size]. */
export interface ProbedStruct {
  size: number;
  fields: Record<string, [number, number]>;
}

/** What a probe prints: a {@linkcode ProbedStruct} per C type name, and maybe `constants`. */
export type ProbeOutput = Record<string, unknown>;

/** Options for {@linkcode compileAndRunProbe}. */
export interface ProbeOptions {
  /** The probe's C source, e.g. `new URL("./layout_probe.c", import.meta.url)`. */
  source: string | URL;
  /** Folders of the headers the probe includes, besides the system ones. */
  includeDirs?: readonly string[];
  /** More compiler flags. */
  cflags?: readonly string[];
  /** A short name for the temporary folder, e.g. "sndfile". */
  name?: string;
}

/** Options for {@linkcode skipWithoutHeader}. */
export interface HeaderCheck {
  /** The system header the probe includes, e.g. "sndfile.h". */
  header: string;
  /** The package that installs it, e.g. "libsndfile1-dev". */
  devPackage: string;
  /** What is skipped, for the warning, e.g. "sndfile layout check". */
  what: string;
}

/** Why a probe including `<header>` cannot be built here, or `null` when it can. */
export async function missingToolchain(header: string, devPackage: string): Promise<string | null> {
  const src = `#include <${header}>\nint main(void) { return 0; }\n`;
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
    return `<${header}> is missing (install ${devPackage}): ${
      new TextDecoder().decode(out.stderr).trim().split("\n")[0]
    }`;
  }
  return null;
}

/**
 * When no probe including `check.header` can be built here, warns why, records the test as an
 * ignored step named after the reason, and returns `true`: the test should return at once.
 */
export async function skipWithoutHeader(t: Deno.TestContext, check: HeaderCheck): Promise<boolean> {
  const missing = await missingToolchain(check.header, check.devPackage);
  if (!missing) return false;
  console.warn(`SKIPPED ${check.what}: ${missing}`);
  await t.step({ name: `skipped: ${missing}`, ignore: true, fn: () => {} });
  return true;
}

/** Compiles the probe in a temporary folder, runs it and returns the JSON it prints. */
export async function compileAndRunProbe(opts: ProbeOptions): Promise<ProbeOutput> {
  const source = opts.source instanceof URL ? fileURLToPath(opts.source) : opts.source;
  const prefix = opts.name ? `hum-${opts.name}-layout-` : "hum-layout-";
  const dir = await Deno.makeTempDir({ prefix });
  try {
    const exe = `${dir}/probe`;
    const includeDirs = [PROBE_HEADER_DIR, ...(opts.includeDirs ?? [])];
    const compile = await new Deno.Command(CC, {
      args: [
        "-std=c11",
        ...includeDirs.map((d) => `-I${d}`),
        ...(opts.cflags ?? []),
        source,
        "-o",
        exe,
      ],
    }).output();
    if (!compile.success) {
      throw new Error(
        `Cannot compile the layout probe ${source}:\n${new TextDecoder().decode(compile.stderr)}`,
      );
    }
    const out = await new Deno.Command(exe).output();
    if (!out.success) {
      throw new Error(
        `Cannot run the layout probe ${source}: exit code ${out.code}\n${
          new TextDecoder().decode(out.stderr)
        }`,
      );
    }
    return JSON.parse(new TextDecoder().decode(out.stdout)) as ProbeOutput;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Throws unless every struct in `layouts` has the size the probe printed for its C type name, and
 * exactly the fields the probe printed, each at the same [offset, size].
 */
export function assertLayoutsMatch(
  layouts: Readonly<Record<string, StructLayout>>,
  probed: ProbeOutput,
): void {
  for (const [name, layout] of Object.entries(layouts)) {
    const c = probed[name] as ProbedStruct | undefined;
    if (!c) throw new Error(`probe printed no layout for ${name}`);
    assertEquals(layout.size, c.size, `sizeof(${name})`);
    for (const [field, [off, size]] of Object.entries(layout.fields)) {
      assertEquals([off, size], c.fields[field], `${name}.${field} [offset, size]`);
    }
    // Every field the probe knows is in the table too, so the two cannot drift apart.
    assertEquals(Object.keys(layout.fields).sort(), Object.keys(c.fields).sort(), `${name} fields`);
  }
}

/** Throws unless `constants` holds exactly the constants the probe printed, with their values. */
export function assertConstantsMatch(
  constants: Readonly<Record<string, number>>,
  probed: ProbeOutput,
): void {
  const c = probed.constants as Record<string, number> | undefined;
  if (!c) throw new Error("probe printed no constants");
  assertEquals(Object.keys(constants).sort(), Object.keys(c).sort(), "constant names");
  for (const [name, value] of Object.entries(constants)) {
    assertEquals(value, c[name], name);
  }
}
