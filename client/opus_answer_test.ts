import { answeredOpusBitrate, DEFAULT_OPUS_BITRATE, opusParameters } from "./opus_answer.ts";
import { assertEquals } from "../ffi/testing/assert.ts";

/** An answer's audio section with `fmtp` as the Opus payload's parameters. */
const answer = (fmtp: string | null, pt = 111) =>
  [
    "v=0",
    "m=audio 9 UDP/TLS/RTP/SAVPF " + pt,
    "a=rtpmap:0 PCMU/8000",
    "a=fmtp:0 maxaveragebitrate=8000",
    `a=rtpmap:${pt} opus/48000/2`,
    ...(fmtp === null ? [] : [`a=fmtp:${pt} ${fmtp}`]),
    "",
  ].join("\r\n");

Deno.test("the Opus payload's fmtp parameters are read from its own payload type only", () => {
  assertEquals(
    opusParameters(answer("minptime=10;useinbandfec=1; maxaveragebitrate=64000", 109)),
    { minptime: "10", useinbandfec: "1", maxaveragebitrate: "64000" },
  );
  assertEquals(opusParameters(answer(null)), {});
  assertEquals(opusParameters("v=0\r\nm=application 9 DTLS/SCTP 5000\r\n"), {});
});

Deno.test("the encoder takes the answer's maxaveragebitrate, as a browser does", () => {
  assertEquals(answeredOpusBitrate(answer("useinbandfec=1;maxaveragebitrate=64000")), 64_000);
  assertEquals(answeredOpusBitrate(answer("MaxAverageBitrate=48000")), 48_000);
});

Deno.test("no maxaveragebitrate, or one outside 6–510 kbit/s, leaves libwebrtc's default", () => {
  for (const fmtp of [null, "useinbandfec=1", "maxaveragebitrate=", "maxaveragebitrate=5999"]) {
    assertEquals(answeredOpusBitrate(answer(fmtp)), DEFAULT_OPUS_BITRATE, String(fmtp));
  }
  for (
    const fmtp of ["maxaveragebitrate=510001", "maxaveragebitrate=64k", "maxaveragebitrate=-1"]
  ) {
    assertEquals(answeredOpusBitrate(answer(fmtp)), DEFAULT_OPUS_BITRATE, fmtp);
  }
});
