/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/// <reference lib="esnext" />
/**
 * The hum-helix page: the mic button starts a session (microphone → WebRTC → live transcript) and
 * stops it; the mode selector switches mode (mid-session from the next segment); the readout shows
 * word latency (word end → commit, on the session clock), the server's lag and the round trip.
 * A session lost while the mic is on is reconnected with backoff. The "private" switch keeps the
 * audio on the device: an AudioWorklet computes Whisper's log-mel frames and only those are sent.
 *
 * @module
 */

import { Connection, type ConnectionState, type ServerMessage } from "./connection.ts";
import { TranscriptView } from "./transcript_view.ts";
import { Spectrogram } from "./spectrogram.ts";
import { apiKey, RequestError, setApiKey } from "./api_key.ts";
import { transcribeFile } from "./upload.ts";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const micButton = $<HTMLButtonElement>("mic");
const modeSelect = $<HTMLSelectElement>("mode");
const privateSwitch = $<HTMLInputElement>("private");
const statusEl = $<HTMLElement>("status");
const errorEl = $<HTMLElement>("error");
const latencyEl = $<HTMLElement>("latency");
const lagEl = $<HTMLElement>("lag");
const rttEl = $<HTMLElement>("rtt");
const view = new TranscriptView($<HTMLElement>("transcript"));

let stream: MediaStream | null = null;
let conn: Connection | null = null;
let spectrogram: Spectrogram | null = null;
/** Privacy mode's audio graph (mic → mel worklet), while the mic is on. */
let melGraph: AudioContext | null = null;
let wanted = false;
let retries = 0;
let pingTimer: ReturnType<typeof setInterval> | undefined;
/** A pending reconnect: one at a time, whatever number of close events led to it. */
let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
const latencies: number[] = [];

function setStatus(state: string, text: string): void {
  statusEl.dataset.state = state;
  statusEl.querySelector("span")!.textContent = text;
}

function showError(message: string | null): void {
  errorEl.hidden = !message;
  errorEl.textContent = message ?? "";
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function onMessage(m: ServerMessage): void {
  switch (m.type) {
    case "commit": {
      const last = m.words[m.words.length - 1];
      latencies.push(Math.max(0, m.emittedMs - last.endMs));
      if (latencies.length > 20) latencies.shift();
      latencyEl.textContent = `${(median(latencies) / 1000).toFixed(2)} s`;
      break;
    }
    case "stats":
      lagEl.textContent = `${(m.lagMs / 1000).toFixed(2)} s`;
      break;
    case "pong":
      if (m.clientMs !== undefined) {
        rttEl.textContent = `${Math.round(performance.now() - m.clientMs)} ms`;
      }
      return;
    case "error":
      if (!m.recoverable) showError(`${m.code}: ${m.message}`);
      else console.warn("hum-helix:", m.code, m.message);
      return;
    case "ready":
      retries = 0;
      setStatus("live", `live · ${m.mode}`);
      return;
    case "ack":
      if (m.of === "mode") setStatus("live", `live · ${modeSelect.value}`);
      return;
  }
  if (m.type !== "ended") view.apply(m);
}

function onState(state: ConnectionState, detail?: string): void {
  if (state === "live" || reconnectTimer !== undefined) return;
  if ((state === "closed" || state === "failed") && wanted) {
    // Lost while the mic is on: reconnect with backoff (1, 2, 4 … 10 s).
    const delay = Math.min(10_000, 1_000 * 2 ** retries++);
    setStatus("connecting", `reconnecting in ${Math.round(delay / 1000)} s`);
    if (detail) console.warn("hum-helix:", detail);
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      if (wanted) void connect();
    }, delay);
  }
}

async function connect(): Promise<void> {
  if (!stream) return;
  conn?.close();
  setStatus("connecting", "connecting…");
  // Only the current connection's events count: closing an old one must not reconnect again.
  const c: Connection = new Connection(stream, {
    onMessage: (m) => conn === c && onMessage(m),
    onState: (st, detail) => conn === c && onState(st, detail),
  }, { privacy: melGraph !== null });
  conn = c;
  try {
    await c.open(modeSelect.value);
    showError(null);
  } catch (err) {
    if (conn !== c) return;
    if (err instanceof RequestError && err.status === 401) {
      // No reconnecting without a key: ask for one.
      askForKey((err as Error).message);
      c.close();
      void stop();
      return;
    }
    showError((err as Error).message);
    onState("failed");
    c.close();
  }
}

const keyBox = $<HTMLDetailsElement>("key-box");
const keyInput = $<HTMLInputElement>("api-key");
keyInput.value = apiKey();
$<HTMLFormElement>("key-form").addEventListener("submit", (e) => {
  e.preventDefault();
  setApiKey(keyInput.value);
  keyBox.open = false;
  showError(null);
});

function askForKey(message: string): void {
  showError(`${message}. Enter your API key below.`);
  keyBox.open = true;
  keyInput.focus();
}

const uploadForm = $<HTMLFormElement>("upload-form");
const fileInput = $<HTMLInputElement>("file");
const formatSelect = $<HTMLSelectElement>("format");
const progress = $<HTMLProgressElement>("progress");
const uploadStatus = $<HTMLElement>("upload-status");
const result = $<HTMLElement>("result");

uploadForm.addEventListener("submit", async (e) => {
  e.preventDefault();
  const file = fileInput.files?.[0];
  if (!file) return;
  const button = $<HTMLButtonElement>("upload");
  button.disabled = true;
  progress.hidden = false;
  progress.value = 0;
  result.hidden = false;
  result.textContent = "";
  uploadStatus.textContent = `uploading ${file.name}…`;
  showError(null);
  try {
    const last = await transcribeFile(file, file.name, formatSelect.value, {
      onEvent: (ev) => {
        if (ev.type === "transcript.progress") {
          progress.value = ev.done;
          uploadStatus.textContent = `transcribing ${ev.audio_s.toFixed(1)} s of audio: ${
            Math.round(ev.done * 100)
          } % in ${ev.elapsed_s.toFixed(1)} s`;
        } else if (ev.type === "transcript.text.delta") {
          result.textContent = `${result.textContent} ${ev.delta}`.trim();
        }
      },
    });
    if (last.type === "error") throw new Error(last.error.message);
    if (last.type === "transcript.text.done") {
      const r = last.response;
      result.textContent = typeof r === "string" ? r : JSON.stringify(r, null, 2);
      uploadStatus.textContent = `done (${last.model})`;
    }
  } catch (err) {
    if (err instanceof RequestError && err.status === 401) askForKey(err.message);
    else showError((err as Error).message);
    uploadStatus.textContent = "";
  } finally {
    button.disabled = false;
    progress.hidden = true;
  }
});

async function start(): Promise<void> {
  showError(null);
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      // Browser noise suppression tends to cut word onsets and endings the recognizer needs
      // (Whisper was trained on noisy audio); echo cancellation stays on for loudspeakers.
      audio: {
        channelCount: 1,
        echoCancellation: true,
        noiseSuppression: false,
        autoGainControl: true,
      },
    });
  } catch (err) {
    showError(`The microphone is not available: ${(err as Error).message}`);
    return;
  }
  if (privateSwitch.checked) {
    try {
      melGraph = await startMelGraph(stream);
    } catch (err) {
      for (const t of stream.getTracks()) t.stop();
      stream = null;
      showError(`Private mode needs AudioWorklet support: ${(err as Error).message}`);
      return;
    }
  }
  privateSwitch.disabled = true;
  wanted = true;
  micButton.setAttribute("aria-pressed", "true");
  micButton.querySelector("span")!.textContent = "Stop";
  view.clear();
  latencies.length = 0;
  spectrogram = new Spectrogram(stream, $<HTMLCanvasElement>("spectrogram"));
  pingTimer = setInterval(
    () => conn?.send({ type: "ping", id: Date.now(), clientMs: performance.now() }),
    5_000,
  );
  await connect();
}

async function stop(): Promise<void> {
  wanted = false;
  clearTimeout(reconnectTimer);
  reconnectTimer = undefined;
  clearInterval(pingTimer);
  micButton.setAttribute("aria-pressed", "false");
  micButton.querySelector("span")!.textContent = "Start";
  setStatus("connecting", "finishing…");
  const c = conn;
  conn = null;
  await c?.end();
  for (const t of stream?.getTracks() ?? []) t.stop();
  stream = null;
  await melGraph?.close();
  melGraph = null;
  privateSwitch.disabled = false;
  spectrogram?.stop();
  spectrogram = null;
  setStatus("idle", "ready");
}

/**
 * Microphone → the mel worklet (`/mel_worklet.js`); its 100 ms messages of log-mel frames go to
 * whichever connection is current. The worklet's silent output keeps the graph running.
 */
async function startMelGraph(mic: MediaStream): Promise<AudioContext> {
  const ctx = new AudioContext();
  try {
    await ctx.audioWorklet.addModule("/mel_worklet.js");
    const node = new AudioWorkletNode(ctx, "hum-mel", { numberOfInputs: 1, numberOfOutputs: 1 });
    node.port.onmessage = (e: MessageEvent<Float32Array>) => conn?.sendMel(e.data);
    const mute = ctx.createGain();
    mute.gain.value = 0;
    ctx.createMediaStreamSource(mic).connect(node).connect(mute).connect(ctx.destination);
    await ctx.resume();
    return ctx;
  } catch (err) {
    await ctx.close();
    throw err;
  }
}

micButton.addEventListener("click", () => void (wanted ? stop() : start()));
modeSelect.addEventListener("change", () => {
  conn?.send({ type: "mode", mode: modeSelect.value as "latency" | "balanced" | "accuracy" });
});
addEventListener("pagehide", () => conn?.close());
