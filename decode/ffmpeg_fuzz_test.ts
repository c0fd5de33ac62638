import fc from "fast-check";
import { layoutChannels, parseFfmpegInfo } from "./ffmpeg.ts";
import { assert } from "../ffi/testing/assert.ts";
import { fuzz } from "../ffi/testing/fuzz.ts";

const BANNER = `Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'x.m4a':
  Duration: 00:00:01.00, start: 0.000000, bitrate: 130 kb/s
  Stream #0:0[0x1](und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, stereo, fltp, 128 kb/s (default)`;

const count = (x: number | null) => x === null || (Number.isInteger(x) && x >= 0);

Deno.test("parseFfmpegInfo/layoutChannels: ffmpeg's banner, however a file bends it, reads as text and whole numbers", () => {
  fuzz(
    "ffmpeg.parseFfmpegInfo",
    fc.property(
      fc.oneof(
        fc.string({ maxLength: 300 }),
        fc.constantFrom("mono", "5.1(side)", "3 channels", "constructor", "toString", "__proto__"),
        fc.tuple(fc.nat(BANNER.length), fc.string({ maxLength: 40 }), fc.nat(40)).map((
          [at, s, cut],
        ) => BANNER.slice(0, at) + s + BANNER.slice(Math.min(BANNER.length, at + cut))),
        fc.tuple(
          fc.string({ maxLength: 20 }),
          fc.string({ maxLength: 20 }),
          fc.string({ maxLength: 20 }),
        ).map(
          ([codec, hz, layout]) =>
            `Input #0, wav, from 'x':\n  Stream #0:0: Audio: ${codec}, ${hz} Hz, ${layout}, s16`,
        ),
      ),
      (text) => {
        const info = parseFfmpegInfo(text);
        assert(typeof info.container === "string" && typeof info.codec === "string");
        assert(count(info.rate) && count(info.channels), JSON.stringify(info));
        assert(count(layoutChannels(text)));
      },
    ),
    { runs: 500 },
  );
});
