import fc from "fast-check";
import {
  checkSdp,
  MAX_OFFER_BYTES,
  type Offer,
  readOffer,
  SessionConfigSchema,
  SignallingError,
} from "./signalling.ts";
import { assert, assertEquals } from "../../../ffi/testing/assert.ts";
import {
  bytes,
  expectContractError,
  fuzz,
  mutated,
  rejected,
  thrown,
} from "../../../ffi/testing/fuzz.ts";

const PREFIX = "Cannot start a session: ";
const enc = new TextEncoder();

/** A browser-like offer: one Opus audio track and a data-channel section, gathered candidates. */
const OFFER = [
  "v=0",
  "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
  "s=-",
  "t=0 0",
  "a=group:BUNDLE 0 1",
  "a=msid-semantic: WMS",
  "m=audio 50174 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126",
  "c=IN IP4 192.168.1.20",
  "a=rtcp:9 IN IP4 0.0.0.0",
  "a=candidate:1 1 udp 2122260223 192.168.1.20 50174 typ host generation 0",
  "a=ice-ufrag:Hq4v",
  "a=ice-pwd:f2Kx0wPq8ZtY3n1bVd7sLc9e",
  "a=ice-options:trickle",
  "a=fingerprint:sha-256 3A:1F:22:9B:0C:47:DE:55:81:6A:F0:12:BC:3D:99:7E:45:A8:61:0F:2E:C4:B7:5D:83:19:6C:E2:4A:F7:08:D1",
  "a=setup:actpass",
  "a=mid:0",
  "a=sendonly",
  "a=msid:- 7c1d0e5a-3f7b-4b0e-9a51-2b8c6d4e1f00",
  "a=rtcp-mux",
  "a=rtpmap:111 opus/48000/2",
  "a=rtcp-fb:111 transport-cc",
  "a=fmtp:111 minptime=10;useinbandfec=1",
  "a=rtpmap:63 red/48000/2",
  "a=rtpmap:9 G722/8000",
  "a=rtpmap:0 PCMU/8000",
  "a=rtpmap:8 PCMA/8000",
  "a=rtpmap:13 CN/8000",
  "a=rtpmap:110 telephone-event/48000",
  "a=rtpmap:126 telephone-event/8000",
  "a=ssrc:2404235415 cname:hX2m9aQwT1bYc0Zk",
  "m=application 50175 UDP/DTLS/SCTP webrtc-datachannel",
  "c=IN IP4 192.168.1.20",
  "a=ice-ufrag:Hq4v",
  "a=ice-pwd:f2Kx0wPq8ZtY3n1bVd7sLc9e",
  "a=fingerprint:sha-256 3A:1F:22:9B:0C:47:DE:55:81:6A:F0:12:BC:3D:99:7E:45:A8:61:0F:2E:C4:B7:5D:83:19:6C:E2:4A:F7:08:D1",
  "a=setup:actpass",
  "a=mid:1",
  "a=sctp-port:5000",
  "a=max-message-size:262144",
  "",
].join("\r\n");

const contentTypes = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom("application/sdp", "application/json") },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "Application/SDP; charset=utf-8",
      " application/json ;x=1",
      "text/plain",
      "multipart/form-data; boundary=x",
      "",
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
);

/** A resolved offer, checked against the contract. */
function checkOffer(o: Offer, type: string): void {
  assertEquals(checkSdp(o.sdp), o.sdp, "the offer's SDP passes the check");
  assert(SessionConfigSchema.safeParse(o.config).success, "config");
  const t = type.split(";")[0].trim().toLowerCase();
  assertEquals(o.answerAs, t === "application/sdp" ? "sdp" : "json", "answerAs");
  assert(o.sdp.length <= MAX_OFFER_BYTES, "an offer over the size limit");
  assertEquals(o.inputs.includes("media"), /^m=audio /m.test(o.sdp), "media input");
  assertEquals(o.inputs.includes("mel"), /^m=application /m.test(o.sdp), "channel inputs");
}

/** What readOffer must do with a request: a checked offer, or a SignallingError with its status. */
async function checkRead(req: Request, type: string, size?: number): Promise<void> {
  let offer: Offer | undefined;
  const err = await rejected(async () => (offer = await readOffer(req)));
  expectContractError(err, [SignallingError], PREFIX);
  if (err) {
    const status = (err as SignallingError).status;
    assert([400, 413, 415].includes(status), `status ${status}`);
    if (status === 413) {
      assert(size === undefined || size > MAX_OFFER_BYTES, "413 for a small body");
    }
    return;
  }
  assert(size === undefined || size <= MAX_OFFER_BYTES, `a ${size}-byte body was accepted`);
  checkOffer(offer!, type);
}

function request(type: string | null, body: BodyInit | null, headers: Record<string, string> = {}) {
  const h = new Headers(headers);
  if (type !== null) h.set("content-type", type);
  return new Request("http://x/v1/sessions", { method: "POST", headers: h, body });
}

const sdpText = fc.oneof(
  fc.constant(OFFER),
  mutated(enc.encode(OFFER), 6).map((b) => new TextDecoder().decode(b)),
  mutated(enc.encode(OFFER), 2).map((b) => new TextDecoder().decode(b)),
  fc.string({ maxLength: 300 }),
  fc.tuple(
    fc.array(
      fc.oneof(
        fc.constantFrom(...OFFER.split("\r\n")),
        fc.string({ maxLength: 30 }),
        fc.constantFrom(
          "m=audio 9 RTP/AVP 0",
          "m=application 9 x",
          "a=rtpmap:0 opus/48000",
          "v=0",
        ),
      ),
      { maxLength: 20 },
    ),
    fc.constantFrom("\r\n", "\n"),
  ).map(([ls, eol]) => ls.join(eol)),
);

Deno.test("checkSdp: random and mutated offers are returned as they are, or refused with 400", () => {
  fuzz(
    "signalling.checkSdp",
    fc.property(sdpText, (sdp) => {
      let out: string | undefined;
      const err = thrown(() => (out = checkSdp(sdp)));
      expectContractError(err, [SignallingError], PREFIX);
      if (err) return assertEquals((err as SignallingError).status, 400);
      assertEquals(out, sdp);
    }),
    { runs: 800 },
  );
});

Deno.test("readOffer: any content type and body is an offer or a SignallingError", async () => {
  const valid = <T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<unknown>) =>
    fc.oneof({ weight: 4, arbitrary: good }, { weight: 1, arbitrary: bad });
  const json = fc.record({
    sdp: valid(sdpText, fc.jsonValue()),
    type: valid(fc.constant("offer"), fc.jsonValue()),
    config: valid(
      fc.record({
        mode: valid(fc.constantFrom("latency", "balanced", "accuracy"), fc.string()),
        overrides: valid(fc.dictionary(fc.string(), fc.jsonValue()), fc.jsonValue()),
        model: valid(fc.string({ maxLength: 210 }), fc.jsonValue()),
        language: valid(fc.constant("en"), fc.string()),
      }, { requiredKeys: [] }),
      fc.jsonValue(),
    ),
    extra: fc.jsonValue(),
  }, { requiredKeys: ["sdp"] }).map((o) => {
    // An unknown key is refused: keep one in a few bodies only.
    if (JSON.stringify(o).length % 5) delete (o as { extra?: unknown }).extra;
    return enc.encode(JSON.stringify(o));
  });
  const body = fc.oneof(
    { weight: 4, arbitrary: sdpText.map((s) => enc.encode(s)) },
    { weight: 4, arbitrary: json },
    { weight: 1, arbitrary: bytes(2048) },
    { weight: 1, arbitrary: fc.constant(new Uint8Array(0)) },
  );
  await fuzz(
    "signalling.readOffer",
    fc.asyncProperty(contentTypes, body, fc.boolean(), async (type, b, streamed) => {
      const payload = streamed
        ? new ReadableStream<Uint8Array>({
          start(c) {
            for (let i = 0; i < b.length; i += 100) c.enqueue(b.slice(i, i + 100));
            c.close();
          },
        })
        : b as Uint8Array<ArrayBuffer>;
      await checkRead(request(type, payload), type, b.length);
    }),
    { runs: 500 },
  );
});

Deno.test("readOffer: bodies around the 64 KiB limit, declared or not, streamed or whole", async () => {
  await fuzz(
    "signalling.readOffer(size)",
    fc.asyncProperty(
      fc.integer({ min: MAX_OFFER_BYTES - 200, max: MAX_OFFER_BYTES + 200 }),
      fc.constantFrom("application/sdp", "application/json"),
      fc.oneof(
        fc.constant(undefined),
        fc.nat({ max: 2 * MAX_OFFER_BYTES }),
        fc.string({ maxLength: 8 }),
      ),
      fc.integer({ min: 1, max: 70_000 }),
      async (size, type, declared, chunk) => {
        // A valid offer padded with a comment-like attribute out to `size` bytes.
        const head = type === "application/sdp" ? OFFER : `{"sdp":${JSON.stringify(OFFER)},"x":"`;
        const tail = type === "application/sdp" ? "\r\n" : '"}';
        const fill = "a=x-pad:".length + tail.length;
        const pad = type === "application/sdp"
          ? `a=x-pad:${"p".repeat(Math.max(0, size - head.length - fill))}`
          : "p".repeat(Math.max(0, size - head.length - tail.length));
        const b = enc.encode(head + pad + tail);
        const headers: Record<string, string> = declared === undefined
          ? {}
          : { "content-length": String(declared) };
        const stream = new ReadableStream<Uint8Array>({
          start(c) {
            for (let i = 0; i < b.length; i += chunk) c.enqueue(b.slice(i, i + chunk));
            c.close();
          },
        });
        const req = request(type, stream, headers);
        // The size the server may judge by: what arrives, or a declared length over the limit.
        const declaredOver = declared !== undefined && Number(declared) > MAX_OFFER_BYTES;
        let offer: Offer | undefined;
        const err = await rejected(async () => (offer = await readOffer(req)));
        expectContractError(err, [SignallingError], PREFIX);
        if (b.length > MAX_OFFER_BYTES || declaredOver) {
          assert(err, `${b.length} bytes (declared ${declared}) were accepted`);
          assertEquals((err as SignallingError).status, 413);
        } else if (type === "application/sdp" && !err) {
          checkOffer(offer!, type);
        } else if (err) {
          // Only the JSON form's extra key may be refused.
          assert(
            type === "application/json" && (err as SignallingError).status === 400,
            String(err),
          );
        }
      },
    ),
    { runs: 200 },
  );
});

Deno.test("readOffer: a valid offer round-trips as SDP and as JSON", async () => {
  await fuzz(
    "signalling.readOffer(round-trip)",
    fc.asyncProperty(
      fc.constantFrom("\r\n", "\n"),
      fc.boolean(),
      fc.boolean(),
      fc.record({
        mode: fc.constantFrom("latency" as const, "balanced" as const, "accuracy" as const),
        overrides: fc.dictionary(
          fc.string({ maxLength: 8 }).filter((k) => k !== "__proto__"),
          fc.jsonValue({ maxDepth: 1 }),
        ),
        model: fc.string({ maxLength: 200 }),
        language: fc.constant("en" as const),
      }, { requiredKeys: [] }),
      async (eol, audio, channels, config) => {
        fc.pre(audio || channels);
        const lines = OFFER.split("\r\n");
        const at = lines.indexOf("m=application 50175 UDP/DTLS/SCTP webrtc-datachannel");
        const keep = [
          ...lines.slice(0, 6),
          ...(audio ? lines.slice(6, at) : []),
          ...(channels ? lines.slice(at) : [""]),
        ];
        const sdp = keep.join(eol);
        const a = await readOffer(request("application/sdp", sdp));
        assertEquals([a.sdp, a.answerAs, a.config], [sdp, "sdp", {}]);
        const want = [...(audio ? ["media"] : []), ...(channels ? ["audio", "mel"] : [])];
        assertEquals(a.inputs, want);
        const j = await readOffer(
          request("application/json", JSON.stringify({ sdp, type: "offer", config })),
        );
        assertEquals([j.sdp, j.answerAs, j.inputs], [sdp, "json", want]);
        assertEquals(j.config, JSON.parse(JSON.stringify(config)));
      },
    ),
    { runs: 200 },
  );
});

Deno.test("readOffer refuses overrides naming __proto__, constructor or prototype, as unknown settings", async () => {
  for (const key of ["__proto__", "constructor", "prototype"]) {
    // JSON text, so "__proto__" arrives as an own key, as it does from a client.
    const body = `{"sdp":${
      JSON.stringify(OFFER)
    },"config":{"overrides":{"${key}":{"minChunkMs":1}}}}`;
    const err = await rejected(() => readOffer(request("application/json", body)));
    assert(err instanceof SignallingError && err.status === 400, `${key}: ${err}`);
    assert(err.message.startsWith(PREFIX), err.message);
    assert(err.message.includes(`"${key}" is not a setting`), err.message);
  }
  const ok = await readOffer(
    request(
      "application/json",
      JSON.stringify({ sdp: OFFER, config: { overrides: { minChunkMs: 700 } } }),
    ),
  );
  assertEquals(ok.config.overrides, { minChunkMs: 700 });
});

Deno.test("checkSdp refuses a malformed DTLS fingerprint and takes every well-formed one", () => {
  const fp =
    "a=fingerprint:sha-256 3A:1F:22:9B:0C:47:DE:55:81:6A:F0:12:BC:3D:99:7E:45:A8:61:0F:2E:C4:B7:5D:83:19:6C:E2:4A:F7:08:D1";
  assert(OFFER.includes(fp));
  const bad = [
    "a=fingerprint:sha-256 zz",
    "a=fingerprint:sha-256",
    "a=fingerprint:sha-256 3A:1F", // too short for sha-256
    `a=fingerprint:sha-1 ${fp.split(" ")[1]}`, // 32 bytes is not sha-1's 20
    `a=fingerprint:md5 ${"AB:".repeat(15)}AB`,
    `a=fingerprint:sha-256 ${fp.split(" ")[1]} extra`,
    `a=fingerprint:sha-256 ${fp.split(" ")[1].replaceAll(":", "")}`,
  ];
  for (const line of bad) {
    const err = thrown(() => checkSdp(OFFER.replaceAll(fp, line)));
    assert(err instanceof SignallingError && err.status === 400, `${line}: ${err}`);
    assert(err.message.startsWith(`${PREFIX}bad DTLS fingerprint`), err.message);
  }
  const good = [
    fp.toLowerCase().replace("a=fingerprint:", "a=fingerprint:"),
    `a=fingerprint:sha-1 ${"0f:".repeat(19)}0f`,
    `a=fingerprint:SHA-512 ${"E0:".repeat(63)}E0`,
  ];
  for (const line of good) {
    assertEquals(checkSdp(OFFER.replaceAll(fp, line)), OFFER.replaceAll(fp, line));
  }
});
