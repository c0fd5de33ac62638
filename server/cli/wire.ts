/**
 * Wires a service around an engine: the session registry (admission), the metrics fed by every
 * session's events and the scheduler's jobs, and the HTTP app, handed the registry, the engine's
 * models and queue, its file transcription and the metrics through the interfaces the transport
 * declares (`server/transport/http/providers.ts`). `deno task start` and the test server both use
 * it, so they serve the same thing.
 *
 * @module
 */

import { App } from "../transport/http/app.ts";
import type { PeerOptions } from "../transport/webrtc/peer.ts";
import type { ModelCatalog, StatusProvider } from "../transport/http/providers.ts";
import type { TranscriptionService, UploadLimits } from "../transport/http/transcriptions.ts";
import type { ApiKeys } from "../transport/http/auth.ts";
import { type RegistryOptions, SessionRegistry } from "../session/registry.ts";
import { BatchRequestError, type Engine } from "../engine/engine.ts";
import { lookupModel, modelId, servedModels } from "../engine/model_registry.ts";
import { ServiceMetrics } from "../telemetry/metrics.ts";

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
  /** Uploads in flight at once from one client address (default 2). */
  maxUploadsPerClient?: number;
  /** API keys (none: open). */
  apiKeys?: ApiKeys | null;
  /** Browser origins allowed (none: any). */
  allowedOrigins?: readonly string[];
  /** Longest a session may last, ms (default: no limit). */
  maxSessionMs?: number;
  /** Largest data-channel message a session takes, bytes. */
  maxMessageBytes?: number;
  /** Sessions not yet connected at once, all clients together (default 16). */
  maxPending?: number;
  /** Sessions not yet connected at once from one client address (default 4). */
  maxPendingPerClient?: number;
  /** Where each session's end is logged, one line (default `console.error`). */
  log?: (line: string) => void;
}

/** The wired service. */
export interface Service {
  app: App<SessionRegistry>;
  registry: SessionRegistry;
  metrics: ServiceMetrics;
}

/** Wires the registry, metrics and app around `engine`. */
export function wireService(engine: Engine, opts: ServiceOptions = {}): Service {
  let app: App<SessionRegistry> | null = null;
  let metrics: ServiceMetrics | null = null;
  const registry = new SessionRegistry(engine, {
    maxSessions: opts.maxSessions,
    refuseWhenOverloaded: opts.refuseWhenOverloaded,
    maxSessionMs: opts.maxSessionMs,
    maxMessageBytes: opts.maxMessageBytes,
    onClosed: (s, reason) => {
      app?.sessionClosed(s, reason);
      metrics?.sessionEnded(reason);
      metrics?.observeMedia(s.counters.media);
    },
    observeEvent: (e) => metrics?.observeEvent(e),
  });
  metrics = new ServiceMetrics({
    sessions: () => registry.size,
    capacity: () => registry.capacity,
    pending: () => app?.pending ?? 0,
    scheduler: () => engine.scheduler?.stats ?? null,
    models: () => engine.models.status,
  });
  if (engine.scheduler) engine.scheduler.onJob = (job) => metrics?.observeJob(job);
  app = new App({
    registry,
    models: modelCatalog(engine),
    status: inferenceStatus(engine),
    metrics,
    publicUrl: opts.publicUrl,
    staticFiles: opts.staticFiles,
    peer: opts.peer,
    apiKeys: opts.apiKeys,
    allowedOrigins: opts.allowedOrigins,
    maxUploads: opts.maxUploads,
    maxUploadsPerClient: opts.maxUploadsPerClient,
    maxPending: opts.maxPending,
    maxPendingPerClient: opts.maxPendingPerClient,
    log: opts.log,
    transcriptions: fileTranscription(engine, opts.uploads),
  });
  return { app, registry, metrics };
}

/** The engine's models as the app sees them: those a client may name, and their states. */
export function modelCatalog(engine: Engine): ModelCatalog {
  const served = () => servedModels(engine.servedModels);
  return {
    served,
    lookup: (requested) => lookupModel(served(), requested),
    idOf: modelId,
    states: () => engine.models.status,
  };
}

/** The engine's inference queue for `/v1/status`. */
export function inferenceStatus(engine: Engine): StatusProvider {
  return { queue: () => engine.scheduler?.stats ?? null };
}

/** Uploads transcribed by the engine, within `limits`. */
export function fileTranscription(engine: Engine, limits?: UploadLimits): TranscriptionService {
  return {
    transcribe: (samples, o) => engine.transcribe(samples, o),
    isRequestError: (err) => err instanceof BatchRequestError,
    limits,
  };
}
