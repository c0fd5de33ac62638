/**
 * What the answer asks of the client's Opus encoder. werift answers with the offer's own `a=fmtp`
 * for Opus (none at all when the offer has none), not the parameters the server's codec lists, so
 * the session sets them in the answer's text: a sender's encoder takes them from the remote
 * description (RFC 7587).
 *
 * @module
 */

/**
 * The Opus `a=fmtp` parameters every answer carries. In-band FEC (browsers add it only when the
 * answer says so); audio up to 8 kHz only (`maxplaybackrate`: the session decodes at Whisper's 16
 * kHz, so the encoder spends no bits above it); and 64 kbit/s rather than the 32 kbit/s a browser
 * sends by default, at which Opus with FEC costs streamed transcripts WER (decision 024).
 */
export const OPUS_ANSWER_PARAMETERS = {
  minptime: 10,
  useinbandfec: 1,
  maxplaybackrate: 16_000,
  maxaveragebitrate: 64_000,
} as const;

/**
 * `sdp` with `params` set on the `a=fmtp` line of each Opus payload type (`a=rtpmap:PT
 * opus/48000…`), added where there is none; the line's other parameters stay, in their order.
 * Nothing else changes.
 */
export function withOpusParameters(
  sdp: string,
  params: Readonly<Record<string, string | number>> = OPUS_ANSWER_PARAMETERS,
): string {
  const eol = sdp.includes("\r\n") ? "\r\n" : "\n";
  const lines = sdp.split(/\r?\n/);
  const opus = new Set(
    lines.flatMap((l) => {
      const m = /^a=rtpmap:(\d+) opus\/48000(?:\/\d+)?\s*$/i.exec(l);
      return m ? [m[1]] : [];
    }),
  );
  if (opus.size === 0) return sdp;
  const merged = (existing: string) => {
    const kept = existing.split(";").map((p) => p.trim()).filter((p) => {
      const name = p.slice(0, p.indexOf("=")).trim().toLowerCase();
      return p.includes("=") && !(name in params);
    });
    return [...kept, ...Object.entries(params).map(([k, v]) => `${k}=${v}`)].join(";");
  };
  const seen = new Set<string>();
  const out = lines.map((l) => {
    const m = /^a=fmtp:(\d+) (.*)$/.exec(l);
    if (!m || !opus.has(m[1])) return l;
    seen.add(m[1]);
    return `a=fmtp:${m[1]} ${merged(m[2])}`;
  });
  // A payload type with no fmtp line gets one right after its rtpmap.
  return out.flatMap((l) => {
    const m = /^a=rtpmap:(\d+) opus\//i.exec(l);
    return m && opus.has(m[1]) && !seen.has(m[1]) ? [l, `a=fmtp:${m[1]} ${merged("")}`] : [l];
  }).join(eol);
}
