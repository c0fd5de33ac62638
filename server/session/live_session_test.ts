import { type RegistryOptions, SessionRegistry } from "./registry.ts";
import type { InputKind, LiveSession } from "./live_session.ts";
import { Engine } from "../engine/engine.ts";
import { SimulatedClock } from "../engine/clock.ts";
import { fakeTranscribers, JFK_WORDS } from "../engine/testing.ts";
import { decodeAudioFile } from "../../decode/audio_file.ts";
import { MEL_BINS, melFrame, opusFrame, pcm16Frame } from "../../protocol/audio_frames.ts";
import { LogMel } from "../../protocol/mel.ts";
import { corpusWer } from "../../bench/metrics/wer.ts";
import { SessionMessageSchema } from "../../protocol/control.ts";
import { EventSchema } from "../../protocol/events.ts";
import { OpusEncoder } from "../../ffi/opus/mod.ts";
import { hasShared, sharedPath } from "../../ffi/testing/shared.ts";
import { assert, assertEquals, assertRejects } from "../../ffi/testing/assert.ts";

const MODEL = "models/ggml-tiny.en.bin";
const VAD = "models/ggml-silero-v5.1.2.bin";
const JFK = "speech/jfk/jfk.wav";
const ignore = !hasShared(MODEL, VAD, JFK);

/** Every message a session sent, parsed and checked against the protocol. */
function parseAll(sent: string[]) {
  return sent.map((t) => {
    const m = JSON.parse(t);
    return "seq" in m ? EventSchema.parse(m) : SessionMessageSchema.parse(m);
  });
}

Deno.test({
  name: "a live session takes audio frames and control messages, and survives garbage",
  ignore,
  fn: async () => {
    const engine = new Engine({ model: sharedPath(MODEL), vadModel: sharedPath(VAD) });
    const closed: string[] = [];
    const reg = new SessionRegistry(engine, {
      maxSessions: 1,
      onClosed: (_s, reason) => closed.push(reason),
    });
    try {
      const live = await reg.open({ inputs: ["audio"], clock: new SimulatedClock() });
      await assertRejects(() => reg.open({ inputs: [] }), Error, "limit of 1");
      const sent: string[] = [];
      live.attachTranscript({ send: (t) => sent.push(t) });
      const audio = (await decodeAudioFile(sharedPath(JFK))).samples;
      // Garbage of every kind first: each becomes an error event.
      await live.control("{nope");
      await live.control('{"v":1,"type":"mode","mode":"turbo"}');
      live.audioFrame("text");
      live.audioFrame(Uint8Array.of(1, 9, 0, 0, 0, 0, 0, 0));
      // Half of jfk as PCM16 frames (frame 5 lost in transit), the rest as Opus.
      let seq = 0;
      const half = 16_000 * 5;
      for (let i = 0; i < half; i += 320) {
        const f = pcm16Frame(seq++, audio.subarray(i, i + 320));
        if (seq !== 6) live.audioFrame(f);
      }
      using enc = new OpusEncoder({ rate: 16_000 });
      for (let i = half; i + 320 <= audio.length; i += 320) {
        live.audioFrame(opusFrame(seq++, enc.encode(audio.subarray(i, i + 320))));
      }
      await live.control('{"v":1,"type":"ping","id":"p1","clientMs":5}');
      await live.control('{"v":1,"type":"mode","mode":"accuracy"}');
      await live.control('{"v":1,"type":"end"}');
      assert(live.closed);
      assertEquals(closed, ["end"]);
      assertEquals(reg.size, 0);
      const msgs = parseAll(sent);
      assertEquals(msgs[0].type, "ready");
      assertEquals(msgs[msgs.length - 1], { v: 1, type: "ended", reason: "end" });
      const errors = msgs.filter((m) => m.type === "error");
      assertEquals(errors.map((e) => e.type === "error" && e.code), [
        "bad_message",
        "bad_message",
        "bad_frame",
        "bad_frame",
      ]);
      assert(msgs.some((m) => m.type === "pong" && m.id === "p1" && m.clientMs === 5));
      assert(msgs.some((m) => m.type === "ack" && m.of === "mode"));
      const text = msgs.filter((m) => m.type === "final").map((m) => m.type === "final" && m.text)
        .join(" ").toLowerCase();
      assert(text.includes("ask not what your country can do for you"), text);
      // Every sample arrived: the lost PCM frame was filled with as much silence.
      assertEquals(live.counters.samplesIn, audio.length - (audio.length - half) % 320);
      // After the end nothing more is taken or sent.
      const n = sent.length;
      live.audioFrame(pcm16Frame(seq, audio.subarray(0, 320)));
      await live.control('{"v":1,"type":"flush"}');
      assertEquals(sent.length, n);
    } finally {
      await engine.close();
    }
  },
});

Deno.test({
  name: "a privacy-mode session takes 8-bit mel frames on the mel channel and hears jfk",
  ignore,
  fn: async () => {
    const engine = new Engine({ model: sharedPath(MODEL), vadModel: sharedPath(VAD) });
    const reg = new SessionRegistry(engine, { maxSessions: 1 });
    try {
      const live = await reg.open({ inputs: ["mel"], clock: new SimulatedClock() });
      const sent: string[] = [];
      live.attachTranscript({ send: (t) => sent.push(t) });
      const audio = (await decodeAudioFile(sharedPath(JFK))).samples;
      // The page's side: log-mel of each 100 ms, quantized over its own range; message 3 (in
      // the silence before the speech) is lost in transit.
      const logMel = new LogMel();
      let seq = 0;
      let frames = 0;
      for (let i = 0; i < audio.length; i += 1_600) {
        const mel = logMel.push(audio.subarray(i, i + 1_600));
        frames += mel.length / MEL_BINS;
        const f = melFrame(seq++, mel);
        if (seq !== 4) live.audioFrame(f, "mel");
        if (seq === 20) {
          // Frames on the wrong channel, and samples into a mel session, are refused.
          live.audioFrame(f, "audio");
          live.audioFrame(pcm16Frame(0, audio.subarray(0, 320)), "mel");
          live.pushPcm(audio.subarray(0, 320));
        }
      }
      await live.control('{"v":1,"type":"end"}');
      assert(live.closed);
      const msgs = parseAll(sent);
      const errors = msgs.filter((m) => m.type === "error").map((m) =>
        m.type === "error" && m.code
      );
      assertEquals(errors, ["bad_frame", "bad_frame", "bad_audio"]);
      const text = msgs.filter((m) => m.type === "final").map((m) => m.type === "final" && m.text)
        .join(" ").toLowerCase();
      const ref = Deno.readTextFileSync(sharedPath("speech/jfk/jfk.txt"));
      const wer = corpusWer([{ ref, hyp: text }]).wer;
      assert(wer < 0.15, `jfk over mel frames: WER ${wer}: ${text}`);
      // The lost message was stood in for by as many silent frames: the clock stays true.
      assertEquals(live.counters.melFramesIn, frames);
      assertEquals(live.stream.input, "mel");
    } finally {
      await engine.close();
    }
  },
});

/**
 * Runs `fn` with one session on a registry made with `opts` (reasons it closed for are collected),
 * its transcript channel a list of the texts sent; the engine is closed afterwards. Its sessions
 * decode with a fake transcriber that hears jfk's words where jfk says them (whisper is not what
 * these tests test; the VAD is real).
 */
async function withSession(
  opts: RegistryOptions,
  inputs: InputKind[],
  fn: (
    s: { live: LiveSession; reg: SessionRegistry; sent: string[]; closed: string[] },
  ) => Promise<void>,
): Promise<void> {
  const engine = new Engine({
    vadModel: sharedPath(VAD),
    transcribers: fakeTranscribers({ script: JFK_WORDS }),
  });
  const closed: string[] = [];
  const reg = new SessionRegistry(engine, {
    ...opts,
    onClosed: (_s, reason) => closed.push(reason),
  });
  try {
    const live = await reg.open({ inputs, clock: new SimulatedClock() });
    const sent: string[] = [];
    live.attachTranscript({ send: (t) => sent.push(t) });
    await fn({ live, reg, sent, closed });
  } finally {
    await engine.close();
  }
}

/**
 * jfk up to `seconds` (from `fromS`) as frames on the audio channel (PCM16, 20 ms each) or the mel
 * channel (8-bit log-mel, 100 ms each), numbered from `seq`; returns the next frame number.
 */
async function feedJfk(
  live: LiveSession,
  seconds: number,
  { channel = "audio", fromS = 0, seq = 0 }: {
    channel?: "audio" | "mel";
    fromS?: number;
    seq?: number;
  } = {},
): Promise<number> {
  const all = (await decodeAudioFile(sharedPath(JFK))).samples;
  const audio = all.subarray(16_000 * fromS, 16_000 * seconds);
  if (channel === "audio") {
    for (let i = 0; i < audio.length; i += 320) {
      live.audioFrame(pcm16Frame(seq++, audio.subarray(i, i + 320)));
    }
    return seq;
  }
  // Log-mel from the start of the file, so the frames sent line up with jfk's time.
  const logMel = new LogMel();
  for (let i = 0; i < 16_000 * seconds; i += 1_600) {
    const mel = logMel.push(all.subarray(i, i + 1_600));
    if (i >= 16_000 * fromS) live.audioFrame(melFrame(seq++, mel), "mel");
  }
  return seq;
}

Deno.test({
  name:
    "oversized messages, a control flood and a flood of garbage are refused and capped; max duration ends a session",
  ignore,
  fn: () =>
    withSession(
      { maxMessageBytes: 2_048, maxSessionMs: 1_500 },
      ["audio"],
      async ({ live, reg, sent, closed }) => {
        const errors = () =>
          parseAll(sent).filter((m) => m.type === "error") as { code: string; message: string }[];
        live.audioFrame(new Uint8Array(4_096));
        await live.control(`{"v":1,"type":"ping","id":"${"x".repeat(3_000)}"}`);
        assertEquals(errors().map((e) => e.code), ["message_too_large", "message_too_large"]);
        assert(/4096 bytes is over this server's limit of 2048/.test(errors()[0].message));
        // 200 pings at once: the burst (50) is answered, the rest dropped as rate_limited.
        for (let i = 0; i < 200; i++) await live.control(`{"v":1,"type":"ping","id":${i}}`);
        const pongs = parseAll(sent).filter((m) => m.type === "pong").length;
        assert(pongs >= 50 && pongs <= 55, `${pongs} pongs`);
        // Error events are capped at 10 a second however much garbage arrives; all is counted.
        for (let i = 0; i < 500; i++) live.audioFrame(Uint8Array.of(7, 7, 7));
        assert(errors().length <= 12, `${errors().length} error events`);
        assert(live.counters.badMessages >= 650, `counted ${live.counters.badMessages}`);
        // The session still works after all that.
        await live.control('{"v":1,"type":"flush"}');
        // Max duration: the registry ends it by itself.
        for (let i = 0; i < 40 && !live.closed; i++) await new Promise((r) => setTimeout(r, 100));
        assertEquals(closed, ["max_duration"]);
        const ended = parseAll(sent).at(-1) as { type: string; reason?: string };
        assertEquals(ended, { v: 1, type: "ended", reason: "max_duration" });
        assertEquals(reg.size, 0);
      },
    ),
});

Deno.test({
  name:
    "closing the channel the audio came on ends the session; another channel's closing does not",
  ignore,
  fn: () =>
    withSession({}, ["audio", "mel"], async ({ live, sent, closed }) => {
      await feedJfk(live, 3);
      // The mel channel carried nothing: its closing changes nothing.
      await live.inputClosed("mel");
      assert(!live.closed && !live.ending);
      await live.inputClosed("audio");
      assert(live.closed);
      assertEquals(closed, ["end"]);
      const msgs = parseAll(sent);
      assertEquals(msgs[msgs.length - 1], { v: 1, type: "ended", reason: "end" });
      const text = msgs.filter((m) => m.type === "final").map((m) => m.type === "final" && m.text)
        .join(" ").toLowerCase();
      assert(text.includes("fellow americans"), `what was said was finalized: ${text}`);
    }),
});

Deno.test({
  name:
    "abandoning a quiet session finalizes what is open for a client still listening, then says `ended`",
  ignore,
  fn: () =>
    withSession({}, ["audio"], async ({ live, reg, sent, closed }) => {
      // Before jfk's first pause (2.2 s): no segment closes by itself before the session is
      // abandoned.
      await feedJfk(live, 2);
      await live.abandon("timeout");
      await live.abandon("timeout"); // once only
      assert(live.closed);
      assertEquals(closed, ["timeout"]);
      const msgs = parseAll(sent);
      assertEquals(msgs.filter((m) => m.type === "ended"), [{
        v: 1,
        type: "ended",
        reason: "timeout",
      }]);
      assertEquals(msgs.at(-1)?.type, "ended", "`ended` comes last");
      const finals = msgs.filter((m) => m.type === "final").map((m) =>
        m.type === "final" && m.text
      );
      assertEquals(finals, ["And so my fellow"], "the open segment was finalized first");
      assertEquals(reg.size, 0);
    }),
});

Deno.test({
  name: "abandoning a session with no transcript channel attached finalizes nothing",
  ignore,
  fn: async () => {
    const engine = new Engine({
      vadModel: sharedPath(VAD),
      transcribers: fakeTranscribers({ script: JFK_WORDS }),
    });
    try {
      const reg = new SessionRegistry(engine);
      const live = await reg.open({ inputs: ["audio"], clock: new SimulatedClock() });
      await feedJfk(live, 2);
      await live.stream.drain();
      const before = live.stream.emitted;
      await live.abandon("timeout");
      assert(live.closed);
      assertEquals(live.stream.emitted, before, "no final decode for no one");
    } finally {
      await engine.close();
    }
  },
});

for (const channel of ["audio", "mel"] as const) {
  Deno.test({
    name:
      `audio that stops on the ${channel} channel (transcript channel open) is finalized after ` +
      "the end-of-speech silence; audio resuming later goes on",
    ignore,
    fn: () =>
      withSession({}, [channel], async ({ live, sent, closed }) => {
        const at = new Map<number, number>();
        const t0 = performance.now();
        // 2 s of jfk at once (ahead of real time), then nothing: "And so my fellow" is open.
        let seq = await feedJfk(live, 2, { channel });
        // What was sent: 2 s of samples; as mel frames, a few frames fewer (the client keeps the
        // last window's samples for the next frame), all pushed to the stream at once.
        const sentMs = channel === "mel" ? live.stream.audioMs : 2_000;
        const endSilenceMs = live.stream.config.endSilenceMs;
        const finals = () =>
          parseAll(sent).filter((m) => m.type === "final") as { text: string; seq: number }[];
        for (let t = 0; t < 15_000 && !finals().length; t += 20) {
          await new Promise((r) => setTimeout(r, 20));
          for (const f of finals()) if (!at.has(f.seq)) at.set(f.seq, performance.now());
        }
        const first = finals()[0];
        assert(first, "the open segment was finalized without more audio");
        assertEquals(first.text, "And so my fellow");
        assertEquals(live.counters.audioStops, 1);
        assert(!live.closed && !live.ending, "the session goes on");
        const afterMs = at.get(first.seq)! - t0;
        // Not before the audio sent would have been heard and the silence after it had passed.
        assert(afterMs >= sentMs + endSilenceMs, `final after ${afterMs} ms, ${sentMs} ms sent`);
        console.log(
          `${channel}: 2 s of jfk sent at once, then no audio: final after ${
            Math.round(afterMs)
          } ms (${sentMs} ms of audio + ${endSilenceMs} ms end-of-speech silence)`,
        );
        // The client resumes: the rest of jfk, from where it stopped.
        seq = await feedJfk(live, 11, { channel, fromS: 2, seq });
        await live.end("end");
        const msgs = parseAll(sent);
        assertEquals(closed, ["end"]);
        const text = msgs.filter((m) => m.type === "final").map((m) => m.type === "final" && m.text)
          .join(" ").toLowerCase();
        assert(text.includes("ask not what your country can do for you"), text);
        const vads = msgs.flatMap((m) => m.type === "vad" ? [m.state] : []);
        assertEquals(vads.slice(0, 3), ["speech", "silence", "speech"], "speech resumed");
        const seqs = msgs.flatMap((m) => "seq" in m ? [m.seq] : []);
        assertEquals(seqs, seqs.map((_, i) => i));
      }),
  });
}

Deno.test({
  name: "audio that keeps coming is never taken for audio that stopped",
  ignore,
  fn: () =>
    withSession({}, ["audio"], async ({ live }) => {
      // A client sending 1 s frames once a second (a frame's length past the end-of-speech
      // silence apart): the audio has not stopped.
      const audio = (await decodeAudioFile(sharedPath(JFK))).samples;
      for (let s = 0; s < 3; s++) {
        live.audioFrame(pcm16Frame(s, audio.subarray(s * 16_000, (s + 1) * 16_000)));
        await new Promise((r) => setTimeout(r, 900));
      }
      assertEquals(live.counters.audioStops, 0);
      await live.end("end");
    }),
});

Deno.test({
  name:
    "a transport's complaint is a recoverable error event, numbered after the stream's events emitted before it",
  ignore,
  fn: () =>
    withSession({}, ["audio"], async ({ live, sent }) => {
      await feedJfk(live, 3);
      await live.stream.drain();
      const before = live.stream.emitted;
      assert(before > 0, "the stream emitted events first");
      live.reportError("bad_message", "not JSON");
      await live.end("end");
      const msgs = parseAll(sent);
      const err = msgs.findLast((m) => m.type === "error");
      assert(err?.type === "error" && err.recoverable && err.code === "bad_message");
      assertEquals(err.seq, before);
      const seqs = msgs.flatMap((m) => "seq" in m ? [m.seq] : []);
      assertEquals(seqs, seqs.map((_, i) => i), "events are numbered 0, 1, 2, … as sent");
    }),
});
