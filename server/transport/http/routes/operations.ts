/**
 * Operations: `GET /v1/status` (sessions, queue, models, capacity, uploads, memory),
 * `GET /metrics` (Prometheus text), `/healthz` (the process serves), `/readyz` (a session would
 * be admitted: what a load balancer asks) and `GET /v1/models` (OpenAI-compatible: what a
 * client's `model` may name).
 *
 * @module
 */

import { processMemoryMb } from "../../../telemetry/process_memory.ts";
import type {
  MetricsProvider,
  ModelCatalog,
  SessionProvider,
  StatusProvider,
} from "../providers.ts";
import { json, methodNotAllowed, preflight } from "../responses.ts";

/** What the operations routes report on. */
export interface OperationRoutesOptions {
  sessions: SessionProvider;
  /** The inference queue; without it, `queue` is null. */
  status?: StatusProvider;
  /** The models; without them, `/v1/models` is not served and `models` is empty. */
  models?: ModelCatalog;
  /** Without them, `/metrics` is not served. */
  metrics?: MetricsProvider;
  /** Uploads running now, and at most. */
  uploads: () => { running: number; max: number };
}

/** The operations routes; see the module doc. */
export class OperationRoutes {
  readonly #opts: OperationRoutesOptions;

  constructor(opts: OperationRoutesOptions) {
    this.#opts = opts;
  }

  /**
   * The answer to `req` on `path` when it is an operations route, else null. They are read-only:
   * `GET` and `HEAD`; another method gets a `405` with `Allow`.
   */
  async route(req: Request, path: string): Promise<Response | null> {
    const answer = this.#answer(path);
    if (!answer) return null;
    if (req.method === "OPTIONS") return preflight();
    if (req.method !== "GET" && req.method !== "HEAD") {
      return methodNotAllowed(req.method, path, ["GET", "HEAD"]);
    }
    return await answer();
  }

  /** What answers `path`, when it is an operations route this service serves. */
  #answer(path: string): (() => Response | Promise<Response>) | null {
    const { models, metrics, sessions } = this.#opts;
    switch (path) {
      case "/healthz":
        return () => json(200, { ok: true, sessions: sessions.size });
      case "/readyz":
        return () => {
          const refused = sessions.refusal();
          return refused
            ? json(503, { ready: false, reason: refused.reason, error: refused.message })
            : json(200, { ready: true, sessions: sessions.size });
        };
      case "/v1/status":
        return () => json(200, this.status());
      case "/v1/models":
        return models ? () => this.#models(models) : null;
      case "/metrics":
        return metrics
          ? async () =>
            new Response(await metrics.text(), { headers: { "content-type": metrics.contentType } })
          : null;
      default:
        return null;
    }
  }

  /** What `GET /v1/status` answers. */
  status(): Record<string, unknown> {
    const sessions = this.#opts.sessions;
    const sched = this.#opts.status?.queue() ?? null;
    const refused = sessions.refusal();
    return {
      done: sessions.ended,
      sessions: sessions.size,
      queue: sched
        ? {
          queued: sched.queued,
          running: sched.running,
          slots: sched.slots,
          mean_wait_ms: sched.meanWaitMs,
          degrade_level: sched.degradeLevel,
          dropped: sched.dropped,
        }
        : null,
      models: this.#opts.models?.states() ?? [],
      capacity: {
        max_sessions: sessions.capacity,
        free: Math.max(0, sessions.capacity - sessions.size),
        accepting: !refused,
        ...(refused ? { reason: refused.reason } : {}),
      },
      draining: sessions.draining,
      uploads: this.#opts.uploads(),
      process: processMemory(),
    };
  }

  /** `GET /v1/models`: the models a client may name, those that failed to load left out. */
  #models(models: ModelCatalog): Response {
    const failed = new Set(
      models.states().filter((m) => m.state === "failed").map((m) => m.name),
    );
    return json(200, {
      object: "list",
      data: models.served().filter((m) => !failed.has(m.name)).map((m) => ({
        id: m.id,
        object: "model",
        owned_by: "hum-helix",
      })),
    });
  }
}

/**
 * This process's memory for `/v1/status`, MB: resident now and at its peak, and the part the
 * JavaScript engine holds (its heap, used and reserved, and buffers outside it), which tells a
 * growing heap or buffer pile from native memory (decoding states, the allocator).
 */
function processMemory(): {
  rss_mb: number;
  peak_rss_mb: number;
  heap_used_mb: number;
  heap_total_mb: number;
  external_mb: number;
} {
  const m = processMemoryMb();
  const v8 = Deno.memoryUsage();
  const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
  return {
    rss_mb: Math.round(m.rssMb),
    peak_rss_mb: Math.round(m.peakRssMb),
    heap_used_mb: mb(v8.heapUsed),
    heap_total_mb: mb(v8.heapTotal),
    external_mb: mb(v8.external),
  };
}
