import fc from "fast-check";
import { MODE_NAMES } from "../../protocol/modes.ts";
import {
  MODE_PRESETS,
  resolveStreamConfig,
  type StreamConfig,
  StreamConfigSchema,
} from "./modes.ts";
import { assert, assertEquals } from "../../ffi/testing/assert.ts";
import { expectContractError, fuzz, thrown } from "../../ffi/testing/fuzz.ts";

const KEYS = Object.keys(StreamConfigSchema.shape);

/** A value for every knob inside its range. */
const inRange = fc.record({
  minChunkMs: fc.integer({ min: 100, max: 10_000 }),
  firstChunkMs: fc.integer({ min: 0, max: 10_000 }),
  commitPolicy: fc.constantFrom("la2" as const, "alignatt" as const, "pause" as const),
  commitMarginMs: fc.integer({ min: 0, max: 5_000 }),
  commitMinP: fc.double({ min: 0, max: 1, noNaN: true }),
  commitTimes: fc.constantFrom("timestamps" as const, "dtw" as const),
  preRollMs: fc.integer({ min: 0, max: 1_000 }),
  promptChars: fc.integer({ min: 0, max: 1_000 }),
  rollingPromptChars: fc.integer({ min: 0, max: 1_000 }),
  endSilenceMs: fc.integer({ min: 100, max: 5_000 }),
  maxSegmentMs: fc.integer({ min: 2_000, max: 30_000 }),
  beamSize: fc.integer({ min: 1, max: 16 }),
  finalBeamSize: fc.integer({ min: 1, max: 16 }),
  finalFullWindow: fc.boolean(),
  finalRevises: fc.boolean(),
  commitPendingAtClose: fc.boolean(),
  rollingPrefix: fc.boolean(),
  finalContextMs: fc.integer({ min: 0, max: 28_000 }),
  finalContextPrefix: fc.boolean(),
  contextMs: fc.integer({ min: 0, max: 28_000 }),
  scaleAudioCtx: fc.boolean(),
  audioCtxMarginFrames: fc.integer({ min: 0, max: 1500 }),
  model: fc.string({ maxLength: 30 }),
  threads: fc.integer({ min: 1, max: 64 }),
  vadThreshold: fc.double({ min: 0.05, max: 0.95, noNaN: true }),
  maxDecodeDutyCycle: fc.double({ min: 0.05, max: 1, noNaN: true }),
  rollingDeadlineMs: fc.integer({ min: 100, max: 30_000 }),
  finalTailMs: fc.integer({ min: 0, max: 2_000 }),
  statsEveryMs: fc.integer({ min: 500, max: 600_000 }),
  loopContextWords: fc.integer({ min: 0, max: 500 }),
  maxTokensPerS: fc.integer({ min: 1, max: 100 }),
  finalLoopMaxRepeats: fc.integer({ min: 1, max: 10 }),
  finalLoopMinPhraseWords: fc.integer({ min: 1, max: 20 }),
  minCutPauseMs: fc.integer({ min: 32, max: 2_000 }),
  collapseMinMs: fc.integer({ min: 0, max: 30_000 }),
  collapseWordsPerS: fc.double({ min: 0, max: 10, noNaN: true }),
  minDecodeMs: fc.integer({ min: 100, max: 5_000 }),
  minSegmentMs: fc.integer({ min: 0, max: 30_000 }),
  shortEndSilenceMs: fc.integer({ min: 100, max: 5_000 }),
  minSegmentCountsContext: fc.boolean(),
}, { requiredKeys: [] });

const anyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 1 }),
  fc.double(),
  fc.integer({ min: -1e6, max: 1e6 }),
  fc.constantFrom(NaN, Infinity, -Infinity, -0, 1e308, 2 ** 53, 0.5),
);

/** Overrides from a client: the real keys, unknown ones, any values, and non-objects. */
const overrides = fc.oneof(
  fc.dictionary(fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 12 })), anyValue, {
    maxKeys: 6,
  }),
  inRange,
  fc.tuple(inRange, fc.constantFrom(...KEYS), anyValue).map(([o, k, v]) => ({ ...o, [k]: v })),
  fc.anything(),
);

Deno.test("resolveStreamConfig: any mode and overrides are a valid config, or its documented error", () => {
  fuzz(
    "modes.resolveStreamConfig",
    fc.property(
      fc.oneof(
        fc.constantFrom(...MODE_NAMES),
        fc.string({ maxLength: 10 }),
        fc.constant(undefined),
      ),
      overrides,
      (mode, o) => {
        let c: StreamConfig | undefined;
        const err = thrown(() => (c = resolveStreamConfig(mode as "balanced", o)));
        expectContractError(err, [RangeError, TypeError], "Cannot configure stream: ");
        if (!c) return;
        assert(StreamConfigSchema.strict().safeParse(c).success, "the result fails the schema");
        assertEquals(c.mode, mode ?? "balanced");
      },
    ),
    { runs: 800 },
  );
});

Deno.test("resolveStreamConfig: overrides within range are applied over the preset, and nothing else changes", () => {
  fuzz(
    "modes.resolveStreamConfig(round-trip)",
    fc.property(fc.constantFrom(...MODE_NAMES), inRange, (mode, o) => {
      const want: Record<string, unknown> = { ...MODE_PRESETS[mode], ...o, mode };
      const got: Record<string, unknown> = resolveStreamConfig(mode, o);
      assertEquals(Object.keys(got).sort(), Object.keys(want).sort(), "the same knobs");
      for (const k of Object.keys(want)) assertEquals(got[k], want[k], k);
    }),
    { runs: 300 },
  );
});
