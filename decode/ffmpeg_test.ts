import { assertEquals } from "../ffi/testing/assert.ts";
import { layoutChannels, parseFfmpegInfo } from "./ffmpeg.ts";

// ffmpeg's own banner for an AAC-in-MP4 file (as printed on stderr at the default log level).
const BANNER = `Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'tone.m4a':
  Metadata:
    major_brand     : M4A
  Duration: 00:00:02.02, start: 0.000000, bitrate: 130 kb/s
  Stream #0:0[0x1](und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, stereo, fltp, 128 kb/s (default)
Stream mapping:
  Stream #0:0 -> #0:0 (aac (native) -> pcm_f32le (native))
`;

Deno.test("parseFfmpegInfo reads container, codec, rate and channels from ffmpeg's banner", () => {
  assertEquals(parseFfmpegInfo(BANNER), {
    container: "mov,mp4,m4a,3gp,3g2,mj2",
    codec: "aac",
    rate: 44100,
    channels: 2,
  });
  const webm = "Input #0, matroska,webm, from 'a.webm':\n" +
    "  Stream #0:0(eng): Audio: opus, 48000 Hz, 5.1(side), fltp (default)\n";
  assertEquals(parseFfmpegInfo(webm), {
    container: "matroska,webm",
    codec: "opus",
    rate: 48000,
    channels: 6,
  });
  assertEquals(parseFfmpegInfo("garbage"), {
    container: "unknown",
    codec: "unknown",
    rate: null,
    channels: null,
  });
});

Deno.test("layoutChannels counts ffmpeg channel layouts", () => {
  assertEquals(layoutChannels("mono"), 1);
  assertEquals(layoutChannels("stereo"), 2);
  assertEquals(layoutChannels("5.1(side)"), 6);
  assertEquals(layoutChannels("7.1"), 8);
  assertEquals(layoutChannels("3 channels"), 3);
  assertEquals(layoutChannels("weird"), null);
});

Deno.test("a layout word that is a key of Object.prototype is no layout (fuzz counterexample)", () => {
  // `"valueOf" in {}` is true: layoutChannels returned Object.prototype.valueOf as a count.
  for (const w of ["valueOf", "constructor", "toString", "__proto__"]) {
    assertEquals(layoutChannels(w), null, w);
  }
});
