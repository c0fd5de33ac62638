/**
 * The pluggable intent-classification interface run on each final transcript segment.
 *
 * Callers depend only on {@link IntentClassifier}; the rule-based default lives in
 * `rules.ts`, and a later model-based classifier plugs in by implementing the same
 * interface (sync or async).
 *
 * @module
 */

/** The intent name reported when nothing scores above the threshold. */
export const NONE_INTENT = "none";

/** A slot value extracted from an utterance (strings, or numbers after a parser ran). */
export type SlotValue = string | number;

/** What a classifier concluded about one utterance. */
export interface IntentResult {
  /** The winning intent name, or {@link NONE_INTENT} when no intent reached its threshold. */
  intent: string;
  /** Confidence in 0..1; for `none`, the best (sub-threshold) score seen. */
  confidence: number;
  /** Slots extracted for the winning intent (empty for `none`). */
  slots: Record<string, SlotValue>;
}

/** Optional session context a classifier may use; the rule-based one ignores it. */
export interface IntentContext {
  /** Earlier final texts of the session, oldest first. */
  previous?: readonly string[];
  /** BCP-47 language of the utterance, e.g. `"en"`. */
  language?: string;
  /** The session this utterance belongs to. */
  sessionId?: string;
}

/** Classifies a final transcript segment into an intent with slots. */
export interface IntentClassifier {
  /** Classifies `text`; may answer synchronously or with a promise. */
  classify(text: string, context?: IntentContext): IntentResult | Promise<IntentResult>;
}

/** Runs any classifier and always returns a promise, so callers need not care which kind it is. */
export async function classifyIntent(
  classifier: IntentClassifier,
  text: string,
  context?: IntentContext,
): Promise<IntentResult> {
  return await classifier.classify(text, context);
}

/** The `none` result carrying `confidence` (clamped to 0..1). */
export function noneResult(confidence = 0): IntentResult {
  return { intent: NONE_INTENT, confidence: clamp01(confidence), slots: {} };
}

/** Clamps `x` to 0..1 (NaN becomes 0). */
export function clamp01(x: number): number {
  return Number.isNaN(x) ? 0 : Math.min(1, Math.max(0, x));
}
