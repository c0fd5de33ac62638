/**
 * Command-line plumbing shared by the `server/cli` entry points: one file argument plus flags
 * (`--flag value`, `--flag=value`, booleans), validated by a zod schema with one-line errors, and
 * the `main` wrapper that turns errors into exit codes.
 *
 * @module
 */

import type { z } from "zod";

/** The flags a command accepts. */
export interface FlagSpec {
  /** Flags that take a value → the option they set. */
  value: Record<string, string>;
  /** Flags without a value → [option, value set]. */
  bool: Record<string, [string, boolean]>;
  /** Repeatable flags that take a value, each folded into `raw` by its handler. */
  collect?: Record<string, (value: string, raw: Record<string, unknown>) => void>;
  /** Whether the command takes one positional file (default), may take one, or takes none. */
  file?: "required" | "optional" | "none";
}

/**
 * Parses `args` against `flags` and `schema`: one positional file, `--help` → `"help"`. Throws an
 * Error with a one-line reason (`Cannot parse arguments: …`).
 */
export function parseCommandLine<T>(
  args: string[],
  flags: FlagSpec,
  schema: z.ZodType<T>,
): T | "help" {
  const raw: Record<string, unknown> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--help" || a === "-h") return "help";
    const [flag, inline] = a.startsWith("--") && a.includes("=")
      ? a.split(/=(.*)/s)
      : [a, undefined];
    // Own keys only: an argument such as "constructor" is a file, not an inherited flag.
    const isValue = Object.hasOwn(flags.value, flag);
    if (isValue || (flags.collect && Object.hasOwn(flags.collect, flag))) {
      const v = inline ?? args[++i];
      if (v === undefined) throw new Error(`Cannot parse arguments: ${flag} needs a value`);
      if (isValue) raw[flags.value[flag]] = v;
      else flags.collect![flag](v, raw);
    } else if (Object.hasOwn(flags.bool, flag)) {
      raw[flags.bool[flag][0]] = flags.bool[flag][1];
    } else if (a.startsWith("-")) {
      throw new Error(`Cannot parse arguments: unknown option ${a} (see --help)`);
    } else if (flags.file === "none") {
      throw new Error(`Cannot parse arguments: unexpected argument ${a} (see --help)`);
    } else if (raw.file === undefined) {
      raw.file = a;
    } else {
      throw new Error(`Cannot parse arguments: only one file at a time (got ${raw.file} and ${a})`);
    }
  }
  if (raw.file === undefined && (flags.file ?? "required") === "required") {
    throw new Error("Cannot parse arguments: no audio file given (see --help)");
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`Cannot parse arguments: --${issue.path.join(".")}: ${issue.message}`);
  }
  return parsed.data;
}

/**
 * Runs a command: bad arguments print their reason and exit 2, `--help` prints `help` and exits
 * 0, a failure while running prints its message and exits 1.
 */
export async function runCommand<T>(
  args: string[],
  help: string,
  parse: (args: string[]) => T | "help",
  run: (opts: T) => Promise<number>,
): Promise<number> {
  let opts: T | "help";
  try {
    opts = parse(args);
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  if (opts === "help") {
    console.log(help);
    return 0;
  }
  try {
    return await run(opts);
  } catch (err) {
    console.error((err as Error).message);
    return 1;
  }
}
