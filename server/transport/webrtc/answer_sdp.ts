/**
 * What the session's SDP answer says beyond werift's own: the data channel's message limit, and
 * what the answer asks of the client's Opus encoder. werift answers with the offer's own `a=fmtp`
 * for Opus (none at all when the offer has none), not the parameters the server's codec lists, so
 * the session sets them in the answer's text: a sender's encoder takes them from the remote
 * description (RFC 7587).
 *
 * @module
 */

/**
 * `sdp` with its data section's `a=max-message-size` set to `bytes`: the answer states the
 * session's own limit (werift writes its 65 536 whatever the session takes), so a client that
 * keeps to the answer never sends a message the session refuses.
 */
export function withMaxMessageSize(sdp: string, bytes: number): string {
  return sdp.replace(/^a=max-message-size:\d+(\r?)$/gm, `a=max-message-size:${bytes}$1`);
}

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
  const opusType = (l: string) => /^a=rtpmap:(\d+) opus\/48000(?:\/\d+)?\s*$/i.exec(l)?.[1];
  const fmtpOf = (l: string) => /^a=fmtp:(\d+) (.*)$/.exec(l);
  const opus = new Set(lines.map(opusType).filter((pt) => pt !== undefined));
  if (opus.size === 0) return sdp;
  const hasFmtp = new Set(lines.map((l) => fmtpOf(l)?.[1]).filter((pt) => pt && opus.has(pt)));
  const merged = (existing: string) => {
    const kept = existing.split(";").map((p) => p.trim()).filter((p) =>
      p.includes("=") && !(p.slice(0, p.indexOf("=")).trim().toLowerCase() in params)
    );
    return [...kept, ...Object.entries(params).map(([k, v]) => `${k}=${v}`)].join(";");
  };
  return lines.flatMap((l) => {
    const fmtp = fmtpOf(l);
    if (fmtp && opus.has(fmtp[1])) return [`a=fmtp:${fmtp[1]} ${merged(fmtp[2])}`];
    // A payload type with no fmtp line gets one right after its rtpmap.
    const pt = opusType(l);
    return pt && !hasFmtp.has(pt) ? [l, `a=fmtp:${pt} ${merged("")}`] : [l];
  }).join(eol);
}
