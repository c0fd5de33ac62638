/**
 * The default, rule-based {@link IntentClassifier}, built from a YAML intents document.
 *
 * @module
 */

import {
  clamp01,
  type IntentClassifier,
  type IntentContext,
  type IntentResult,
  noneResult,
  type SlotValue,
} from "./classifier.ts";
import { type IntentDocument, type IntentSpec, parseIntentDocument } from "./config.ts";
import { normaliseText, tokens } from "./normalise.ts";
import { SLOT_PARSERS, type SlotParserName } from "./parsers.ts";

/** How much a full pattern, phrase or keyword match contributes (see {@link scoreIntent}). */
export const STRENGTH = { pattern: 0.9, phrase: 0.75, keyword: 0.6 } as const;

interface CompiledPattern {
  regex: RegExp;
  slots: Record<string, SlotParserName>;
  weight: number;
}

/** One intent compiled for matching. */
export interface CompiledIntent {
  /** The intent name. */
  name: string;
  /** The threshold this intent must reach (its own, else the document's). */
  threshold: number;
  /** Normalised keyword → weight. */
  keywords: ReadonlyMap<string, number>;
  /** Normalised phrases. */
  phrases: readonly string[];
  /** Example sentences from the document. */
  examples: readonly string[];
  patterns: readonly CompiledPattern[];
}

/** The score of one intent for one utterance. */
export interface IntentScore {
  /** The intent name. */
  intent: string;
  /** The combined confidence, 0..1. */
  confidence: number;
  /** Slots from the strongest matching pattern. */
  slots: Record<string, SlotValue>;
}

/** Compiles one validated intent; `threshold` is the document default. */
export function compileIntent(spec: IntentSpec, threshold: number): CompiledIntent {
  const keywords = new Map<string, number>();
  for (const k of spec.keywords) {
    const [word, weight] = typeof k === "string" ? [k, 1] : [k.word, k.weight];
    keywords.set(normaliseText(word), weight);
  }
  return {
    name: spec.name,
    threshold: spec.threshold ?? threshold,
    keywords,
    phrases: spec.phrases.map(normaliseText).filter((p) => p !== ""),
    examples: spec.examples,
    patterns: spec.patterns.map((p) =>
      typeof p === "string"
        ? { regex: new RegExp(p, "u"), slots: {}, weight: 1 }
        : { regex: new RegExp(p.regex, "u"), slots: p.slots ?? {}, weight: p.weight ?? 1 }
    ),
  };
}

function matchPattern(p: CompiledPattern, text: string): Record<string, SlotValue> | undefined {
  const m = p.regex.exec(text);
  if (!m) return undefined;
  const slots: Record<string, SlotValue> = {};
  for (const [name, raw] of Object.entries(m.groups ?? {})) {
    if (raw === undefined) continue;
    const value = SLOT_PARSERS[p.slots[name] ?? "string"](raw);
    if (value === undefined) return undefined; // a declared slot that does not parse: no match
    slots[name] = value;
  }
  return slots;
}

function containsPhrase(text: string, phrase: string): boolean {
  return ` ${text} `.includes(` ${phrase} `);
}

/**
 * Scores one intent against normalised text:
 *
 * - `P` = the largest `weight` (default 1) of the patterns that match and whose declared slots
 *   all parse, else 0;
 * - `H` = 1 when any phrase occurs as whole words, else 0;
 * - `K` = (1 − Π(1 − wₖ)) × (0.5 + 0.5·c) over the keywords present, where `c` is the share of
 *   the utterance's words that are keywords (so a keyword alone counts fully, one buried in a
 *   long sentence counts about half);
 * - confidence = 1 − (1 − 0.9·P)(1 − 0.75·H)(1 − 0.6·K), a noisy-OR in 0..1: a pattern alone
 *   gives 0.9, a phrase 0.75, a bare keyword at most 0.6, and evidence adds up without ever
 *   passing 1.
 */
export function scoreIntent(intent: CompiledIntent, normalised: string): IntentScore {
  let p = 0, slots: Record<string, SlotValue> = {};
  for (const pattern of intent.patterns) {
    if (pattern.weight <= p) continue;
    const found = matchPattern(pattern, normalised);
    if (found) [p, slots] = [pattern.weight, found];
  }
  const h = intent.phrases.some((phrase) => containsPhrase(normalised, phrase)) ? 1 : 0;
  const words = tokens(normalised);
  let miss = 1, hits = 0;
  for (const word of words) {
    const w = intent.keywords.get(word);
    if (w === undefined) continue;
    hits++;
    miss *= 1 - w;
  }
  const k = words.length === 0 ? 0 : (1 - miss) * (0.5 + 0.5 * (hits / words.length));
  const confidence = 1 -
    (1 - STRENGTH.pattern * p) * (1 - STRENGTH.phrase * h) * (1 - STRENGTH.keyword * k);
  return { intent: intent.name, confidence: clamp01(confidence), slots };
}

/**
 * The rule-based classifier: scores every intent ({@link scoreIntent}); the highest-scoring
 * intent at or above its threshold wins (ties go to the one declared first), otherwise the
 * result is `none` with the best score as its confidence. Context is not used.
 */
export class RuleIntentClassifier implements IntentClassifier {
  /** The compiled intents, in document order. */
  readonly intents: readonly CompiledIntent[];

  /** Builds the classifier from a validated document. */
  constructor(doc: IntentDocument) {
    this.intents = doc.intents.map((spec) => compileIntent(spec, doc.threshold));
  }

  /** Parses, validates and compiles YAML; throws `IntentConfigError` naming the bad path. */
  static fromYaml(yamlText: string, source?: string): RuleIntentClassifier {
    return new RuleIntentClassifier(parseIntentDocument(yamlText, source));
  }

  /** Every intent's score, best first (for debugging and tests). */
  scores(text: string): IntentScore[] {
    const normalised = normaliseText(text);
    return this.intents
      .map((intent) => scoreIntent(intent, normalised))
      .sort((a, b) => b.confidence - a.confidence);
  }

  /** Classifies one final transcript segment. */
  classify(text: string, _context?: IntentContext): IntentResult {
    const normalised = normaliseText(text);
    let best: IntentScore | undefined, top = 0;
    for (const intent of this.intents) {
      const score = scoreIntent(intent, normalised);
      top = Math.max(top, score.confidence);
      if (score.confidence < intent.threshold) continue;
      if (!best || score.confidence > best.confidence) best = score;
    }
    return best ? { ...best } : noneResult(top);
  }
}

/** Where the default intents document lives. */
export const DEFAULT_INTENTS_URL = new URL("./default_intents.yaml", import.meta.url);

/** Loads the default classifier from `default_intents.yaml` (needs read permission). */
export async function loadDefaultIntentClassifier(): Promise<RuleIntentClassifier> {
  let text: string;
  try {
    text = await Deno.readTextFile(DEFAULT_INTENTS_URL);
  } catch (err) {
    throw new Error(`Cannot load default intents: ${(err as Error).message}`);
  }
  return RuleIntentClassifier.fromYaml(text, "default_intents.yaml");
}
