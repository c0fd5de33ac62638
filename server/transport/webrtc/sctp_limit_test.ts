import { Buffer } from "node:buffer";
import { type RTCDataChannel, RTCPeerConnection } from "werift";
import {
  assertWeriftInternals,
  limitInboundMessages,
  type MessageLimitCounters,
} from "./sctp_limit.ts";
import { assert, assertEquals, assertThrows } from "../../../ffi/testing/assert.ts";

const LIMIT = 64 * 1024;
/** Largest DATA chunk payload werift sends (its default SCTP MTU, less the headers). */
const CHUNK = 1_200;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(done: () => boolean, what: string, ms = 30_000): Promise<void> {
  for (let t = 0; t < ms && !done(); t += 20) await sleep(20);
  assert(done(), `timed out waiting for ${what}`);
}

/**
 * A werift client and a werift answerer over loopback, the answerer's association limited to
 * `LIMIT` the way the service's peers are; the client ignores the answer's max-message-size
 * (a hostile client).
 */
async function pair(limit = LIMIT, onAbort?: (reason: string) => void) {
  const client = new RTCPeerConnection();
  const server = new RTCPeerConnection();
  const channels = {
    audio: client.createDataChannel("audio"),
    transcript: client.createDataChannel("transcript"),
  };
  const got: { label: string; size: number; text?: string }[] = [];
  const refused: { streamId: number; held: number }[] = [];
  server.onDataChannel.subscribe((dc: RTCDataChannel) =>
    dc.onMessage.subscribe((m) =>
      got.push({
        label: dc.label,
        size: m.length,
        text: typeof m === "string" ? m : m.length < 100 ? Buffer.from(m).toString() : undefined,
      })
    )
  );
  await client.setLocalDescription(await client.createOffer());
  await server.setRemoteDescription(client.localDescription!);
  await server.setLocalDescription(await server.createAnswer());
  const counters: MessageLimitCounters = limitInboundMessages(server.sctpTransport!.sctp, {
    maxMessageBytes: limit,
    onRefused: (streamId, held) => refused.push({ streamId, held }),
    onAbort,
  });
  await client.setRemoteDescription(server.localDescription!);
  await until(
    () => Object.values(channels).every((c) => c.readyState === "open"),
    "the channels to open",
  );
  // A hostile client: it sends past the answer's max-message-size.
  client.sctpTransport!.remoteMaxMessageSize = 0;
  const close = async () => {
    await client.close();
    await server.close();
  };
  return { client, server, channels, got, refused, counters, close };
}

Deno.test("werift's SCTP has the internals the message limit relies on (werift 0.25.2)", async () => {
  const pc = new RTCPeerConnection();
  pc.createDataChannel("x");
  await pc.setLocalDescription(await pc.createOffer());
  // Throws, naming what is missing, when an upgrade changed them.
  assertWeriftInternals(pc.sctpTransport!.sctp);
  await pc.close();
  const err = assertThrows(() => assertWeriftInternals({ receiveDataChunk() {} }), Error);
  assert(/markReceived/.test(err.message) && /werift 0\.25\.2/.test(err.message), err.message);
});

Deno.test({
  name: "a message over the limit is refused while it arrives; the channel goes on",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const p = await pair();
    try {
      const big = 4 * 1024 * 1024;
      p.channels.audio.send(Buffer.from("before"));
      p.channels.audio.send(Buffer.alloc(big, 7));
      p.channels.audio.send(Buffer.from("after"));
      // One at the limit is taken; the transcript channel beside it is untouched.
      p.channels.audio.send(Buffer.alloc(LIMIT, 1));
      p.channels.transcript.send("hello");
      await until(() => p.got.length >= 4, "the messages after the big one", 60_000);
      assertEquals(
        p.got.map((m) => [m.label, m.text ?? m.size]),
        [["audio", "before"], ["audio", "after"], ["audio", LIMIT], ["transcript", "hello"]],
      );
      assertEquals(p.refused.length, 1);
      const { counters: c } = p;
      // What was held for the refused message never went past the limit and one chunk.
      assert(
        p.refused[0].held > LIMIT && p.refused[0].held <= LIMIT + CHUNK,
        `${p.refused[0].held}`,
      );
      assert(c.peakMessageBytes <= LIMIT + CHUNK, `peak ${c.peakMessageBytes} bytes held`);
      assert(c.peakHeldBytes <= 2 * LIMIT + 2 * CHUNK, `peak ${c.peakHeldBytes} held in all`);
      // The rest of it was acknowledged and dropped as it came.
      await until(() => c.droppedBytes >= big, "the whole big message dropped");
      assertEquals([c.refused, c.aborted, c.heldBytes], [1, null, 0]);
    } finally {
      await p.close();
    }
  },
});

Deno.test({
  name: "refused messages on a string channel, several in a row, then one that fits",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const p = await pair(16 * 1024);
    try {
      for (let i = 0; i < 3; i++) p.channels.transcript.send("x".repeat(100_000 + i));
      p.channels.transcript.send("fits");
      await until(() => p.got.length >= 1, "the message that fits");
      assertEquals(p.got.map((m) => m.text), ["fits"]);
      assertEquals(p.counters.refused, 3);
      assert(p.counters.peakMessageBytes <= 16 * 1024 + CHUNK, `${p.counters.peakMessageBytes}`);
    } finally {
      await p.close();
    }
  },
});

Deno.test({
  name: "unordered fragments over the limit give the association up",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const aborted: string[] = [];
    const p = await pair(LIMIT, (r) => aborted.push(r));
    try {
      const loose = p.client.createDataChannel("loose", { ordered: false });
      await until(() => loose.readyState === "open", "the unordered channel");
      loose.send(Buffer.alloc(1024 * 1024, 3));
      await until(() => aborted.length > 0, "the association given up");
      assert(/unordered/.test(aborted[0]), aborted[0]);
      assert(p.counters.peakHeldBytes <= LIMIT + 2 * CHUNK, `${p.counters.peakHeldBytes}`);
      assertEquals(p.counters.heldBytes, 0);
      assertEquals(p.got.filter((m) => m.label === "loose"), []);
    } finally {
      await p.close();
    }
  },
});

/** An association fed DATA chunks by hand (no network): werift's own receive path and the limit. */
async function fed(limit: number, onAbort?: (reason: string) => void) {
  const pc = new RTCPeerConnection();
  pc.createDataChannel("x");
  await pc.setLocalDescription(await pc.createOffer());
  const sctp = pc.sctpTransport!.sctp;
  const internals = sctp as unknown as {
    lastReceivedTsn: number;
    receiveDataChunk(c: unknown): void;
  };
  internals.lastReceivedTsn = 0;
  const got: string[] = [];
  sctp.onReceive.subscribe((_id, _pp, data) => got.push(Buffer.from(data).toString()));
  const counters = limitInboundMessages(sctp, { maxMessageBytes: limit, onAbort });
  const feed = (tsn: number, streamSeqNum: number, flags: number, data: string | number) =>
    internals.receiveDataChunk({
      tsn,
      streamId: 1,
      streamSeqNum,
      flags,
      protocol: 51,
      userData: typeof data === "string" ? Buffer.from(data) : Buffer.alloc(data, 1),
    });
  return { pc, got, counters, feed };
}

const FIRST = 2, LAST = 1;

Deno.test("fragments out of order: the message is refused, late ones are dropped, the stream goes on", async () => {
  const f = await fed(10_000);
  // Message 0: fragments tsn 1–100 of 1 000 bytes; its last one and a middle run come first.
  f.feed(100, 0, LAST, 1_000);
  for (let tsn = 50; tsn <= 60; tsn++) f.feed(tsn, 0, 0, 1_000);
  assertEquals(f.counters.refused, 1);
  f.feed(101, 1, FIRST | LAST, "ok");
  for (let tsn = 1; tsn < 100; tsn++) {
    if (tsn < 50 || tsn > 60) f.feed(tsn, 0, tsn === 1 ? FIRST : 0, 1_000);
  }
  f.feed(102, 2, FIRST | LAST, "ok2");
  assertEquals(f.got, ["ok", "ok2"]);
  assert(f.counters.peakMessageBytes <= 11_000, `${f.counters.peakMessageBytes}`);
  assertEquals([f.counters.refused, f.counters.heldBytes, f.counters.droppedBytes], [
    1,
    0,
    100_000,
  ]);
  await f.pc.close();
});

Deno.test("many messages that never complete: the association is given up at the window", async () => {
  const aborted: string[] = [];
  const f = await fed(LIMIT, (r) => aborted.push(r));
  // A sender ignoring the window: first fragments of 2 000 messages, none ever finished.
  for (let i = 0; i < 2_000; i++) f.feed(i + 1, i, FIRST, 1_000);
  assertEquals(aborted.length, 1);
  assert(/over the receive window/.test(aborted[0]), aborted[0]);
  assert(f.counters.peakHeldBytes <= 1024 * 1024 + LIMIT + 1_000, `${f.counters.peakHeldBytes}`);
  assertEquals([f.counters.heldBytes, f.got], [0, []]);
  await f.pc.close();
});

Deno.test("a message in tiny fragments is refused by its count of fragments", async () => {
  const f = await fed(LIMIT);
  const refused: number[] = [];
  // 1-byte fragments: a chunk object each, for a message well under the limit in bytes.
  for (let tsn = 1; tsn <= 2_000; tsn++) f.feed(tsn, 0, tsn === 1 ? FIRST : 0, 1);
  f.feed(2_001, 0, LAST, 1);
  f.feed(2_002, 1, FIRST | LAST, "ok");
  refused.push(f.counters.refused);
  assertEquals([refused, f.got, f.counters.heldChunks], [[1], ["ok"], 0]);
  assert(f.counters.peakMessageBytes <= LIMIT / 256 + 2, `${f.counters.peakMessageBytes}`);
  await f.pc.close();
});
