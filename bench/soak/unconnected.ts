/**
 * A hostile client: a real session offer (a werift peer's, with `transcript` and `audio` data
 * channels) posted to `POST /v1/sessions`, then the client peer closed without ever connecting —
 * the server is left with a session and a peer waiting for ICE. Repeated at a bounded rate.
 *
 * Counts: `offers`, `status_<code>` per answer (201 admitted, 429/503 refused …).
 *
 * @module
 */

import { makeOffer, postOffer } from "./peer.ts";
import { repeat, Tally } from "./tally.ts";

/** Posts one offer and walks away; returns the status. */
export async function postAndLeave(url: string, tally: Tally): Promise<number> {
  const peer = await makeOffer({ audioChannel: true });
  try {
    tally.add("offers");
    const { status } = await postOffer(url, peer.sdp);
    tally.add(`status_${status}`);
    return status;
  } finally {
    await peer.pc.close();
  }
}

/** Posts an offer every `everyS` seconds until `signal` aborts. */
export async function runUnconnectedPosts(
  url: string,
  everyS: number,
  signal: AbortSignal,
  tally = new Tally("unconnected_post"),
): Promise<Tally> {
  await repeat(tally, everyS * 1000, signal, async () => void await postAndLeave(url, tally));
  return tally;
}
