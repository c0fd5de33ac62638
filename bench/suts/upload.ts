/**
 * The service's file transcription as a SUT: each item is posted to
 * `POST /v1/audio/transcriptions` (multipart, as an OpenAI client would), and the wall time from
 * sending the request to the answer is the processing time: upload, decoding, VAD and the beam
 * search of every window, as a user waits for it. Without a `url` the service runs as a process of
 * its own for the run config, so its CPU and peak memory are the SUT's figures. The service
 * decodes uploads with its own settings (beam 5, 2 threads): a run config asking for others is
 * refused rather than measured under a wrong label.
 *
 * @module
 */

import { basename } from "node:path";
import { startServerProcess } from "../loadtest/server_process.ts";
import { processCpuS } from "../harness/usage.ts";
import type { RunConfig, SutDef } from "../definition.ts";
import type { ResolvedModels, Sut } from "./sut.ts";

/** Opens the upload SUT: against `def.url`, or a service started as a process. */
export async function uploadSut(
  def: Extract<SutDef, { kind: "upload" }>,
  config: RunConfig,
  models: ResolvedModels,
): Promise<Sut> {
  if (config.beam !== 5 || config.threads !== 2) {
    throw new Error(
      `Cannot run ${def.name}: the service decodes uploads with beam 5 on 2 threads; ` +
        `the run config asks for beam ${config.beam} on ${config.threads} threads`,
    );
  }
  const apart = def.url ? null : await startServerProcess({
    model: models.model,
    vadModel: models.vadModel,
    args: [...(config.backend === "gpu" ? [] : ["--no-gpu"]), "--max-upload-s", "86400"],
  });
  const url = def.url ?? apart!.url;
  return {
    name: def.name,
    kind: "upload",
    inProcess: false,
    describe: () => ({
      url: def.url ?? "started as a process apart",
      endpoint: "POST /v1/audio/transcriptions",
      response_format: def.response_format,
      model: models.model,
      beam: 5,
      threads: 2,
    }),
    async run(item) {
      const bytes = await Deno.readFile(item.audioPath);
      const form = new FormData();
      form.append("file", new Blob([bytes]), basename(item.audioPath));
      form.append("response_format", def.response_format);
      const t0 = performance.now();
      const res = await fetch(`${url}/v1/audio/transcriptions`, { method: "POST", body: form });
      const body = await res.text();
      const wallS = (performance.now() - t0) / 1000;
      if (!res.ok) throw new Error(`${item.id}: the service answered ${res.status}: ${body}`);
      const text = def.response_format === "text" ? body.trim() : JSON.parse(body).text as string;
      const childPeakRssMb = apart ? (await apart.memory()).peakRssMb : undefined;
      return { text, wallS, ...(childPeakRssMb ? { childPeakRssMb } : {}) };
    },
    ...(apart ? { cpuSeconds: () => processCpuS(apart.pid) } : {}),
    close: async () => {
      await apart?.stop();
    },
  };
}
