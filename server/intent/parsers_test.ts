import { assertEquals } from "../../ffi/testing/assert.ts";
import { normaliseText } from "./normalise.ts";
import { parseDuration, parseNumber } from "./parsers.ts";

Deno.test("normaliseText lowercases, strips punctuation and keeps decimals", () => {
  assertEquals(normaliseText("  Don't STOP -- now!! "), "dont stop now");
  assertEquals(normaliseText("Twenty-five, 1.5 hours at 3:30."), "twenty five 1.5 hours at 3:30");
});

Deno.test("parseNumber reads digits and spelled numbers", () => {
  const cases: [string, number | undefined][] = [
    ["42", 42],
    ["1.5", 1.5],
    ["seven", 7],
    ["twenty five", 25],
    ["twenty-five", 25],
    ["a hundred and five", 105],
    ["two thousand three hundred", 2300],
    ["two and a half", 2.5],
    ["half", 0.5],
    ["an", 1],
    ["a couple of", 2],
    ["banana", undefined],
    ["", undefined],
  ];
  for (const [text, want] of cases) assertEquals(parseNumber(text), want, text);
});

Deno.test("parseDuration turns spoken durations into seconds", () => {
  const cases: [string, number | undefined][] = [
    ["five minutes", 300],
    ["1 hour and 30 minutes", 5400],
    ["90 seconds", 90],
    ["two and a half hours", 9000],
    ["an hour and a half", 5400],
    ["half an hour", 1800],
    ["ten minute", 600],
    ["10 min", 600],
    ["1.5 hours", 5400],
    ["twenty five minutes", 1500],
    ["2 hours 15 minutes and 10 seconds", 8110],
    ["a day", 86400],
    ["five", undefined],
    ["five bananas", undefined],
    ["minutes", undefined],
    ["5 minutes from now", undefined],
  ];
  for (const [text, want] of cases) assertEquals(parseDuration(text), want, text);
});

Deno.test("words that are Object.prototype's and numbers past a double's range parse as nothing (fuzz counterexamples)", () => {
  // "constructor" read as a number word gave the string "00function Object() { [native code] }0",
  // and as a unit NaN seconds; 400 nines gave Infinity. A session sent such slots as null.
  assertEquals(parseNumber("constructor"), undefined);
  assertEquals(parseNumber("twenty constructor"), undefined);
  assertEquals(parseDuration("five constructor"), undefined);
  assertEquals(parseDuration("hasOwnProperty"), undefined);
  assertEquals(parseNumber("9".repeat(400)), undefined);
  assertEquals(parseDuration(`${"9".repeat(400)} seconds`), undefined);
  assertEquals(parseNumber("9".repeat(300)), Number("9".repeat(300)));
});
