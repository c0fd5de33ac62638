import {
  MAX_PREFIX_TOKENS,
  openWhisper,
  VadModel,
  WHISPER_VERSION,
  WhisperError,
  WhisperModel,
  type WhisperState,
} from "./mod.ts";
import { hasShared, sharedPath } from "../testing/shared.ts";
import { assert, assertEquals, assertRejects } from "../testing/assert.ts";

const TEST_MODEL = "models/for-tests/for-tests-ggml-tiny.en.bin";
const VAD = "models/ggml-silero-v5.1.2.bin";
const haveTestModel = hasShared(TEST_MODEL);

/**
 * The first `seconds` of jfk.wav (all of it by default) as samples: it is 16 kHz mono PCM16, its
 * samples after a 44-byte header.
 */
async function jfkSamples(seconds = Infinity): Promise<Float32Array> {
  const wav = await Deno.readFile(sharedPath("speech/jfk/jfk.wav"));
  const end = Math.min(wav.byteLength, 44 + Math.round(16_000 * 2 * seconds));
  return Float32Array.from(new Int16Array(wav.buffer.slice(44, end)), (x) => x / 32768);
}

function tone(seconds: number, hz = 440): Float32Array {
  const out = new Float32Array(Math.round(seconds * 16_000));
  for (let i = 0; i < out.length; i++) out[i] = 0.3 * Math.sin((2 * Math.PI * hz * i) / 16_000);
  return out;
}

Deno.test("libwhisper loads, reports the pinned version and its system info", async () => {
  const lib = await openWhisper();
  assert(lib.version === WHISPER_VERSION, `version ${lib.version}`);
  assert(/CPU|AVX|SSE|NEON/i.test(lib.systemInfo), `system info: ${lib.systemInfo}`);
  assert(lib === await openWhisper(), "opened once per process");
});

Deno.test({
  name: "for-tests model: load, state, decode, close, and use after close",
  ignore: !haveTestModel,
  fn: async () => {
    const model = await WhisperModel.load(sharedPath(TEST_MODEL));
    assert(model.info.nMels === 80 && !model.info.multilingual, JSON.stringify(model.info));
    assert(model.tokenize(" hello world").length >= 2, "tokenizes with the model vocabulary");
    assert(model.languageName("en") === "english", "whisper's full language names");
    assert(model.languageName("de") === "german", "whisper's full language names");
    assert(model.languageName("xx") === null, "no name for an unknown code");
    const state = await model.createState();
    const r = await state.full(tone(1.5), { strategy: "greedy", threads: 2 });
    assert(Array.isArray(r.segments), "returns segments");
    // Two calls on one state at once: the second is refused, the first completes.
    const first = state.full(tone(1), { strategy: "greedy", threads: 1 });
    await assertRejects(() => state.full(tone(1)), Error, /busy/);
    await first;
    const other = await model.createState();
    model.close();
    assert(state.closed && other.closed && model.closed, "closing the model frees its states");
    await assertRejects(() => state.full(tone(1)), Error, /closed/);
    await assertRejects(() => model.createState(), Error, /closed/);
    model.close(); // idempotent
  },
});

Deno.test({
  name: "closing a model while a state decodes frees it after the call",
  ignore: !haveTestModel,
  fn: async () => {
    const model = await WhisperModel.load(sharedPath(TEST_MODEL));
    const state = await model.createState();
    const pending = state.full(tone(2), { strategy: "greedy", threads: 1 });
    model.close();
    assert(!model.closed, "context stays while the state is busy");
    await pending;
    assert(state.closed && model.closed, "both freed once the call ended");
  },
});

Deno.test("bad model paths give clear errors", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hum-model-" });
  try {
    await assertRejects(() => WhisperModel.load(`${dir}/nope.bin`), Error, /does not exist/);
    await assertRejects(() => WhisperModel.load(dir), Error, /not a file/);
    await Deno.writeTextFile(`${dir}/text.bin`, "this is not a model at all");
    const err = await assertRejects(
      () => WhisperModel.load(`${dir}/text.bin`),
      WhisperError,
      /not a whisper\.cpp ggml model/,
    );
    assert(err instanceof WhisperError, "a WhisperError");
    await Deno.writeFile(`${dir}/empty.bin`, new Uint8Array(0));
    await assertRejects(
      () => WhisperModel.load(`${dir}/empty.bin`),
      Error,
      /not a whisper\.cpp ggml model/,
    );
    if (hasShared("models/ggml-tiny.en.bin")) {
      // Right magic, cut short: whisper.cpp refuses it and we say so.
      using f = await Deno.open(sharedPath("models/ggml-tiny.en.bin"));
      const head = new Uint8Array(8 << 20);
      await f.read(head);
      await Deno.writeFile(`${dir}/cut.bin`, head);
      await assertRejects(() => WhisperModel.load(`${dir}/cut.bin`), Error, /could not be read/);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("decode params out of range are refused before reaching C", async () => {
  if (!haveTestModel) return;
  using model = await WhisperModel.load(sharedPath(TEST_MODEL));
  using state = await model.createState();
  await assertRejects(() => state.full(tone(1), { beamSize: 0 }), Error, /beam_search\.beam_size/);
  await assertRejects(() => state.full(tone(1), { threads: 1.5 }), Error, /n_threads/);
  await assertRejects(() => state.full(tone(1), { temperature: NaN }), Error, /temperature/);
  // The state is usable after a refused call.
  await state.full(tone(1), { strategy: "greedy", threads: 1 });
});

Deno.test({
  name: "Silero VAD finds no speech in silence and a clear error for a bad path",
  ignore: !hasShared(VAD),
  fn: async () => {
    using vad = await VadModel.load(sharedPath(VAD));
    const silence = new Float32Array(16_000 * 3);
    assert((await vad.segments(silence)).length === 0, "silence has no speech");
    assert((await vad.segments(new Float32Array(0))).length === 0, "empty input, no speech");
    const probs = await vad.probs(silence);
    assert(probs.length > 80 && probs.every((p) => p < 0.5), "low speech probability in silence");
    await assertRejects(() => VadModel.load("/nonexistent/vad.bin"), Error, /does not exist/);
  },
});

Deno.test({
  name: "a multilingual model detects English speech; a .en model reports English",
  ignore: !hasShared("models/ggml-base-q5_1.bin", "models/ggml-tiny.en.bin", "speech/jfk/jfk.wav"),
  fn: async () => {
    const samples = await jfkSamples(5);
    {
      using model = await WhisperModel.load(sharedPath("models/ggml-base-q5_1.bin"));
      using state = await model.createState();
      const d = await state.detectLanguage(samples, 2);
      assert(d.language === "en" && d.probability > 0.5, `detected ${d.language} ${d.probability}`);
      assert(d.probs.size > 90, "probabilities for every language");
      const r = await state.full(samples, { language: "auto", strategy: "greedy", threads: 2 });
      assert(r.language === "en", `decoded as ${r.language}`);
    }
    using en = await WhisperModel.load(sharedPath("models/ggml-tiny.en.bin"));
    using st = await en.createState();
    assert((await st.detectLanguage(samples)).language === "en", ".en model");
  },
});

Deno.test({
  name: "a caller-supplied log-mel decodes, and a wrong shape is refused",
  ignore: !haveTestModel,
  fn: async () => {
    using model = await WhisperModel.load(sharedPath(TEST_MODEL));
    using state = await model.createState();
    const nLen = 300; // 3 s of 10 ms frames
    const mel = new Float32Array(nLen * model.info.nMels).fill(-1.5);
    const r = await state.fullFromMel(mel, nLen, { strategy: "greedy", threads: 1 });
    assert(Array.isArray(r.segments), "decoded");
    await assertRejects(() => state.fullFromMel(mel.subarray(1), nLen), Error, /expected 300 × 80/);
  },
});

/** The nice values of this process's threads (Linux's `/proc/self/task/<tid>/stat`, field 19). */
function threadNiceValues(): number[] {
  const out: number[] = [];
  for (const t of Deno.readDirSync("/proc/self/task")) {
    try {
      const stat = Deno.readTextFileSync(`/proc/self/task/${t.name}/stat`);
      out.push(Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]));
    } catch {
      // The thread ended while we looked.
    }
  }
  return out;
}

Deno.test({
  name:
    "a niced decode gives the plain decode's words, on threads of lower priority that end with it",
  ignore: Deno.build.os !== "linux" ||
    !hasShared("models/ggml-tiny.en.bin", "speech/jfk/jfk.wav"),
  fn: async () => {
    const lib = await openWhisper();
    if (!lib.symbols.hum_whisper_full_niced) return; // a user's own library: nothing to check
    const samples = await jfkSamples(8);
    using model = await WhisperModel.load(sharedPath("models/ggml-tiny.en.bin"));
    using state = await model.createState();
    const opts = { strategy: "greedy" as const, threads: 2, language: "en" };
    const plain = await state.full(samples, opts);
    assert(threadNiceValues().every((n) => n === 0), `before: ${threadNiceValues()}`);
    let seen = 0;
    let polling = true;
    const poll = (async () => {
      while (polling) {
        seen = Math.max(seen, ...threadNiceValues());
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    const niced = await state.full(samples, { ...opts, nice: 19 });
    polling = false;
    await poll;
    assert(
      niced.segments.map((s) => s.text).join("") === plain.segments.map((s) => s.text).join(""),
      "same words",
    );
    const text = plain.segments.map((s) => s.text).join("");
    assert(/ask not/i.test(text), `decoded jfk: ${text}`);
    assert(seen === 19, `a thread at nice 19 while it decoded (highest seen: ${seen})`);
    // Its threads end with the call: the caller's threads keep their priority.
    for (let i = 0; i < 50 && threadNiceValues().some((n) => n !== 0); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert(threadNiceValues().every((n) => n === 0), `after: ${threadNiceValues()}`);
  },
});

/** Every token's text and probability of a decode. */
function tokensOf(r: Awaited<ReturnType<WhisperState["full"]>>): { text: string; p: number }[] {
  return r.segments.flatMap((s) => s.tokens.map((t) => ({ text: t.text, p: t.p })));
}

/** Every token's text and probability, for comparing two decodes exactly. */
function tokenTrace(r: Awaited<ReturnType<WhisperState["full"]>>): string {
  return tokensOf(r).map((t) => `${t.text}:${t.p}`).join(" ");
}

Deno.test({
  name: "with flash attention and padding masks, a short decode on a state that decoded longer " +
    "windows equals one on a new state (and without the masks it does not)",
  ignore: !hasShared("models/ggml-tiny.en.bin", "speech/jfk/jfk.wav"),
  fn: async () => {
    const lib = await openWhisper();
    const setMaskPad = lib.symbols.hum_whisper_set_mask_pad;
    if (!lib.masksPadding || !setMaskPad) return; // a user's own library, or HUM_MASK_PAD=0
    const samples = await jfkSamples();
    const clip = samples.subarray(0, 3 * 16_000);
    using model = await WhisperModel.load(sharedPath("models/ggml-tiny.en.bin"), {
      flashAttn: true,
    });
    // 3 s is 150 encoder frames: `audio_ctx` 200 pads to 256, 56 rows of padding per layer.
    const opts = { strategy: "greedy" as const, threads: 2, language: "en", audioCtx: 200 };
    const decodeAfterHistory = async () => {
      using fresh = await model.createState();
      const first = tokenTrace(await fresh.full(clip, opts));
      using used = await model.createState();
      // Longer windows first: their K/V lie where the short decode's padding is.
      await used.full(samples, { ...opts, audioCtx: 600 });
      await used.full(samples, { ...opts, audioCtx: 0 });
      return [first, tokenTrace(await used.full(clip, opts))];
    };
    const [fresh, used] = await decodeAfterHistory();
    assert(/fellow/i.test(fresh), `decoded jfk's first words: ${fresh}`);
    assert(fresh === used, `masked: ${fresh}\n !== ${used}`);
    // The check can fail: without the masks the padding's leftovers change the probabilities.
    setMaskPad(false);
    try {
      const [f, u] = await decodeAfterHistory();
      assert(f !== u, "unmasked padding made no difference: the test above proves nothing");
    } finally {
      setMaskPad(true);
    }
  },
});

Deno.test({
  name: "one-thread token passes decode the tokens that passes on the call's threads decode",
  ignore: !hasShared("models/ggml-tiny.en.bin", "speech/jfk/jfk.wav"),
  fn: async () => {
    const lib = await openWhisper();
    const set = lib.symbols.hum_whisper_set_decoder_threads;
    if (lib.singleTokenThreads === 0 || !set) return; // a user's own library, or turned off
    const samples = await jfkSamples();
    using model = await WhisperModel.load(sharedPath("models/ggml-tiny.en.bin"));
    using state = await model.createState();
    const greedy = { strategy: "greedy" as const, threads: 2, language: "en", audioCtx: 678 };
    const beam = { ...greedy, strategy: "beam" as const, beamSize: 5 };
    const decodeBoth = async () => [
      tokensOf(await state.full(samples, greedy)),
      tokensOf(await state.full(samples, beam)),
    ];
    const capped = await decodeBoth();
    set(0);
    let uncapped: { text: string; p: number }[][];
    try {
      uncapped = await decodeBoth();
    } finally {
      set(lib.singleTokenThreads);
    }
    // A timestamp token's tick (20 ms), or null for a text token.
    const tick = (text: string) => {
      const m = /^\[_TT_(\d+)\]$/.exec(text);
      return m ? Number(m[1]) : null;
    };
    for (const [i, run] of capped.entries()) {
      const text = run.map((t) => t.text).join("");
      assert(/Americans/.test(text) && /country/.test(text), text);
      // The same tokens; the sums inside a pass split differently over threads, so the
      // probabilities may differ in their last digits, and no more. A timestamp token is the
      // argmax over near-equal neighbours: it may move by a few ticks (on an Intel Xeon the last
      // one read 10.80 s with one thread and 10.72 s with two), never a text token.
      const other = uncapped[i];
      assertEquals(run.length, other.length, `${text} / ${other.map((t) => t.text).join("")}`);
      for (const [j, t] of run.entries()) {
        const [a, b] = [tick(t.text), tick(other[j].text)];
        if (a !== null && b !== null) {
          assert(Math.abs(a - b) <= 5, `${t.text} vs ${other[j].text}: more than 0.1 s apart`);
          continue;
        }
        assertEquals(t.text, other[j].text, `token ${j} of ${text}`);
        assert(Math.abs(t.p - other[j].p) < 0.01, `${t.text}: ${t.p} vs ${other[j].p}`);
      }
    }
  },
});

Deno.test({
  name: "a decode with a prompt or without timestamps reads its no-speech probability at " +
    "<|startoftranscript|>: high for silence, low for speech",
  ignore: !hasShared("models/ggml-tiny.en.bin", "speech/jfk/jfk.wav"),
  fn: async () => {
    const lib = await openWhisper();
    if (!lib.noSpeechAtSot) return; // a user's own library, or HUM_NO_SPEECH_AT_SOT=0
    const speech = await jfkSamples();
    const silence = new Float32Array(3 * 16_000);
    using model = await WhisperModel.load(sharedPath("models/ggml-tiny.en.bin"));
    using state = await model.createState();
    const variants = {
      prompted: { initialPrompt: "He said that we must go on." },
      "without timestamps": { noTimestamps: true },
      both: { initialPrompt: "He said that we must go on.", noTimestamps: true },
    };
    for (const [name, extra] of Object.entries(variants)) {
      const opts = { strategy: "greedy" as const, threads: 2, language: "en", ...extra };
      // Speech first, so that a stale read would find a speech decode's rows (1.9.1 reads 0).
      const heard = await state.full(speech, opts);
      assert(
        heard.segments[0].noSpeechProb < 0.1,
        `${name}, speech: ${heard.segments[0].noSpeechProb}`,
      );
      const quiet = await state.full(silence, opts);
      assert(quiet.segments.length > 0, `${name}: silence decoded to no segment`);
      assert(
        quiet.segments[0].noSpeechProb > 0.5,
        `${name}, silence: ${quiet.segments[0].noSpeechProb}`,
      );
    }
  },
});

Deno.test({
  name: "a decode forced to begin with a prefix continues it, leaves it out of its result, and " +
    "does not pass it on to the state's next decode",
  ignore: !hasShared("models/ggml-tiny.en.bin", "speech/jfk/jfk.wav"),
  fn: async () => {
    const lib = await openWhisper();
    if (!lib.forcesPrefix) return; // a user's own library
    const samples = await jfkSamples();
    using model = await WhisperModel.load(sharedPath("models/ggml-tiny.en.bin"));
    using state = await model.createState();
    const textOf = (r: Awaited<ReturnType<WhisperState["full"]>>) =>
      tokensOf(r).filter((t) => !/^\[_|^<\|/.test(t.text)).map((t) => t.text).join("").trim();
    for (const strategy of ["greedy", "beam"] as const) {
      const opts = { strategy, beamSize: 5, threads: 2, language: "en", noTimestamps: true };
      const whole = textOf(await state.full(samples, opts));
      assert(/^And so,? my fellow Americans/.test(whole), whole);
      const prefix = model.tokenize(" And so my fellow Americans,");
      const rest = await state.full(samples, { ...opts, prefix });
      const text = textOf(rest);
      // The prefix is not decoded again: the decode starts where it ends.
      assert(/^ask not what your country can do for you/i.test(text), `${strategy}: ${text}`);
      assert(!/fellow|Americans/.test(text), `${strategy}: ${text}`);
      // The no-speech probability is read at <|startoftranscript|>: low for speech.
      assert(rest.segments[0].noSpeechProb < 0.1, `${rest.segments[0].noSpeechProb}`);
      // A prefix that says something else is continued too: it is forced, not a hint.
      const other = textOf(
        await state.full(samples, { ...opts, prefix: model.tokenize(" Hello") }),
      );
      assert(!/^And so/.test(other), `${strategy} after "Hello": ${other}`);
      // The next decode on the state has no prefix.
      assertEquals(textOf(await state.full(samples, opts)), whole);
    }
    await assertRejects(
      () => state.full(samples, { prefix: new Int32Array(MAX_PREFIX_TOKENS + 1).fill(440) }),
      RangeError,
      `at most ${MAX_PREFIX_TOKENS}`,
    );
  },
});

Deno.test({
  name: "DTW token times under flash attention equal exact attention's; `dtw: false` skips the " +
    "alignment pass; a decode too short to align gets no times rather than aborting the process",
  ignore: !hasShared("models/ggml-tiny.en.bin", "speech/jfk/jfk.wav"),
  fn: async () => {
    const lib = await openWhisper();
    if (!lib.alignsWithFlash) return; // a user's own library: DTW needs exact attention there
    const samples = await jfkSamples(5);
    // 5 s is 250 encoder frames; a scaled window, as the streaming engine decodes.
    const opts = {
      strategy: "greedy" as const,
      threads: 2,
      language: "en",
      audioCtx: 384,
      singleSegment: true,
      tokenTimestamps: true,
      temperatureInc: 0,
      maxTokens: 48,
    };
    const timesWith = async (flashAttn: boolean) => {
      using model = await WhisperModel.load(sharedPath("models/ggml-tiny.en.bin"), {
        flashAttn,
        dtwHeads: "tiny.en",
      });
      assert(model.aligns);
      using state = await model.createState();
      const text = (r: Awaited<ReturnType<WhisperState["full"]>>) =>
        r.segments.flatMap((s) => s.tokens).filter((t) => !t.special);
      const aligned = text(await state.full(samples, opts));
      const skipped = text(await state.full(samples, { ...opts, dtw: false }));
      // 0.12 s: six encoder frames, fewer than DTW's median filter is wide (7).
      const short = await state.full(samples.subarray(0, 1_920), { ...opts, audioCtx: 64 });
      return { aligned, skipped, short };
    };
    const exact = await timesWith(false);
    const flash = await timesWith(true);
    assertEquals(
      flash.aligned.map((t) => t.text),
      exact.aligned.map((t) => t.text),
    );
    assert(/fellow/i.test(flash.aligned.map((t) => t.text).join("")));
    assertEquals(flash.aligned.map((t) => t.tDtwMs), exact.aligned.map((t) => t.tDtwMs));
    // The times are the audio's: increasing, inside the 5 s.
    const times = flash.aligned.map((t) => t.tDtwMs);
    assert(
      times.every((t, i) => t >= 0 && t <= 5_000 && (i === 0 || t >= times[i - 1])),
      `${times}`,
    );
    for (const r of [exact, flash]) {
      assert(r.skipped.length > 0 && r.skipped.every((t) => t.tDtwMs === -10));
      const shortTokens = r.short.segments.flatMap((s) => s.tokens).filter((t) => !t.special);
      assert(shortTokens.every((t) => t.tDtwMs === -10), "a short decode has no DTW times");
    }
  },
});
