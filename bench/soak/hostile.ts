/**
 * The soak's hostile clients together: each kind the definition names, bounded as it says, run
 * against the server until the signal aborts; their reports by kind. A hostile client never
 * throws: its failures are counted in its own report, apart from the honest sessions' errors.
 *
 * @module
 */

import type { HostileDef } from "../definition.ts";
import type { HostileReport } from "./tally.ts";
import { Tally } from "./tally.ts";
import { runTrickler } from "./trickle.ts";
import { runUnconnectedPosts } from "./unconnected.ts";
import { runOversized } from "./oversized.ts";
import { runJunkRtp } from "./junk_rtp.ts";

/** Runs the hostile clients of `def` against `url` until `signal` aborts; their reports. */
export async function runHostile(
  def: HostileDef,
  url: string,
  signal: AbortSignal,
): Promise<Record<string, HostileReport>> {
  const runs: Promise<Tally>[] = [];
  if (def.trickle) {
    const tally = new Tally("trickle");
    const opts = { url, byteEverySeconds: def.trickle.byte_every_s };
    for (let i = 0; i < def.trickle.clients; i++) runs.push(runTrickler(opts, signal, tally));
  }
  if (def.unconnected_post) {
    runs.push(runUnconnectedPosts(url, def.unconnected_post.every_s, signal));
  }
  if (def.oversized) {
    const o = def.oversized;
    runs.push(runOversized({ url, bytes: o.bytes, waitS: o.wait_s, everyS: o.every_s }, signal));
  }
  if (def.junk_rtp) {
    const j = def.junk_rtp;
    const tally = new Tally("junk_rtp");
    const opts = { url, sessionS: j.session_s, pauseS: j.pause_s };
    for (let i = 0; i < j.clients; i++) runs.push(runJunkRtp(opts, signal, tally));
  }
  const reports: Record<string, HostileReport> = {};
  for (const tally of await Promise.all(runs)) {
    const r = tally.report();
    reports[r.kind] = r;
  }
  return reports;
}
