// Expected values are what OpenAI Whisper's own EnglishTextNormalizer (openai-whisper 20250625)
// returns for the same input, quirks included ("1.5" → "one.5", "ninth" kept, "oh" → "0").

import { normalizeEnglish } from "./normalize_en.ts";

type Case = readonly [input: string, expected: string];

/** Checks every case and reports all mismatches at once. */
function assertNormalizes(cases: readonly Case[], spellings?: ReadonlyMap<string, string>): void {
  const failures = cases
    .map(([input, expected]) => ({ input, expected, actual: normalizeEnglish(input, spellings) }))
    .filter((c) => c.actual !== c.expected)
    .map((c) =>
      `${JSON.stringify(c.input)}: got ${JSON.stringify(c.actual)}, want ${
        JSON.stringify(c.expected)
      }`
    );
  if (failures.length > 0) {
    throw new Error(`${failures.length} mismatches:\n${failures.join("\n")}`);
  }
}

Deno.test("normalizeEnglish lowercases and strips punctuation, brackets and fillers", () => {
  assertNormalizes([
    [
      "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country.",
      "and so my fellow americans ask not what your country can do for you ask what you can do for your country",
    ],
    [
      "HE HOPED THERE WOULD BE STEW FOR DINNER TURNIPS AND CARROTS",
      "he hoped there would be stew for dinner turnips and carrots",
    ],
    ["[MUSIC] Hello there (laughs) friend.", "hello there friend"],
    ["<unk> the cat", "the cat"],
    ["Um, I think, uh, it's fine. Hmm.", "i think it is fine"],
    ["Mm-hmm, yeah, mhm.", "yeah"],
    ["Hello—world – again.", "hello world again"],
    ["#hashtag @mention & co.", "hashtag mention co"],
    ["The U.S.A. and the U.K.", "the u s a and the u k"],
    ["It's 10:30 a.m.", "it is 10 30 a m"],
    ["", ""],
    ["   ", ""],
    ["  spaced   out  ", "spaced out"],
  ]);
});

Deno.test("normalizeEnglish expands contractions, clitics and titles like Whisper", () => {
  assertNormalizes([
    ["Mr. Smith won't pay twenty-five dollars [laughs]", "mister smith will not pay $25"],
    ["She won't go; he can't stay.", "she will not go he can not stay"],
    ["Y'all gonna wanna see this.", "you all going to want to see this"],
    ["Yes ma'am, let's go.", "yes madam let us go"],
    ["Ain't nobody got time for that.", "aint nobody got time for that"],
    ["He'd been there; she'd gone home.", "he had been there she had gone home"],
    ["It's been a while; he's gone now.", "it has been a while he has gone now"],
    ["I'd done it. She's got it.", "i had done it she has got it"],
    ["They're here, we've seen them, I'm sure.", "they are here we have seen them i am sure"],
    ["I can 't go", "i can not go"],
    ["You shouldn't've done that.", "you should not have done that"],
    ["It’s curly", "it s curly"], // only the ASCII apostrophe is understood
    [
      "Dr. Who met Mrs. Jones on St. Patrick's Day.",
      "doctor who met missus jones on saint patrick is day",
    ],
    ["Gen. Lee, Lt. Dan and John Smith Jr.", "general lee lieutenant dan and john smith junior"],
    ["Mr Smith", "mister smith"],
  ]);
});

Deno.test("normalizeEnglish removes diacritics and compatibility forms", () => {
  assertNormalizes([
    ["Naïve café, Œuvre, straße, Łódź, Þór.", "naive cafe oeuvre strasse lodz thor"],
    ["Full width ３ and ٣ apples", "full width 3 and 3 apples"],
  ]);
});

Deno.test("normalizeEnglish writes cardinals, years and decimals with digits", () => {
  assertNormalizes([
    ["One hundred and two dalmatians.", "102 dalmatians"],
    ["Two thousand three hundred forty-five.", "2345"],
    ["One million two hundred thousand.", "1200000"],
    ["Nineteen ninety-nine", "1999"],
    ["Nineteen oh five.", "1905"],
    ["Two thousand and five.", "2005"],
    ["Two point five million people.", "2500000 people"],
    ["Zero point zero five.", "0.05"],
    ["one point two point three", "one.2.3"],
    ["3.14159 is pi.", "3.14159 is pi"],
    ["1,000,000 views!", "1000000 views"],
    ["1,2,3", "12 3"],
    ["I have one apple and two oranges.", "i have one apple and 2 oranges"],
    ["Room 101, floor 1.", "room 101 floor one"],
    ["It's 007's license.", "it is 7 is license"],
    ["Version 2.0.1 released.", "version 2.0 one released"],
    ["2.0", "2"],
    ["COVID-19 and MP3 players", "covid 19 and mp 3 players"],
    ["A 3D printer.", "a 3 d printer"],
  ]);
});

Deno.test("normalizeEnglish handles ordinals, plurals and halves", () => {
  assertNormalizes([
    ["The first, second and third place.", "the 1st 2nd and 3rd place"],
    ["The twenty-first century.", "the 21st century"],
    ["The hundredth anniversary.", "the 100th anniversary"],
    ["The ninth symphony.", "the ninth symphony"],
    ["Wait a second.", "wait a 2nd"],
    ["Thousands of people, millions of dollars.", "1000s of people 1000000s of dollars"],
    ["The twenties and the 1960s.", "the 20s and the 1960s"],
    ["Fours and fives and sixes.", "4s and 5s and 6s"],
    ["The ones who stayed.", "the ones who stayed"],
    ["21st century, 32nd floor.", "21st century 32nd floor"],
    ["Five and a half years.", "5.5 years"],
    ["A hundred and a half.", "a 100.5"],
    ["Cats and a half dogs.", "cats and a half dogs"],
    ["and a half", ""],
  ]);
});

Deno.test("normalizeEnglish reads digit sequences, oh, double and triple", () => {
  assertNormalizes([
    ["Call me at five five five, one two one two.", "call me at 5551212"],
    ["My number is double oh seven.", "my number is 007"],
    ["Triple five, double two, one.", "555221"],
    ["Double or nothing.", "double or nothing"],
    ["Oh no, oh my.", "0 no 0 my"],
    ["O'Brien's o'clock.", "0 brien is 0 clock"],
  ]);
});

Deno.test("normalizeEnglish writes currencies, percentages and signs as symbols", () => {
  assertNormalizes([
    ["That costs five dollars and fifty cents.", "that costs $5.50"],
    ["Two dollars and seven cents.", "$2.07"],
    ["We paid $20 million for it.", "we paid $20000000 for it"],
    ["€20 or £15?", "€20 or £15"],
    ["Ten thousand dollars.", "$10000"],
    ["zero dollars five cents", "¢5"],
    ["A dollar a day.", "a dollar a day"],
    ["$1.50 for a coffee.", " one.50 for a coffee"],
    ["One dollar.", " one"],
    ["$ 5.", " 5"],
    ["costs $", "costs $"],
    ["About 3.5% of people agree.", "about 3.5% of people agree"],
    ["Fifty per cent of the votes.", "50% of the votes"],
    ["Twelve percent.", "12%"],
    ["Per capita income.", "per capita income"],
    ["%20 encoded", "%20 encoded"],
    ["abc%", "abc "],
    ["Minus five degrees.", "-5 degrees"],
    ["Negative three point two.", "-3.2"],
    ["Positive feedback.", "positive feedback"],
    ["minus five dollars", "$5"],
  ]);
});

Deno.test("normalizeEnglish applies an optional spelling map after numbers", () => {
  const spellings = new Map([["litres", "liters"], ["colour", "color"]]);
  assertNormalizes([["1.5 litres", "one.5 litres"], ["Colour", "colour"]]);
  assertNormalizes([["1.5 litres", "one.5 liters"], ["Colour", "color"]], spellings);
});
