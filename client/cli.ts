/**
 * `deno task client --url URL --file AUDIO [options]`: a command-line WebRTC client of the service.
 * It streams an audio file to a session — as an Opus media track (`media`, encoded with libopus),
 * as PCM16 frames on the `audio` data channel (`audio`), or as the privacy mode's 8-bit log-mel
 * frames on the `mel` data channel (`mel`: no audio leaves the client) — and prints
 * every message it receives as JSON lines. It ends the session when the file is done and exits 0
 * once the server says `ended`; any `error` event, a refused offer or a timeout exits 1.
 * `--loss`/`--reorder` drop and reorder the media track's RTP packets, deterministically from
 * `--seed` (`impair.ts`), as a poor network would.
 *
 * The bench and the load tests drive the service end to end through it ({@linkcode runClient}).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { z } from "zod";
import {
  MediaStreamTrack,
  type RTCDataChannel,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  RtpHeader,
  RtpPacket,
} from "werift";
import {
  type CommandSpec,
  flagSchema,
  type FlagTable,
  helpText,
  parseFlags,
} from "../util/flags.ts";
import { runCommand } from "../util/command.ts";
import { decodeAudioFile } from "../decode/audio_file.ts";
import { CHANNELS, SessionMessageSchema } from "../protocol/control.ts";
import { EventSchema, PROTOCOL_VERSION } from "../protocol/events.ts";
import { MEL_BINS, melFrame, pcm16Frame } from "../protocol/audio_frames.ts";
import { LogMel } from "../protocol/mel.ts";
import { MODE_NAMES } from "../protocol/modes.ts";
import { OpusEncoder } from "../ffi/opus/mod.ts";
import { Impairment, type ImpairmentCounts } from "./impair.ts";
import { answeredOpusBitrate } from "./opus_answer.ts";
import { Pacer } from "./pacer.ts";
import { SAMPLE_RATE_HZ } from "../protocol/audio.ts";

/** The flags of `deno task client`. */
export const CLIENT_FLAGS = {
  url: {
    flag: "--url",
    arg: "URL",
    schema: z.string().url(),
    help: "the server, e.g. http://127.0.0.1:8000 (required)",
  },
  file: {
    flag: "--file",
    arg: "PATH",
    schema: z.string().min(1),
    help: "audio file (any format the server's decoder reads) (required)",
  },
  transport: {
    flag: "--transport",
    arg: "T",
    schema: z.enum(["media", "audio", "mel", "ws"]).default("media"),
    help: "media (Opus track) | audio (PCM16 data channel) | mel (privacy mode: 8-bit log-mel " +
      "frames on the mel channel) | ws (PCM16 frames over a WebSocket, GET /v1/sessions/ws: " +
      "no WebRTC)",
  },
  mode: {
    flag: "--mode",
    arg: "M",
    schema: z.enum(MODE_NAMES).optional(),
    defaultHelp: "the server's (balanced)",
    help: "latency | balanced | accuracy",
  },
  model: {
    flag: "--model",
    arg: "NAME",
    schema: z.string().min(1).optional(),
    defaultHelp: "the server's",
    help: "model for the session",
  },
  realtime: {
    flag: "--realtime",
    schema: z.boolean().default(false),
    help: "send at wall-clock speed (default: as fast as the link takes it)",
  },
  out: {
    flag: "--out",
    arg: "PATH",
    schema: z.string().min(1).optional(),
    help: "write the JSON lines there instead of stdout",
  },
  timeout: {
    flag: "--timeout",
    arg: "S",
    schema: z.coerce.number().positive().default(600),
    unit: "s",
    help: "give up after this long",
  },
  clock: {
    flag: "--clock",
    arg: "C",
    schema: z.enum(["server", "client"]).default("server"),
    help: "server: events as sent; client: each event's emittedMs becomes when this client " +
      "received it, in ms since it sent the first audio — so latency figures include the network " +
      "and the transport both ways",
  },
  /** Share of the media track's RTP packets dropped before they leave (`client/impair.ts`). */
  loss: {
    flag: "--loss",
    arg: "P",
    schema: z.coerce.number().min(0).lt(1).default(0),
    help: "impair the media track: drop this share of the RTP packets (0 ≤ P < 1)",
  },
  /** Share of the media track's RTP packets sent after the next one. */
  reorder: {
    flag: "--reorder",
    arg: "P",
    schema: z.coerce.number().min(0).lt(1).default(0),
    help: "impair the media track: send this share of the RTP packets late, after the next one " +
      "(0 ≤ P < 1)",
  },
  /** Seed of the impairment's generator. */
  seed: {
    flag: "--seed",
    arg: "N",
    schema: z.coerce.number().int().min(0).max(0xffffffff).default(1),
    help: "seed of the impairment's generator: same seed, same drops",
  },
} as const satisfies FlagTable;

/** `deno task client`: its usage and flags. */
export const CLIENT_COMMAND: CommandSpec<typeof CLIENT_FLAGS> = {
  usage: "deno task client --url URL --file AUDIO [options]",
  about: "Streams an audio file to a hum-helix server over WebRTC (or a WebSocket) and prints " +
    "what comes back as JSON lines.",
  flags: CLIENT_FLAGS,
};

const Options = flagSchema(CLIENT_FLAGS).extend({
  /** Settings over the mode's preset (the session config's `overrides`). Not a command-line flag. */
  overrides: z.record(z.string(), z.union([z.number(), z.boolean(), z.string()])).optional(),
  /**
   * Fault injection: after this much audio, drop the connection without ending the session (a
   * client that vanishes mid-utterance). Not a command-line flag.
   */
  vanishAfterS: z.number().positive().optional(),
  /**
   * Fault injection: after this much audio, close one data channel (`audio`, `mel` or
   * `transcript`) while the connection stays up. With `audio`/`mel` the client then waits for the
   * server's `ended`; with `transcript` it waits `closeWaitS` and hangs up. Not a command-line flag.
   */
  closeChannel: z.object({
    label: z.enum(["audio", "mel", "transcript"]),
    afterS: z.number().positive(),
  }).optional(),
  /** After closing the transcript channel, how long to stay connected, s (default 1). */
  closeWaitS: z.number().nonnegative().default(1),
}).refine((o) => o.transport === "media" || (o.loss === 0 && o.reorder === 0), {
  message: "impairs RTP packets, so it needs --transport media (as does --reorder)",
  path: ["loss"],
});
/** Client options, as parsed (defaults filled in). */
export type ClientOptions = z.infer<typeof Options>;
/** Client options as given to {@linkcode runClient} (defaults may be left out). */
export type ClientInput = z.input<typeof Options>;

/** Parses arguments; throws an Error with a one-line reason. */
export function parseArgs(args: string[]): ClientOptions | "help" {
  return parseFlags(CLIENT_COMMAND, Options, args);
}

/** What one client run received. */
export interface ClientResult {
  /** Every message, parsed, in arrival order. */
  messages: Record<string, unknown>[];
  /** Why it failed, or null. */
  error: string | null;
  /** The session's URL. */
  location: string | null;
  /** What the impairment (`--loss`, `--reorder`) did to the media track's packets, if asked. */
  impaired: ImpairmentCounts | null;
}

const FRAME_MS = 20;

async function gathered(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === "complete") return;
  await new Promise<void>((resolve) => {
    const s = pc.iceGatheringStateChange.subscribe((st) => {
      if (st === "complete") (s.unSubscribe(), resolve());
    });
  });
}

function opened(dc: RTCDataChannel): Promise<void> {
  if (dc.readyState === "open") return Promise.resolve();
  return new Promise((resolve, reject) => {
    const s = dc.stateChanged.subscribe((st) => {
      if (st === "open") (s.unSubscribe(), resolve());
      if (st === "closed") (s.unSubscribe(), reject(new Error(`channel ${dc.label} closed`)));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs one client session; `onMessage` sees each message as it arrives. Resolves when the server
 * says `ended`, or with `error` set on a failure or timeout.
 */
export async function runClient(
  input: ClientInput,
  onMessage: (m: Record<string, unknown>, text: string) => void = () => {},
): Promise<ClientResult> {
  const opts = Options.parse(input);
  const audio = (await decodeAudioFile(opts.file)).samples;
  const result: ClientResult = { messages: [], error: null, location: null, impaired: null };
  if (opts.transport === "ws") return await runSocketClient(opts, audio, result, onMessage);
  const pc = new RTCPeerConnection({
    iceServers: [],
    codecs: {
      audio: [
        new RTCRtpCodecParameters({ mimeType: "audio/opus", clockRate: 48_000, channels: 2 }),
      ],
    },
  });
  const track = opts.transport === "media" ? new MediaStreamTrack({ kind: "audio" }) : null;
  if (track) pc.addTransceiver(track, { direction: "sendonly" });
  const transcript = pc.createDataChannel(CHANNELS.transcript);
  const audioDc = opts.transport === "audio"
    ? pc.createDataChannel(CHANNELS.audio)
    : opts.transport === "mel"
    ? pc.createDataChannel(CHANNELS.mel)
    : null;
  /** When the first audio went out (performance.now()), for `--clock client`. */
  const sentAt = { first: null as number | null };
  /** Sending stops once the session is over (the server said `ended`, or the connection went). */
  const halt = { stopped: false };
  const gone = Promise.withResolvers<void>();
  pc.connectionStateChange.subscribe((st) => {
    if (st === "closed" || st === "failed") (halt.stopped = true, gone.resolve());
  });
  const ready = Promise.withResolvers<void>();
  const ended = Promise.withResolvers<void>();
  const receive = receiver(opts, result, sentAt, onMessage);
  transcript.onMessage.subscribe((data) => {
    const m = receive(typeof data === "string" ? data : new TextDecoder().decode(data));
    if (m?.type === "ready") ready.resolve();
    if (m?.type === "ended") (halt.stopped = true, ended.resolve());
  });
  const flow = async () => {
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    const res = await fetch(new URL("/v1/sessions", opts.url), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        sdp: pc.localDescription!.sdp,
        config: {
          ...(opts.mode ? { mode: opts.mode } : {}),
          ...(opts.model ? { model: opts.model } : {}),
          ...(opts.overrides ? { overrides: opts.overrides } : {}),
        },
      }),
    });
    const body = await res.json().catch(() => ({}));
    if (res.status !== 201) {
      throw new Error(
        `server refused the session (${res.status}): ${body.error ?? res.statusText}`,
      );
    }
    result.location = res.headers.get("location");
    await pc.setRemoteDescription({ type: "answer", sdp: body.sdp });
    await opened(transcript);
    await ready.promise;
    if (result.error) return;
    const sent = opts.vanishAfterS
      ? audio.subarray(0, Math.round(opts.vanishAfterS * SAMPLE_RATE_HZ))
      : audio;
    const cut = opts.closeChannel;
    const closing = cut
      ? (cut.label === CHANNELS.transcript ? transcript : audioDc?.label === cut.label && audioDc)
      : null;
    if (cut && !closing) throw new Error(`this client has no ${cut.label} channel to close`);
    const send: SendOptions = {
      realtime: opts.realtime,
      sentAt,
      halt,
      // Fault injection: the channel closes once this much audio went out.
      ...(closing ? { at: { ms: cut!.afterS * 1000, run: () => closing.close() } } : {}),
    };
    if (track) {
      const imp = new Impairment<RtpPacket>({
        loss: opts.loss,
        reorder: opts.reorder,
        seed: opts.seed,
      });
      if (imp.active) result.impaired = imp.counts;
      await sendMedia(pc, track, sent, send, imp, answeredOpusBitrate(body.sdp));
    } else if (audioDc) {
      const frames = opts.transport === "mel" ? melFrames(sent) : pcmFrames(sent);
      await sendFrames(audioDc, frames, send);
    }
    if (opts.vanishAfterS) return;
    if (closing === transcript) {
      // Nothing can come back any more: stay connected a moment, then hang up.
      await sleep(opts.closeWaitS * 1000);
      return;
    }
    if (!halt.stopped && !closing) {
      transcript.send(JSON.stringify({ v: PROTOCOL_VERSION, type: "end" }));
    }
    // A connection that goes without an `ended` is a failure (messages sent before the server
    // hung up still arrive first).
    const hungUp = await Promise.race([
      ended.promise.then(() => false),
      gone.promise.then(async () => {
        if (!result.messages.some((m) => m.type === "ended")) await sleep(500);
        return true;
      }),
    ]);
    if (hungUp && !result.messages.some((m) => m.type === "ended")) {
      throw new Error("the connection closed before the session ended");
    }
  };
  await underDeadline(opts.timeout, result, flow, () => pc.close());
  return result;
}

/**
 * Takes one message from the server: checks it against the protocol (a message outside it is the
 * run's error), restamps events on the client's clock with `--clock client`, records it and hands
 * it to `onMessage`; returns it, or null when it was refused.
 */
function receiver(
  opts: ClientOptions,
  result: ClientResult,
  sentAt: { first: number | null },
  onMessage: (m: Record<string, unknown>, text: string) => void,
): (text: string) => Record<string, unknown> | null {
  return (text) => {
    let m: Record<string, unknown>;
    try {
      m = JSON.parse(text);
      ("seq" in m ? EventSchema : SessionMessageSchema).parse(m);
    } catch (err) {
      result.error ??= `server sent a message outside the protocol: ${(err as Error).message}`;
      return null;
    }
    let out = text;
    if (opts.clock === "client" && typeof m.seq === "number") {
      m.emittedMs = sentAt.first === null ? 0 : Math.round(performance.now() - sentAt.first);
      out = JSON.stringify(m);
    }
    result.messages.push(m);
    onMessage(m, out);
    if (m.type === "error") result.error ??= `server error ${m.code}: ${m.message}`;
    return m;
  };
}

/**
 * One session over a WebSocket (`GET /v1/sessions/ws`): PCM16 frames of 20 ms out, the same
 * messages back. Resolves when the server says `ended` (and closes the socket), or with `error`
 * set on a failure or timeout.
 */
async function runSocketClient(
  opts: ClientOptions,
  audio: Float32Array,
  result: ClientResult,
  onMessage: (m: Record<string, unknown>, text: string) => void,
): Promise<ClientResult> {
  const url = new URL("/v1/sessions/ws", opts.url);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  if (opts.mode) url.searchParams.set("mode", opts.mode);
  if (opts.model) url.searchParams.set("model", opts.model);
  if (opts.overrides) url.searchParams.set("overrides", JSON.stringify(opts.overrides));
  const sentAt = { first: null as number | null };
  const halt = { stopped: false };
  const ready = Promise.withResolvers<void>();
  const ended = Promise.withResolvers<void>();
  const closed = Promise.withResolvers<void>();
  const receive = receiver(opts, result, sentAt, onMessage);
  const ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  ws.onmessage = (e) => {
    const m = receive(typeof e.data === "string" ? e.data : new TextDecoder().decode(e.data));
    if (m?.type === "ready") ready.resolve();
    if (m?.type === "ended") (halt.stopped = true, ended.resolve());
  };
  ws.onclose = (e) => {
    halt.stopped = true;
    // A refused upgrade closes before `ready`: say so rather than wait for the deadline.
    ready.reject(new Error(`the server closed the WebSocket (${e.code}) before the session began`));
    closed.resolve();
  };
  ws.onerror = () => {};
  ready.promise.catch(() => {});
  const flow = async () => {
    await ready.promise;
    result.location = new URL(`/v1/sessions/${result.messages[0]?.sessionId}`, opts.url).href;
    const sent = opts.vanishAfterS
      ? audio.subarray(0, Math.round(opts.vanishAfterS * SAMPLE_RATE_HZ))
      : audio;
    const t0 = performance.now();
    sentAt.first = t0;
    for (const f of pcmFrames(sent)) {
      while (ws.bufferedAmount > 256 * 1024 && ws.readyState === WebSocket.OPEN) await sleep(5);
      if (halt.stopped || ws.readyState !== WebSocket.OPEN) break;
      ws.send(f.bytes);
      if (opts.realtime) {
        const wait = f.untilMs - (performance.now() - t0);
        if (wait > 0) await sleep(wait);
      }
    }
    if (opts.vanishAfterS) return;
    if (ws.readyState === WebSocket.OPEN && !halt.stopped) {
      ws.send(JSON.stringify({ v: PROTOCOL_VERSION, type: "end" }));
    }
    await Promise.race([ended.promise, closed.promise]);
    if (!result.messages.some((m) => m.type === "ended")) {
      throw new Error("the WebSocket closed before the session ended");
    }
  };
  await underDeadline(opts.timeout, result, flow, () => {
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close();
  });
  return result;
}

/**
 * Runs `flow` with every step (connecting, sending, waiting for `ended`) against one deadline of
 * `timeoutS`; a failure or the deadline becomes `result.error`; `cleanup` runs either way.
 */
async function underDeadline(
  timeoutS: number,
  result: ClientResult,
  flow: () => Promise<void>,
  cleanup: () => unknown,
): Promise<void> {
  let deadline: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<void>((resolve) => {
    deadline = setTimeout(() => {
      result.error ??= `timed out after ${timeoutS} s`;
      resolve();
    }, timeoutS * 1000);
  });
  try {
    await Promise.race([flow(), timedOut]);
  } catch (err) {
    result.error ??= (err as Error).message;
  } finally {
    clearTimeout(deadline);
    await cleanup();
  }
}

/** How audio is sent. */
interface SendOptions {
  /** At the speaker's pace (else as fast as the link takes it). */
  realtime: boolean;
  /** Set to when the first audio went out. */
  sentAt: { first: number | null };
  /** Sending stops once `stopped` is set. */
  halt: { stopped: boolean };
  /** Runs once, when `ms` of audio have gone out. */
  at?: { ms: number; run: () => void };
}

/** Runs `send.at` once `ms` of audio went out; returns whether sending goes on. */
function progress(send: SendOptions, ms: number): boolean {
  if (send.at && ms >= send.at.ms) {
    const { run } = send.at;
    send.at = undefined;
    run();
  }
  return !send.halt.stopped;
}

/**
 * Sends `audio` as Opus RTP packets of 20 ms on the media track, through `impair` (which may
 * drop and reorder them, as a network would), encoded at `bitrate` (bit/s: what the answer asked,
 * as a browser takes it).
 */
async function sendMedia(
  pc: RTCPeerConnection,
  track: MediaStreamTrack,
  audio: Float32Array,
  send: SendOptions,
  impair: Impairment<RtpPacket>,
  bitrate: number,
): Promise<void> {
  const { realtime, sentAt } = send;
  const sender = pc.getTransceivers()[0].sender;
  const payloadType = sender.codec?.payloadType ?? 111;
  const ssrc = (Math.random() * 0xffffffff) >>> 0;
  // In-band FEC on, as browsers send it: a lost packet comes back from the next one.
  using enc = new OpusEncoder({ rate: SAMPLE_RATE_HZ, bitrate, packetLossPercent: 10 });
  const frame = (SAMPLE_RATE_HZ * FRAME_MS) / 1000;
  sentAt.first = performance.now();
  // Real time: one packet per 20 ms of wall clock; otherwise 10× faster, which the loopback
  // socket buffers take without loss as long as a held-up sender does not send its backlog.
  const pacer = new Pacer({ intervalMs: realtime ? FRAME_MS : FRAME_MS / 10, catchUp: realtime });
  let seq = (Math.random() * 0xffff) | 0;
  let ts = (Math.random() * 0xffffffff) >>> 0;
  for (let i = 0, n = 0; i < audio.length; i += frame, n++) {
    const chunk = new Float32Array(frame);
    chunk.set(audio.subarray(i, i + frame));
    const header = new RtpHeader({
      payloadType,
      sequenceNumber: seq,
      timestamp: ts,
      ssrc,
      marker: n === 0,
    });
    const packet = new RtpPacket(header, Buffer.from(enc.encode(chunk)));
    for (const p of impair.push(packet)) track.writeRtp(p);
    seq = (seq + 1) & 0xffff;
    ts = (ts + 960) >>> 0;
    await sleep(pacer.sent(performance.now()));
    if (!progress(send, Math.min(audio.length, i + frame) * 1000 / SAMPLE_RATE_HZ)) return;
  }
  for (const p of impair.flush()) track.writeRtp(p);
}

/** A binary frame for a data channel, and the audio time it completes, ms. */
interface TimedFrame {
  bytes: Uint8Array;
  untilMs: number;
}

/** `audio` as PCM16 frames of 20 ms (the `audio` channel). */
function pcmFrames(audio: Float32Array): TimedFrame[] {
  const step = (SAMPLE_RATE_HZ * FRAME_MS) / 1000;
  return Array.from({ length: Math.ceil(audio.length / step) }, (_, i) => ({
    bytes: pcm16Frame(i, audio.subarray(i * step, (i + 1) * step)),
    untilMs: Math.min(audio.length, (i + 1) * step) * 1000 / SAMPLE_RATE_HZ,
  }));
}

/**
 * `audio` as the privacy mode's messages (the `mel` channel): every 100 ms of samples become log-mel
 * frames, quantized to 8 bits over their own range, as the page's worklet sends them.
 */
function melFrames(audio: Float32Array): TimedFrame[] {
  const logMel = new LogMel();
  const step = SAMPLE_RATE_HZ / 10;
  const out: TimedFrame[] = [];
  for (let i = 0; i < audio.length; i += step) {
    const mel = logMel.push(audio.subarray(i, i + step));
    if (mel.length < MEL_BINS) continue;
    out.push({
      bytes: melFrame(out.length, mel),
      untilMs: Math.min(audio.length, i + step) * 1000 / SAMPLE_RATE_HZ,
    });
  }
  return out;
}

/** Sends binary frames on a data channel, each when its audio is complete with `realtime`. */
async function sendFrames(
  dc: RTCDataChannel,
  frames: TimedFrame[],
  send: SendOptions,
): Promise<void> {
  const { realtime, sentAt } = send;
  await opened(dc);
  const t0 = performance.now();
  sentAt.first = t0;
  for (const f of frames) {
    while (dc.bufferedAmount > 256 * 1024 && dc.readyState === "open") await sleep(5);
    if (dc.readyState !== "open") return;
    dc.send(Buffer.from(f.bytes));
    if (realtime) {
      const wait = f.untilMs - (performance.now() - t0);
      if (wait > 0) await sleep(wait);
    }
    if (!progress(send, f.untilMs) || dc.readyState !== "open") return;
  }
}

async function main(opts: ClientOptions): Promise<number> {
  const out = opts.out
    ? await Deno.open(opts.out, { write: true, create: true, truncate: true })
    : null;
  const enc = new TextEncoder();
  const sink = out ?? Deno.stdout;
  // One write after another: the lines keep their order.
  let writes: Promise<unknown> = Promise.resolve();
  try {
    const r = await runClient(opts, (_m, text) => {
      const line = enc.encode(text + "\n");
      writes = writes.then(async () => {
        for (let o = 0; o < line.length;) o += await sink.write(line.subarray(o));
      });
    });
    await writes;
    if (r.error) {
      console.error(`client: ${r.error}`);
      return 1;
    }
    return 0;
  } finally {
    out?.close();
  }
}

if (import.meta.main) {
  Deno.exit(await runCommand(Deno.args, helpText(CLIENT_COMMAND), parseArgs, main));
}
