/**
 * SUTs that run hum-helix in the harness process, through the same FFI paths the service uses:
 * `offline` (VAD windows of ≤ 28 s, beam search: `deno task transcribe`'s path) and `stream` (the
 * streaming engine on a computationally aware simulated clock, or in real time: `deno task
 * stream`'s path).
 * Models load once per run config; only the work on each item is timed.
 *
 * @module
 */

import { VadModel, WhisperModel } from "../../ffi/whisper/mod.ts";
import { transcribeOffline } from "../../server/engine/offline.ts";
import { Engine } from "../../server/engine/engine.ts";
import { RealClock, SimulatedClock } from "../../server/engine/clock.ts";
import { feedRealtime, feedSimulated } from "../../server/engine/feed.ts";
import { numbered } from "../../server/session/numbering.ts";
import type { TranscriptEvent } from "../../protocol/events.ts";
import type { RunConfig } from "../definition.ts";
import type { ResolvedModels, Sut } from "./sut.ts";

/** What both in-process SUTs describe alike: model files, threads, backend. */
function shared(config: RunConfig, models: ResolvedModels): Record<string, unknown> {
  return {
    model: models.model,
    vad_model: models.vadModel,
    threads: config.threads,
    backend: config.backend,
  };
}

/** hum-helix's offline transcription, in process. */
export async function offlineSut(
  name: string,
  config: RunConfig,
  models: ResolvedModels,
): Promise<Sut> {
  const model = await WhisperModel.load(models.model, { useGpu: config.backend === "gpu" });
  const state = await model.createState();
  const vad = await VadModel.load(models.vadModel);
  return {
    name,
    kind: "offline",
    inProcess: true,
    describe: () => ({
      path: "server/engine/offline.ts transcribeOffline (as deno task transcribe)",
      ...shared(config, models),
      beam: config.beam,
    }),
    async run(_item, samples) {
      const audio = await samples();
      const t0 = performance.now();
      const t = await transcribeOffline(state, audio, {
        decode: {
          strategy: config.beam > 1 ? "beam" : "greedy",
          beamSize: config.beam > 1 ? config.beam : undefined,
          threads: config.threads,
          language: model.info.multilingual ? "auto" : "en",
        },
        vad,
        wordTimes: "none",
      });
      const wallS = (performance.now() - t0) / 1000;
      return { text: t.segments.map((s) => s.text).join(" "), wallS };
    },
    close() {
      state.close();
      vad.close();
      model.close();
      return Promise.resolve();
    },
  };
}

/** The streaming engine, in process, on a simulated clock that advances with compute time. */
export function streamSut(
  name: string,
  config: RunConfig,
  models: ResolvedModels,
  realtime = false,
): Sut {
  const engine = new Engine({
    model: models.model,
    vadModel: models.vadModel,
    useGpu: config.backend === "gpu",
    intents: null,
  });
  return {
    name,
    kind: "stream",
    inProcess: true,
    describe: () => ({
      path: `server/engine/stream.ts ${
        realtime ? "in real time" : "on a simulated clock"
      } (as deno task stream${realtime ? " --realtime" : ""})`,
      ...shared(config, models),
      mode: config.mode,
      overrides: config.overrides,
    }),
    async run(item, samples) {
      const audio = await samples();
      const events: TranscriptEvent[] = [];
      const clock = realtime ? new RealClock() : new SimulatedClock();
      const session = await engine.open({
        mode: config.mode,
        overrides: { threads: config.threads, ...config.overrides },
        clock,
        sessionId: item.id,
      });
      const reading = (async () => {
        for await (const e of numbered(session)) events.push(e);
      })();
      const t0 = performance.now();
      try {
        if (clock instanceof SimulatedClock) await feedSimulated(session, audio, clock);
        else await feedRealtime(session, audio);
      } finally {
        await session.close();
        await reading;
      }
      const wallS = (performance.now() - t0) / 1000;
      const text = events.flatMap((e) => e.type === "final" ? [e.text] : []).join(" ");
      return { text, wallS, events };
    },
    close: () => engine.close(),
  };
}
