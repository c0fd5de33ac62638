/**
 * For tests and figures: a Realtime transcription client written only with the official `openai`
 * npm package's own code path (`OpenAIRealtimeWebSocket`, the runtime's WebSocket, its URL
 * building, its key in the subprotocol), as a voice app would write it. Streams an audio file as
 * 24 kHz PCM16 in 100 ms appends (at the speaker's pace with `--realtime`), lets server VAD end
 * the turns, and prints every server event as a JSON line with `receivedMs` (since the first
 * append). The SDK only speaks `wss:`: run it with `--cert` naming the server's CA.
 *
 * `deno run -A --cert CA.pem server/transport/realtime/openai_sdk_testing.ts BASE_URL KEY FILE
 *   [--realtime] [--manual]`
 *
 * @module
 */

import OpenAI from "openai";
import { OpenAIRealtimeWebSocket } from "openai/realtime/websocket";
import { decodeAudioFile } from "../../../decode/audio_file.ts";
import { resample } from "../../../ffi/soxr/mod.ts";
import { pcm16Bytes } from "../../../protocol/audio.ts";

const [baseURL, apiKey, file, ...flags] = Deno.args;
const realtime = flags.includes("--realtime");
const manual = flags.includes("--manual");

const client = new OpenAI({ apiKey, baseURL });
const rt = new OpenAIRealtimeWebSocket({ intent: "transcription" }, client);
let t0 = -1;
const out: string[] = [];
/** Items speech began for (or, with manual turns, the commit) and not yet completed. */
const open = new Set<string>();
let completions = 0;
let lastEventAt = performance.now();
rt.on("event", (e) => {
  lastEventAt = performance.now();
  out.push(JSON.stringify({ ...e, receivedMs: t0 < 0 ? 0 : Math.round(performance.now() - t0) }));
  if (e.type === "input_audio_buffer.speech_started") open.add(e.item_id);
  if (e.type === "conversation.item.input_audio_transcription.completed") {
    open.delete(e.item_id);
    completions++;
  }
});
rt.on("error", (err) => {
  const message = String(err.message ?? err) + (err.cause ? ` (${String(err.cause)})` : "");
  out.push(JSON.stringify({ type: "sdk.error", message }));
  console.error(`openai SDK: ${message}`);
});
await new Promise<void>((resolve, reject) => {
  rt.socket.addEventListener("open", () => resolve());
  rt.socket.addEventListener(
    "close",
    () => reject(new Error("the socket closed before it opened")),
  );
});
rt.send({
  type: "session.update",
  session: {
    type: "transcription",
    audio: {
      input: {
        format: { type: "audio/pcm", rate: 24_000 },
        transcription: { model: "gpt-4o-transcribe", language: "en" },
        turn_detection: manual ? null : { type: "server_vad", silence_duration_ms: 500 },
      },
    },
  },
});
const samples = await resample((await decodeAudioFile(file)).samples, {
  inputRate: 16_000,
  outputRate: 24_000,
});
// One second of silence after the speech ends the last turn.
const padded = new Float32Array(samples.length + 24_000);
padded.set(samples);
const toBase64 = (x: Float32Array) => {
  const b = pcm16Bytes(x);
  let bin = "";
  for (let i = 0; i < b.length; i += 0x8000) {
    bin += String.fromCharCode(...b.subarray(i, i + 0x8000));
  }
  return btoa(bin);
};
t0 = performance.now();
for (let i = 0, n = 0; i < padded.length; i += 2_400, n++) {
  rt.send({ type: "input_audio_buffer.append", audio: toBase64(padded.subarray(i, i + 2_400)) });
  const wait = realtime ? (n + 1) * 100 - (performance.now() - t0) : 5;
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}
const before = completions;
if (manual) rt.send({ type: "input_audio_buffer.commit" });
// Whatever is still being transcribed: its completion (the trailing silence ends the last turn;
// audio sent ahead of real time is still being decoded), at most 60 s: done when every turn begun
// is complete and nothing has come for 3 s.
const sentAt = performance.now();
for (;;) {
  await new Promise((r) => setTimeout(r, 100));
  if (performance.now() - sentAt > 60_000) break;
  if (manual ? completions > before : open.size === 0 && performance.now() - lastEventAt > 3_000) {
    break;
  }
}
rt.close();
console.log(out.join("\n"));
