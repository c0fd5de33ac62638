/**
 * A hostile client: a file upload (`POST /v1/audio/transcriptions`, multipart) over a raw TCP
 * socket whose headers and part header go at once and whose body then trickles in one byte every
 * few seconds — a slow-loris upload holding an upload slot. When the server answers (a 408 for a
 * body too slow, a 429 or 503 for no slot) or cuts the socket, it counts that and opens another.
 *
 * Counts: `connections`, `bytes_sent`, `status_<code>` per answer, `cut_without_answer` (the
 * socket closed with nothing said), `held_at_end` (still trickling when the soak ended).
 *
 * @module
 */

import { pause, repeatAfter, Tally } from "./tally.ts";

/** A trickler's settings. */
export interface TrickleOptions {
  url: string;
  /** Seconds between two bytes. */
  byteEverySeconds: number;
  /** The body's stated length, bytes (default 8 MB: well under an upload cap). */
  contentLength?: number;
}

const BOUNDARY = "soak-trickle-boundary";

/** The request's head and the start of its one part, sent at once. */
export function trickleHead(url: URL, contentLength: number): string {
  return [
    `POST /v1/audio/transcriptions HTTP/1.1`,
    `Host: ${url.host}`,
    `Content-Type: multipart/form-data; boundary=${BOUNDARY}`,
    `Content-Length: ${contentLength}`,
    "",
    `--${BOUNDARY}`,
    `Content-Disposition: form-data; name="file"; filename="slow.wav"`,
    "Content-Type: audio/wav",
    "",
    "RIFF",
  ].join("\r\n");
}

/** The status code of an HTTP/1.x response's first line, or null before a whole line came. */
export function statusOf(head: string): number | null {
  const end = head.indexOf("\r\n");
  if (end < 0) return null;
  const m = head.slice(0, end).match(/^HTTP\/1\.[01] (\d{3})/);
  return m ? Number(m[1]) : 0;
}

/** One trickled upload, until the server answers or cuts it, or `signal` aborts. */
async function trickleOnce(opts: TrickleOptions, tally: Tally, signal: AbortSignal) {
  const url = new URL(opts.url);
  const conn = await Deno.connect({
    hostname: url.hostname,
    port: Number(url.port || (url.protocol === "https:" ? 443 : 80)),
  });
  tally.add("connections");
  let answered: number | null = null;
  let closed = false;
  const reading = (async () => {
    const buf = new Uint8Array(4096);
    let head = "";
    try {
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) break;
        head += new TextDecoder().decode(buf.subarray(0, n));
        const status = statusOf(head);
        if (status !== null) {
          answered = status;
          break;
        }
      }
    } catch {
      // A reset: the socket was cut.
    }
    closed = true;
  })();
  const enc = new TextEncoder();
  try {
    const head = enc.encode(trickleHead(url, opts.contentLength ?? 8 * 2 ** 20));
    await conn.write(head);
    tally.add("bytes_sent", head.length);
    while (!closed && !signal.aborted) {
      const aborted = await Promise.race([
        pause(opts.byteEverySeconds * 1000, signal),
        reading.then(() => false),
      ]);
      if (aborted || closed) break;
      try {
        await conn.write(new Uint8Array([0]));
        tally.add("bytes_sent");
      } catch {
        // The server closed its end: wait for what it said, if anything.
        await Promise.race([reading, pause(1000, signal)]);
        break;
      }
    }
  } finally {
    if (answered !== null) tally.add(`status_${answered}`);
    else if (closed) tally.add("cut_without_answer");
    else tally.add("held_at_end");
    try {
      conn.close();
    } catch {
      // Already closed.
    }
    await reading;
  }
}

/** Runs one trickler until `signal` aborts, reopening after each answer or cut. */
export async function runTrickler(
  opts: TrickleOptions,
  signal: AbortSignal,
  tally = new Tally("trickle"),
): Promise<Tally> {
  // A server that refuses at once is not hammered: a second between attempts.
  await repeatAfter(tally, 1000, signal, () => trickleOnce(opts, tally, signal));
  return tally;
}
