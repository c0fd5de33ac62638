/**
 * A small Dockerfile reader for the image's static checks (deploy/docker/docker_test.ts): splits a
 * Dockerfile into instructions (line continuations joined, comments dropped), groups them into
 * stages, substitutes `ARG`s in `FROM`, and follows `FROM <stage>` chains to the base image a
 * build argument selects. It reads the subset of the syntax the project's Dockerfile uses (no
 * heredocs, no escape directive).
 *
 * @module
 */

/** One instruction: its keyword in upper case and the rest of its (joined) lines. */
export interface Instruction {
  keyword: string;
  args: string;
  /** 1-based line where the instruction starts. */
  line: number;
}

/** A build stage: a `FROM` and the instructions up to the next `FROM`. */
export interface Stage {
  /** The `FROM` image as written (maybe with `${ARG}`s, maybe another stage's name). */
  from: string;
  /** The `AS` name, or null. */
  name: string | null;
  instructions: Instruction[];
}

/** A parsed Dockerfile: global `ARG`s (before the first `FROM`) with defaults, and the stages. */
export interface Dockerfile {
  globalArgs: Map<string, string>;
  stages: Stage[];
}

/** Splits Dockerfile text into instructions. */
export function parseInstructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split("\n");
  let current: { parts: string[]; line: number } | null = null;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].replace(/\r$/, "");
    const trimmed = raw.trim();
    // Comment lines are dropped, even inside a continued instruction (as Docker does).
    if (trimmed.startsWith("#")) continue;
    // Blank lines end nothing: inside a continued instruction Docker skips them too.
    if (!trimmed) continue;
    current ??= { parts: [], line: i + 1 };
    const continued = /\\\s*$/.test(raw);
    current.parts.push(continued ? raw.replace(/\\\s*$/, "") : raw);
    if (!continued) {
      const joined = current.parts.map((p) => p.trim()).filter(Boolean).join(" ");
      const m = joined.match(/^(\S+)\s*(.*)$/s);
      if (m) out.push({ keyword: m[1].toUpperCase(), args: m[2].trim(), line: current.line });
      current = null;
    }
  }
  if (current) throw new Error(`Dockerfile line ${current.line}: continuation runs off the end`);
  return out;
}

/** Parses a Dockerfile into global `ARG`s and stages. */
export function parseDockerfile(text: string): Dockerfile {
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const ins of parseInstructions(text)) {
    if (ins.keyword === "FROM") {
      const words = ins.args.split(/\s+/).filter((w) => !w.startsWith("--"));
      const asAt = words.findIndex((w) => w.toUpperCase() === "AS");
      stages.push({
        from: words[0],
        name: asAt >= 0 ? words[asAt + 1] : null,
        instructions: [],
      });
    } else if (!stages.length) {
      if (ins.keyword !== "ARG") {
        throw new Error(`Dockerfile line ${ins.line}: ${ins.keyword} before the first FROM`);
      }
      const [name, value] = splitArg(ins.args);
      globalArgs.set(name, value ?? "");
    } else {
      stages.at(-1)!.instructions.push(ins);
    }
  }
  return { globalArgs, stages };
}

function splitArg(args: string): [string, string | undefined] {
  const eq = args.indexOf("=");
  if (eq < 0) return [args.trim(), undefined];
  return [args.slice(0, eq).trim(), unquote(args.slice(eq + 1).trim())];
}

function unquote(s: string): string {
  return /^".*"$|^'.*'$/.test(s) ? s.slice(1, -1) : s;
}

/** Replaces `${NAME}` and `$NAME` with their values; unknown names become empty, as in Docker. */
export function substitute(text: string, vars: ReadonlyMap<string, string>): string {
  return text.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (_, a, b) => vars.get(a ?? b) ?? "",
  );
}

/**
 * The image a stage finally builds on, for some build arguments: follows `FROM <stage name>`
 * through earlier stages (with the global `ARG`s, overridden by `buildArgs`, substituted).
 */
export function baseImageOf(
  file: Dockerfile,
  stageName: string,
  buildArgs: Record<string, string> = {},
): string {
  const vars = new Map(file.globalArgs);
  for (const [k, v] of Object.entries(buildArgs)) vars.set(k, v);
  let name = stageName;
  for (let hops = 0; hops <= file.stages.length; hops++) {
    const stage = file.stages.find((s) => s.name === name);
    if (!stage) return name; // not a stage: an image
    name = substitute(stage.from, vars);
  }
  throw new Error(`Dockerfile: FROM chain of ${stageName} loops`);
}

/** The `ENV` settings of a stage (both `ENV A=1 B=2` and the old `ENV A 1` form). */
export function stageEnv(stage: Stage): Map<string, string> {
  const env = new Map<string, string>();
  for (const ins of stage.instructions) {
    if (ins.keyword !== "ENV") continue;
    if (!ins.args.includes("=")) {
      const [k, ...rest] = ins.args.split(/\s+/);
      env.set(k, rest.join(" "));
      continue;
    }
    for (const m of ins.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|'[^']*'|\S*)/g)) {
      env.set(m[1], unquote(m[2]));
    }
  }
  return env;
}

/** The arguments of an exec-form (JSON array) instruction such as `ENTRYPOINT ["./hum"]`. */
export function execForm(ins: Instruction): string[] {
  const parsed = JSON.parse(ins.args);
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === "string")) {
    throw new Error(`Dockerfile line ${ins.line}: ${ins.keyword} is not an exec-form array`);
  }
  return parsed;
}
