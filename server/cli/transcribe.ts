/**
 * `deno task transcribe <file> [options]`: offline transcription of an audio file with accuracy
 * defaults (beam 5, VAD windows of ≤ 28 s). Prints the transcript on stdout.
 *
 * @module
 */

import { z } from "zod";
import { parseCommandLine, runCommand } from "./args.ts";
import { decodeAudioFile } from "../../decode/audio_file.ts";
import { dtwHeadsFor, VadModel, WhisperModel } from "../../ffi/whisper/mod.ts";
import { DEFAULT_MODEL, DEFAULT_VAD_MODEL, resolveModel } from "../models/resolve.ts";
import { transcribeOffline, type WordTimes } from "../engine/offline.ts";
import { renderTranscript, TRANSCRIPT_FORMATS } from "../transport/http/formats.ts";

const HELP = `Usage: deno task transcribe <file> [options]

Transcribes an audio file (WAV, FLAC, Ogg, MP3, ...) and prints the transcript.

Options:
  --model NAME|PATH     model name (tiny.en, base-q5_1, ...) or ggml file; default HUM_MODEL or ${DEFAULT_MODEL}
  --format FMT          text | json | srt | vtt; default text
  --threads N           CPU threads; default min(4, cores)
  --language XX|auto    spoken language; default en (auto-detect with multilingual models)
  --beam N              beam width, 1 = greedy; default 5
  --vad-model NAME|PATH Silero VAD model; default ${DEFAULT_VAD_MODEL}
  --no-vad              decode the whole file as whisper.cpp does (long files lose text)
  --max-window S        longest decoding window in seconds (2..30); default 28
  --prompt-previous     condition each window on the text of the previous one
  --word-times MODE     auto | dtw | timestamps | none; default auto: none for text, else dtw
                        (text decoded without timestamp tokens, word times from cross-attention)
                        when the model's alignment heads are known, timestamps otherwise
  --no-gpu              stay on the CPU even when the library has a GPU backend
  --verbose             timings and windows on stderr
  --help                this text
`;

const Options = z.object({
  file: z.string().min(1),
  model: z.string().min(1).optional(),
  format: z.enum(TRANSCRIPT_FORMATS).default("text"),
  threads: z.coerce.number().int().min(1).max(256).default(
    Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1)),
  ),
  language: z.string().regex(/^([a-z]{2,3}|auto)$/, "an ISO 639-1 code or auto").optional(),
  beam: z.coerce.number().int().min(1).max(16).default(5),
  vadModel: z.string().min(1).optional(),
  vad: z.boolean().default(true),
  maxWindow: z.coerce.number().min(2).max(30).default(28),
  promptPrevious: z.boolean().default(false),
  wordTimes: z.enum(["auto", "dtw", "timestamps", "none"]).default("auto"),
  gpu: z.boolean().default(true),
  verbose: z.boolean().default(false),
});
type Options = z.infer<typeof Options>;

const VALUE_FLAGS: Record<string, string> = {
  "--model": "model",
  "--format": "format",
  "--threads": "threads",
  "--language": "language",
  "--beam": "beam",
  "--vad-model": "vadModel",
  "--max-window": "maxWindow",
  "--word-times": "wordTimes",
};
const BOOL_FLAGS: Record<string, [string, boolean]> = {
  "--no-vad": ["vad", false],
  "--prompt-previous": ["promptPrevious", true],
  "--no-gpu": ["gpu", false],
  "--verbose": ["verbose", true],
};

/** Parses command-line arguments; throws an Error with a one-line reason. */
export function parseArgs(args: string[]): Options | "help" {
  return parseCommandLine(args, { value: VALUE_FLAGS, bool: BOOL_FLAGS }, Options);
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
  const model = await WhisperModel.load(
    modelPath,
    wordTimes === "dtw"
      ? { useGpu: opts.gpu, flashAttn: false, dtwHeads: heads! }
      : { useGpu: opts.gpu },
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

if (import.meta.main) Deno.exit(await runCommand(Deno.args, HELP, parseArgs, transcribe));
