import { CascadeTranscriber } from "./cascade.ts";
import { FakeTranscriber } from "./testing.ts";
import { resolveStreamConfig } from "./modes.ts";
import { assertEquals } from "../../ffi/testing/assert.ts";
import type { DecodeRequest } from "./transcriber.ts";

function request(kind: DecodeRequest["kind"]): DecodeRequest {
  return {
    window: {
      values: new Float32Array(16_000),
      input: "pcm",
      durationMs: 1_000,
      startMs: 0,
      speechMs: [0, 1_000],
    },
    kind,
    beamSize: 1,
    config: resolveStreamConfig("accuracy"),
    history: [],
    lagMs: () => 0,
    measure: (work) => work(),
  };
}

Deno.test("a cascade decodes rolling windows on the first model and closing ones on the second; counts add up, close closes both", async () => {
  const small = new FakeTranscriber({ script: () => ({ words: [], text: "small" }) });
  const large = new FakeTranscriber({ script: () => ({ words: [], text: "large" }) });
  const t = new CascadeTranscriber(small, large);
  const texts = [];
  for (const kind of ["rolling", "final", "rolling"] as const) {
    texts.push((await t.decode(request(kind))).text);
  }
  assertEquals(texts, ["small", "large", "small"]);
  assertEquals([small.requests.length, large.requests.length], [2, 1]);
  assertEquals(t.counts.decodes, small.counts.decodes + large.counts.decodes);
  assertEquals(t.counts.decodes, 3);
  t.close();
  assertEquals([small.closed, large.closed], [true, true]);
});
