/**
 * English text normalisation for word error rate scoring.
 *
 * Behaves like OpenAI Whisper's `EnglishTextNormalizer` (the normaliser used to score Whisper on
 * English test sets), quirks included, so that our WER figures can be compared with published
 * ones: lower case; bracketed and parenthesised text dropped; filler words dropped; contractions,
 * titles and clitics expanded; punctuation, symbols and diacritics removed; spelled-out numbers,
 * ordinals, currencies and percentages written with digits; optional British to American
 * spellings.
 *
 * Regular expressions here follow Python's Unicode semantics for `\b`, `\s` and `\d` (JavaScript's
 * own classes are ASCII-only or differ slightly), so that non-ASCII text is treated the same way.
 *
 * @module
 */

/** A Python `\w` character: letters, numbers and the underscore. */
const WORD_CHAR = String.raw`[\p{L}\p{N}_]`;
/** A Python `\s` character (the characters for which `str.isspace()` holds). */
const SPACE_CHAR = String
  .raw`[\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]`;
/** Python's `\b` before a word character. */
const WORD_START = `(?<!${WORD_CHAR})`;
/** Python's `\b` after a word character. */
const WORD_END = `(?!${WORD_CHAR})`;

const SPACES = new RegExp(`${SPACE_CHAR}+`, "gu");

/** Splits like Python's `str.split()`: on runs of whitespace, with no empty pieces. */
function splitWords(s: string): string[] {
  return s.split(SPACES).filter((w) => w.length > 0);
}

/** Escapes a literal for use inside a regular expression. */
function escapeRegExp(literal: string): string {
  return literal.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

// ---------------------------------------------------------------------------------------------
// Fillers, contractions and abbreviations
// ---------------------------------------------------------------------------------------------

const FILLERS = new RegExp(`${WORD_START}(?:hmm|mm|mhm|mmm|uh|um)${WORD_END}`, "gu");

/** Whole words rewritten as they are (informal and contracted forms). */
const WHOLE_WORDS: ReadonlyArray<readonly [string, string]> = [
  ["won't", "will not"],
  ["can't", "can not"],
  ["let's", "let us"],
  ["ain't", "aint"],
  ["y'all", "you all"],
  ["wanna", "want to"],
  ["gotta", "got to"],
  ["gonna", "going to"],
  ["i'ma", "i am going to"],
  ["imma", "i am going to"],
  ["woulda", "would have"],
  ["coulda", "could have"],
  ["shoulda", "should have"],
  ["ma'am", "madam"],
];

/** Abbreviated titles and name suffixes; each expansion is followed by a space. */
const TITLES: ReadonlyArray<readonly [string, string]> = [
  ["mr", "mister"],
  ["mrs", "missus"],
  ["st", "saint"],
  ["dr", "doctor"],
  ["prof", "professor"],
  ["capt", "captain"],
  ["gov", "governor"],
  ["ald", "alderman"],
  ["gen", "general"],
  ["sen", "senator"],
  ["rep", "representative"],
  ["pres", "president"],
  ["rev", "reverend"],
  ["hon", "honorable"],
  ["asst", "assistant"],
  ["assoc", "associate"],
  ["lt", "lieutenant"],
  ["col", "colonel"],
  ["jr", "junior"],
  ["sr", "senior"],
  ["esq", "esquire"],
];

/** Clitics before a past participle, where `'s` and `'d` mean "has" and "had". */
const PERFECT_CLITICS: ReadonlyArray<readonly [string, string]> = [
  ["'d been", "had been"],
  ["'s been", "has been"],
  ["'d gone", "had gone"],
  ["'s gone", "has gone"],
  ["'d done", "had done"],
  ["'s got", "has got"],
];

/** The remaining clitics, glued to the end of a word. */
const CLITICS: ReadonlyArray<readonly [string, string]> = [
  ["n't", "not"],
  ["'re", "are"],
  ["'s", "is"],
  ["'d", "would"],
  ["'ll", "will"],
  ["'t", "not"],
  ["'ve", "have"],
  ["'m", "am"],
];

/** The rewrites in the order they are applied, each over the whole text. */
const REWRITES: ReadonlyArray<readonly [RegExp, string]> = [
  ...WHOLE_WORDS.map(([from, to]) => wholeWordRewrite(from, to)),
  ...TITLES.map(([from, to]) => wholeWordRewrite(from, `${to} `)),
  ...PERFECT_CLITICS.map(([from, to]) => suffixRewrite(from, ` ${to}`)),
  ...CLITICS.map(([from, to]) => suffixRewrite(from, ` ${to}`)),
];

function wholeWordRewrite(from: string, to: string): readonly [RegExp, string] {
  return [new RegExp(`${WORD_START}${escapeRegExp(from)}${WORD_END}`, "gu"), to];
}

function suffixRewrite(from: string, to: string): readonly [RegExp, string] {
  return [new RegExp(`${escapeRegExp(from)}${WORD_END}`, "gu"), to];
}

function expandContractions(s: string): string {
  s = s.replace(new RegExp(`${SPACE_CHAR}+'`, "gu"), "'");
  for (const [pattern, replacement] of REWRITES) s = s.replace(pattern, replacement);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Punctuation, symbols and diacritics
// ---------------------------------------------------------------------------------------------

/** Symbols kept for the number normaliser. */
const NUMERIC_SYMBOLS = new Set([".", "%", "$", "¢", "€", "£"]);

/** Letters that canonical decomposition does not split into a base letter and a mark. */
const UNDECOMPOSED_LETTERS: ReadonlyMap<string, string> = new Map([
  ["œ", "oe"],
  ["Œ", "OE"],
  ["ø", "o"],
  ["Ø", "O"],
  ["æ", "ae"],
  ["Æ", "AE"],
  ["ß", "ss"],
  ["ẞ", "SS"],
  ["đ", "d"],
  ["Đ", "D"],
  ["ð", "d"],
  ["Ð", "D"],
  ["þ", "th"],
  ["Þ", "th"],
  ["ł", "l"],
  ["Ł", "L"],
]);

const SYMBOL_OR_MARK = new RegExp(
  `[\\p{M}\\p{S}\\p{P}${[...UNDECOMPOSED_LETTERS.keys()].join("")}]`,
  "gu",
);
const NONSPACING_MARK = /^\p{Mn}$/u;

/**
 * Decomposes the text (NFKD), drops nonspacing marks, spells out letters such as "æ", and turns
 * every other mark, symbol or punctuation character into a space, except the numeric symbols.
 */
function stripSymbolsAndDiacritics(s: string): string {
  return s.normalize("NFKD").replace(SYMBOL_OR_MARK, (c) => {
    if (NUMERIC_SYMBOLS.has(c)) return c;
    const spelled = UNDECOMPOSED_LETTERS.get(c);
    if (spelled !== undefined) return spelled;
    return NONSPACING_MARK.test(c) ? "" : " ";
  });
}

function cleanPunctuation(s: string): string {
  s = s.replace(/(\p{Nd}),(\p{Nd})/gu, "$1$2"); // thousands separators
  s = s.replace(/\.([^0-9]|$)/gu, " $1"); // periods that are not decimal points
  return stripSymbolsAndDiacritics(s);
}

// ---------------------------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------------------------

/** What a number-related word means to the number normaliser. */
type NumberWord =
  | { kind: "zero" }
  | { kind: "unit"; n: number; suffix?: string }
  | { kind: "tens"; n: number; suffix?: string }
  | { kind: "scale"; n: bigint; suffix?: string }
  | { kind: "sign"; symbol: string }
  | { kind: "currency"; symbol: string }
  | { kind: "percent" }
  | { kind: "per" }
  | { kind: "and" }
  | { kind: "repeat"; times: number }
  | { kind: "point" };

const UNIT_NAMES = [
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
const TENS_NAMES = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];
const SCALE_NAMES = [
  "thousand",
  "million",
  "billion",
  "trillion",
  "quadrillion",
  "quintillion",
  "sextillion",
  "septillion",
  "octillion",
  "nonillion",
  "decillion",
];

/** Ordinals that are not "cardinal + th" (Whisper knows "nineth", not "ninth"). */
const IRREGULAR_ORDINALS: ReadonlyArray<readonly [string, number, string]> = [
  ["zeroth", 0, "th"],
  ["first", 1, "st"],
  ["second", 2, "nd"],
  ["third", 3, "rd"],
  ["fifth", 5, "th"],
  ["twelfth", 12, "th"],
];

function buildNumberWords(): ReadonlyMap<string, NumberWord> {
  const words = new Map<string, NumberWord>();
  for (const name of ["o", "oh", "zero"]) words.set(name, { kind: "zero" });
  UNIT_NAMES.forEach((name, i) => {
    const n = i + 1;
    words.set(name, { kind: "unit", n });
    words.set(name === "six" ? "sixes" : `${name}s`, { kind: "unit", n, suffix: "s" });
    if (IRREGULAR_ORDINALS.some(([, m]) => m === n)) return;
    words.set(name.endsWith("t") ? `${name}h` : `${name}th`, { kind: "unit", n, suffix: "th" });
  });
  for (const [name, n, suffix] of IRREGULAR_ORDINALS) words.set(name, { kind: "unit", n, suffix });
  TENS_NAMES.forEach((name, i) => {
    const n = (i + 2) * 10;
    words.set(name, { kind: "tens", n });
    words.set(name.replace("y", "ies"), { kind: "tens", n, suffix: "s" });
    words.set(name.replace("y", "ieth"), { kind: "tens", n, suffix: "th" });
  });
  const scales: Array<[string, bigint]> = [["hundred", 100n]];
  SCALE_NAMES.forEach((name, i) => scales.push([name, 1000n ** BigInt(i + 1)]));
  for (const [name, n] of scales) {
    words.set(name, { kind: "scale", n });
    words.set(`${name}s`, { kind: "scale", n, suffix: "s" });
    words.set(`${name}th`, { kind: "scale", n, suffix: "th" });
  }
  for (const name of ["minus", "negative"]) words.set(name, { kind: "sign", symbol: "-" });
  for (const name of ["plus", "positive"]) words.set(name, { kind: "sign", symbol: "+" });
  const currencies: Array<[string, string]> = [
    ["pound", "£"],
    ["euro", "€"],
    ["dollar", "$"],
    ["cent", "¢"],
  ];
  for (const [name, symbol] of currencies) {
    words.set(name, { kind: "currency", symbol });
    words.set(`${name}s`, { kind: "currency", symbol });
  }
  words.set("percent", { kind: "percent" });
  words.set("per", { kind: "per" });
  words.set("and", { kind: "and" });
  words.set("double", { kind: "repeat", times: 2 });
  words.set("triple", { kind: "repeat", times: 3 });
  words.set("point", { kind: "point" });
  return words;
}

const NUMBER_WORDS = buildNumberWords();
/** Symbols that may be glued to the front of a number. */
const NUMBER_PREFIXES = new Set(["-", "+", "$", "¢", "€", "£"]);
const ARABIC_NUMBER = /^\p{Nd}+(?:\.\p{Nd}+)?$/u;

function isArabicNumber(word: string | undefined): boolean {
  return word !== undefined && ARABIC_NUMBER.test(word);
}

/** Whether the word may continue a number: a number word or arabic digits. */
function canBeNumber(word: string | undefined): boolean {
  return (word !== undefined && NUMBER_WORDS.has(word)) || isArabicNumber(word);
}

/** The digit that "double"/"triple" repeats when followed by a plain zero or unit, else null. */
function repeatableDigit(word: string | undefined): string | null {
  const w = NUMBER_WORDS.get(word ?? "");
  if (w === undefined || plainKind(word) === undefined) return null;
  if (w.kind === "zero") return "0";
  return w.kind === "unit" ? String(w.n) : null;
}

/** The kind of a plain (unsuffixed) number word: "one", "twenty", "hundred"; not "first". */
function plainKind(word: string | undefined): NumberWord["kind"] | undefined {
  const w = NUMBER_WORDS.get(word ?? "");
  return w === undefined || ("suffix" in w && w.suffix !== undefined) ? undefined : w.kind;
}

/** Whether the word can follow "point": a plain zero, unit or tens word. */
function isDecimalWord(word: string | undefined): boolean {
  const kind = plainKind(word);
  return kind === "zero" || kind === "unit" || kind === "tens";
}

/** Value of a decimal digit of any script (digits come in runs of ten code points). */
function digitValue(c: string): number {
  let cp = c.codePointAt(0) as number;
  let offset = 0;
  while (/^\p{Nd}$/u.test(String.fromCodePoint(cp - 1))) {
    cp--;
    offset++;
  }
  return offset % 10;
}

function toAsciiDigits(s: string): string {
  return s.replace(/\p{Nd}/gu, (d) => (/[0-9]/.test(d) ? d : String(digitValue(d))));
}

/** An exact decimal fraction num / 10^places. */
interface Decimal {
  num: bigint;
  places: number;
}

/** Parses "12", "1.5", "1." or ".5" (as Python's `Fraction` would); null when it is not one. */
function parseDecimal(s: string): Decimal | null {
  const m = /^(\p{Nd}*)(?:\.(\p{Nd}*))?$/u.exec(s);
  if (!m) return null;
  const whole = m[1];
  const fraction = m[2] ?? "";
  if (whole === "" && fraction === "") return null;
  return { num: BigInt(toAsciiDigits(whole + fraction) || "0"), places: fraction.length };
}

/** The decimal times `factor` when that is a whole number, else null. */
function scaleDecimal(d: Decimal, factor: bigint): bigint | null {
  const product = d.num * factor;
  const divisor = 10n ** BigInt(d.places);
  return product % divisor === 0n ? product / divisor : null;
}

/** A number being built: a bigint, a string of digits ("one two" is "12", not 3), or none. */
type PartialNumber = bigint | string | null;

/** Python's `str(value or "")`: none, zero and the empty string all read as "". */
function digitsOf(value: PartialNumber): string {
  return value ? String(value) : "";
}

/** Adds a unit (0..19) to the number being built: "twenty" + "one" is 21, "one" + "two" is "12". */
function addUnit(value: PartialNumber, n: number, prev: string | undefined): bigint | string {
  if (value === null) return BigInt(n);
  if (typeof value === "string" || plainKind(prev) === "unit") {
    if (plainKind(prev) === "tens" && n < 10) return String(value).slice(0, -1) + n;
    return String(value) + n;
  }
  const room = n < 10 ? 10n : 100n;
  return value % room === 0n ? value + BigInt(n) : String(value) + n;
}

/** Adds a tens value (20..90): "one hundred" + "twenty" is 120, "nineteen" + "ninety" "1990". */
function addTens(value: PartialNumber, n: number): bigint | string {
  if (value === null) return BigInt(n);
  if (typeof value === "string") return value + n;
  return value % 100n === 0n ? value + BigInt(n) : String(value) + n;
}

/** Multiplies the last group of three digits: 2 thousand 3 + "hundred" is 2300. */
function multiplyLastGroup(value: bigint, scale: bigint): bigint {
  const before = (value / 1000n) * 1000n;
  return before + (value % 1000n) * scale;
}

/** Multiplies a decimal string or zero by a scale when the result is whole ("2.5 million"). */
function multiplyDecimal(value: string | bigint, scale: bigint): bigint | null {
  const d = typeof value === "bigint" ? { num: value, places: 0 } : parseDecimal(value);
  return d === null ? null : scaleDecimal(d, scale);
}

/**
 * The word-by-word state machine that rewrites spelled-out numbers with digits. It keeps the
 * number being built and a pending prefix symbol ("-", "$"...), and writes finished words out.
 */
class NumberRewriter {
  private readonly out: string[] = [];
  private value: PartialNumber = null;
  private prefix: string | null = null;

  constructor(private readonly words: readonly string[]) {}

  run(): string[] {
    for (let i = 0; i < this.words.length; i++) {
      if (this.step(this.words[i - 1], this.words[i], this.words[i + 1])) i++;
    }
    this.flush();
    return this.out;
  }

  /** Writes a word out, with the pending prefix, and forgets the number being built. */
  private emit(text: string | bigint): void {
    this.out.push((this.prefix ?? "") + String(text));
    this.value = null;
    this.prefix = null;
  }

  /** Writes out the number being built, if any. */
  private flush(): void {
    if (this.value !== null) this.emit(this.value);
  }

  /** Handles one word; returns true when the next word was consumed too. */
  private step(prev: string | undefined, word: string, next: string | undefined): boolean {
    const prefixed = NUMBER_PREFIXES.has(word[0]);
    const bare = prefixed ? word.slice(1) : word;
    if (ARABIC_NUMBER.test(bare)) {
      this.arabic(word, bare, prefixed);
      return false;
    }
    const meaning = NUMBER_WORDS.get(word);
    if (meaning === undefined) {
      this.flush();
      this.emit(word);
      return false;
    }
    return this.spelled(meaning, prev, word, next);
  }

  private arabic(word: string, bare: string, prefixed: boolean): void {
    if (this.value !== null) {
      if (typeof this.value === "string" && this.value.endsWith(".")) {
        this.value += word; // digits after "point", or the parts of an address
        return;
      }
      this.emit(this.value);
    }
    if (prefixed) this.prefix = word[0];
    const d = parseDecimal(bare) as Decimal;
    this.value = scaleDecimal(d, 1n) ?? bare;
  }

  /** Handles a number word; returns true when the next word was consumed too. */
  private spelled(
    w: NumberWord,
    prev: string | undefined,
    word: string,
    next: string | undefined,
  ): boolean {
    switch (w.kind) {
      case "zero":
        this.value = digitsOf(this.value) + "0";
        return false;
      case "unit":
        this.addPart(addUnit(this.value, w.n, prev), w.suffix);
        return false;
      case "tens":
        this.addPart(addTens(this.value, w.n), w.suffix);
        return false;
      case "scale":
        if (w.suffix === undefined) this.scale(w.n);
        else this.suffixedScale(w.n, w.suffix);
        return false;
      case "sign":
        this.flush();
        if (canBeNumber(next)) this.prefix = w.symbol;
        else this.emit(word);
        return false;
      case "currency":
      case "percent":
      case "per":
        return this.symbol(w, word, next);
      default:
        return this.connector(w, prev, word, next);
    }
  }

  /** Turns "dollars", "percent" or "per cent" after a number into a symbol. */
  private symbol(w: NumberWord, word: string, next: string | undefined): boolean {
    const value = this.value;
    if (value === null) {
      this.emit(word);
      return false;
    }
    if (w.kind === "currency") {
      this.prefix = w.symbol;
      this.emit(value);
    } else if (w.kind === "percent" || next === "cent") {
      this.emit(String(value) + "%");
      return w.kind === "per";
    } else {
      this.emit(value);
      this.emit(word);
    }
    return false;
  }

  /** Handles "and", "double", "triple" and "point", which matter only before a number. */
  private connector(
    w: NumberWord,
    prev: string | undefined,
    word: string,
    next: string | undefined,
  ): boolean {
    if (!canBeNumber(next)) {
      this.flush();
      this.emit(word);
      return false;
    }
    if (w.kind === "and") {
      if (plainKind(prev) === "scale") return false; // "one hundred and two"
      this.flush();
      this.emit(word);
      return false;
    }
    if (w.kind === "repeat") {
      const digit = repeatableDigit(next);
      if (digit === null) {
        this.flush();
        this.emit(word);
        return false;
      }
      this.value = digitsOf(this.value) + digit.repeat(w.times);
      return true;
    }
    // "point": starts the decimals; dropped when a non-digit word such as "hundred" follows.
    if (isDecimalWord(next) || isArabicNumber(next)) this.value = digitsOf(this.value) + ".";
    return false;
  }

  /** Keeps building a cardinal, or writes an ordinal or plural ("21st", "1960s") out at once. */
  private addPart(value: bigint | string, suffix: string | undefined): void {
    if (suffix === undefined) this.value = value;
    else this.emit(String(value) + suffix);
  }

  private scale(scale: bigint): void {
    const value = this.value;
    if (value === null) {
      this.value = scale;
    } else if (typeof value === "string" || value === 0n) {
      const product = multiplyDecimal(value, scale);
      if (product === null) this.emit(value);
      this.value = product ?? scale;
    } else {
      this.value = multiplyLastGroup(value, scale);
    }
  }

  private suffixedScale(scale: bigint, suffix: string): void {
    const value = this.value;
    if (value === null) {
      this.emit(String(scale) + suffix);
    } else if (typeof value === "string") {
      const product = multiplyDecimal(value, scale);
      if (product !== null) {
        this.emit(String(product) + suffix);
      } else {
        this.emit(value);
        this.emit(String(scale) + suffix);
      }
    } else {
      this.emit(String(multiplyLastGroup(value, scale)) + suffix);
    }
  }
}

const AND_A_HALF = new RegExp(
  `${WORD_START}and${SPACE_CHAR}+a${SPACE_CHAR}+half${WORD_END}`,
  "u",
);

/** Rewrites "<number> and a half" as "<number> point five"; other halves stay. */
function expandHalves(s: string): string {
  const pieces = s.split(new RegExp(AND_A_HALF.source, "gu"));
  const out: string[] = [];
  pieces.forEach((piece, i) => {
    const words = splitWords(piece);
    if (words.length === 0) return; // (Whisper drops a half that follows nothing)
    out.push(piece);
    if (i === pieces.length - 1) return;
    const last = words[words.length - 1];
    const isNumber = isDecimalWord(last) || plainKind(last) === "scale";
    out.push(isNumber ? "point five" : "and a half");
  });
  return out.join(" ");
}

/** Separates digits from letters ("3d" → "3 d") but keeps suffixes ("3rd", "1960s"). */
function separateDigits(s: string): string {
  s = s.replace(/([a-z])([0-9])/gu, "$1 $2");
  s = s.replace(/([0-9])([a-z])/gu, "$1 $2");
  return s.replace(new RegExp(`([0-9])${SPACE_CHAR}+(st|nd|rd|th|s)${WORD_END}`, "gu"), "$1$2");
}

const CENTS_AFTER_AMOUNT = new RegExp(`([€£$])([0-9]+) (?:and )?¢([0-9]{1,2})${WORD_END}`, "gu");
const AMOUNT_UNDER_ONE = new RegExp(`[€£$]0[^\\n]([0-9]{1,2})${WORD_END}`, "gu");
const LONE_ONE = new RegExp(`${WORD_START}1(s?)${WORD_END}`, "gu");

/** Joins cents to amounts ("$2 and ¢7" → "$2.07") and writes "1" and "1s" as words again. */
function tidyNumbers(s: string): string {
  s = s.replace(
    CENTS_AFTER_AMOUNT,
    (_m, currency: string, whole: string, cents: string) =>
      `${currency}${whole}.${String(Number(cents)).padStart(2, "0")}`,
  );
  s = s.replace(AMOUNT_UNDER_ONE, (_m, cents: string) => `¢${Number(cents)}`);
  return s.replace(LONE_ONE, "one$1");
}

function standardizeNumbers(s: string): string {
  s = separateDigits(expandHalves(s));
  return tidyNumbers(new NumberRewriter(splitWords(s)).run().join(" "));
}

// ---------------------------------------------------------------------------------------------
// The whole pipeline
// ---------------------------------------------------------------------------------------------

const NO_SPELLINGS: ReadonlyMap<string, string> = new Map();

function applySpellings(s: string, spellings: ReadonlyMap<string, string>): string {
  return splitWords(s).map((w) => spellings.get(w) ?? w).join(" ");
}

/** Drops currency symbols and points not followed by a digit, and "%" not after one. */
function dropStraySymbols(s: string): string {
  s = s.replace(/[.$¢€£]([^0-9])/gu, " $1");
  s = s.replace(/([^0-9])%/gu, "$1 ");
  return s.replace(SPACES, " ");
}

/**
 * Normalises English text for WER scoring the way OpenAI Whisper's `EnglishTextNormalizer`
 * does, so that scores can be compared with Whisper's published results. The output may keep a
 * leading or trailing space (as Whisper's does); split it on whitespace to get words.
 *
 * @param text Text in any case, with punctuation.
 * @param spellings Optional word-for-word spelling map applied after number normalisation, e.g.
 *   British to American spellings (`"colour"` → `"color"`); keys and values are lower case.
 * @returns The normalised text: lower case, no punctuation, numbers written with digits.
 *
 * @example
 * ```ts
 * normalizeEnglish("Mr. Smith won't pay twenty-five dollars [laughs]");
 * // → "mister smith will not pay $25"
 * normalizeEnglish("Colour", new Map([["colour", "color"]])); // → "color"
 * ```
 */
export function normalizeEnglish(
  text: string,
  spellings: ReadonlyMap<string, string> = NO_SPELLINGS,
): string {
  let s = text.toLowerCase();
  s = s.replace(/[<\[][^>\]]*[>\]]/gu, ""); // [noise], <unk>
  s = s.replace(/\([^)]+\)/gu, ""); // (asides)
  s = s.replace(FILLERS, "");
  s = expandContractions(s);
  s = cleanPunctuation(s);
  s = standardizeNumbers(s);
  s = applySpellings(s, spellings);
  return dropStraySymbols(s);
}
