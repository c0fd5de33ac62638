import { assertEquals } from "../../../ffi/testing/assert.ts";
import { withMaxMessageSize } from "./peer.ts";

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
