/**
 * What the HTTP app needs from the rest of the service, declared on the transport's side so that
 * it depends on these interfaces and not on the engine: the live sessions (open, find, end,
 * admission), the inference queue for `/v1/status`, the models a client may name, and the
 * metrics. The wiring (`server/cli/wire.ts`) hands it the session registry, adapters over the
 * engine, and the service's metrics, which satisfy them.
 *
 * @module
 */

import type { ModeName } from "../../../protocol/modes.ts";
import type { CapacityError } from "../../session/registry.ts";
import type { EndReason, InputKind, LiveSession } from "../../session/live_session.ts";

/** What a session is opened with, from a checked offer. */
export interface OpenSessionOptions {
  mode?: ModeName;
  /** Overrides of the mode's preset (checked by the session side), the model's name included. */
  overrides: Record<string, unknown>;
  /** What the offer can carry. */
  inputs: InputKind[];
}

/** The live sessions: what signalling and `/healthz`, `/readyz`, `/v1/status` ask of them. */
export interface SessionProvider {
  /**
   * Opens a session. Throws `CapacityError` when admission refuses it (a `503`), any other error
   * for a config it cannot serve (a `400`).
   */
  open(opts: OpenSessionOptions): Promise<LiveSession>;
  /** The open session with `id`, if any. */
  get(id: string): LiveSession | undefined;
  /** Ends every session (finalizing each). */
  endAll(reason: EndReason): Promise<void>;
  /** Why a new session would be refused now, or null if it would be admitted. */
  refusal(): CapacityError | null;
  /** Sessions open now. */
  readonly size: number;
  /** Sessions admitted at once, at most. */
  readonly capacity: number;
  /** Sessions ended since start. */
  readonly ended: number;
  /** Whether the server is draining (refusing new sessions while open ones finish). */
  readonly draining: boolean;
}

/** The inference queue's figures (`/v1/status` serves them in snake_case). */
export interface QueueStats {
  queued: number;
  running: number;
  slots: number;
  meanWaitMs: number;
  degradeLevel: number;
  dropped: { replaced: number; deadline: number };
}

/** The inference side's state for `/v1/status`. */
export interface StatusProvider {
  /** The queue of decodes now, or null when decodes are not scheduled. */
  queue(): QueueStats | null;
}

/** A model clients may name: `id` as they send it (`tiny.en`), `name` as the engine knows it. */
export interface ServedModel {
  id: string;
  name: string;
}

/** A model's load state; `/v1/status` serves the whole report as it is given. */
export interface ModelLoadState {
  name: string;
  /** `queued`, `loading`, `ready` or `failed`. */
  state: string;
}

/** The models: which a client may name, and how each is loading. */
export interface ModelCatalog {
  /** The models a client may name (those that failed to load included). */
  served(): ServedModel[];
  /**
   * The served model a client's `model` stands for — its id or the name it is configured as — or
   * undefined: sessions and uploads look it up alike.
   */
  lookup(requested: string): ServedModel | undefined;
  /** The id clients know the model the engine calls `name` by (`x-model`). */
  idOf(name: string): string;
  /** Every model known, in load order, with its state (`/v1/status`). */
  states(): readonly ModelLoadState[];
}

/** The service's metrics, as the app serves and feeds them. */
export interface MetricsProvider {
  /** Counts a refused session or upload by reason. */
  refused(reason: string): void;
  /** The Prometheus exposition text. */
  text(): Promise<string>;
  /** Its content type. */
  readonly contentType: string;
}
