/**
 * Keeps the import rules of `docs/architecture.md` true: reads the rules table from the document,
 * the module graph from `deno info --json`, and names every import that breaks a rule (file, line,
 * what it imports, the rule). `deno task check` runs it; `import_rules_test.ts` runs it on the
 * repository and on made-up graphs.
 *
 * The table (under the heading `## Import rules`) has a row per folder or file: the project paths
 * its modules may import besides their own folder, and the packages (npm names, `node:` built-ins)
 * they may import. A module falls under the row with the longest matching path. Test code
 * (`*_test.ts`, `testing.ts`, `*_testing.ts`, `test_*.ts`, anything under a `testing/` folder) may
 * import anything; a module that is not test code imports test code only where its row names that
 * path. And modules that are not test code never import each other in a circle.
 *
 * ```sh
 * deno run --allow-read --allow-run tools/import_rules.ts   # exit 1 and one line per broken rule
 * ```
 *
 * @module
 */

import { join, relative } from "node:path";
import { fileURLToPath as fromFileUrl, pathToFileURL } from "node:url";

const toFileUrl = (path: string): URL => pathToFileURL(path);

/** One row of the rules table. */
export interface ImportRule {
  /** A folder (ending in `/`) or a file, relative to the repository root. */
  from: string;
  /** Folders and files its modules may import, besides `from` itself. */
  mayImport: string[];
  /** Packages they may import: npm names, `node:` built-ins, or `*` for any. */
  packages: string[];
}

/** One import of one module. */
export interface ImportEdge {
  /** The importing module, relative to the repository root. */
  from: string;
  /** 1-based line of the import. */
  line: number;
  /** The specifier as written. */
  specifier: string;
  /** A project file (relative path), or a package (`zod`, `node:path`). */
  target: { kind: "file"; path: string } | { kind: "package"; name: string };
}

/** An import that breaks a rule. */
export interface ImportViolation {
  edge: ImportEdge;
  /** Why, naming the rule. */
  reason: string;
}

const HEADING = /^##\s+Import rules\s*$/;

/**
 * Reads the rules table that follows the `## Import rules` heading of a Markdown document. Cells
 * list backticked paths or package names; `nothing` and `—` stand for none.
 *
 * @throws {SyntaxError} when there is no such table, a row has too few cells, or a path repeats
 */
export function parseImportRules(markdown: string): ImportRule[] {
  const lines = markdown.split("\n");
  const start = lines.findIndex((l) => HEADING.test(l));
  if (start < 0) throw new SyntaxError("Cannot read import rules: no '## Import rules' heading");
  const rows: string[][] = [];
  for (let i = start + 1; i < lines.length && !lines[i].startsWith("## "); i++) {
    const l = lines[i].trim();
    if (!l.startsWith("|")) {
      if (rows.length > 0) break;
      continue;
    }
    rows.push(l.slice(1, l.endsWith("|") ? -1 : undefined).split("|").map((c) => c.trim()));
  }
  if (rows.length < 3) {
    throw new SyntaxError("Cannot read import rules: the table under '## Import rules' is empty");
  }
  const rules: ImportRule[] = [];
  for (const row of rows.slice(2)) { // header and separator
    if (row.length < 3) {
      throw new SyntaxError(`Cannot read import rules: row "${row.join(" | ")}" has < 3 cells`);
    }
    const [from] = ticked(row[0]);
    if (from === undefined) {
      throw new SyntaxError(`Cannot read import rules: row "${row[0]}" names no path`);
    }
    if (rules.some((r) => r.from === from)) {
      throw new SyntaxError(`Cannot read import rules: ${from} has two rows`);
    }
    rules.push({ from, mayImport: ticked(row[1]), packages: ticked(row[2]) });
  }
  return rules;
}

function ticked(cell: string): string[] {
  return [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
}

/** Whether a repository path is test code (exempt from the rules, and off limits to the rest). */
export function isTestCode(path: string): boolean {
  const name = path.slice(path.lastIndexOf("/") + 1);
  return name.endsWith("_test.ts") || name === "testing.ts" || name.endsWith("_testing.ts") ||
    name.startsWith("test_") || path.split("/").slice(0, -1).includes("testing");
}

function covers(prefix: string, path: string): boolean {
  return prefix.endsWith("/") ? path.startsWith(prefix) : path === prefix;
}

/** The rule a module falls under: the row with the longest matching path, if any. */
export function ruleFor(rules: readonly ImportRule[], path: string): ImportRule | undefined {
  let best: ImportRule | undefined;
  for (const r of rules) {
    if (covers(r.from, path) && (!best || r.from.length > best.from.length)) best = r;
  }
  return best;
}

function packageAllowed(rule: ImportRule, name: string): boolean {
  return rule.packages.includes("*") || rule.packages.includes(name) ||
    (name.startsWith("node:") && rule.packages.includes("node:*"));
}

/** Every import in `edges` that breaks `rules`, in the order given. */
export function checkImports(
  edges: readonly ImportEdge[],
  rules: readonly ImportRule[],
): ImportViolation[] {
  const out: ImportViolation[] = [];
  for (const edge of edges) {
    if (isTestCode(edge.from)) continue;
    const rule = ruleFor(rules, edge.from);
    const t = edge.target;
    const listed = t.kind === "file" && rule !== undefined &&
      rule.mayImport.some((p) => covers(p, t.path));
    if (t.kind === "file" && isTestCode(t.path) && !listed) {
      out.push({ edge, reason: "a module that is not test code imports test code" });
    } else if (!rule) {
      out.push({ edge, reason: `no row of the import rules covers ${edge.from}` });
    } else if (t.kind === "package") {
      if (!packageAllowed(rule, t.name)) {
        out.push({ edge, reason: `${rule.from} may import no package ${t.name}` });
      }
    } else if (!covers(rule.from, t.path) && !rule.mayImport.some((p) => covers(p, t.path))) {
      out.push({ edge, reason: `${rule.from} may not import ${t.path}` });
    }
  }
  return out;
}

/**
 * The imports that close a circle among modules that are not test code: for each strongly
 * connected set of two or more modules, every import inside it.
 */
export function findCycles(edges: readonly ImportEdge[]): ImportViolation[] {
  const next = new Map<string, ImportEdge[]>();
  for (const e of edges) {
    if (e.target.kind !== "file" || isTestCode(e.from) || isTestCode(e.target.path)) continue;
    next.set(e.from, [...(next.get(e.from) ?? []), e]);
  }
  // Tarjan's strongly connected components.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const e of next.get(v) ?? []) {
      const w = (e.target as { path: string }).path;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) components.push(component.sort());
    }
  };
  for (const v of [...next.keys()].sort()) if (!index.has(v)) visit(v);
  const out: ImportViolation[] = [];
  for (const component of components) {
    const members = new Set(component);
    for (const m of component) {
      for (const e of next.get(m) ?? []) {
        if (members.has((e.target as { path: string }).path)) {
          out.push({ edge: e, reason: `import cycle: ${component.join(" → ")}` });
        }
      }
    }
  }
  return out;
}

/** The package name of a bare or `npm:`/`node:` specifier (`node:path`, `zod`, `@types/x`). */
export function packageName(specifier: string): string {
  if (specifier.startsWith("node:")) return specifier.split("/")[0];
  const bare = specifier.replace(/^npm:\/?/, "");
  const parts = bare.split("/");
  const name = bare.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
  return name.replace(/(?<=.)@.*$/, "");
}

interface InfoModule {
  specifier: string;
  dependencies?: {
    specifier: string;
    code?: { specifier: string; span: { start: { line: number } } };
    type?: { specifier: string; span: { start: { line: number } } };
  }[];
}

/**
 * The imports of the given modules (repository-relative paths), read with `deno info --json`:
 * static, dynamic and type-only imports alike.
 */
export async function readImports(root: string, modules: readonly string[]): Promise<ImportEdge[]> {
  const dir = await Deno.makeTempDir({ prefix: "hum-imports-" });
  try {
    const entry = join(dir, "all.ts");
    await Deno.writeTextFile(
      entry,
      modules.map((m) => `import ${JSON.stringify(toFileUrl(join(root, m)).href)};\n`).join(""),
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", "--config", join(root, "deno.json"), entry],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(`Cannot read the module graph: ${new TextDecoder().decode(out.stderr)}`);
    }
    const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: InfoModule[] };
    const rootUrl = toFileUrl(join(root, "/")).href;
    const project = (url: string) =>
      url.startsWith(rootUrl) && !url.includes("/node_modules/")
        ? relative(root, fromFileUrl(url))
        : null;
    const edges: ImportEdge[] = [];
    for (const m of graph.modules) {
      const from = project(m.specifier);
      if (from === null) continue;
      for (const d of m.dependencies ?? []) {
        const at = d.code ?? d.type;
        if (!at) continue;
        const line = at.span.start.line + 1;
        const path = project(at.specifier);
        if (path !== null) {
          edges.push({ from, line, specifier: d.specifier, target: { kind: "file", path } });
        } else if (!d.specifier.startsWith(".") && !d.specifier.startsWith("/")) {
          const name = packageName(d.specifier);
          edges.push({ from, line, specifier: d.specifier, target: { kind: "package", name } });
        }
      }
    }
    return edges.sort((a, b) => a.from.localeCompare(b.from) || a.line - b.line);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The repository's TypeScript modules that git tracks or would add (not ignored). */
export async function projectModules(root: string): Promise<string[]> {
  const out = await new Deno.Command("git", {
    args: ["ls-files", "--cached", "--others", "--exclude-standard", "*.ts"],
    cwd: root,
    stdout: "piped",
  }).output();
  if (!out.success) throw new Error(`Cannot list the modules of ${root}: git ls-files failed`);
  const files = new TextDecoder().decode(out.stdout).split("\n").filter((f) => f !== "");
  const present = await Promise.all(
    files.map((f) => Deno.stat(join(root, f)).then(() => true, () => false)),
  );
  return files.filter((_, i) => present[i]);
}

/** Checks a repository against the rules in its `docs/architecture.md`. */
export async function checkRepository(root: string): Promise<ImportViolation[]> {
  const rules = parseImportRules(await Deno.readTextFile(join(root, "docs/architecture.md")));
  const edges = await readImports(root, await projectModules(root));
  return [...checkImports(edges, rules), ...findCycles(edges)];
}

/** One line naming the file, the line, the import and the broken rule. */
export function formatViolation(v: ImportViolation): string {
  const t = v.edge.target;
  const what = t.kind === "file" ? t.path : t.name;
  return `${v.edge.from}:${v.edge.line}: imports "${v.edge.specifier}" (${what}): ${v.reason}`;
}

if (import.meta.main) {
  const root = fromFileUrl(new URL("../", import.meta.url));
  const violations = await checkRepository(root);
  for (const v of violations) console.error(formatViolation(v));
  if (violations.length > 0) {
    console.error(
      `${violations.length} import(s) break the rules in docs/architecture.md (## Import rules)`,
    );
    Deno.exit(1);
  }
  console.error("import rules: every import keeps docs/architecture.md");
}
