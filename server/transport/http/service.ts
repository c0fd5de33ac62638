/**
 * Wires a service around an engine: the session registry (admission), the metrics fed by every
 * session's events and the scheduler's jobs, and the HTTP app. `deno task start` and the test
 * server both use it, so they serve the same thing.
 *
 * @module
 */

import { App } from "./app.ts";
import type { PeerOptions } from "../webrtc/peer.ts";
import { type RegistryOptions, SessionRegistry } from "../../session/registry.ts";
import type { Engine } from "../../engine/engine.ts";
import { ServiceMetrics } from "../../telemetry/metrics.ts";

/** What the service is wired with (besides the engine). */
export interface ServiceOptions {
  maxSessions?: number;
  refuseWhenOverloaded?: RegistryOptions["refuseWhenOverloaded"];
  peer?: PeerOptions;
  staticFiles?: Record<string, string>;
  publicUrl?: string;
}

/** The wired service. */
export interface Service {
  app: App;
  registry: SessionRegistry;
  metrics: ServiceMetrics;
}

/** Wires the registry, metrics and app around `engine`. */
export function wireService(engine: Engine, opts: ServiceOptions = {}): Service {
  let app: App | null = null;
  let metrics: ServiceMetrics | null = null;
  const registry = new SessionRegistry(engine, {
    maxSessions: opts.maxSessions,
    refuseWhenOverloaded: opts.refuseWhenOverloaded,
    onClosed: (s, reason) => {
      app?.sessionClosed(s);
      metrics?.sessionEnded(reason);
      metrics?.observeMedia(s.counters.media);
    },
    onEvent: (e) => metrics?.observeEvent(e),
  });
  metrics = new ServiceMetrics({
    sessions: () => registry.size,
    capacity: () => registry.capacity,
    scheduler: () => engine.scheduler?.stats ?? null,
    models: () => engine.models.status,
  });
  if (engine.scheduler) engine.scheduler.onJob = (job) => metrics?.observeJob(job);
  app = new App({
    registry,
    engine,
    metrics,
    publicUrl: opts.publicUrl,
    staticFiles: opts.staticFiles,
    peer: opts.peer,
  });
  return { app, registry, metrics };
}
