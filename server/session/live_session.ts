/**
 * One live session as a transport sees it: an engine stream, the inputs that feed it (PCM from a
 * decoded media track, binary frames from the `audio` channel, log-mel frames from the `mel`
 * channel in privacy mode) and the `transcript` channel that
 * carries events and session messages out and control messages in. Transport-free: WebRTC wires a
 * peer connection to it; tests wire plain functions.
 *
 * Whatever arrives is validated; a bad message or frame becomes a recoverable `error` event and
 * the session goes on.
 *
 * The session owns what it sends: it numbers the engine's events (`v`, `seq`) as it takes them
 * from the stream's iterator, and its own error events and messages go out after every event the
 * stream had emitted when they arose, so the numbering is the order things happened in.
 *
 * @module
 */

import { timeStage } from "../../util/stage_cost.ts";
import { MEL_BINS, parseFrame } from "../../protocol/audio_frames.ts";
import {
  type ControlMessage,
  parseControl,
  type SessionMessage,
  utf8Bytes,
} from "../../protocol/control.ts";
import { PROTOCOL_VERSION, type TranscriptEvent } from "../../protocol/events.ts";
import type { StreamEvent, StreamSession } from "../engine/stream.ts";
import { EventNumbering } from "./numbering.ts";
import { resolveStreamConfig } from "../engine/modes.ts";
import { FrameDecoder } from "../../decode/frames.ts";

/** Where text for the client goes (the `transcript` data channel). */
export interface TextSink {
  send(text: string): void;
}

/** Why a session ended (see `EndedSchema`). */
export type EndReason =
  | "end"
  | "deleted"
  | "disconnected"
  | "timeout"
  | "max_duration"
  | "shutdown"
  | "error"
  | "connect_timeout"
  | "ice_failed"
  | "dtls_failed";

/** The inputs a session may receive audio from. */
export type InputKind = "media" | "audio" | "mel";

/** The binary data channels: where a frame arrived. */
export type FrameChannel = "audio" | "mel";

/** Events kept while no transcript channel is attached yet; older ones beyond this are dropped. */
const MAX_BUFFERED = 2_000;
/** Largest data-channel message taken by default, bytes (an Opus or 1 s PCM16 frame fits). */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024;
/** Control messages a session takes per second, sustained, and in a burst. */
const CONTROL_RATE = 20;
const CONTROL_BURST = 50;
/** Error events sent per second at most; more bad input is counted, not answered one by one. */
const ERRORS_PER_S = 10;
/** A timer this late (ms) found the event loop held up (see `#armStopTimer`). */
const LATE_TIMER_MS = 100;

/**
 * What arrived on the media track, as the transport's RTP jitter buffer and Opus decoder saw it
 * (all zero for sessions without one).
 */
export interface MediaCounters {
  /** RTP packets received (late and duplicate ones included). */
  packets: number;
  /** Packets never received: their time was filled (FEC, concealment, zeros). */
  lost: number;
  /** Packets that arrived after a later one and were put back in order. */
  reordered: number;
  /** Packets that arrived after their place was given up (dropped). */
  late: number;
  /** Packets received twice. */
  duplicates: number;
  /** Audio recovered from the next packet's in-band FEC, ms. */
  fecMs: number;
  /** Audio made up by Opus packet-loss concealment, ms. */
  concealedMs: number;
  /**
   * Packets whose payload claimed more time than the RTP timestamps gave them (junk, or a broken
   * sender): the audio clock follows the timestamps, and the overlap was cut.
   */
  mismatched: number;
  /** Audio cut for `mismatched` packets, ms. */
  mismatchedMs: number;
}

/** Media counters of a track on which nothing has arrived yet (all zero). */
export function noMediaYet(): MediaCounters {
  return {
    packets: 0,
    lost: 0,
    reordered: 0,
    late: 0,
    duplicates: 0,
    fecMs: 0,
    concealedMs: 0,
    mismatched: 0,
    mismatchedMs: 0,
  };
}

/** What the session counts (for stats, tests and the closing figures). */
export interface SessionCounters {
  framesIn: number;
  badMessages: number;
  samplesIn: number;
  /** Mel frames (10 ms each) taken in. */
  melFramesIn: number;
  eventsOut: number;
  droppedEvents: number;
  /** The media track's packets (kept up to date by the transport). */
  media: MediaCounters;
  /**
   * Times the audio stopped arriving (for the mode's end-of-speech silence past when what came
   * would have been heard) while the session was open: each time, what was open was finalized.
   */
  audioStops: number;
}

/** What a {@linkcode LiveSession} reports to its owner. */
export interface LiveSessionOptions {
  /** Runs once, when the session is over (its resources freed), with why. */
  onClosed?: (reason: EndReason) => void;
  /** Sees every event the session puts out, numbered, as it goes out (metrics). */
  observeEvent?: (event: TranscriptEvent) => void;
}

/** One session; see the module doc. */
export class LiveSession {
  readonly id: string;
  /** When the session was opened (`performance.now()`). */
  readonly openedAt: number = performance.now();
  readonly stream: StreamSession;
  readonly inputs: InputKind[];
  readonly counters: SessionCounters = {
    framesIn: 0,
    badMessages: 0,
    samplesIn: 0,
    melFramesIn: 0,
    eventsOut: 0,
    droppedEvents: 0,
    media: noMediaYet(),
    audioStops: 0,
  };
  #sink: TextSink | null = null;
  #buffered: string[] = [];
  #ended: Promise<void> | null = null;
  #closed = false;
  readonly #onClosed: (reason: EndReason) => void;
  readonly #observeEvent: ((event: TranscriptEvent) => void) | undefined;
  readonly #numbering = new EventNumbering();
  /** Events taken from the stream so far. */
  #taken = 0;
  /** The session's own output waiting for the stream's events emitted before it arose. */
  #held: { after: number; send: () => void }[] = [];
  /** Takes the stream's events until it ends. */
  readonly #forwarding: Promise<void>;
  /**
   * Per binary channel, the next frame number; and an Opus decoder once Opus frames arrive on
   * the audio channel.
   */
  #nextSeq: Record<FrameChannel, number | null> = { audio: null, mel: null };
  readonly #frames = new FrameDecoder();
  /** Largest data-channel message taken, bytes; a larger one is refused with an error event. */
  maxMessageBytes: number = DEFAULT_MAX_MESSAGE_BYTES;
  /** Control-message tokens (a token bucket) and when it was last filled. */
  #tokens = CONTROL_BURST;
  #filledAt = performance.now();
  /** Error events sent in the current second, and bad inputs not answered in it. */
  #errorWindow = { start: 0, sent: 0, quiet: 0 };
  /**
   * When the audio taken so far will have been heard, at the speaker's pace (performance.now(),
   * ms): each input adds its length from when it arrived or from when the audio before it ends,
   * whichever is later, so a client sending ahead of real time (or in 1 s frames) is not taken
   * for one whose audio stopped.
   */
  #heardUntil = 0;
  /** The timer that watches for the audio stopping (see {@linkcode #watchAudio}). */
  #stopTimer: ReturnType<typeof setTimeout> | undefined;

  /** Wraps an engine stream: from now on it takes the stream's events and sends them. */
  constructor(
    id: string,
    stream: StreamSession,
    inputs: InputKind[],
    opts: LiveSessionOptions = {},
  ) {
    this.id = id;
    this.stream = stream;
    this.inputs = inputs;
    this.#onClosed = opts.onClosed ?? (() => {});
    this.#observeEvent = opts.observeEvent;
    this.#forwarding = this.#forward();
  }

  /** Whether the session is over. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Whether the session is finishing (after `end`): no more input is expected. */
  get ending(): boolean {
    return this.#ended !== null;
  }

  /** Sends the stream's events as they come, and the session's output that waited for them. */
  async #forward(): Promise<void> {
    for await (const event of this.stream) {
      this.#taken++;
      this.#event(event);
      while (this.#held.length && this.#held[0].after <= this.#taken) this.#held.shift()!.send();
    }
    this.#unwatchAudio();
  }

  /**
   * `ms` of audio arrived: the watch for the audio stopping starts again from where it ends. When
   * nothing more arrives for the mode's end-of-speech silence (`endSilenceMs`) after it would
   * have been heard — a muted microphone, a page in the background, a stalled network, with the
   * transcript channel still open — the stream is told its input paused: speech going on ends
   * as at a silence and the open segment is finalized, so no heard speech waits for audio that
   * may never come. Audio arriving later goes on as usual.
   */
  #watchAudio(ms: number): void {
    const now = performance.now();
    this.#heardUntil = Math.max(this.#heardUntil, now) + ms;
    this.#stopTimer ??= this.#armStopTimer();
  }

  #armStopTimer(recheckMs?: number): ReturnType<typeof setTimeout> {
    const dueMs = recheckMs ??
      Math.max(0, this.#heardUntil + this.stream.config.endSilenceMs - performance.now());
    const at = performance.now() + dueMs;
    return setTimeout(() => {
      this.#stopTimer = undefined;
      if (this.#closed || this.#ended || this.stream.finished) return;
      const now = performance.now();
      if (now < this.#heardUntil + this.stream.config.endSilenceMs) {
        this.#stopTimer = this.#armStopTimer();
        return;
      }
      // A timer far behind its time means the event loop was held up: audio that arrived
      // meanwhile may still wait in the sockets. Look again (once) after they have been read.
      if (recheckMs === undefined && now - at > LATE_TIMER_MS) {
        this.#stopTimer = this.#armStopTimer(LATE_TIMER_MS);
        return;
      }
      this.counters.audioStops++;
      this.stream.pause();
    }, dueMs);
  }

  #unwatchAudio(): void {
    clearTimeout(this.#stopTimer);
    this.#stopTimer = undefined;
  }

  /** Numbers an event and sends it to the client (or keeps it until the channel is attached). */
  #event(event: StreamEvent): void {
    const numbered = this.#numbering.number(event);
    this.#observeEvent?.(numbered);
    timeStage("events_out", () => this.#send(JSON.stringify(numbered)));
  }

  /** Runs `send` (the session's own output) after every event the stream has emitted so far. */
  #afterStream(send: () => void): void {
    const after = this.stream.emitted;
    if (!this.#held.length && this.#taken >= after) send();
    else this.#held.push({ after, send });
  }

  #message(m: SessionMessage): void {
    this.#afterStream(() => this.#send(JSON.stringify(m)));
  }

  /**
   * A recoverable `error` event of the session's own (something arrived it could not use: the
   * session goes on), numbered in order with the stream's; none once the stream's events ended.
   */
  #error(code: string, message: string, recoverable = true): void {
    if (this.stream.finished) return;
    const event: StreamEvent = {
      emittedMs: Math.round(this.stream.clock.now()),
      type: "error",
      audioMs: Math.round(this.stream.processedMs),
      code,
      message,
      recoverable,
    };
    this.#afterStream(() => this.#event(event));
  }

  #send(text: string): void {
    if (this.#sink) {
      try {
        this.#sink.send(text);
        this.counters.eventsOut++;
      } catch {
        // The channel went away; the transport ends the session.
        this.counters.droppedEvents++;
      }
      return;
    }
    this.#buffered.push(text);
    if (this.#buffered.length > MAX_BUFFERED) {
      this.#buffered.shift();
      this.counters.droppedEvents++;
    }
  }

  /** Attaches the transcript channel: sends `ready`, then every event kept so far. */
  attachTranscript(sink: TextSink): void {
    this.#sink = sink;
    this.#send(JSON.stringify(
      {
        v: PROTOCOL_VERSION,
        type: "ready",
        sessionId: this.id,
        mode: this.stream.config.mode,
        inputs: this.inputs,
      } satisfies SessionMessage,
    ));
    const kept = this.#buffered;
    this.#buffered = [];
    for (const t of kept) this.#send(t);
  }

  /** 16 kHz mono samples from a decoded media track. */
  pushPcm(samples: Float32Array): void {
    if (this.#closed || this.#ended) return;
    try {
      this.stream.push(samples);
      this.counters.samplesIn += samples.length;
      if (samples.length) this.#watchAudio(samples.length / 16);
    } catch (err) {
      this.#bad("bad_audio", (err as Error).message);
    }
  }

  /** A message on the transcript channel: a control message, or garbage (an error event). */
  async control(data: unknown): Promise<void> {
    if (this.#closed) return;
    if (this.#oversized(data)) return;
    let msg: ControlMessage;
    try {
      msg = parseControl(data);
    } catch (err) {
      this.#bad("bad_message", (err as Error).message);
      return;
    }
    // `end` is never dropped: a client's last word must land.
    const now = performance.now();
    this.#tokens = Math.min(
      CONTROL_BURST,
      this.#tokens + ((now - this.#filledAt) / 1000) * CONTROL_RATE,
    );
    this.#filledAt = now;
    if (this.#tokens < 1 && msg.type !== "end") {
      this.#bad(
        "rate_limited",
        `control messages arrive faster than ${CONTROL_RATE} a second; this one was dropped`,
      );
      return;
    }
    this.#tokens--;
    try {
      switch (msg.type) {
        case "ping":
          this.#message({
            v: PROTOCOL_VERSION,
            type: "pong",
            id: msg.id,
            ...(msg.clientMs !== undefined ? { clientMs: msg.clientMs } : {}),
            serverMs: Math.round(this.stream.clock.now()),
          });
          break;
        case "mode":
          this.stream.reconfigure(
            // The models are the session's for its whole life (its transcriber holds them).
            resolveStreamConfig(msg.mode, {
              ...msg.overrides,
              model: this.stream.config.model,
              closingModel: this.stream.config.closingModel,
            }),
          );
          this.#message({ v: PROTOCOL_VERSION, type: "ack", of: "mode" });
          break;
        case "flush":
          await this.stream.flush();
          this.#message({ v: PROTOCOL_VERSION, type: "ack", of: "flush" });
          break;
        case "end":
          await this.end("end");
          break;
      }
    } catch (err) {
      this.#bad("bad_request", (err as Error).message);
    }
  }

  /**
   * Log-mel frames (privacy mode): 80 log10-power values per 10 ms frame, frame after frame.
   */
  pushMel(frames: Float32Array): void {
    if (this.#closed || this.#ended) return;
    try {
      this.stream.pushMel(frames);
      this.counters.melFramesIn += frames.length / MEL_BINS;
      if (frames.length) this.#watchAudio((frames.length / MEL_BINS) * 10);
    } catch (err) {
      this.#bad("bad_audio", (err as Error).message);
    }
  }

  /**
   * A binary frame (see `audio_frames.ts`) on the `audio` channel (PCM16 or Opus) or the `mel`
   * channel (log-mel); frame numbers count per channel.
   */
  audioFrame(data: unknown, channel: FrameChannel = "audio"): void {
    if (this.#closed || this.#ended) return;
    if (this.#oversized(data)) return;
    timeStage("frames", () => this.#frame(data, channel));
  }

  #frame(data: unknown, channel: FrameChannel): void {
    let frame;
    try {
      frame = parseFrame(data as Uint8Array);
    } catch (err) {
      this.#bad("bad_frame", (err as Error).message);
      return;
    }
    if ((frame.kind === "mel") !== (channel === "mel")) {
      this.#bad(
        "bad_frame",
        `${frame.kind} frames do not belong on the ${channel} channel (mel frames go on "mel", ` +
          `PCM16 and Opus on "audio")`,
      );
      return;
    }
    this.counters.framesIn++;
    const expected = this.#nextSeq[channel];
    const gap = expected === null ? 0 : frame.seq - expected;
    if (gap < 0) {
      this.#bad("bad_frame", `frame ${frame.seq} arrived after frame ${expected! - 1}`);
      return;
    }
    this.#nextSeq[channel] = frame.seq + 1;
    let decoded;
    try {
      decoded = this.#frames.decode(frame, gap);
    } catch (err) {
      this.#bad("bad_frame", (err as Error).message);
      return;
    }
    if (decoded.kind === "pcm") { for (const p of decoded.chunks) this.pushPcm(p); }
    else for (const m of decoded.chunks) this.pushMel(m);
  }

  /**
   * The client closed a binary channel. When the session takes its audio from it, no more audio
   * can come: the session ends as on `end` (what is open is finalized and sent, then `ended`
   * with reason `end`). A channel that carried no audio closing changes nothing.
   */
  async inputClosed(channel: FrameChannel): Promise<void> {
    if (this.#closed || this.#nextSeq[channel] === null) return;
    await this.end("end");
  }

  /** Refuses a message over {@linkcode maxMessageBytes} (an error event); true when it did. */
  #oversized(data: unknown): boolean {
    const size = typeof data === "string"
      ? utf8Bytes(data, this.maxMessageBytes)
      : data instanceof Uint8Array || data instanceof ArrayBuffer
      ? data.byteLength
      : 0;
    if (size <= this.maxMessageBytes) return false;
    this.#bad(
      "message_too_large",
      `a data-channel message of ${size} bytes is over this server's limit of ${this.maxMessageBytes}`,
    );
    return true;
  }

  /**
   * The transport refused a data-channel message on `channel` while it was still arriving: more
   * than {@linkcode maxMessageBytes} of it (`heldBytes`, in `fragments`) had come, or it came in
   * too many fragments. A `message_too_large` error event, counted as bad input; the session goes
   * on.
   */
  refuseOversized(channel: string, heldBytes: number, fragments: number): void {
    this.#bad(
      "message_too_large",
      `a data-channel message on "${channel}" was refused while arriving: ${heldBytes} bytes of it had come (${fragments} fragments); this server's limit is ${this.maxMessageBytes} bytes`,
    );
  }

  /**
   * Tells the client about something the transport received and could not use (a data channel
   * it does not know, …): an error event, not counted or capped as bad input is. Recoverable
   * (the default): the session goes on; not: the caller is ending it.
   */
  reportError(code: string, message: string, recoverable = true): void {
    this.#error(code, message, recoverable);
  }

  /**
   * Counts bad input and tells the client with an error event: at most {@linkcode ERRORS_PER_S}
   * a second; past that they are counted, and the next error event says how many were not
   * answered.
   */
  #bad(code: string, message: string): void {
    this.counters.badMessages++;
    const now = performance.now();
    const w = this.#errorWindow;
    if (now - w.start >= 1000) {
      w.start = now;
      w.sent = 0;
    }
    if (w.sent >= ERRORS_PER_S) {
      w.quiet++;
      return;
    }
    w.sent++;
    const quiet = w.quiet;
    w.quiet = 0;
    this.#error(
      code,
      quiet ? `${message} (and ${quiet} more bad inputs before it, not answered)` : message,
    );
  }

  /**
   * Ends the session: finalizes what is open, sends the last events and `ended`, then frees it.
   * Idempotent; a second call waits for the first.
   */
  end(reason: EndReason): Promise<void> {
    this.#ended ??= (async () => {
      try {
        await this.stream.end();
      } finally {
        this.#message(this.#endedMessage(reason));
        await this.close(reason);
      }
    })();
    return this.#ended;
  }

  /** `ended` with `reason`, and what arrived on the media track for a session that has one. */
  #endedMessage(reason: EndReason): SessionMessage {
    if (!this.inputs.includes("media")) return { v: PROTOCOL_VERSION, type: "ended", reason };
    const { packets, lost, late, fecMs, concealedMs } = this.counters.media;
    return {
      v: PROTOCOL_VERSION,
      type: "ended",
      reason,
      media: { packets, lost, late, fecMs, concealedMs },
    };
  }

  /**
   * Gives up on a client that has gone quiet (the idle watchdog). A client still holding the
   * transcript channel gets what is open finalized (no heard speech is dropped) and then `ended`
   * with `reason`, as on {@linkcode end}; with no transcript channel attached nothing is
   * finalized (no one would read it). Then the session is freed.
   */
  async abandon(reason: EndReason): Promise<void> {
    if (this.#closed || this.#ended) return;
    if (this.#sink) return await this.end(reason);
    this.#message(this.#endedMessage(reason));
    await this.close(reason);
  }

  /**
   * Stops at once (a client that vanished): frees the stream without finalizing; resolves once
   * every event it emitted is sent.
   */
  async close(reason: EndReason): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unwatchAudio();
    await this.stream.close();
    await this.#forwarding;
    this.#frames.close();
    this.#onClosed(reason);
  }
}
