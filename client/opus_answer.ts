/**
 * What a server's SDP answer asks of the client's Opus encoder, read the way a browser reads it:
 * the `a=fmtp` parameters of the payload type that `a=rtpmap` names `opus/48000/2` (RFC 7587).
 * A browser encodes at the answer's `maxaveragebitrate`, else at libwebrtc's default of 32 kbit/s
 * for mono; the command-line client does the same, so the bench hears what a browser would send.
 *
 * @module
 */

/** libwebrtc's Opus bit rate for a mono sender when the answer names none, bit/s. */
export const DEFAULT_OPUS_BITRATE = 32_000;

/** RFC 7587's bounds on `maxaveragebitrate`, bit/s: a value outside them is ignored. */
const BITRATE_RANGE = [6_000, 510_000] as const;

/** The `a=fmtp` parameters of the Opus payload type in `sdp` (names lower-cased); `{}` if none. */
export function opusParameters(sdp: string): Record<string, string> {
  const lines = sdp.split(/\r?\n/);
  const rtpmap = lines
    .map((l) => /^a=rtpmap:(\d+) opus\/48000(?:\/\d+)?\s*$/i.exec(l))
    .find((m) => m !== null);
  if (!rtpmap) return {};
  const fmtp = lines.find((l) => l.startsWith(`a=fmtp:${rtpmap[1]} `));
  if (!fmtp) return {};
  const out: Record<string, string> = {};
  for (const part of fmtp.slice(fmtp.indexOf(" ") + 1).split(";")) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    out[part.slice(0, eq).trim().toLowerCase()] = part.slice(eq + 1).trim();
  }
  return out;
}

/**
 * The bit rate a browser's Opus encoder would take from this answer: its `maxaveragebitrate`
 * when that is a whole number in RFC 7587's 6–510 kbit/s, else {@linkcode DEFAULT_OPUS_BITRATE}.
 */
export function answeredOpusBitrate(sdp: string): number {
  const raw = opusParameters(sdp).maxaveragebitrate;
  const n = raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : NaN;
  return n >= BITRATE_RANGE[0] && n <= BITRATE_RANGE[1] ? n : DEFAULT_OPUS_BITRATE;
}
