/**
 * `deno run -A bench/transport_cost.ts FILE [--repeats N]`: what the WebRTC audio path costs per
 * session besides the recognizer — the RTP jitter buffer and libopus decoding to 16 kHz — measured
 * on a real recording encoded the way browsers send it (Opus, 20 ms packets, 32 kbit/s). Prints one
 * YAML document: µs per packet (median of the repeats), the share of one CPU core a real-time
 * session spends on it, and how many sessions one core could decode.
 *
 * @module
 */

import { stringify } from "yaml";
import { decodeAudioFile } from "../decode/audio_file.ts";
import { openOpus, OpusEncoder, opusPacketSamples } from "../ffi/opus/mod.ts";
import { JitterBuffer } from "../server/transport/webrtc/jitter.ts";
import { OpusStream } from "../decode/opus_stream.ts";
import { SAMPLE_RATE_HZ } from "../protocol/audio.ts";

const file = Deno.args.find((a) => !a.startsWith("--"));
if (!file) {
  console.error("Usage: deno run -A bench/transport_cost.ts FILE [--repeats N]");
  Deno.exit(2);
}
const ri = Deno.args.indexOf("--repeats");
const repeats = ri >= 0 ? Number(Deno.args[ri + 1]) : 5;

const audio = (await decodeAudioFile(file)).samples;
const packets: Uint8Array[] = [];
{
  using enc = new OpusEncoder({ rate: SAMPLE_RATE_HZ, bitrate: 32_000 });
  for (let i = 0; i + 320 <= audio.length; i += 320) {
    packets.push(enc.encode(audio.subarray(i, i + 320)));
  }
}
const audioS = (packets.length * 20) / 1000;
const runs: number[] = [];
for (let r = 0; r < repeats; r++) {
  const jb = new JitterBuffer({ durationOf: (p) => opusPacketSamples(p, 48_000) });
  const os = new OpusStream();
  let samples = 0;
  const t0 = performance.now();
  packets.forEach((payload, i) => {
    for (const item of jb.push({ seq: i & 0xffff, timestamp: i * 960, payload }, i * 20)) {
      for (const pcm of os.take(item)) samples += pcm.length;
    }
  });
  runs.push(performance.now() - t0);
  if (samples !== packets.length * 320) throw new Error(`decoded ${samples} samples`);
  os.close();
}
runs.sort((a, b) => a - b);
const medianMs = runs[Math.floor(runs.length / 2)];
const corePerSession = medianMs / 1000 / audioS;
console.log(stringify({
  benchmark: "transport_cost",
  provenance: {
    file,
    libopus: openOpus().version,
    deno: Deno.version.deno,
    cpu: Deno.build.arch,
    when: new Date().toISOString(),
  },
  workload: { audio_s: Math.round(audioS * 10) / 10, packets: packets.length, bitrate: 32_000 },
  results: {
    repeats,
    run_ms: runs.map((x) => Math.round(x)),
    us_per_packet: Math.round((medianMs * 1000) / packets.length * 10) / 10,
    core_share_per_realtime_session: Number(corePerSession.toPrecision(3)),
    sessions_per_core_decode_only: Math.floor(1 / corePerSession),
  },
}));
