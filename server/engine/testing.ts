/**
 * For tests: a fake {@linkcode Transcriber}, so session, transport, bad-input and fault tests run
 * without whisper where whisper is not what they test (the VAD stays real). It answers each
 * decode from a script: the words said, timed on the stream's time (each decode hears the words
 * inside its window, as a perfect recognizer would), or a function of the request.
 *
 * @example Streaming jfk through an engine whose sessions "hear" a script
 * ```ts ignore
 * const engine = new Engine({ vadModel, transcribers: fakeTranscribers({ script: JFK_WORDS }) });
 * ```
 *
 * @module
 */

import type { DegradeLevel } from "./scheduler.ts";
import type { Engine } from "./engine.ts";
import { SimulatedClock } from "./clock.ts";
import { feedSimulated } from "./feed.ts";
import type { ModeName } from "../../protocol/modes.ts";
import {
  type DecodeRequest,
  type Hypothesis,
  noCounts,
  type Transcriber,
  type TranscriberCounts,
  type TranscriberFactory,
} from "./transcriber.ts";
import type { TimedWord } from "../../protocol/transcript.ts";

/** What a {@linkcode FakeTranscriber} answers a decode with (`text`: the words joined). */
export type FakeAnswer = Partial<Hypothesis>;

/**
 * A fake's script: the words said, timed on the stream's time, ms (a decode hears those that lie
 * wholly inside its window); or a function of the request and the decode's number (0, 1, …).
 */
export type FakeScript =
  | readonly TimedWord[]
  | ((req: DecodeRequest, call: number) => FakeAnswer | Promise<FakeAnswer>);

/** How a {@linkcode FakeTranscriber} behaves. */
export interface FakeTranscriberOptions {
  /** What decodes hear; default nothing. */
  script?: FakeScript;
  /**
   * Wall time each decode takes, ms (a real wait; a simulated session clock charges it as
   * compute, as it does a real decode's time). Default 0.
   */
  decodeMs?: number;
  /** Live sessions per slot it reports (a scheduler's `loadShare`); default 1. */
  loadShare?: number;
}

/** A scripted transcriber; see the module doc. Records every request. */
export class FakeTranscriber implements Transcriber {
  /** Every decode asked for, in order. */
  readonly requests: DecodeRequest[] = [];
  readonly #opts: FakeTranscriberOptions;
  readonly #counts: TranscriberCounts = noCounts();
  #closed = false;

  constructor(opts: FakeTranscriberOptions = {}) {
    this.#opts = opts;
  }

  get counts(): Readonly<TranscriberCounts> {
    return this.#counts;
  }

  /** A fake waits for no scheduler. */
  get scheduled(): boolean {
    return false;
  }

  get degradeLevel(): DegradeLevel {
    return 0;
  }

  get loadShare(): number {
    return this.#opts.loadShare ?? 1;
  }

  /** Whether `close()` was called (the session freed its transcriber). */
  get closed(): boolean {
    return this.#closed;
  }

  cancel(): void {}

  close(): void {
    this.#closed = true;
  }

  /** Answers from the script, after `decodeMs` charged through the session's clock. */
  async decode(req: DecodeRequest): Promise<Hypothesis> {
    if (this.#closed) throw new Error("Cannot decode: the transcriber is closed");
    const call = this.#counts.decodes++;
    this.requests.push(req);
    req.onRun?.();
    const ms = this.#opts.decodeMs ?? 0;
    await req.measure(() => ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());
    const script = this.#opts.script ?? [];
    const answer = typeof script === "function"
      ? await script(req, call)
      : { words: heard(script, req) };
    const words = answer.words ?? [];
    return {
      words,
      text: answer.text ?? words.map((w) => w.word).join(" "),
      rejected: answer.rejected ?? null,
      ...(answer.continued ? { continued: true as const } : {}),
    };
  }
}

/** The words of `script` that lie wholly inside the request's window. */
function heard(script: readonly TimedWord[], req: DecodeRequest): TimedWord[] {
  const { startMs, durationMs } = req.window;
  return script.filter((w) => w.startMs >= startMs && w.endMs <= startMs + durationMs)
    .map((w) => ({ ...w }));
}

/**
 * A factory for an engine's `transcribers`: a new {@linkcode FakeTranscriber} per session, each
 * listed in `made` (in the order sessions opened).
 */
export function fakeTranscribers(
  opts: FakeTranscriberOptions = {},
): TranscriberFactory & { made: FakeTranscriber[] } {
  const made: FakeTranscriber[] = [];
  const factory = () => {
    const t = new FakeTranscriber(opts);
    made.push(t);
    return Promise.resolve(t);
  };
  return Object.assign(factory, { made });
}

/**
 * What jfk.wav (`speech/jfk/jfk.wav` in the shared data) says, word by word, ms on its own time:
 * tiny.en's words and times (`deno task transcribe jfk.wav --format json --word-times
 * timestamps`).
 */
export const JFK_WORDS: readonly TimedWord[] = [
  { word: "And", startMs: 320, endMs: 400, p: 0.6654 },
  { word: "so", startMs: 400, endMs: 520, p: 0.9714 },
  { word: "my", startMs: 690, endMs: 940, p: 0.5715 },
  { word: "fellow", startMs: 940, endMs: 1750, p: 0.9991 },
  { word: "Americans", startMs: 1750, endMs: 2110, p: 0.8532 },
  { word: "ask", startMs: 3290, endMs: 3650, p: 0.5767 },
  { word: "not", startMs: 4000, endMs: 4300, p: 0.8085 },
  { word: "what", startMs: 5410, endMs: 5570, p: 0.7551 },
  { word: "your", startMs: 5650, endMs: 5830, p: 0.973 },
  { word: "country", startMs: 5970, endMs: 6340, p: 0.984 },
  { word: "can", startMs: 6340, endMs: 6650, p: 0.9539 },
  { word: "do", startMs: 6670, endMs: 6880, p: 0.9899 },
  { word: "for", startMs: 6880, endMs: 6900, p: 0.9177 },
  { word: "you", startMs: 7010, endMs: 7550, p: 0.9634 },
  { word: "ask", startMs: 8220, endMs: 8220, p: 0.8834 },
  { word: "what", startMs: 8270, endMs: 8470, p: 0.9907 },
  { word: "you", startMs: 8630, endMs: 8880, p: 0.9938 },
  { word: "can", startMs: 8880, endMs: 9160, p: 0.9974 },
  { word: "do", startMs: 9160, endMs: 9350, p: 0.9984 },
  { word: "for", startMs: 9350, endMs: 9620, p: 0.9983 },
  { word: "your", startMs: 9620, endMs: 9920, p: 0.9963 },
  { word: "country.", startMs: 10000, endMs: 10760, p: 0.7985 },
];

/**
 * For tests with the real model: the finals' texts of `samples` streamed through a session of
 * `engine` on `clock` (default: one that charges no time for work, so the decode points fall every
 * `minChunkMs` of audio however fast the machine is).
 */
export async function streamFinals(
  engine: Engine,
  samples: Float32Array,
  opts: { mode?: ModeName; overrides?: unknown; clock?: SimulatedClock } = {},
): Promise<string[]> {
  const clock = opts.clock ?? new SimulatedClock({ charge: () => 0 });
  const s = await engine.open({ mode: opts.mode, clock, overrides: opts.overrides });
  const texts: string[] = [];
  const reading = (async () => {
    for await (const ev of s) if (ev.type === "final") texts.push(ev.text);
  })();
  try {
    await feedSimulated(s, samples, clock);
  } finally {
    await s.close();
  }
  await reading;
  return texts;
}
