/**
 * The streaming modes a client may ask for (`mode` in a session's offer, `--mode` on the command
 * line). Their policies are the engine's (`server/engine/modes.ts`); only the names are shared.
 *
 * @module
 */

/** The mode names, the default (`balanced`) in the middle. */
export const MODE_NAMES = ["latency", "balanced", "accuracy"] as const;
/** One of {@linkcode MODE_NAMES}. */
export type ModeName = typeof MODE_NAMES[number];
