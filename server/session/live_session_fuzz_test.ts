import fc from "fast-check";
import { LiveSession } from "./live_session.ts";
import { StreamSession } from "../engine/stream.ts";
import { MODE_PRESETS } from "../engine/modes.ts";
import { SimulatedClock } from "../engine/clock.ts";
import { FakeTranscriber } from "../engine/testing.ts";
import { MEL_BINS, melFrame, opusFrame, pcm16Frame } from "../../protocol/audio_frames.ts";
import { SessionMessageSchema } from "../../protocol/control.ts";
import { EventSchema } from "../../protocol/events.ts";
import { OpusEncoder } from "../../ffi/opus/mod.ts";
import { VadModel } from "../../ffi/whisper/mod.ts";
import { hasShared, sharedPath } from "../../ffi/testing/shared.ts";
import { assert, assertEquals } from "../../ffi/testing/assert.ts";
import { bytes, fuzz, mutated } from "../../ffi/testing/fuzz.ts";
import { sine } from "../../ffi/testing/signal.ts";

const VAD = "models/ggml-silero-v5.1.2.bin";
const ignore = !hasShared(VAD);

/**
 * A real engine stream (its input checks, VAD and events) on the balanced preset, decoding with
 * a fake transcriber that hears nothing: whisper is not what these properties test.
 */
async function openStream(): Promise<StreamSession> {
  return new StreamSession({
    transcriber: new FakeTranscriber(),
    vad: await VadModel.load(sharedPath(VAD), { threads: 1 }),
    config: MODE_PRESETS.balanced,
    clock: new SimulatedClock(),
  });
}

function opusPackets(): Uint8Array[] {
  using enc = new OpusEncoder({ rate: 48_000 });
  const x = sine(300, 48_000, 0.4, 0.3);
  const out: Uint8Array[] = [];
  for (let i = 0; i + 960 <= x.length; i += 960) out.push(enc.encode(x.subarray(i, i + 960)));
  return out;
}
const OPUS = opusPackets();

const seq = fc.oneof(
  fc.nat(40),
  fc.constantFrom(0xffffffff, 0x7fffffff),
  fc.nat({ max: 0xffffffff }),
);
const pcm = fc.tuple(seq, fc.float32Array({ minLength: 1, maxLength: 400 })).map(([s, x]) =>
  pcm16Frame(s, x)
);
const opus = fc.tuple(seq, fc.constantFrom(...OPUS)).map(([s, p]) => opusFrame(s, p));
const mel = fc.tuple(
  seq,
  fc.integer({ min: 1, max: 12 }).chain((n) =>
    fc.float32Array({
      minLength: n * MEL_BINS,
      maxLength: n * MEL_BINS,
      noNaN: true,
      min: -12,
      max: 4,
    })
  ),
).map(([s, m]) => melFrame(s, m));
const frame = fc.oneof(
  pcm,
  opus,
  mel,
  fc.oneof(pcm, opus, mel).chain((f) => mutated(f, 3)),
  bytes(300),
);
const control = fc.oneof(
  fc.constantFrom(
    '{"v":1,"type":"ping","id":"p","clientMs":5}',
    '{"v":1,"type":"ping","id":7}',
    '{"v":1,"type":"mode","mode":"latency","overrides":{"minChunkMs":700}}',
    '{"v":1,"type":"mode","mode":"accuracy","overrides":{"model":"other"}}',
    '{"v":1,"type":"mode","mode":"turbo"}',
    '{"v":1,"type":"flush"}',
    '{"v":1,"type":"end"}',
  ),
  fc.json({ maxDepth: 2 }),
  fc.anything(),
);
const step = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("frame" as const),
      data: frame,
      channel: fc.constantFrom("audio" as const, "mel" as const),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("control" as const), data: control }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("frame" as const),
      data: fc.anything(),
      channel: fc.constantFrom("audio" as const, "mel" as const),
    }),
  },
);

Deno.test({
  name:
    "LiveSession: any frames and control messages, in any order, never throw, and every message sent is in the protocol, its events numbered in order",
  ignore,
  fn: () =>
    fuzz(
      "live_session.audioFrame/control",
      fc.asyncProperty(
        fc.array(step, { maxLength: 30 }),
        fc.boolean(),
        async (steps, attachFirst) => {
          const sent: string[] = [];
          const live = new LiveSession("s1", await openStream(), ["audio", "mel"]);
          if (attachFirst) live.attachTranscript({ send: (t) => sent.push(t) });
          for (const s of steps) {
            if (s.kind === "control") await live.control(s.data);
            else live.audioFrame(s.data, s.channel);
          }
          if (!attachFirst) live.attachTranscript({ send: (t) => sent.push(t) });
          await live.end("end");
          let seq = 0;
          for (const t of sent) {
            const m = JSON.parse(t);
            const r = "seq" in m ? EventSchema.safeParse(m) : SessionMessageSchema.safeParse(m);
            assert(r.success, `a message outside the protocol: ${t}`);
            if ("seq" in m) assertEquals(m.seq, seq++, "events are numbered 0, 1, 2, … as sent");
          }
          assertEquals(JSON.parse(sent[sent.length - 1]), { v: 1, type: "ended", reason: "end" });
        },
      ),
      { runs: 150 },
    ),
});

Deno.test({
  name:
    "LiveSession: PCM frames with gaps in their numbers keep the audio clock (lost frames become silence)",
  ignore,
  fn: () =>
    fuzz(
      "live_session.pcm-clock",
      fc.asyncProperty(
        fc.nat({ max: 0xffffffff - 30 * 100_000 }), // no wrap: 2.7 years of 20 ms frames
        fc.array(
          fc.tuple(
            fc.oneof(
              fc.constant(1),
              fc.integer({ min: 1, max: 5 }),
              fc.integer({ min: 1, max: 100_000 }),
            ),
            fc.integer({ min: 1, max: 400 }),
          ),
          {
            minLength: 1,
            maxLength: 30,
          },
        ),
        async (first, plan) => {
          const stream = await openStream();
          const live = new LiveSession("s1", stream, ["audio"]);
          let s = first, want = 0;
          plan.forEach(([step, n], i) => {
            if (i > 0) {
              s += step;
              // Each lost frame stands in as one of this frame's length, at most 10 s in all.
              want += Math.min((step - 1) * n, 160_000);
            }
            want += n;
            live.audioFrame(pcm16Frame(s, new Float32Array(n).fill(0.1)));
          });
          // What the stream took (pushed so far, 16 samples a ms).
          assertEquals(
            stream.audioMs * 16,
            want,
            "samples = frames + the silence standing in for lost ones",
          );
          assertEquals(live.counters.badMessages, 0);
          await live.close("end");
        },
      ),
      { runs: 100 },
    ),
});
