import {
  checkImports,
  checkRepository,
  findCycles,
  formatViolation,
  type ImportEdge,
  isTestCode,
  packageName,
  parseImportRules,
  readImports,
  ruleFor,
} from "./import_rules.ts";
import { assert, assertEquals, assertThrows } from "../ffi/testing/assert.ts";

const RULES_MD = `# Architecture

Some prose.

## Import rules

| folder | may import | packages |
| --- | --- | --- |
| \`protocol/\` | — | \`zod\` |
| \`server/transport/\` | \`server/session/\`, \`protocol/\` | \`werift\`, \`node:*\` |
| \`server/transport/http/app.ts\` | \`server/session/\`, \`protocol/\`, \`ffi/testing/shared.ts\` | — |
| \`server/engine/\` | \`protocol/\`, \`ffi/whisper/\` | \`zod\` |

## Next section

| not | a | rule |
| --- | --- | --- |
| \`x/\` | \`y/\` | — |
`;

function file(from: string, path: string, line = 1): ImportEdge {
  return { from, line, specifier: `./${path}`, target: { kind: "file", path } };
}

function pkg(from: string, name: string, line = 1): ImportEdge {
  return { from, line, specifier: name, target: { kind: "package", name } };
}

Deno.test("parseImportRules reads the table under its heading and nothing after it", () => {
  const rules = parseImportRules(RULES_MD);
  assertEquals(rules.map((r) => r.from), [
    "protocol/",
    "server/transport/",
    "server/transport/http/app.ts",
    "server/engine/",
  ]);
  assertEquals(rules[0], { from: "protocol/", mayImport: [], packages: ["zod"] });
  assertEquals(rules[1].mayImport, ["server/session/", "protocol/"]);
  assertEquals(rules[1].packages, ["werift", "node:*"]);
});

Deno.test("parseImportRules refuses a document without the table, or a folder twice", () => {
  assertThrows(() => parseImportRules("# Architecture\n"), SyntaxError, "no '## Import rules'");
  assertThrows(() => parseImportRules("## Import rules\n\nnothing\n"), SyntaxError, "empty");
  const twice =
    "## Import rules\n\n| a | b | c |\n| - | - | - |\n| `x/` | — | — |\n| `x/` | — | — |\n";
  assertThrows(() => parseImportRules(twice), SyntaxError, "x/ has two rows");
});

Deno.test("ruleFor: the longest matching folder or file wins; files match exactly", () => {
  const rules = parseImportRules(RULES_MD);
  assertEquals(ruleFor(rules, "server/transport/webrtc/peer.ts")?.from, "server/transport/");
  assertEquals(
    ruleFor(rules, "server/transport/http/app.ts")?.from,
    "server/transport/http/app.ts",
  );
  assertEquals(ruleFor(rules, "server/transport/http/app.tsx")?.from, "server/transport/");
  assertEquals(ruleFor(rules, "protocolx/a.ts"), undefined);
});

Deno.test("checkImports names each broken rule with the file, line and import", () => {
  const rules = parseImportRules(RULES_MD);
  const edges = [
    file("server/transport/http/service.ts", "server/engine/engine.ts", 12), // broken
    file("server/transport/http/service.ts", "server/session/registry.ts", 13),
    file("server/transport/webrtc/peer.ts", "server/transport/http/errors.ts", 3), // own folder
    file("protocol/events.ts", "server/engine/modes.ts", 4), // broken: protocol imports nothing
    pkg("protocol/events.ts", "zod", 2),
    pkg("protocol/control.ts", "yaml", 2), // broken: heavy package
    pkg("server/transport/http/multipart.ts", "node:stream", 5), // node:* allows it
    pkg("server/transport/http/app.ts", "werift", 5), // its own row lists no package
    file("client/cli.ts", "protocol/events.ts", 1), // no row covers client/
  ];
  const v = checkImports(edges, rules);
  assertEquals(v.map((x) => x.edge), [edges[0], edges[3], edges[5], edges[7], edges[8]]);
  assertEquals(
    formatViolation(v[0]),
    'server/transport/http/service.ts:12: imports "./server/engine/engine.ts" ' +
      "(server/engine/engine.ts): server/transport/ may not import server/engine/engine.ts",
  );
  assert(v[2].reason.includes("may import no package yaml"), v[2].reason);
  assert(v[4].reason.includes("no row of the import rules covers client/cli.ts"), v[4].reason);
});

Deno.test("checkImports: test code imports anything; other code reaches test code only by name", () => {
  const rules = parseImportRules(RULES_MD);
  const edges = [
    file("server/transport/http/app_test.ts", "server/engine/engine.ts"),
    file("server/transport/http/testing.ts", "server/engine/engine.ts"),
    file("server/engine/stream.ts", "server/engine/testing.ts"), // broken
    file("server/transport/http/app.ts", "ffi/testing/shared.ts"), // its row names it
    file("server/transport/http/signalling.ts", "ffi/testing/shared.ts"), // broken
  ];
  const v = checkImports(edges, rules);
  assertEquals(v.map((x) => x.edge), [edges[2], edges[4]]);
  assert(v.every((x) => x.reason.includes("imports test code")));
});

Deno.test("isTestCode and packageName", () => {
  for (const p of ["a/b_test.ts", "a/testing.ts", "a/exposition_testing.ts", "a/test_audio.ts"]) {
    assert(isTestCode(p), p);
  }
  assert(isTestCode("ffi/testing/assert.ts"));
  assert(!isTestCode("server/engine/stream.ts") && !isTestCode("bench/harness/latest.ts"));
  assertEquals(packageName("node:fs/promises"), "node:fs");
  assertEquals(packageName("npm:zod@4.6.7/mini"), "zod");
  assertEquals(packageName("@types/busboy"), "@types/busboy");
  assertEquals(packageName("npm:@scope/pkg@1.2.3"), "@scope/pkg");
});

Deno.test("findCycles reports every import inside a circle, and none in a tree", () => {
  const circle = [
    file("bench/suts/sut.ts", "bench/suts/webrtc.ts"),
    file("bench/suts/webrtc.ts", "bench/suts/sut.ts"),
    file("bench/suts/webrtc.ts", "bench/harness/usage.ts"),
    file("bench/harness/runner.ts", "bench/suts/sut.ts"),
    file("a/x_test.ts", "a/y.ts"),
    file("a/y.ts", "a/x_test.ts"),
  ];
  const v = findCycles(circle);
  assertEquals(v.map((x) => x.edge), [circle[0], circle[1]]);
  assert(v[0].reason.includes("bench/suts/sut.ts → bench/suts/webrtc.ts"), v[0].reason);
  assertEquals(findCycles(circle.slice(2)), []);
});

Deno.test("readImports reads static, type-only and dynamic imports and packages from deno info", async () => {
  const root = await Deno.makeTempDir({ prefix: "hum-imports-test-" });
  try {
    await Deno.writeTextFile(`${root}/deno.json`, "{}");
    await Deno.mkdir(`${root}/a`);
    await Deno.writeTextFile(`${root}/a/b.ts`, "export const b = 1;\nexport type B = number;\n");
    await Deno.writeTextFile(
      `${root}/a/c.ts`,
      [
        'import { join } from "node:path";',
        'import { b } from "./b.ts";',
        'export const c = b + join("x").length;',
        'export const d = () => import("../e.ts");',
      ].join("\n"),
    );
    await Deno.writeTextFile(
      `${root}/a/f.ts`,
      'import type { B } from "./b.ts";\nexport let f: B;\n',
    );
    await Deno.writeTextFile(`${root}/e.ts`, "export const e = 2;\n");
    const edges = await readImports(root, ["a/c.ts", "a/f.ts"]);
    assertEquals(
      edges.map((e) => `${e.from}:${e.line} ${JSON.stringify(e.target)}`),
      [
        'a/c.ts:1 {"kind":"package","name":"node:path"}',
        'a/c.ts:2 {"kind":"file","path":"a/b.ts"}',
        'a/c.ts:4 {"kind":"file","path":"e.ts"}',
        'a/f.ts:1 {"kind":"file","path":"a/b.ts"}',
      ],
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("the repository keeps the import rules of docs/architecture.md", async () => {
  const root = new URL("../", import.meta.url).pathname;
  const violations = await checkRepository(root);
  assertEquals(violations.map(formatViolation), []);
});
