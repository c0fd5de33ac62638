/**
 * The harness's view of a system under test (SUT): prepared once per run config, then run on one
 * workload item at a time. In-process SUTs (`offline`, `stream`) share the harness process;
 * external ones (`whisper-cli`, `command`) run a program per item. Every SUT reports the text it
 * produced and the processing time; streaming SUTs add their events (latency metrics), and the
 * harness measures CPU and peak memory around each call. `open.ts` prepares one by kind.
 *
 * @module
 */

import type { WorkloadItem } from "../workloads/dataset.ts";
import type { SutDef } from "../definition.ts";
import type { TranscriptEvent } from "../../protocol/events.ts";
import type { MediaReceived } from "../../protocol/control.ts";

/** What one SUT call produced. */
export interface SutOutput {
  text: string;
  /** Processing time, seconds (what RTFx is computed from). */
  wallS: number;
  /** A streaming SUT's events, for latency metrics. */
  events?: TranscriptEvent[];
  /** Peak RSS of an external program, MB. */
  childPeakRssMb?: number;
  /** What the service received on a media track (its `ended` message), for SUTs that send one. */
  media?: Pick<MediaReceived, "packets" | "lost">;
}

/** A prepared SUT. */
export interface Sut {
  readonly name: string;
  readonly kind: SutDef["kind"];
  /** Whether it runs in the harness process (its CPU and memory are the harness's). */
  readonly inProcess: boolean;
  /** What it runs, for provenance: command lines, model files, settings. */
  describe(): Record<string, unknown>;
  run(item: WorkloadItem, samples: () => Promise<Float32Array>): Promise<SutOutput>;
  /** CPU seconds used so far by a process the SUT runs apart (a server), if it has one. */
  cpuSeconds?(): number;
  close(): Promise<void>;
}

/** Model and VAD files a run config resolves to (for SUTs and provenance). */
export interface ResolvedModels {
  model: string;
  vadModel: string;
}
