import { assert, assertEquals } from "../../ffi/testing/assert.ts";
import { NONE_INTENT } from "./classifier.ts";
import { loadDefaultIntentClassifier, RuleIntentClassifier, scoreIntent } from "./rules.ts";
import { normaliseText } from "./normalise.ts";

const classifier = await loadDefaultIntentClassifier();

Deno.test("the default set covers the voice-session intents", () => {
  const names = classifier.intents.map((i) => i.name).sort();
  assertEquals(names, [
    "confirm",
    "deny",
    "greeting",
    "help",
    "question",
    "repeat",
    "search",
    "set_reminder",
    "set_timer",
    "stop",
    "thanks",
  ]);
});

Deno.test("every intent matches its own examples, as the top intent", () => {
  for (const intent of classifier.intents) {
    assert(intent.examples.length >= 3, `${intent.name} needs examples`);
    for (const example of intent.examples) {
      const result = classifier.classify(example);
      assertEquals(result.intent, intent.name, `"${example}"`);
      assertEquals(classifier.scores(example)[0].intent, intent.name, `top score for "${example}"`);
      assert(result.confidence >= intent.threshold && result.confidence <= 1, example);
    }
  }
});

Deno.test("unrelated sentences give none with the best score as confidence", () => {
  const negatives = [
    "The weather is lovely today.",
    "I went to the store yesterday and bought some apples.",
    "My favourite colour is blue.",
    "The stop sign at the corner was knocked over last night.",
    "We talked about the timer project in the meeting.",
    "There is no milk left in the fridge.",
    "He said hello to the neighbours before leaving.",
    "Okay so the quarterly numbers look fine to me.",
    "",
    "...",
  ];
  for (const text of negatives) {
    const result = classifier.classify(text);
    assertEquals(result.intent, NONE_INTENT, `"${text}"`);
    assertEquals(result.slots, {});
    assert(result.confidence < 0.5, `"${text}" confidence ${result.confidence}`);
    assertEquals(result.confidence, classifier.scores(text)[0].confidence, text);
  }
});

Deno.test("timer durations are extracted from spelled and digit numbers", () => {
  const cases: [string, number][] = [
    ["Set a timer for five minutes.", 300],
    ["set a timer for 5 minutes", 300],
    ["Start a timer for 1 hour and 30 minutes", 5400],
    ["Timer for 90 seconds", 90],
    ["Set a timer for two and a half hours", 9000],
    ["Set a timer for an hour and a half", 5400],
    ["set a twenty-five minute timer please", 1500],
    ["Set a timer for half an hour.", 1800],
  ];
  for (const [text, seconds] of cases) {
    const result = classifier.classify(text);
    assertEquals(result.intent, "set_timer", text);
    assertEquals(result.slots, { duration_s: seconds }, text);
  }
});

Deno.test("search queries are extracted", () => {
  const cases: [string, string][] = [
    ["Search for the best pizza in Naples.", "the best pizza in naples"],
    ["look up Ada Lovelace", "ada lovelace"],
    ["Can you look up flights to Berlin for me?", "flights to berlin"],
    ["Search the web for how to fix a bike chain", "how to fix a bike chain"],
  ];
  for (const [text, query] of cases) {
    const result = classifier.classify(text);
    assertEquals(result.intent, "search", text);
    assertEquals(result.slots, { query }, text);
  }
});

Deno.test("reminder task and when are extracted", () => {
  const cases: [string, Record<string, string | number>][] = [
    ["Remind me to call mom in five minutes.", { task: "call mom", duration_s: 300 }],
    ["remind me to stretch in 1 hour and 30 minutes", { task: "stretch", duration_s: 5400 }],
    ["Remind me in 20 minutes to check the oven", { duration_s: 1200, task: "check the oven" }],
    ["Remind me to water the plants at 6 pm", { task: "water the plants", time: "6 pm" }],
    ["Remind me to buy milk.", { task: "buy milk" }],
  ];
  for (const [text, slots] of cases) {
    const result = classifier.classify(text);
    assertEquals(result.intent, "set_reminder", text);
    assertEquals(result.slots, slots, text);
  }
});

Deno.test("scoring follows the documented noisy-OR formula", () => {
  const c = RuleIntentClassifier.fromYaml(`
threshold: 0.7
intents:
  - name: timer
    keywords: [timer, { word: clock, weight: 0.5 }]
    phrases: [set a timer]
    patterns: ["^set a timer for (?<what>.+)$"]
`);
  const [intent] = c.intents;
  const near = (a: number, b: number) => Math.abs(a - b) < 1e-9;
  // keyword alone, whole utterance: K = 1 × (0.5 + 0.5 × 1) = 1 → 0.6
  assert(near(scoreIntent(intent, "timer").confidence, 0.6));
  // two keywords of weight 1 and 0.5 in four words: K = (1 - 0 × 0.5) × (0.5 + 0.5 × 2/4) = 0.75
  assert(near(scoreIntent(intent, "the timer clock broke").confidence, 0.6 * 0.75));
  // phrase + keyword (K = 1 × (0.5 + 0.5/3)): 1 - 0.25 × (1 - 0.6K)
  const k = 0.5 + 0.5 / 3;
  assert(
    near(scoreIntent(intent, normaliseText("Set a timer")).confidence, 1 - 0.25 * (1 - 0.6 * k)),
  );
  // below the document threshold of 0.7 → none, carrying the best score
  assertEquals(c.classify("timer"), { intent: "none", confidence: 0.6, slots: {} });
  const full = c.classify("Set a timer for eggs");
  assertEquals([full.intent, full.slots], ["timer", { what: "eggs" }]);
  assert(full.confidence > 0.97 && full.confidence <= 1);
});

Deno.test("a per-intent threshold overrides the global one", () => {
  const c = RuleIntentClassifier.fromYaml(`
threshold: 0.9
intents:
  - { name: strict, keywords: [go] }
  - { name: lax, keywords: [maybe], threshold: 0.5 }
`);
  assertEquals(c.classify("go").intent, "none");
  assertEquals(c.classify("maybe").intent, "lax");
});

Deno.test("a declared slot that does not parse makes its pattern miss", () => {
  const c = RuleIntentClassifier.fromYaml(`
intents:
  - name: wait
    patterns:
      - { regex: "^wait (?<n>.+)$", slots: { n: number } }
`);
  assertEquals(c.classify("wait twenty two").slots, { n: 22 });
  assertEquals(c.classify("wait for it").intent, "none");
});
