/**
 * `deno task transcribe <file> [options]`: offline transcription of an audio file with accuracy
 * defaults (beam 5, VAD windows of ≤ 28 s). Prints the transcript on stdout.
 *
 * @module
 */

import { z } from "zod";
import { type CommandSpec, type FlagTable, helpText, parseFlags } from "../../util/flags.ts";
import { runCommand } from "../../util/command.ts";
import { decodeAudioFile } from "../../decode/audio_file.ts";
import { dtwHeadsFor, openWhisper, VadModel, WhisperModel } from "../../ffi/whisper/mod.ts";
import {
  AUDIO_FILE,
  MODEL_FLAG,
  NO_GPU_FLAG,
  VAD_MODEL_FLAG,
  withAudioFile,
} from "./model_flags.ts";
import { DEFAULT_VAD_MODEL, resolveModel } from "../models/resolve.ts";
import { transcribeOffline, type WordTimes } from "../engine/offline.ts";
import { renderTranscript, TRANSCRIPT_FORMATS } from "../transport/http/formats.ts";

/** The flags of `deno task transcribe`. */
export const TRANSCRIBE_FLAGS = {
  model: MODEL_FLAG,
  format: {
    flag: "--format",
    arg: "FMT",
    schema: z.enum(TRANSCRIPT_FORMATS).default("text"),
    help: "text | json | srt | vtt",
  },
  threads: {
    flag: "--threads",
    arg: "N",
    schema: z.coerce.number().int().min(1).max(256).default(
      Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1)),
    ),
    defaultHelp: "min(4, cores)",
    help: "CPU threads",
  },
  language: {
    flag: "--language",
    arg: "XX|auto",
    schema: z.string().regex(/^([a-z]{2,3}|auto)$/, "an ISO 639-1 code or auto").optional(),
    defaultHelp: "en (auto-detect with multilingual models)",
    help: "spoken language",
  },
  beam: {
    flag: "--beam",
    arg: "N",
    schema: z.coerce.number().int().min(1).max(16).default(5),
    help: "beam width, 1 = greedy",
  },
  vadModel: VAD_MODEL_FLAG,
  vad: {
    flag: "--no-vad",
    sets: false,
    schema: z.boolean().default(true),
    help: "decode the whole file as whisper.cpp does (long files lose text)",
  },
  maxWindow: {
    flag: "--max-window",
    arg: "S",
    schema: z.coerce.number().min(2).max(30).default(28),
    unit: "s",
    help: "longest decoding window (2..30)",
  },
  promptPrevious: {
    flag: "--prompt-previous",
    schema: z.boolean().default(false),
    help: "condition each window on the text of the previous one",
  },
  wordTimes: {
    flag: "--word-times",
    arg: "MODE",
    schema: z.enum(["auto", "dtw", "timestamps", "none"]).default("auto"),
    help: "auto | dtw | timestamps | none; auto: none for text, else dtw (text decoded without " +
      "timestamp tokens, word times from cross-attention) when the model's alignment heads are " +
      "known, timestamps otherwise",
  },
  gpu: NO_GPU_FLAG,
  verbose: {
    flag: "--verbose",
    schema: z.boolean().default(false),
    help: "timings and windows on stderr",
  },
} as const satisfies FlagTable;

/** `deno task transcribe`: its usage and flags. */
export const TRANSCRIBE_COMMAND: CommandSpec<typeof TRANSCRIBE_FLAGS> = {
  usage: "deno task transcribe <file> [options]",
  about: "Transcribes an audio file (WAV, FLAC, Ogg, MP3, ...) and prints the transcript.",
  flags: TRANSCRIBE_FLAGS,
  positional: AUDIO_FILE,
};

const Options = withAudioFile(TRANSCRIBE_FLAGS);
type Options = z.infer<typeof Options>;

/** Parses command-line arguments; throws an Error with a one-line reason. */
export function parseArgs(args: string[]): Options | "help" {
  return parseFlags(TRANSCRIBE_COMMAND, Options, args);
}

async function transcribe(opts: Options): Promise<number> {
  const log = opts.verbose ? (msg: string) => console.error(msg) : () => {};
  const t0 = performance.now();
  const modelPath = await resolveModel(opts.model);
  // Decode while the model loads; the error, if any, surfaces at the await below (a rejection
  // left unhandled meanwhile would end the process during a native call).
  const audioP = decodeAudioFile(opts.file);
  audioP.catch(() => {});
  const heads = dtwHeadsFor(modelPath);
  const wordTimes: WordTimes = opts.wordTimes !== "auto"
    ? opts.wordTimes
    : opts.format === "text"
    ? "none"
    : heads
    ? "dtw"
    : "timestamps";
  if (wordTimes === "dtw" && !heads) {
    throw new Error(`Cannot use --word-times dtw: no alignment heads known for ${modelPath}`);
  }
  // DTW keeps flash attention where the library aligns under it (the dtw-flash patch).
  const flashAttn = wordTimes !== "dtw" || (await openWhisper()).alignsWithFlash;
  const model = await WhisperModel.load(
    modelPath,
    wordTimes === "dtw" ? { useGpu: opts.gpu, flashAttn, dtwHeads: heads! } : { useGpu: opts.gpu },
  );
  const vad = opts.vad
    ? await VadModel.load(await resolveModel(opts.vadModel ?? DEFAULT_VAD_MODEL))
    : null;
  const state = await model.createState();
  try {
    const audio = await audioP;
    const tLoaded = performance.now();
    log(
      `model ${modelPath} (${model.info.type}) loaded; audio ${audio.durationS.toFixed(2)} s; ` +
        `word times: ${wordTimes}`,
    );
    const language = opts.language ?? (model.info.multilingual ? "auto" : "en");
    const transcript = await transcribeOffline(state, audio.samples, {
      decode: {
        strategy: opts.beam > 1 ? "beam" : "greedy",
        beamSize: opts.beam > 1 ? opts.beam : undefined,
        threads: opts.threads,
        language,
      },
      vad,
      window: { maxWindowMs: opts.maxWindow * 1000 },
      promptPrevious: opts.promptPrevious,
      wordTimes,
    });
    const tDone = performance.now();
    await Deno.stdout.write(new TextEncoder().encode(renderTranscript(transcript, opts.format)));
    const decodeS = (tDone - tLoaded) / 1000;
    log(
      `windows ${transcript.windows.length}; load ${((tLoaded - t0) / 1000).toFixed(2)} s; ` +
        `decode ${decodeS.toFixed(2)} s; RTFx ${(audio.durationS / decodeS).toFixed(1)}`,
    );
    return 0;
  } finally {
    state.close();
    vad?.close();
    model.close();
  }
}

if (import.meta.main) {
  Deno.exit(await runCommand(Deno.args, helpText(TRANSCRIBE_COMMAND), parseArgs, transcribe));
}
