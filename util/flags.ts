/**
 * Command-line flags as data: one table per command names each flag, its value's type, default
 * and validation (a zod schema), its unit, help text and environment variable, and from that one
 * table come the parser ({@linkcode parseFlags}), the options' schema ({@linkcode flagSchema})
 * and the `--help` text ({@linkcode helpText}). Flags are `--flag value`, `--flag=value` or
 * switches (`--realtime`, `--no-gpu`); errors are one line, `Cannot parse arguments: …`, naming
 * the flag (or the environment variable) that was wrong.
 *
 * Client, server and bench commands all use it: it imports nothing but zod.
 *
 * @example
 * ```ts
 * import { z } from "zod";
 * import { type CommandSpec, flagSchema, parseFlags } from "./flags.ts";
 * const FLAGS = {
 *   port: { flag: "--port", arg: "N", schema: z.coerce.number().int().default(8000), help: "port" },
 * } as const;
 * const spec: CommandSpec = { usage: "demo [options]", about: "A demo.", flags: FLAGS };
 * const opts = parseFlags(spec, flagSchema(FLAGS), ["--port=9000"]);
 * if (opts === "help" || opts.port !== 9000) throw new Error("parsed");
 * ```
 *
 * @module
 */

import { z } from "zod";

/** One flag (or one option only the environment sets) of a command. */
export interface Flag<S extends z.ZodType = z.ZodType> {
  /** The flag as typed, e.g. `--max-sessions`; absent for an option only `env` sets. */
  readonly flag?: `--${string}`;
  /** The value's placeholder in `--help` (`N`, `NAME|PATH`); absent for a switch. */
  readonly arg?: string;
  /** What a switch sets its option to: `true` (default), or `false` for a `--no-…` switch. */
  readonly sets?: boolean;
  /**
   * How the values of a repeated flag combine: `last` (the default: the last one wins), `append`
   * (each adds one to a list), `split` (one comma-separated list; the last wins), or a fold from
   * the value so far (undefined at first) and the next one.
   */
  readonly repeat?: "last" | "append" | "split" | ((previous: unknown, value: string) => unknown);
  /**
   * The environment variable that sets the option when no flag does (a comma-separated list for
   * `append` and `split`); read only when the caller hands {@linkcode parseFlags} an environment.
   */
  readonly env?: string;
  /** The option's type, validation and default. */
  readonly schema: S;
  /** The value's unit, shown after the default in `--help` (`s`, `MB`, `ms`). */
  readonly unit?: string;
  /** The default as `--help` states it, where the schema's is computed or depends on others. */
  readonly defaultHelp?: string;
  /** What it does, for `--help`. */
  readonly help: string;
}

/** A command's flags: option key (as the parsed options name it) → flag. */
export type FlagTable = Readonly<Record<string, Flag>>;

/** The positional arguments a command takes. */
export interface Positional {
  /** The option they set. */
  readonly key: string;
  /** `one`: exactly one; `optional`: at most one; `many`: a list, maybe empty. */
  readonly arity: "one" | "optional" | "many";
  /** The error when `one` is missing, e.g. "no audio file given". */
  readonly missing?: string;
}

/** Everything `--help` and the parser need to know of a command. */
export interface CommandSpec<T extends FlagTable = FlagTable> {
  /** The usage line(s), without `Usage: `, e.g. `deno task stream <file> [options]`. */
  readonly usage: string;
  /** What the command does: a paragraph. */
  readonly about: string;
  readonly flags: T;
  /** Positional arguments; none when absent. */
  readonly positional?: Positional;
}

/** The zod shape of a flag table: each option key → its flag's schema. */
export type FlagShape<T extends FlagTable> = { -readonly [K in keyof T]: T[K]["schema"] };

/** The options' schema: a zod object of every flag's schema, to extend or refine. */
export function flagSchema<T extends FlagTable>(flags: T): z.ZodObject<FlagShape<T>> {
  const shape = Object.fromEntries(Object.entries(flags).map(([k, f]) => [k, f.schema]));
  return z.object(shape) as unknown as z.ZodObject<FlagShape<T>>;
}

function fail(reason: string): never {
  throw new Error(`Cannot parse arguments: ${reason}`);
}

function fold(f: Flag, previous: unknown, value: string): unknown {
  const repeat = f.repeat ?? "last";
  if (repeat === "last") return value;
  if (repeat === "split") return value.split(",").filter(Boolean);
  if (repeat === "append") return [...(previous as string[] | undefined ?? []), value];
  return repeat(previous, value);
}

/**
 * Parses `args` against `spec` and validates the result with `schema` (usually
 * {@linkcode flagSchema} of the same table, maybe extended): `--help` or `-h` → `"help"`.
 * Options no flag set come from `env` where their flag names a variable (an empty one counts as
 * unset). Throws an Error with a one-line reason (`Cannot parse arguments: …`).
 */
export function parseFlags<S extends z.ZodType>(
  spec: CommandSpec,
  schema: S,
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): z.output<S> | "help" {
  const byFlag = new Map<string, [string, Flag]>();
  for (const [key, f] of Object.entries(spec.flags)) if (f.flag) byFlag.set(f.flag, [key, f]);
  const arity = spec.positional?.arity;
  const pos = spec.positional?.key ?? "file";
  const raw: Record<string, unknown> = arity === "many" ? { [pos]: [] } : {};
  const fromEnv = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--help" || a === "-h") return "help";
    const eq = a.startsWith("--") ? a.indexOf("=") : -1;
    const name = eq > 0 ? a.slice(0, eq) : a;
    const inline = eq > 0 ? a.slice(eq + 1) : undefined;
    const known = byFlag.get(name);
    if (known && known[1].arg !== undefined) {
      const v = inline ?? args[++i];
      if (v === undefined) fail(`${name} needs a value`);
      raw[known[0]] = fold(known[1], raw[known[0]], v);
    } else if (known && inline === undefined) {
      raw[known[0]] = known[1].sets ?? true;
    } else if (a.startsWith("-")) {
      fail(`unknown option ${a} (see --help)`);
    } else if (arity === "many") {
      (raw[pos] as string[]).push(a);
    } else if (arity === undefined) {
      fail(`unexpected argument ${a} (see --help)`);
    } else if (raw[pos] === undefined) {
      raw[pos] = a;
    } else {
      fail(`only one file at a time (got ${raw[pos]} and ${a})`);
    }
  }
  if (arity === "one" && raw[pos] === undefined) {
    fail(`${spec.positional?.missing ?? `no ${pos} given`} (see --help)`);
  }
  for (const [key, f] of Object.entries(spec.flags)) {
    const value = f.env ? env[f.env] : undefined;
    if (raw[key] !== undefined || !value) continue;
    const list = f.repeat === "append" || f.repeat === "split";
    raw[key] = list ? value.split(",").filter(Boolean) : value;
    fromEnv.add(key);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue.path[0] ?? "");
    const f = Object.hasOwn(spec.flags, key) ? spec.flags[key] : undefined;
    const name = fromEnv.has(key) ? f!.env! : f?.flag ?? `--${issue.path.join(".")}`;
    fail(`${name}: ${issue.message}`);
  }
  return parsed.data;
}

/** The default `--help` states for `f`, or null for none. */
export function defaultText(f: Flag): string | null {
  if (f.defaultHelp !== undefined) return f.defaultHelp;
  if (f.arg === undefined) return null; // a switch: off unless given
  const d = f.schema.safeParse(undefined);
  if (!d.success || d.data === undefined) return null;
  const v: unknown = d.data;
  const text = Array.isArray(v)
    ? (v.length ? v.join(",") : "none")
    : typeof v === "object" && v !== null
    ? (Object.keys(v).length ? JSON.stringify(v) : "none")
    : String(v);
  return f.unit ? `${text} ${f.unit}` : text;
}

const WIDTH = 100;
const LEFT = 25;

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) (lines.push(line), line = word);
    else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** The `--help` text of a command: usage, what it does, and every flag with its default. */
export function helpText(spec: CommandSpec): string {
  const rows: [string, string][] = [];
  for (const f of Object.values(spec.flags)) {
    const left = f.flag ? `${f.flag}${f.arg === undefined ? "" : ` ${f.arg}`}` : f.env!;
    const env = f.flag && f.env
      ? ` [${f.env}${f.repeat === "append" ? ", comma-separated" : ""}]`
      : "";
    const repeat = f.repeat === "append" ? " (repeatable)" : "";
    const d = defaultText(f);
    rows.push([left, `${f.help}${repeat}${env}${d === null ? "" : `; default ${d}`}`]);
  }
  rows.push(["--help", "this text"]);
  const hasEnv = Object.values(spec.flags).some((f) => f.env);
  const out = [
    ...spec.usage.split("\n").map((u, i) => `${i ? "       " : "Usage: "}${u}`),
    "",
    ...wrap(spec.about, WIDTH),
    "",
    hasEnv ? "Options (environment variable in brackets):" : "Options:",
  ];
  for (const [left, right] of rows) {
    const text = wrap(right, WIDTH - LEFT);
    const head = `  ${left}`;
    if (head.length < LEFT - 1) out.push(`${head.padEnd(LEFT)}${text[0] ?? ""}`);
    else out.push(head, `${" ".repeat(LEFT)}${text[0] ?? ""}`);
    for (const t of text.slice(1)) out.push(`${" ".repeat(LEFT)}${t}`);
  }
  return `${out.join("\n")}\n`;
}
