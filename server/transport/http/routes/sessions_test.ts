import { mediaSummary } from "./sessions.ts";
import { noMediaYet } from "../../../session/live_session.ts";
import { assertEquals } from "../../../../ffi/testing/assert.ts";

const NONE = noMediaYet();

Deno.test("mediaSummary: packets and losses, the rest when not zero", () => {
  // A track on which nothing arrived says so.
  assertEquals(mediaSummary(NONE), "; 0 RTP packets, 0 lost");
  assertEquals(mediaSummary({ ...NONE, packets: 3359 }), "; 3359 RTP packets, 0 lost");
  assertEquals(
    mediaSummary({ ...NONE, packets: 2298, lost: 1308, late: 159, fecMs: 160, concealedMs: 1400 }),
    "; 2298 RTP packets, 1308 lost, 159 late, 160 ms FEC, 1400 ms concealed",
  );
  // Every packet lost still says so.
  assertEquals(mediaSummary({ ...NONE, lost: 40, reordered: 0 }), "; 0 RTP packets, 40 lost");
});
