/**
 * Text normalisation shared by the intent rules: what patterns, phrases and keywords see.
 *
 * @module
 */

/**
 * Normalises an utterance: NFKC, lowercase, apostrophes dropped (`don't` → `dont`), every
 * other non letter/digit character turned into a space except `.` and `:` between digits
 * (`1.5`, `3:30`), then spaces collapsed and trimmed. Spelled numbers stay words; the slot
 * parsers handle them.
 */
export function normaliseText(text: string): string {
  return text
    .normalize("NFKC")
    .toLowerCase()
    .replace(/['’‘`]/g, "")
    .replace(/[^\p{L}\p{N}\s.:]/gu, " ")
    .replace(/(?<!\d)[.:]|[.:](?!\d)/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

/** Splits normalised text into words (none for empty text). */
export function tokens(normalised: string): string[] {
  return normalised === "" ? [] : normalised.split(" ");
}
