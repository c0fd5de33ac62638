/**
 * `deno task stream <file> [options]`: runs the streaming engine on an audio file and prints its
 * events as JSON lines. With `--realtime` the audio is paced at wall-clock speed; without it the
 * run is a computationally aware simulation (audio arrives on a clock that advances with the
 * compute time spent), so latencies include processing without waiting in real time.
 *
 * @module
 */

import { z } from "zod";
import { type CommandSpec, type FlagTable, helpText, parseFlags } from "../../util/flags.ts";
import { runCommand } from "../../util/command.ts";
import { decodeAudioFile } from "../../decode/audio_file.ts";
import { Engine } from "../engine/engine.ts";
import { feedRealtime, feedSimulated } from "../engine/feed.ts";
import { RealClock, SimulatedClock } from "../engine/clock.ts";
import { MODE_NAMES } from "../../protocol/modes.ts";
import {
  ATTENTION_FLAG,
  AUDIO_FILE,
  flashAttnFor,
  MODEL_FLAG,
  NO_GPU_FLAG,
  VAD_MODEL_FLAG,
  withAudioFile,
} from "./model_flags.ts";
import { DEFAULT_MODEL } from "../models/resolve.ts";
import { loadDefaultIntentClassifier } from "../intent/rules.ts";
import type { TranscriptEvent } from "../../protocol/events.ts";
import { MEL_BINS, melFrame, parseFrame } from "../../protocol/audio_frames.ts";
import { dequantizeMel } from "../../decode/mel_input.ts";
import { LogMel } from "../../protocol/mel.ts";
import type { Deliver } from "../engine/feed.ts";
import { numbered } from "../session/numbering.ts";

function settingValue(v: string): number | boolean | string {
  if (v === "true" || v === "false") return v === "true";
  return v.trim() !== "" && Number.isFinite(Number(v)) ? Number(v) : v;
}

/** The flags of `deno task stream`. */
export const STREAM_FLAGS = {
  mode: {
    flag: "--mode",
    arg: "M",
    schema: z.enum(MODE_NAMES).default("balanced"),
    help: "latency | balanced | accuracy",
  },
  model: {
    ...MODEL_FLAG,
    defaultHelp: `the mode's, else HUM_MODEL or ${DEFAULT_MODEL}`,
    help: "model",
  },
  realtime: {
    flag: "--realtime",
    schema: z.boolean().default(false),
    help: "pace audio at wall-clock speed (default: simulated clock)",
  },
  chargeMs: {
    flag: "--charge-ms",
    arg: "N",
    schema: z.coerce.number().min(0).max(60_000).optional(),
    defaultHelp: "the decode's real time",
    help: "with the simulated clock, charge each piece of work N ms instead of its real time: " +
      "decode points, and so the transcript, no longer depend on the machine's speed",
  },
  input: {
    flag: "--input",
    arg: "pcm|mel",
    schema: z.enum(["pcm", "mel"]).default("pcm"),
    help: "what the engine takes: samples (pcm), or the privacy mode's 8-bit log-mel frames " +
      "(mel), computed and quantized as a client does",
  },
  set: {
    flag: "--set",
    arg: "KEY=VALUE",
    schema: z.record(z.string(), z.union([z.number(), z.boolean(), z.string()])).default({}),
    repeat: (previous: unknown, kv: string) => {
      const m = kv.match(/^([A-Za-z]\w*)=(.*)$/s);
      if (!m) throw new Error(`Cannot parse arguments: --set needs KEY=VALUE (got ${kv})`);
      return { ...(previous as Record<string, unknown> | undefined), [m[1]]: settingValue(m[2]) };
    },
    help: "override one stream setting (repeatable), e.g. --set minChunkMs=700",
  },
  vadModel: VAD_MODEL_FLAG,
  out: {
    flag: "--out",
    arg: "PATH",
    schema: z.string().min(1).optional(),
    help: "write the events there instead of stdout",
  },
  intent: {
    flag: "--no-intent",
    sets: false,
    schema: z.boolean().default(true),
    help: "no intent classification",
  },
  gpu: NO_GPU_FLAG,
  attention: ATTENTION_FLAG,
  summary: {
    flag: "--summary",
    schema: z.boolean().default(false),
    help: "one line of figures on stderr at the end",
  },
} as const satisfies FlagTable;

/** `deno task stream`: its usage and flags. */
export const STREAM_COMMAND: CommandSpec<typeof STREAM_FLAGS> = {
  usage: "deno task stream <file> [options]",
  about: "Streams an audio file through the engine and prints transcript events as JSON lines.",
  flags: STREAM_FLAGS,
  positional: AUDIO_FILE,
};

const Options = withAudioFile(STREAM_FLAGS);
type Options = z.infer<typeof Options>;

/** Parses command-line arguments; throws an Error with a one-line reason. */
export function parseArgs(args: string[]): Options | "help" {
  const opts = parseFlags(STREAM_COMMAND, Options, args);
  if (opts !== "help" && opts.realtime && opts.chargeMs !== undefined) {
    throw new Error(
      "Cannot parse arguments: --charge-ms is for the simulated clock, not --realtime",
    );
  }
  return opts;
}

async function stream(opts: Options): Promise<number> {
  const audio = await decodeAudioFile(opts.file);
  const engine = new Engine({
    model: opts.model,
    vadModel: opts.vadModel,
    useGpu: opts.gpu,
    flashAttn: flashAttnFor(opts.attention),
    intents: opts.intent ? await loadDefaultIntentClassifier() : null,
  });
  const out = opts.out
    ? await Deno.open(opts.out, { write: true, create: true, truncate: true })
    : null;
  const enc = new TextEncoder();
  const lines: string[] = [];
  let commits = 0;
  let finals = 0;
  let maxLag = 0;
  let rtf = 0;
  const ran = { rolling: 0, final: 0, batch: 0 };
  const runs = { rolling: 0, final: 0, batch: 0 };
  if (engine.scheduler) {
    engine.scheduler.onJob = (job) => {
      if (job.ranMs === undefined) return;
      ran[job.kind] += job.ranMs;
      runs[job.kind]++;
    };
  }
  const onEvent = (e: TranscriptEvent) => {
    lines.push(JSON.stringify(e));
    if (e.type === "commit") commits += e.words.length;
    if (e.type === "final") finals++;
    if (e.type === "stats") {
      maxLag = Math.max(maxLag, e.lagMs);
      rtf = e.rtf;
    }
  };
  const flushLines = async () => {
    if (!lines.length) return;
    const chunk = enc.encode(lines.join("\n") + "\n");
    lines.length = 0;
    if (out) await out.write(chunk);
    else await Deno.stdout.write(chunk);
  };
  const charged = opts.chargeMs;
  const clock = opts.realtime
    ? new RealClock()
    : new SimulatedClock(charged === undefined ? {} : { charge: () => charged });
  try {
    const session = await engine.open({
      mode: opts.mode,
      overrides: { ...opts.set, ...(opts.model ? { model: opts.model } : {}) },
      clock,
      sessionId: opts.file,
    });
    const reading = (async () => {
      for await (const e of numbered(session)) onEvent(e);
    })();
    const timer = setInterval(() => void flushLines(), 200);
    try {
      const deliver = opts.input === "mel" ? melDeliver() : undefined;
      if (clock instanceof SimulatedClock) {
        await feedSimulated(session, audio.samples, clock, undefined, deliver);
      } else await feedRealtime(session, audio.samples, { deliver });
    } finally {
      clearInterval(timer);
      await session.close();
      await reading;
      await flushLines();
    }
    if (opts.summary) {
      console.error(
        `${opts.file}: ${audio.durationS.toFixed(1)} s audio, mode ${opts.mode}, ` +
          `${opts.realtime ? "real time" : "simulated"}; ${finals} segments, ${commits} words; ` +
          `RTF ${rtf.toFixed(3)}, max lag ${maxLag} ms; decodes: ${runs.rolling} rolling ` +
          `${(ran.rolling / 1000).toFixed(1)} s, ${runs.final} closing ` +
          `${(ran.final / 1000).toFixed(1)} s`,
      );
    }
    return 0;
  } finally {
    out?.close();
    await engine.close();
  }
}

/**
 * The privacy mode's wire, in process: each frame of samples becomes log-mel frames, quantized to
 * 8 bits as a client sends them, and dequantized as the server receives them.
 */
export function melDeliver(): Deliver {
  const logMel = new LogMel();
  let seq = 0;
  return (session, samples) => {
    const all = logMel.push(samples);
    // One message per 100 ms at most, as the page sends them.
    for (let i = 0; i < all.length; i += 10 * MEL_BINS) {
      const mel = all.subarray(i, i + 10 * MEL_BINS);
      const frame = parseFrame(melFrame(seq++, mel));
      if (frame.kind !== "mel") throw new Error("a mel frame did not read back as one");
      session.pushMel(dequantizeMel(frame.bins, frame.lo, frame.hi));
    }
  };
}

if (import.meta.main) {
  Deno.exit(await runCommand(Deno.args, helpText(STREAM_COMMAND), parseArgs, stream));
}
