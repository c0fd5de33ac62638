import { type DecodeRequest, WhisperTranscriber } from "./transcriber.ts";
import { resolveStreamConfig } from "./modes.ts";
import {
  type DecodeOptions,
  type DecodeResult,
  openWhisper,
  WhisperModel,
} from "../../ffi/whisper/mod.ts";
import { decodeAudioFile } from "../../decode/audio_file.ts";
import { hasShared, sharedPath } from "../../ffi/testing/shared.ts";
import { assert, assertEquals } from "../../ffi/testing/assert.ts";

/** The `i`-th token of a fake decode: `text`, 200 ms long. */
function token(text: string, i: number) {
  return {
    id: i,
    text,
    bytes: new TextEncoder().encode(text),
    p: 0.9,
    plog: -0.1,
    t0Ms: i * 200,
    t1Ms: i * 200 + 200,
    tDtwMs: i * 200 + 200,
    hintMs: i * 200,
    special: false,
  };
}

/** A decoding state that always hears "the cat" said five times, and records each call's window. */
function loopingModel(calls: DecodeOptions[]): WhisperModel {
  const texts = Array.from({ length: 10 }, (_, i) => (i % 2 ? " cat" : " the"));
  const result: DecodeResult = {
    segments: [{
      t0Ms: 0,
      t1Ms: 2_000,
      text: texts.join(""),
      noSpeechProb: 0,
      tokens: texts.map(token),
    }],
    language: "en",
  };
  const state = {
    full: (_samples: Float32Array, opts: DecodeOptions) => {
      calls.push(opts);
      return Promise.resolve(result);
    },
    close: () => {},
  };
  return { createState: () => Promise.resolve(state) } as unknown as WhisperModel;
}

function request(kind: "rolling" | "final", retryRollingLoops: boolean): DecodeRequest {
  const config = resolveStreamConfig("balanced", { retryRollingLoops, finalFullWindow: false });
  return {
    window: {
      values: new Float32Array(32_000),
      input: "pcm",
      durationMs: 2_000,
      startMs: 0,
      speechMs: [0, 2_000],
    },
    kind,
    beamSize: 1,
    config,
    history: [],
    lagMs: () => 0,
    measure: (work) => work(),
  };
}

Deno.test("a looping rolling hypothesis is decoded again with the full window only with retryRollingLoops; a closing decode always is", async () => {
  for (
    const [kind, retry, windows] of [
      ["rolling", true, ["scaled", "full"]],
      ["rolling", false, ["scaled"]],
      ["final", false, ["scaled", "full"]],
    ] as const
  ) {
    const calls: DecodeOptions[] = [];
    const t = await WhisperTranscriber.open({ model: loopingModel(calls) });
    const hyp = await t.decode(request(kind, retry));
    assertEquals(
      calls.map((c) => (c.audioCtx ? "scaled" : "full")),
      [...windows],
      `${kind}, retry ${retry}`,
    );
    assertEquals(t.counts.retries, windows.length - 1);
    // Either way the loop is cut short (the guard's limit on repeats).
    const words = hyp.words.map((w) => w.word);
    assert(words.length < 10 && words.join(" ").startsWith("the cat"), words.join(" "));
    t.close();
  }
});

/** A decoding state whose words depend on whether the decode has a prompt; records each call. */
function promptSensitiveModel(
  calls: DecodeOptions[],
  withPrompt: string,
  bare: string,
): WhisperModel {
  const state = {
    full: (_samples: Float32Array, opts: DecodeOptions) => {
      calls.push(opts);
      const texts = (opts.initialPrompt ? withPrompt : bare).split(" ").map((w) => ` ${w}`);
      const result: DecodeResult = {
        segments: [{
          t0Ms: 0,
          t1Ms: 4_000,
          text: texts.join(""),
          noSpeechProb: 0,
          tokens: texts.map(token),
        }],
        language: "en",
      };
      return Promise.resolve(result);
    },
    close: () => {},
  };
  return { createState: () => Promise.resolve(state) } as unknown as WhisperModel;
}

Deno.test("a closing decode that says a phrase twice with the prompt is decoded again without it", async () => {
  const said = "ask what you can do for your country.";
  const twice = "as what you can do for your country. Ask what you can do for your country.";
  for (
    const [kind, bare, prompts, taken] of [
      // The bare decode says it once: taken.
      ["final", said, [true, false], said],
      // The bare decode repeats too: the prompted one stands (the guards judge it as before).
      ["final", twice, [true, false], twice],
      // Rolling decodes are not checked (the closing decode decides the final words).
      ["rolling", said, [true], twice],
    ] as const
  ) {
    const calls: DecodeOptions[] = [];
    const t = await WhisperTranscriber.open({
      model: promptSensitiveModel(calls, twice, bare),
    });
    // The full window from the start: no scaled-window retry before the prompt's.
    const base = request(kind, false);
    const req = { ...base, config: { ...base.config, finalFullWindow: true }, history: [said] };
    const hyp = await t.decode(req);
    const label = `${kind}, bare "${bare}"`;
    assertEquals(calls.map((c) => Boolean(c.initialPrompt)), [...prompts], label);
    assertEquals(t.counts.promptRepeats, prompts.length - 1, label);
    assertEquals(t.counts.retries, 0, label);
    assertEquals(hyp.words.map((w) => w.word).join(" "), taken, label);
    t.close();
  }
});

Deno.test("a decode beside the closing one takes expressThreads, a closing decode closingThreads and closingNice; without a pool, decodes on the transcriber's own state run one at a time", async () => {
  const calls: DecodeOptions[] = [];
  let running = 0;
  let most = 0;
  let made = 0;
  const texts = [" ask", " not"];
  const result: DecodeResult = {
    segments: [{
      t0Ms: 0,
      t1Ms: 400,
      text: texts.join(""),
      noSpeechProb: 0,
      tokens: texts.map(token),
    }],
    language: "en",
  };
  const state = {
    full: async (_samples: Float32Array, opts: DecodeOptions) => {
      calls.push(opts);
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 20));
      running--;
      return result;
    },
    close: () => {},
  };
  const model = {
    createState: () => (made++, Promise.resolve(state)),
  } as unknown as WhisperModel;
  const t = await WhisperTranscriber.open({ model });
  const base = request("rolling", false);
  const hyps = await Promise.all([
    t.decode({ ...base, kind: "final" }),
    t.decode({ ...base, express: true }),
    t.decode(base),
  ]);
  assertEquals(hyps.map((h) => h.text.trim()), ["ask not", "ask not", "ask not"]);
  assertEquals([most, made], [1, 1]);
  assertEquals(calls.map((c) => c.threads), [2, 1, 2]);
  // closingThreads: a closing decode of a mode that overlaps it with the next segment's decodes.
  calls.length = 0;
  const fewer = (overlapClosing: boolean) => ({
    ...base,
    kind: "final" as const,
    config: { ...base.config, overlapClosing, closingThreads: 1 },
  });
  await t.decode(fewer(true));
  await t.decode(fewer(false));
  await t.decode({ ...fewer(true), kind: "rolling" });
  assertEquals(calls.map((c) => c.threads), [1, 2, 2]);
  // closingNice: only a closing decode that may run beside others runs at the lower priority.
  calls.length = 0;
  const niced = { ...base.config, overlapClosing: true, closingNice: 19 };
  await t.decode({ ...base, kind: "final", config: niced });
  await t.decode({ ...base, config: niced });
  await t.decode({ ...base, express: true, config: niced });
  await t.decode({ ...base, kind: "final", config: { ...niced, closingNice: 0 } });
  await t.decode({ ...base, kind: "final", config: { ...niced, overlapClosing: false } });
  assertEquals(calls.map((c) => c.nice), [19, 0, 0, 0, 0]);
  t.close();
});

/**
 * Runs `run` with jfk's samples and a transcriber on tiny.en; skipped on a library without the
 * prefix patch (a user's own).
 */
async function withPrefixTranscriber(
  run: (t: WhisperTranscriber, samples: Float32Array) => Promise<void>,
): Promise<void> {
  const { samples } = await decodeAudioFile(sharedPath("speech/jfk/jfk.wav"));
  using model = await WhisperModel.load(sharedPath("models/ggml-tiny.en.bin"));
  if (!model.library.forcesPrefix) return;
  const t = await WhisperTranscriber.open({ model });
  try {
    await run(t, samples);
  } finally {
    t.close();
  }
}

/** A window of `values` from the stream's start, its speech within `speechMs`. */
function pcmWindow(values: Float32Array, speechMs: [number, number]): DecodeRequest["window"] {
  return {
    values,
    input: "pcm",
    durationMs: (values.length / 16_000) * 1000,
    startMs: 0,
    speechMs,
  };
}

Deno.test({
  name: "finalContextPrefix: a closing decode continues the context's finals, and its words are " +
    "the segment's alone, spread over the segment's speech",
  ignore: !hasShared("models/ggml-tiny.en.bin", "speech/jfk/jfk.wav"),
  fn: () =>
    withPrefixTranscriber(async (t, samples) => {
      const closing = (finalContextPrefix: boolean): DecodeRequest => ({
        ...request("final", false),
        window: pcmWindow(samples, [300, 10_800]),
        beamSize: 5,
        config: resolveStreamConfig("balanced", { finalContextPrefix }),
        // jfk's first phrase, as an earlier segment's final; the segment's speech from 3.3 s.
        continues: { text: "And so my fellow Americans,", speechMs: 3_300 },
      });
      const forced = await t.decode(closing(true));
      assertEquals(forced.continued, true);
      assert(/^ask not what your country can do for you/i.test(forced.text), forced.text);
      assert(forced.words.every((w) => w.startMs >= 3_300), JSON.stringify(forced.words[0]));
      const restated = await t.decode(closing(false));
      assertEquals(restated.continued, undefined);
      assert(/^And so,? my fellow Americans/.test(restated.text), restated.text);
    }),
});

Deno.test({
  name: "rollingPrefix: a rolling decode continues the committed words (forced after <|0.00|>): " +
    "its words are what a whole decode says after them, timed in order inside the window",
  ignore: !hasShared("models/ggml-tiny.en.bin", "speech/jfk/jfk.wav"),
  fn: () =>
    withPrefixTranscriber(async (t, samples) => {
      // jfk's first 8 s as an open segment's buffer, "And so my fellow Americans," committed.
      const rolling = (rollingPrefix: boolean): DecodeRequest => ({
        ...request("rolling", false),
        window: pcmWindow(samples.subarray(0, 8 * 16_000), [300, 8_000]),
        config: resolveStreamConfig("latency", { rollingPrefix }),
        continues: { text: "And so my fellow Americans,", speechMs: 2_110 },
      });
      const whole = await t.decode(rolling(false));
      assertEquals(whole.continued, undefined);
      assert(/^And so,? my fellow Americans/.test(whole.text), whole.text);
      const cont = await t.decode(rolling(true));
      assertEquals(cont.continued, true);
      assert(/^ask not what your country can do for you/i.test(cont.text), cont.text);
      let last = 2_110;
      for (const w of cont.words) {
        assert(w.startMs >= last && w.endMs >= w.startMs && w.endMs <= 8_000, JSON.stringify(w));
        last = w.endMs;
      }
      // The same words as the whole decode's after the committed ones. (Their times come out later
      // than the whole decode's, by up to 0.7 s here: why `rollingPrefix` is off, decision 036.)
      const tail = whole.words.slice(whole.words.length - cont.words.length);
      assertEquals(cont.words.map((w) => w.word), tail.map((w) => w.word));
    }),
});

Deno.test({
  name:
    "commitTimes dtw: a rolling hypothesis on a model with alignment heads times its words by " +
    "the cross-attention alignment; without heads, by token timestamps as before",
  ignore: !hasShared("models/ggml-tiny.en.bin", "speech/jfk/jfk.wav"),
  fn: async () => {
    const { samples } = await decodeAudioFile(sharedPath("speech/jfk/jfk.wav"));
    // jfk's first 4 s: "And so my fellow Americans," ends about 2.4 s in, "ask" begins at 3.3 s.
    const rolling = (commitTimes: "timestamps" | "dtw"): DecodeRequest => ({
      ...request("rolling", false),
      window: pcmWindow(samples.subarray(0, 4 * 16_000), [300, 4_000]),
      config: resolveStreamConfig("latency", { commitTimes }),
    });
    const decodeWith = async (dtwHeads: boolean, commitTimes: "timestamps" | "dtw") => {
      if (dtwHeads && !(await openWhisper()).alignsWithFlash) return null; // a user's own library
      using model = await WhisperModel.load(
        sharedPath("models/ggml-tiny.en.bin"),
        dtwHeads ? { dtwHeads: "tiny.en" } : {},
      );
      const t = await WhisperTranscriber.open({ model });
      try {
        return await t.decode(rolling(commitTimes));
      } finally {
        t.close();
      }
    };
    const timestamps = await decodeWith(true, "timestamps");
    const aligned = await decodeWith(true, "dtw");
    const noHeads = await decodeWith(false, "dtw");
    assert(noHeads !== null);
    if (timestamps === null || aligned === null) return;
    assert(/^And so,? my fellow Americans/.test(aligned.text), aligned.text);
    assertEquals(aligned.text, timestamps.text);
    // The same words, timed differently: "Americans" ends where it is said, not at the end.
    assert(
      aligned.words.some((w, i) => w.endMs !== timestamps.words[i].endMs),
      "the alignment gave the token timestamps' times",
    );
    const americans = aligned.words.find((w) => /americans/i.test(w.word))!;
    assert(americans.endMs >= 1_900 && americans.endMs <= 2_900, JSON.stringify(americans));
    // Without alignment heads the setting falls back to token timestamps.
    assertEquals(noHeads.words, timestamps.words);
  },
});
