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
import { BatchRequestError, type Engine } from "../../engine/engine.ts";
import { modelId, type UploadLimits } from "./transcriptions.ts";
import type { ApiKeys } from "./auth.ts";
import { ServiceMetrics } from "../../telemetry/metrics.ts";

/** What the service is wired with (besides the engine). */
export interface ServiceOptions {
  maxSessions?: number;
  refuseWhenOverloaded?: RegistryOptions["refuseWhenOverloaded"];
  peer?: PeerOptions;
  staticFiles?: Record<string, string>;
  publicUrl?: string;
  /** Limits on file uploads. */
  uploads?: UploadLimits;
  /** Uploads transcribing at once (default 4). */
  maxUploads?: number;
  /** API keys (none: open). */
  apiKeys?: ApiKeys | null;
  /** Browser origins allowed (none: any). */
  allowedOrigins?: readonly string[];
  /** Longest a session may last, ms (default: no limit). */
  maxSessionMs?: number;
  /** Largest data-channel message a session takes, bytes. */
  maxMessageBytes?: number;
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
    maxSessionMs: opts.maxSessionMs,
    maxMessageBytes: opts.maxMessageBytes,
    onClosed: (s, reason) => {
      app?.sessionClosed(s);
      metrics?.sessionEnded(reason);
      metrics?.observeMedia(s.counters.media);
    },
    observeEvent: (e) => metrics?.observeEvent(e),
  });
  metrics = new ServiceMetrics({
    sessions: () => registry.size,
    capacity: () => registry.capacity,
    scheduler: () => engine.scheduler?.stats ?? null,
    models: () => engine.models.status,
  });
  if (engine.scheduler) engine.scheduler.onJob = (job) => metrics?.observeJob(job);
  const models = () => engine.servedModels.map((name) => ({ id: modelId(name), name }));
  app = new App({
    models,
    registry,
    engine,
    metrics,
    publicUrl: opts.publicUrl,
    staticFiles: opts.staticFiles,
    peer: opts.peer,
    apiKeys: opts.apiKeys,
    allowedOrigins: opts.allowedOrigins,
    maxUploads: opts.maxUploads,
    transcriptions: {
      transcribe: (samples, o) => engine.transcribe(samples, o),
      isRequestError: (err) => err instanceof BatchRequestError,
      limits: opts.uploads,
    },
  });
  return { app, registry, metrics };
}
