import fc from "fast-check";
import { parseDuration, parseNumber, SLOT_PARSERS } from "./parsers.ts";
import { loadDefaultIntentClassifier } from "./rules.ts";
import { NONE_INTENT } from "./classifier.ts";
import { IntentSchema, PROTOCOL_VERSION } from "../../protocol/events.ts";
import { assert, assertEquals } from "../../ffi/testing/assert.ts";
import { fuzz } from "../../ffi/testing/fuzz.ts";

const ONES = [
  "zero",
  "one",
  "two",
  "three",
  "four",
  "five",
  "six",
  "seven",
  "eight",
  "nine",
  "ten",
  "eleven",
  "twelve",
  "thirteen",
  "fourteen",
  "fifteen",
  "sixteen",
  "seventeen",
  "eighteen",
  "nineteen",
];
const TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];

/** `n` (0 ≤ n < 10⁹) in English words, as a speaker might say it. */
function words(n: number, and: boolean): string {
  if (n < 20) return ONES[n];
  if (n < 100) return TENS[Math.floor(n / 10)] + (n % 10 ? ` ${ONES[n % 10]}` : "");
  if (n < 1000) {
    const rest = n % 100;
    return `${ONES[Math.floor(n / 100)]} hundred${
      rest ? `${and ? " and" : ""} ${words(rest, and)}` : ""
    }`;
  }
  for (const [scale, name] of [[1_000_000, "million"], [1000, "thousand"]] as const) {
    if (n >= scale) {
      const rest = n % scale;
      return `${words(Math.floor(n / scale), and)} ${name}${rest ? ` ${words(rest, and)}` : ""}`;
    }
  }
  throw new Error("unreachable");
}

/** Text made of number words, units, connectives, prototype names and anything else. */
const wordSoup = fc.array(
  fc.oneof(
    fc.constantFrom(
      ...ONES,
      ...TENS.filter(Boolean),
      "hundred",
      "thousand",
      "million",
      "a",
      "an",
      "and",
      "half",
      "couple",
      "few",
      "of",
    ),
    fc.constantFrom("s", "sec", "seconds", "minute", "minutes", "min", "h", "hours", "day", "days"),
    fc.constantFrom(
      "constructor",
      "__proto__",
      "toString",
      "valueOf",
      "hasOwnProperty",
      "prototype",
      "length",
    ),
    fc.nat({ max: 10_000 }).map(String),
    fc.constantFrom("1.5", "0.25", "9".repeat(400), "1e5", "-3", "3:30", "½"),
    fc.string({ maxLength: 8 }),
  ),
  { maxLength: 8 },
).map((ws) => ws.join(" "));

const text = fc.oneof(
  wordSoup,
  fc.string({ maxLength: 60 }),
  fc.string({ unit: "binary", maxLength: 60 }),
);

Deno.test("parseNumber: any text is a finite number ≥ 0, or undefined", () => {
  fuzz(
    "intent.parseNumber",
    fc.property(text, (t) => {
      const n = parseNumber(t);
      assert(
        n === undefined || (typeof n === "number" && Number.isFinite(n) && n >= 0),
        `${JSON.stringify(t)} → ${n}`,
      );
    }),
    { runs: 1000 },
  );
});

Deno.test("parseDuration: any text is a whole number of seconds ≥ 0, or undefined", () => {
  fuzz(
    "intent.parseDuration",
    fc.property(text, (t) => {
      const n = parseDuration(t);
      assert(n === undefined || (Number.isInteger(n) && n >= 0), `${JSON.stringify(t)} → ${n}`);
    }),
    { runs: 1000 },
  );
});

Deno.test("parseNumber/parseDuration: numbers said in words or digits read back", () => {
  fuzz(
    "intent.parseNumber(round-trip)",
    fc.property(
      fc.oneof(fc.nat(100), fc.nat(999_999_999)),
      fc.boolean(),
      fc.constantFrom(["seconds", 1], ["minutes", 60], ["hours", 3600], ["days", 86_400]),
      (n, and, [unit, s]) => {
        assertEquals(parseNumber(words(n, and)), n, words(n, and));
        assertEquals(parseNumber(String(n)), n);
        assertEquals(parseDuration(`${words(n, and)} ${unit}`), n * (s as number));
      },
    ),
    { runs: 500 },
  );
});

Deno.test("the default intent classifier: any utterance gives an intent event the client accepts", async () => {
  const classifier = await loadDefaultIntentClassifier();
  const names = new Set([NONE_INTENT, ...classifier.intents.map((i) => i.name)]);
  const utterance = fc.oneof(
    fc.tuple(
      fc.constantFrom(
        "set a timer for",
        "remind me to call mum in",
        "start a",
        "can you set a timer for",
        "",
        "stop",
        "what is",
      ),
      wordSoup,
      fc.constantFrom("", " timer", " please", "?"),
    ).map(([a, b, c]) => `${a} ${b}${c}`),
    text,
  );
  fuzz(
    "intent.RuleIntentClassifier.classify",
    fc.property(utterance, (u) => {
      const r = classifier.classify(u);
      assert(names.has(r.intent), `unknown intent ${r.intent}`);
      assert(r.confidence >= 0 && r.confidence <= 1, `confidence ${r.confidence}`);
      // What the session sends: it must pass the client's schema, through JSON.
      const event = {
        v: PROTOCOL_VERSION,
        seq: 0,
        audioMs: 0,
        emittedMs: 0,
        type: "intent",
        segmentId: 0,
        ...r,
      };
      const back = IntentSchema.safeParse(JSON.parse(JSON.stringify(event)));
      assert(
        back.success,
        `${JSON.stringify(u)} → ${JSON.stringify(r)}: ${back.error?.issues[0].message}`,
      );
      for (const v of Object.values(r.slots)) {
        assert(typeof v === "string" || Number.isFinite(v), `slot ${v}`);
      }
    }),
    { runs: 800 },
  );
});

Deno.test("SLOT_PARSERS.string: any text is its trimmed self, or undefined when blank", () => {
  fuzz(
    "intent.SLOT_PARSERS.string",
    fc.property(text, (t) => assertEquals(SLOT_PARSERS.string(t), t.trim() || undefined)),
    { runs: 200 },
  );
});
