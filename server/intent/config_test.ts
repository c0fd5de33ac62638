import { assertEquals, assertThrows } from "../../ffi/testing/assert.ts";
import { formatPath, IntentConfigError, parseIntentDocument } from "./config.ts";

function configError(yaml: string): IntentConfigError {
  return assertThrows(() => parseIntentDocument(yaml), IntentConfigError);
}

Deno.test("formatPath writes indices in brackets", () => {
  assertEquals(formatPath(["intents", 2, "patterns", 0]), "intents[2].patterns[0]");
  assertEquals(formatPath([]), "(root)");
});

Deno.test("a minimal document gets its defaults", () => {
  const doc = parseIntentDocument("intents:\n  - name: stop\n    keywords: [stop]\n");
  assertEquals(doc.threshold, 0.5);
  assertEquals(doc.intents[0].phrases, []);
  assertEquals(doc.intents[0].patterns, []);
});

Deno.test("an invalid regex names its path", () => {
  const err = configError(`
intents:
  - { name: a, keywords: [a] }
  - { name: b, keywords: [b] }
  - name: c
    patterns: ["(unclosed"]
`);
  assertEquals(err.issues.length, 1);
  assertEquals(err.issues[0].startsWith("intents[2].patterns[0]: invalid regex: "), true);
  assertEquals(
    err.message.startsWith("Cannot load intents document: intents[2].patterns[0]"),
    true,
  );
});

Deno.test("an invalid regex in object form names .regex", () => {
  const err = configError(`
intents:
  - name: a
    patterns:
      - regex: "ok"
      - { regex: "[z-a]", slots: { q: string } }
`);
  assertEquals(err.issues[0].startsWith("intents[0].patterns[1].regex: invalid regex: "), true);
});

Deno.test("schema errors name their paths", () => {
  const cases: [string, string][] = [
    ["intents: []", "intents: needs at least one intent"],
    ["threshold: 2\nintents: [{ name: a, keywords: [a] }]", "threshold: "],
    ["intents: [{ keywords: [a] }]", "intents[0].name: "],
    ["intents: [{ name: a }]", "intents[0]: needs at least one keyword, phrase or pattern"],
    ["intents: [{ name: a, keywords: [a], threshold: -1 }]", "intents[0].threshold: "],
    ["intents: [{ name: a, keywrods: [a], phrases: [x] }]", "intents[0]: "],
    ["intents: [{ name: a, keywords: [two words] }]", "intents[0].keywords[0]: "],
    ["intents: [{ name: a, keywords: [{ word: a, weight: 3 }] }]", "intents[0].keywords[0].weight"],
    [
      "intents: [{ name: a, keywords: [a] }, { name: a, keywords: [b] }]",
      'intents[1].name: duplicate intent name "a"',
    ],
    [
      "intents: [{ name: a, patterns: [{ regex: 'x (?<q>.+)', slots: { q: duration, r: string } }] }]",
      "intents[0].patterns[0].slots.r: no named group",
    ],
    [
      "intents: [{ name: a, patterns: [{ regex: 'x (?<q>.+)', slots: { q: date } }] }]",
      "intents[0].patterns[0].slots.q: ",
    ],
  ];
  for (const [yaml, want] of cases) {
    const err = configError(yaml);
    assertEquals(
      err.issues.some((line) => line.startsWith(want)),
      true,
      `${yaml} → ${JSON.stringify(err.issues)}`,
    );
  }
});

Deno.test("broken YAML is reported as such", () => {
  const err = configError("intents: [unclosed");
  assertEquals(err.issues[0].startsWith("invalid YAML: "), true);
  assertEquals(configError("").issues[0].startsWith("(root): "), true);
});
