/**
 * The service end to end as a SUT: each item is streamed by the command-line WebRTC client
 * ({@linkcode runClient}) — as an Opus media track, PCM16 frames or privacy-mode mel frames — at
 * the speaker's pace by default, with event times taken on the client's clock, so latencies
 * include the transport both ways. Without a `url` the harness starts the service in its own
 * process for the run config (on 127.0.0.1, a free port).
 *
 * @module
 */

import { runClient } from "../../client/cli.ts";
import { App } from "../../server/transport/http/app.ts";
import { SessionRegistry } from "../../server/session/registry.ts";
import { Engine } from "../../server/engine/engine.ts";
import { parseEvent, type TranscriptEvent } from "../../server/events/protocol.ts";
import type { RunConfig, SutDef } from "../definition.ts";
import type { ResolvedModels, Sut } from "./sut.ts";

/** Opens the webrtc SUT: against `def.url`, or a service started here. */
export function webrtcSut(
  def: Extract<SutDef, { kind: "webrtc" }>,
  config: RunConfig,
  models: ResolvedModels,
): Sut {
  let url = def.url;
  let stop: (() => Promise<void>) | null = null;
  if (!url) {
    const engine = new Engine({
      model: models.model,
      vadModel: models.vadModel,
      useGpu: config.backend === "gpu",
      intents: null,
    });
    let app: App | null = null;
    const registry = new SessionRegistry(engine, { onClosed: (s) => app?.sessionClosed(s) });
    app = new App({ registry });
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
    inProcess: !def.url,
    describe: () => ({
      url: def.url ?? "started in the harness process",
      transport: def.transport,
      realtime: def.realtime,
      mode: config.mode,
      overrides,
      model: models.model,
      clock: "client",
    }),
    async run(item) {
      const t0 = performance.now();
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
      return { text, wallS, events };
    },
    close: async () => {
      await stop?.();
    },
  };
}
