import { assertEquals } from "../../ffi/testing/assert.ts";
import {
  classifyIntent,
  type IntentClassifier,
  type IntentContext,
  type IntentResult,
  NONE_INTENT,
} from "./classifier.ts";
import { RuleIntentClassifier } from "./rules.ts";

/** Stands in for a later model-based classifier: async, and uses the context. */
class FakeModelClassifier implements IntentClassifier {
  calls: [string, IntentContext | undefined][] = [];
  classify(text: string, context?: IntentContext): Promise<IntentResult> {
    this.calls.push([text, context]);
    const intent = context?.language === "en" && text.includes("?") ? "question" : NONE_INTENT;
    return Promise.resolve({ intent, confidence: 0.8, slots: { length: text.length } });
  }
}

/** A caller written only against the interface. */
async function intentsOf(classifier: IntentClassifier, finals: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const [i, text] of finals.entries()) {
    const result = await classifyIntent(classifier, text, {
      previous: finals.slice(0, i),
      language: "en",
    });
    out.push(result.intent);
  }
  return out;
}

Deno.test("a custom classifier plugs in where the rules one goes", async () => {
  const rules: IntentClassifier = RuleIntentClassifier.fromYaml(
    "intents: [{ name: question, patterns: ['^(?:what|why)\\b'] }]",
  );
  const model = new FakeModelClassifier();
  const classifiers: IntentClassifier[] = [rules, model];
  for (const c of classifiers) {
    assertEquals(await intentsOf(c, ["What now?", "fine"]), ["question", NONE_INTENT]);
  }
  assertEquals(model.calls[1], ["fine", { previous: ["What now?"], language: "en" }]);
  assertEquals((await classifyIntent(model, "hi?")).slots, { length: 3 });
});
