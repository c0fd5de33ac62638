import fc from "fast-check";
import process from "node:process";
import { stringify } from "yaml";
import { IntentConfigError, parseIntentDocument, validateIntentDocument } from "./config.ts";
import { DEFAULT_INTENTS_URL, RuleIntentClassifier } from "./rules.ts";
import { assert, assertEquals } from "../../ffi/testing/assert.ts";
import { expectContractError, fuzz, mutated, thrown } from "../../ffi/testing/fuzz.ts";

const DEFAULT_YAML = await Deno.readTextFile(DEFAULT_INTENTS_URL);
// The YAML parser warns about odd input through process.emitWarning: not this test's concern.
process.emitWarning = () => {};
const enc = new TextEncoder(), dec = new TextDecoder();

/** What parseIntentDocument must do with any text: a document a classifier is built from, or an IntentConfigError. */
function checkText(text: string): void {
  let classifier: RuleIntentClassifier | undefined;
  const err = thrown(() => (classifier = RuleIntentClassifier.fromYaml(text, "fuzz.yaml")));
  expectContractError(err, [IntentConfigError], "Cannot load fuzz.yaml: ");
  if (err) return assert((err as IntentConfigError).issues.length > 0, "an error with no issues");
  const r = classifier!.classify("set a timer for five minutes");
  assert(r.confidence >= 0 && r.confidence <= 1);
}

const name = fc.oneof(
  fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/),
  fc.constantFrom("none", "Bad-Name", ""),
);
const word = fc.oneof(
  fc.stringMatching(/^[a-z]{1,8}$/),
  fc.constantFrom("two words", "", " "),
  fc.string({ maxLength: 6 }),
);
const regex = fc.oneof(
  fc.constantFrom(
    "^stop$",
    "^set a timer for (?<d>.+)$",
    "(unclosed",
    "(?<x>a)|(?<y>b)",
    "[",
    "\\p{L}+",
    "a{2,1}",
  ),
  fc.string({ maxLength: 12 }),
);
const weight = fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(0, 1, 1.5, -1));
const intentObj = fc.record({
  name,
  threshold: weight,
  keywords: fc.array(fc.oneof(word, fc.record({ word, weight })), { maxLength: 3 }),
  phrases: fc.array(word, { maxLength: 3 }),
  patterns: fc.array(
    fc.oneof(
      regex,
      fc.record({
        regex,
        slots: fc.dictionary(
          fc.constantFrom("d", "x", "y", "z"),
          fc.constantFrom("string", "number", "duration", "date"),
        ),
        weight,
      }, { requiredKeys: ["regex"] }),
    ),
    { maxLength: 3 },
  ),
  examples: fc.array(word, { maxLength: 2 }),
  extra: fc.jsonValue({ maxDepth: 1 }),
}, { requiredKeys: ["name"] });
const docObj = fc.record({
  threshold: weight,
  intents: fc.oneof(fc.array(intentObj, { maxLength: 4 }), fc.jsonValue({ maxDepth: 1 })),
  extra: fc.jsonValue({ maxDepth: 1 }),
}, { requiredKeys: [] });

Deno.test("parseIntentDocument: any text is a document or an IntentConfigError naming its issues", () => {
  fuzz(
    "intent_config.parseIntentDocument(text)",
    fc.property(
      fc.oneof(
        fc.string({ maxLength: 200 }),
        mutated(enc.encode(DEFAULT_YAML), 4).map((b) => dec.decode(b)),
        fc.constantFrom(
          "",
          "~",
          "[]",
          "{}",
          "intents: []",
          "a: &a [*a]",
          "? [a]\n: b",
          "!!binary x",
        ),
      ),
      checkText,
    ),
    { runs: 300 },
  );
});

Deno.test("parseIntentDocument: documents with fields right and wrong", () => {
  fuzz(
    "intent_config.parseIntentDocument(near-valid)",
    fc.property(docObj, (doc) => checkText(stringify(doc))),
    { runs: 400 },
  );
});

Deno.test("validateIntentDocument: anything at all is a document or an IntentConfigError", () => {
  fuzz(
    "intent_config.validateIntentDocument",
    fc.property(fc.oneof(fc.anything(), docObj), (x) => {
      expectContractError(
        thrown(() => validateIntentDocument(x)),
        [IntentConfigError],
        "Cannot load ",
      );
    }),
    { runs: 300 },
  );
});

Deno.test("parseIntentDocument: a valid document round-trips through YAML with its defaults filled in", () => {
  const valid = fc.record({
    threshold: fc.double({ min: 0, max: 1, noNaN: true }),
    intents: fc.uniqueArray(
      fc.record({
        name: fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/).filter((n) => n !== "none"),
        keywords: fc.array(fc.stringMatching(/^[a-z]{1,8}$/), { minLength: 1, maxLength: 3 }),
      }),
      { minLength: 1, maxLength: 4, selector: (i) => i.name },
    ),
  });
  fuzz(
    "intent_config.parseIntentDocument(round-trip)",
    fc.property(valid, (doc) => {
      const back = parseIntentDocument(stringify(doc));
      assertEquals(back.threshold, doc.threshold);
      assertEquals(
        back.intents.map((i) => [i.name, i.keywords, i.phrases, i.patterns]),
        doc.intents.map((i) => [i.name, i.keywords, [], []]),
      );
    }),
    { runs: 200 },
  );
});
