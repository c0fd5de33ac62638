/**
 * The intents document (YAML) and its validation.
 *
 * ```yaml
 * threshold: 0.5              # global default, 0..1
 * intents:
 *   - name: set_timer
 *     threshold: 0.6          # optional per-intent override
 *     keywords: [timer, { word: countdown, weight: 0.8 }]
 *     phrases: [set a timer]
 *     patterns:
 *       - "^timer$"                                   # shorthand: no slots, weight 1
 *       - regex: "^set a timer for (?<duration_s>.+)$"
 *         slots: { duration_s: duration }             # string | number | duration
 *         weight: 1
 *     examples: [set a timer for five minutes]
 * ```
 *
 * Patterns run on normalised text (see `normalise.ts`); phrases and keywords are normalised
 * when loaded.
 *
 * @module
 */

import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { SLOT_PARSERS } from "./parsers.ts";

const Weight = z.number().gt(0).max(1);
const Threshold = z.number().min(0).max(1);
const NonEmpty = z.string().trim().min(1, "must not be empty");

const Keyword = z.union([
  NonEmpty.regex(/^\S+$/, "a keyword is a single word"),
  z.strictObject({ word: NonEmpty.regex(/^\S+$/, "a keyword is a single word"), weight: Weight }),
]);

const Regex = NonEmpty.superRefine((source, ctx) => {
  try {
    new RegExp(source, "u");
  } catch (err) {
    ctx.addIssue({ code: "custom", message: `invalid regex: ${(err as Error).message}` });
  }
});

const SlotParserName = z.enum(Object.keys(SLOT_PARSERS) as [keyof typeof SLOT_PARSERS]);

const Pattern = z.union([
  Regex,
  z.strictObject({
    regex: Regex,
    slots: z.record(z.string(), SlotParserName).optional(),
    weight: Weight.optional(),
  }).superRefine((p, ctx) => {
    let groups: Record<string, unknown> = {};
    try {
      groups = new RegExp(`${p.regex}|`, "u").exec("")?.groups ?? {};
    } catch {
      return; // reported on `regex`
    }
    for (const slot of Object.keys(p.slots ?? {})) {
      if (!(slot in groups)) {
        ctx.addIssue({
          code: "custom",
          path: ["slots", slot],
          message: `no named group (?<${slot}>…) in the regex`,
        });
      }
    }
  }),
]);

const Intent = z.strictObject({
  name: NonEmpty.regex(/^[a-z][a-z0-9_]*$/, "use lower_snake_case"),
  threshold: Threshold.optional(),
  keywords: z.array(Keyword).default([]),
  phrases: z.array(NonEmpty).default([]),
  patterns: z.array(Pattern).default([]),
  examples: z.array(NonEmpty).default([]),
}).superRefine((intent, ctx) => {
  if (intent.keywords.length + intent.phrases.length + intent.patterns.length === 0) {
    ctx.addIssue({ code: "custom", message: "needs at least one keyword, phrase or pattern" });
  }
  if (intent.name === "none") ctx.addIssue({ code: "custom", path: ["name"], message: "reserved" });
});

const IntentDocumentSchema = z.strictObject({
  threshold: Threshold.default(0.5),
  intents: z.array(Intent).min(1, "needs at least one intent"),
}).superRefine((doc, ctx) => {
  const seen = new Set<string>();
  doc.intents.forEach((intent, i) => {
    if (seen.has(intent.name)) {
      ctx.addIssue({
        code: "custom",
        path: ["intents", i, "name"],
        message: `duplicate intent name "${intent.name}"`,
      });
    }
    seen.add(intent.name);
  });
});

/** A validated intents document (defaults filled in). */
export type IntentDocument = z.infer<typeof IntentDocumentSchema>;
/** One validated intent of an {@link IntentDocument}. */
export type IntentSpec = IntentDocument["intents"][number];

/** Thrown when an intents document cannot be loaded; `issues` are `path: message` lines. */
export class IntentConfigError extends Error {
  /** Each problem as `path: message`, e.g. `intents[2].patterns[0]: invalid regex: …`. */
  readonly issues: readonly string[];
  /** Builds the error from its issue lines. */
  constructor(issues: readonly string[], source = "intents document") {
    super(`Cannot load ${source}: ${issues.join("; ")}`);
    this.name = "IntentConfigError";
    this.issues = issues;
  }
}

/** Formats a zod path as `intents[2].patterns[0].regex` (`(root)` when empty). */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out || "(root)";
}

/** Validates an already-parsed document; throws {@link IntentConfigError} naming each path. */
export function validateIntentDocument(data: unknown, source?: string): IntentDocument {
  const result = IntentDocumentSchema.safeParse(data);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    // A union hides which branch the author meant; report the more specific branch's errors.
    if (issue.code === "invalid_union" && issue.errors.length > 0) {
      // A branch whose root type is wrong is the one the author did not mean.
      const typed = issue.errors.filter((errs) =>
        !errs.some((e) => e.code === "invalid_type" && e.path.length === 0)
      );
      const branches = typed.length > 0 ? typed : issue.errors;
      const branch = branches.find((errs) => errs.some((e) => e.code === "custom")) ??
        branches.reduce((a, b) => (b.length < a.length ? b : a));
      return branch.map((e) => `${formatPath([...issue.path, ...e.path])}: ${e.message}`).join(
        "; ",
      );
    }
    return `${formatPath(issue.path)}: ${issue.message}`;
  });
  throw new IntentConfigError(lines, source);
}

/** Parses and validates YAML text; throws {@link IntentConfigError} on syntax or schema errors. */
export function parseIntentDocument(yamlText: string, source?: string): IntentDocument {
  let data: unknown;
  try {
    data = parseYaml(yamlText);
  } catch (err) {
    throw new IntentConfigError([`invalid YAML: ${(err as Error).message}`], source);
  }
  return validateIntentDocument(data, source);
}
