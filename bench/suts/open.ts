/**
 * Prepares a system under test by its kind: the one place that knows every implementation (the
 * interface in `sut.ts` knows none of them).
 *
 * @module
 */

import type { RunConfig, SutDef } from "../definition.ts";
import { ensureWhisperBuild } from "../../ffi/whisper/build.ts";
import type { ResolvedModels, Sut } from "./sut.ts";
import { commandSut, whisperCliSut } from "./external.ts";
import { offlineSut, streamSut } from "./inprocess.ts";
import { webrtcSut } from "./webrtc.ts";
import { uploadSut } from "./upload.ts";

/** Prepares a SUT for a run config. */
export async function openSut(
  def: SutDef,
  config: RunConfig,
  models: ResolvedModels,
): Promise<Sut> {
  switch (def.kind) {
    case "offline":
      return await offlineSut(def.name, config, models);
    case "stream":
      return streamSut(def.name, config, models, def.realtime);
    case "whisper-cli": {
      const build = await ensureWhisperBuild({ quiet: true });
      if (!build.cli) throw new Error(`Cannot run ${def.name}: the whisper.cpp build has no CLI`);
      return whisperCliSut(def.name, build.cli, config, models, def.vad);
    }
    case "command":
      return commandSut(def, config, models);
    case "webrtc":
      return await webrtcSut(def, config, models);
    case "upload":
      return await uploadSut(def, config, models);
  }
}
