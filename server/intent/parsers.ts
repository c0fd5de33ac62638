/**
 * Slot parsers: turn captured text such as "two and a half hours" into numbers.
 *
 * @module
 */

import { normaliseText, tokens } from "./normalise.ts";

const SMALL: Record<string, number> = {
  zero: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90,
  couple: 2,
  few: 3,
};

const DIGITS = /^\d+(?:\.\d+)?$/;

/**
 * Parses a cardinal number written in digits or English words: "42", "1.5", "twenty five",
 * "a hundred and five", "two and a half", "half", "half an", "an". Returns `undefined` when
 * the text is not a number.
 */
export function parseNumber(text: string): number | undefined {
  return parseNumberTokens(tokens(normaliseText(text)));
}

/** `table[word]` when the word is the table's own key (not `constructor`, `__proto__`, …). */
function lookup(table: Record<string, number>, word: string): number | undefined {
  return Object.hasOwn(table, word) ? table[word] : undefined;
}

function parseNumberTokens(words: readonly string[]): number | undefined {
  let total = 0, current = 0, fraction = 0, seen = false;
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    const rest = words.slice(i + 1).join(" ");
    if (w === "and" && seen && (rest === "a half" || rest === "half")) {
      fraction = 0.5;
      break;
    }
    if (w === "half" && !seen && (rest === "" || rest === "a" || rest === "an")) {
      fraction = 0.5;
      seen = true;
      break;
    }
    if (w === "and" && seen) continue;
    if ((w === "a" || w === "an") && !seen) {
      if (words[i + 1] === "couple" || words[i + 1] === "few") continue;
      current = 1;
      seen = true;
    } else if (w === "of" && (words[i - 1] === "couple" || words[i - 1] === "few")) {
      continue;
    } else if (DIGITS.test(w)) {
      current += Number(w);
      seen = true;
    } else if (lookup(SMALL, w) !== undefined) {
      current += SMALL[w];
      seen = true;
    } else if (w === "hundred" || w === "thousand" || w === "million") {
      const scale = w === "hundred" ? 100 : w === "thousand" ? 1000 : 1_000_000;
      if (scale === 100) current = (current || 1) * 100;
      else {
        total += (current || 1) * scale;
        current = 0;
      }
      seen = true;
    } else {
      return undefined;
    }
  }
  const n = total + current + fraction;
  // Digits beyond a double's range (a 400-digit "number") are not a number.
  return seen && Number.isFinite(n) ? n : undefined;
}

const UNIT_SECONDS: Record<string, number> = {
  s: 1,
  sec: 1,
  secs: 1,
  second: 1,
  seconds: 1,
  m: 60,
  min: 60,
  mins: 60,
  minute: 60,
  minutes: 60,
  h: 3600,
  hr: 3600,
  hrs: 3600,
  hour: 3600,
  hours: 3600,
  day: 86400,
  days: 86400,
};

/**
 * Parses a spoken duration into whole seconds: "five minutes" → 300, "1 hour and 30 minutes"
 * → 5400, "90 seconds" → 90, "two and a half hours" → 9000, "an hour and a half" → 5400,
 * "half an hour" → 1800, "10 min" → 600. Returns `undefined` unless every word is part of a
 * number followed by a unit.
 */
export function parseDuration(text: string): number | undefined {
  const words = tokens(normaliseText(text));
  let total = 0, buffer: string[] = [], units = 0;
  for (let i = 0; i < words.length; i++) {
    const unit = lookup(UNIT_SECONDS, words[i]);
    if (unit === undefined) {
      if (!(buffer.length === 0 && words[i] === "and" && units > 0)) buffer.push(words[i]);
      continue;
    }
    const n = parseNumberTokens(buffer);
    if (n === undefined) return undefined;
    total += n * unit;
    units++;
    buffer = [];
    if (words[i + 1] !== "and") continue;
    if (words[i + 2] === "a" && words[i + 3] === "half") i += 3;
    else if (words[i + 2] === "half") i += 2;
    else continue;
    total += unit / 2;
  }
  if (buffer.length > 0 || units === 0 || !Number.isFinite(total)) return undefined;
  return Math.round(total);
}

/** A slot parser: the captured text in, a value out, or `undefined` when it does not parse. */
export type SlotParser = (raw: string) => string | number | undefined;

/** The parsers a pattern slot may name in the intents document. */
export const SLOT_PARSERS = {
  /** The captured text, trimmed (empty text does not parse). */
  string: (raw: string) => raw.trim() || undefined,
  /** {@link parseNumber}. */
  number: parseNumber,
  /** {@link parseDuration}, in seconds. */
  duration: parseDuration,
} satisfies Record<string, SlotParser>;

/** The name of a parser in {@link SLOT_PARSERS}. */
export type SlotParserName = keyof typeof SLOT_PARSERS;
