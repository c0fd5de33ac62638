import { renderTranscript } from "./formats.ts";
import type { Transcript } from "../../../protocol/transcript.ts";

const t: Transcript = {
  text: "Hello there. General Kenobi.",
  language: "en",
  durationMs: 3_725_500,
  windows: [],
  segments: [
    {
      startMs: 0,
      endMs: 1_500,
      text: "Hello there.",
      noSpeechProb: 0.01,
      words: [{ word: "Hello", startMs: 0, endMs: 700, p: 0.9 }, {
        word: "there.",
        startMs: 700,
        endMs: 1500,
        p: 0.8,
      }],
    },
    { startMs: 3_723_004, endMs: 3_725_500, text: "General Kenobi.", noSpeechProb: 0, words: [] },
  ],
};

function eq(a: unknown, b: unknown) {
  if (a !== b) throw new Error(`expected\n${b}\ngot\n${a}`);
}

Deno.test("srt and vtt use the right clocks and numbering", () => {
  eq(
    renderTranscript(t, "srt"),
    "1\n00:00:00,000 --> 00:00:01,500\nHello there.\n\n2\n01:02:03,004 --> 01:02:05,500\nGeneral Kenobi.\n",
  );
  eq(
    renderTranscript(t, "vtt"),
    "WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nHello there.\n\n01:02:03.004 --> 01:02:05.500\nGeneral Kenobi.\n",
  );
});

Deno.test("json carries segments with words in seconds, text ends with a newline", () => {
  const j = JSON.parse(renderTranscript(t, "json"));
  eq(j.segments[0].words[1].start_s, 0.7);
  eq(j.segments[1].start_s, 3723.004);
  eq(j.duration_s, 3725.5);
  eq(renderTranscript(t, "text"), "Hello there. General Kenobi.\n");
});
