/**
 * The flags every command that loads models shares (`start`, `stream`, `transcribe`): which model,
 * which VAD model, and whether to stay on the CPU. Each command spreads these into its flag table
 * and may restate the help or default text where it differs. Also the one audio file `stream` and
 * `transcribe` take.
 *
 * @module
 */

import { z } from "zod";
import { type Flag, flagSchema, type FlagTable, type Positional } from "../../util/flags.ts";
import { DEFAULT_MODEL, DEFAULT_VAD_MODEL } from "../models/resolve.ts";

/** `--model NAME|PATH`: a model name (tiny.en, base-q5_1, …) or a ggml file. */
export const MODEL_FLAG = {
  flag: "--model",
  arg: "NAME|PATH",
  schema: z.string().min(1).optional(),
  defaultHelp: `HUM_MODEL or ${DEFAULT_MODEL}`,
  help: "model name (tiny.en, base-q5_1, ...) or ggml file",
} as const satisfies Flag;

/** `--vad-model NAME|PATH`: the Silero VAD model. */
export const VAD_MODEL_FLAG = {
  flag: "--vad-model",
  arg: "NAME|PATH",
  schema: z.string().min(1).optional(),
  defaultHelp: DEFAULT_VAD_MODEL,
  help: "Silero VAD model",
} as const satisfies Flag;

/** `--no-gpu`: stay on the CPU even when the library has a GPU backend. */
export const NO_GPU_FLAG = {
  flag: "--no-gpu",
  sets: false,
  schema: z.boolean().default(true),
  help: "stay on the CPU even when the library has a GPU backend",
} as const satisfies Flag;

/** What `--attention` may name. */
export const ATTENTION_CHOICES = ["auto", "flash", "exact"] as const;

/**
 * `--attention auto|flash|exact`: how the server's decodes (live and uploads) attend. `auto`
 * (default): flash attention where the library masks its K/V padding (the one built here), exact
 * attention otherwise — whisper.cpp 1.9.1's own flash attention makes a decode depend on what the
 * decoding state decoded before (decisions 007, 021).
 */
export const ATTENTION_FLAG = {
  flag: "--attention",
  arg: ATTENTION_CHOICES.join("|"),
  env: "HUM_ATTENTION",
  schema: z.enum(ATTENTION_CHOICES).default("auto"),
  help: "how decodes attend: auto (flash where the library masks its padding, exact otherwise), " +
    "flash (with a library that does not mask it, the same audio may decode differently after " +
    "other audio), or exact",
} as const satisfies Flag;

/** The engine's `flashAttn` for an `--attention` value (undefined: the engine decides). */
export function flashAttnFor(
  attention: typeof ATTENTION_CHOICES[number],
): boolean | undefined {
  return attention === "auto" ? undefined : attention === "flash";
}

/** The one audio file `stream` and `transcribe` take, as their positional argument. */
export const AUDIO_FILE = {
  key: "file",
  arity: "one",
  missing: "no audio file given",
} as const satisfies Positional;

/** The options' schema of a command whose flags are `flags` and which takes {@linkcode AUDIO_FILE}. */
export function withAudioFile<T extends FlagTable>(flags: T) {
  return flagSchema(flags).extend({ file: z.string().min(1) });
}
