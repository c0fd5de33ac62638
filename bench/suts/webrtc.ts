/**
 * The service end to end as a SUT: each item is streamed by the command-line WebRTC client
 * ({@linkcode runClient}) — as an Opus media track, PCM16 frames or privacy-mode mel frames, or
 * PCM16 frames over a WebSocket — or by the official Python openai package's Realtime client
 * (`transport: realtime`, `realtime_client.ts`) at
 * the speaker's pace by default, with event times taken on the client's clock, so latencies
 * include the transport both ways. Without a `url` the harness starts the service for the run
 * config on 127.0.0.1: in its own process (`server: inprocess`), or as a process apart
 * (`server: process`, whose CPU and peak memory are then the SUT's figures, as in the load test).
 * With a run config's `concurrency`, N clients stream each item at once.
 *
 * @module
 */

import { runClient } from "../../client/cli.ts";
import { realtimeToEvents, runRealtimeClient } from "./realtime_client.ts";
import { wireService } from "../../server/cli/wire.ts";
import { Engine } from "../../server/engine/engine.ts";
import { startServerProcess } from "../loadtest/server_process.ts";
import { processCpuS } from "../harness/usage.ts";
import { parseEvent, type TranscriptEvent } from "../../protocol/events.ts";
import { EndedSchema } from "../../protocol/control.ts";
import type { RunConfig, SutDef } from "../definition.ts";
import type { ResolvedModels, Sut } from "./sut.ts";

/** Opens the webrtc SUT: against `def.url`, or a service started here. */
export async function webrtcSut(
  def: Extract<SutDef, { kind: "webrtc" }>,
  config: RunConfig,
  models: ResolvedModels,
): Promise<Sut> {
  let url = def.url;
  let stop: (() => Promise<void>) | null = null;
  let apart: Awaited<ReturnType<typeof startServerProcess>> | null = null;
  // Room for the sweep's sessions; refusing them under load is admission's job, not measured here.
  const maxSessions = Math.max(64, config.concurrency);
  if (!url && def.server === "process") {
    apart = await startServerProcess({
      model: models.model,
      vadModel: models.vadModel,
      maxSessions,
      args: ["--no-refuse-when-overloaded", ...(config.backend === "gpu" ? [] : ["--no-gpu"])],
    });
    url = apart.url;
    stop = () => apart!.stop();
  } else if (!url) {
    const engine = new Engine({
      model: models.model,
      vadModel: models.vadModel,
      useGpu: config.backend === "gpu",
      intents: null,
    });
    const { app } = wireService(engine, { maxSessions, refuseWhenOverloaded: false });
    const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, app.handle);
    url = `http://127.0.0.1:${server.addr.port}`;
    stop = async () => {
      await app!.close();
      await server.shutdown();
      await engine.close();
    };
  }
  const overrides = { threads: config.threads, ...config.overrides };
  return {
    name: def.name,
    kind: "webrtc",
    // The service started here shares the harness process; a remote one is measured elsewhere.
    inProcess: !def.url && !apart,
    describe: () => ({
      url: def.url ?? (apart ? "started as a process apart" : "started in the harness process"),
      transport: def.transport,
      realtime: def.realtime,
      mode: config.mode,
      overrides,
      model: models.model,
      clock: "client",
    }),
    async run(item, samples) {
      const t0 = performance.now();
      if (def.transport === "realtime") {
        const received = await runRealtimeClient(url!, await samples(), config.mode ?? "balanced");
        const events = realtimeToEvents(received);
        const text = events.flatMap((e) => e.type === "final" ? [e.text] : []).join(" ");
        return { text, wallS: (performance.now() - t0) / 1000, events };
      }
      const r = await runClient({
        url: url!,
        file: item.audioPath,
        transport: def.transport,
        mode: config.mode,
        overrides,
        realtime: def.realtime,
        clock: "client",
        timeout: Math.max(120, (item.durationS ?? 60) * 4),
      });
      const wallS = (performance.now() - t0) / 1000;
      if (r.error) throw new Error(`${item.id} over ${def.transport}: ${r.error}`);
      const events: TranscriptEvent[] = r.messages
        .filter((m) => typeof m.seq === "number")
        .map((m) => parseEvent(JSON.stringify(m)));
      const text = events.flatMap((e) => e.type === "final" ? [e.text] : []).join(" ");
      const childPeakRssMb = apart ? (await apart.memory()).peakRssMb : undefined;
      const ended = EndedSchema.safeParse(r.messages.find((m) => m.type === "ended"));
      const media = ended.success ? ended.data.media : undefined;
      return {
        text,
        wallS,
        events,
        ...(childPeakRssMb ? { childPeakRssMb } : {}),
        ...(media ? { media: { packets: media.packets, lost: media.lost } } : {}),
      };
    },
    ...(apart ? { cpuSeconds: () => processCpuS(apart!.pid) } : {}),
    close: async () => {
      await stop?.();
    },
  };
}
