/**
 * `POST /v1/audio/transcriptions` behind its limits: uploads transcribing at once, all keys
 * together (more are a `503` with `Retry-After`), per API key and per client address (more are a
 * `429`: a few slow senders from one place cannot hold every slot, keys or none). While the
 * server drains, new uploads are refused as new sessions are (`503`, reason `draining`) and those
 * already running finish. The upload itself is handled by `transcriptions.ts`.
 *
 * @module
 */

import { HttpError } from "../errors.ts";
import type { Principal } from "../auth.ts";
import type { ModelCatalog } from "../providers.ts";
import { handleTranscription, type TranscriptionService } from "../transcriptions.ts";
import { CountsByKey } from "../counts.ts";

/** Uploads transcribing at once by default. */
export const DEFAULT_MAX_UPLOADS = 4;

/** Uploads one client address may have in flight at once by default. */
export const DEFAULT_MAX_UPLOADS_PER_CLIENT = 2;

/** How the upload route is set up. */
export interface UploadRouteOptions {
  /** Uploads transcribing at once, all keys together (default {@linkcode DEFAULT_MAX_UPLOADS}). */
  maxUploads?: number;
  /**
   * Uploads in flight at once from one client address (see `client_address.ts`), whatever key
   * it holds (default {@linkcode DEFAULT_MAX_UPLOADS_PER_CLIENT}).
   */
  maxPerClient?: number;
  /** The models an upload may name; without them, only the server's choice. */
  models?: ModelCatalog;
  /** Whether the server is draining (then new uploads are refused); default never. */
  draining?: () => boolean;
}

/** The upload route; see the module doc. */
export class UploadRoute {
  readonly #service: TranscriptionService;
  readonly #models?: ModelCatalog;
  readonly #draining: () => boolean;
  /** Uploads transcribing at once, at most. */
  readonly max: number;
  /** Uploads in flight from one client address, at most. */
  readonly maxPerClient: number;
  /** Uploads running, per key. */
  readonly #running = new CountsByKey();
  /** Uploads running, per client address. */
  readonly #byClient = new CountsByKey();

  constructor(service: TranscriptionService, opts: UploadRouteOptions = {}) {
    this.#service = service;
    this.#models = opts.models;
    this.max = opts.maxUploads ?? DEFAULT_MAX_UPLOADS;
    this.maxPerClient = opts.maxPerClient ?? DEFAULT_MAX_UPLOADS_PER_CLIENT;
    this.#draining = opts.draining ?? (() => false);
  }

  /** Uploads being received or transcribed now. */
  get running(): number {
    return this.#running.total;
  }

  /** Transcribes one upload from `who` at client address `client`, within the limits. */
  async transcribe(req: Request, who: Principal, client = "local"): Promise<Response> {
    if (this.#draining()) {
      throw new HttpError(
        503,
        "Cannot transcribe: the server is shutting down (uploads already running finish)",
        { headers: { "retry-after": "10" }, reason: "draining" },
      );
    }
    if (this.running >= this.max) {
      throw new HttpError(
        503,
        `Cannot transcribe: the server is running its limit of ${this.max} uploads`,
        {
          headers: { "retry-after": "10" },
          reason: "uploads_full",
        },
      );
    }
    if (this.#running.get(who.name) >= who.maxUploads) {
      throw new HttpError(
        429,
        `Cannot transcribe: API key "${who.name}" is running its limit of ${who.maxUploads} uploads`,
        { headers: { "retry-after": "10" }, reason: "key_limit" },
      );
    }
    if (this.#byClient.get(client) >= this.maxPerClient) {
      throw new HttpError(
        429,
        `Cannot transcribe: ${client} already has ${this.maxPerClient} uploads in flight ` +
          "(wait for one to finish)",
        { headers: { "retry-after": "10" }, reason: "client_limit" },
      );
    }
    this.#running.add(who.name);
    this.#byClient.add(client);
    try {
      return await handleTranscription(req, this.#service, this.#models);
    } finally {
      this.#running.remove(who.name);
      this.#byClient.remove(client);
    }
  }
}
