import { MediaStreamTrack, RTCPeerConnection, RTCRtpCodecParameters } from "werift";
import { assertEquals } from "../../../ffi/testing/assert.ts";
import { hasShared } from "../../../ffi/testing/shared.ts";
import { CHANNELS } from "../../../protocol/control.ts";
import { answeredOpusBitrate, opusParameters } from "../../../client/opus_answer.ts";
import { TEST_SERVER_MODELS, withTestServer } from "../http/testing.ts";
import { OPUS_ANSWER_PARAMETERS, withMaxMessageSize, withOpusParameters } from "./answer_sdp.ts";

Deno.test("the answer states the session's own data-channel message limit, not werift's", () => {
  const sdp = [
    "v=0",
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
    "a=sctp-port:5000",
    "a=max-message-size:65536",
    "",
  ].join("\r\n");
  const out = withMaxMessageSize(sdp, 16_384);
  assertEquals(out.includes("a=max-message-size:16384\r\n"), true, out);
  assertEquals(out.includes("65536"), false);
  assertEquals(out.split("\r\n").length, sdp.split("\r\n").length, "nothing else changes");
  // Without a data section there is nothing to state.
  const audioOnly = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n";
  assertEquals(withMaxMessageSize(audioOnly, 16_384), audioOnly);
});

Deno.test("Opus parameters are set on the Opus payload's fmtp line, or added after its rtpmap", () => {
  const params = { useinbandfec: 1, maxaveragebitrate: 64_000 };
  const chrome = [
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 0",
    "a=rtpmap:111 opus/48000/2",
    "a=rtcp-fb:111 transport-cc",
    "a=fmtp:111 minptime=10;useinbandfec=0;MaxAverageBitrate=20000",
    "a=rtpmap:0 PCMU/8000",
    "a=fmtp:0 maxaveragebitrate=1",
    "",
  ].join("\r\n");
  assertEquals(
    withOpusParameters(chrome, params),
    chrome.replace(
      "a=fmtp:111 minptime=10;useinbandfec=0;MaxAverageBitrate=20000",
      "a=fmtp:111 minptime=10;useinbandfec=1;maxaveragebitrate=64000",
    ),
  );
  const bare = "m=audio 9 UDP/TLS/RTP/SAVPF 96\na=rtpmap:96 opus/48000/2\na=mid:0\n";
  assertEquals(
    withOpusParameters(bare, params),
    "m=audio 9 UDP/TLS/RTP/SAVPF 96\na=rtpmap:96 opus/48000/2\n" +
      "a=fmtp:96 useinbandfec=1;maxaveragebitrate=64000\na=mid:0\n",
  );
  const noAudio = "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:0\r\n";
  assertEquals(withOpusParameters(noAudio, params), noAudio);
});

Deno.test({
  name: "the answer asks the sender's Opus encoder for FEC, audio up to 8 kHz and 64 kbit/s, " +
    "which the command-line client then encodes at",
  ignore: !hasShared(...TEST_SERVER_MODELS),
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await withTestServer(async ({ url }) => {
      const pc = new RTCPeerConnection({
        codecs: {
          audio: [
            new RTCRtpCodecParameters({ mimeType: "audio/opus", clockRate: 48_000, channels: 2 }),
          ],
        },
      });
      try {
        pc.addTransceiver(new MediaStreamTrack({ kind: "audio" }), { direction: "sendonly" });
        pc.createDataChannel(CHANNELS.transcript);
        await pc.setLocalDescription(await pc.createOffer());
        const res = await fetch(`${url}/v1/sessions`, {
          method: "POST",
          body: pc.localDescription!.sdp,
          headers: { "content-type": "application/sdp" },
        });
        assertEquals(res.status, 201);
        const answer = await res.text();
        assertEquals(opusParameters(answer), {
          minptime: "10",
          useinbandfec: "1",
          maxplaybackrate: "16000",
          maxaveragebitrate: "64000",
        });
        assertEquals(
          answeredOpusBitrate(answer),
          OPUS_ANSWER_PARAMETERS.maxaveragebitrate,
          "the client's encoder bit rate",
        );
      } finally {
        await pc.close();
      }
    }, { service: { log: () => {} } });
  },
});
