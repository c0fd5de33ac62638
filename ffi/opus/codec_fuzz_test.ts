import fc from "fast-check";
import {
  MAX_PACKET_MS,
  OPUS_RATES,
  OpusDecoder,
  OpusEncoder,
  OpusError,
  opusPacketSamples,
  type OpusRate,
} from "./mod.ts";
import { assert, assertEquals } from "../testing/assert.ts";
import { bytes, expectContractError, fuzz, mutated, thrown } from "../testing/fuzz.ts";
import { prng, sine } from "../testing/signal.ts";

/** Real packets of every kind: each rate, frame length, mode (SILK, CELT, hybrid), FEC on and off. */
function realPackets(): Uint8Array[] {
  const out: Uint8Array[] = [];
  const rnd = prng(7);
  for (const rate of OPUS_RATES) {
    for (const application of ["voip", "audio"] as const) {
      for (const ms of [2.5, 10, 20, 60]) {
        using enc = new OpusEncoder({
          rate,
          application,
          bitrate: application === "voip" ? 12_000 : 64_000,
          packetLossPercent: ms === 20 ? 10 : 0,
        });
        const n = (rate * ms) / 1000;
        const x = sine(220 + 100 * (ms % 7), rate, (3 * n) / rate, 0.5);
        for (let i = 0; i < x.length; i++) x[i] += 0.05 * (rnd() - 0.5);
        for (let i = 0; i + n <= x.length; i += n) out.push(enc.encode(x.subarray(i, i + n)));
      }
    }
  }
  return out;
}

const REAL = realPackets();
const rateArb = fc.constantFrom<OpusRate>(...OPUS_RATES);
/** Packets: garbage, real ones, and real ones mutated. */
const packetArb = fc.oneof(
  bytes(1500),
  fc.constantFrom(...REAL),
  fc.constantFrom(...REAL).chain((p) => mutated(p, 4)),
  // A valid TOC byte (every config and frame-count code) on random frames.
  fc.tuple(fc.nat(255), bytes(300)).map(([toc, rest]) => Uint8Array.of(toc, ...rest)),
);

function checkPcm(pcm: Float32Array, rate: number, what: string): void {
  assert(pcm.length <= (rate * MAX_PACKET_MS) / 1000, `${what}: ${pcm.length} samples`);
  assertEquals(pcm.length % (rate / 400), 0, `${what}: not whole 2.5 ms steps`);
  for (let i = 0; i < pcm.length; i++) {
    if (!Number.isFinite(pcm[i])) throw new Error(`${what}: sample ${i} is ${pcm[i]}`);
  }
}

Deno.test("opusPacketSamples: any bytes are a duration within 120 ms, or an OpusError", () => {
  fuzz(
    "opus.opusPacketSamples",
    fc.property(packetArb, rateArb, (p, rate) => {
      let n: number | undefined;
      expectContractError(thrown(() => (n = opusPacketSamples(p, rate))), [OpusError]);
      if (n === undefined) return;
      assert(Number.isInteger(n) && n > 0 && n <= (rate * MAX_PACKET_MS) / 1000, `${n} samples`);
    }),
    { runs: 1000 },
  );
});

Deno.test("OpusDecoder.decode: any packet decodes to its stated length of finite samples, or an OpusError; the decoder lives on", () => {
  const decoders = new Map(OPUS_RATES.map((r) => [r, new OpusDecoder(r)]));
  const encoders = new Map(OPUS_RATES.map((r) => [r, new OpusEncoder({ rate: r })]));
  try {
    fuzz(
      "opus.OpusDecoder.decode",
      fc.property(fc.array(packetArb, { minLength: 1, maxLength: 8 }), rateArb, (packets, rate) => {
        const dec = decoders.get(rate)!;
        for (const p of packets) {
          let pcm: Float32Array | undefined;
          expectContractError(thrown(() => (pcm = dec.decode(p))), [OpusError], /^Cannot decode/);
          if (!pcm) continue;
          checkPcm(pcm, rate, "decode");
          assertEquals(pcm.length, opusPacketSamples(p, rate), "decoded length = stated length");
        }
        // Whatever came before, a good packet still decodes to its 20 ms.
        const good = encoders.get(rate)!.encode(new Float32Array(rate / 50));
        assertEquals(dec.decode(good).length, rate / 50);
      }),
      { runs: 600 },
    );
  } finally {
    for (const d of decoders.values()) d.close();
    for (const e of encoders.values()) e.close();
  }
});

Deno.test("OpusDecoder.conceal: any count and next packet is that many finite samples, or a documented error", () => {
  using dec = new OpusDecoder(16_000);
  fuzz(
    "opus.OpusDecoder.conceal",
    fc.property(
      fc.oneof(
        fc.integer({ min: 1, max: 48 }).map((k) => k * 40),
        fc.integer({ min: -100, max: 4000 }),
        fc.double(),
      ),
      fc.option(packetArb, { nil: undefined }),
      fc.option(packetArb, { nil: undefined }),
      (n, next, before) => {
        if (before) thrown(() => dec.decode(before));
        let pcm: Float32Array | undefined;
        const err = thrown(() => (pcm = dec.conceal(n, next)));
        expectContractError(err, [OpusError, RangeError], /^Cannot (conceal|recover)/);
        const valid = Number.isInteger(n) && n > 0 && n % 40 === 0 && n <= 1920;
        if (!valid) return assert(err instanceof RangeError, `conceal(${n}) was not refused`);
        if (!pcm) return assert(next !== undefined && next.length > 0, "plain concealment failed");
        checkPcm(pcm, 16_000, "conceal");
        // Exactly what was asked, FEC or concealment: the stream's clock depends on it.
        assertEquals(pcm.length, n, "concealment length");
      },
    ),
    { runs: 600 },
  );
});

Deno.test("OpusEncoder.encode: any samples of a frame's length make a packet that decodes to that length", () => {
  const encoders = new Map(OPUS_RATES.map((r) => [r, new OpusEncoder({ rate: r })]));
  const decoders = new Map(OPUS_RATES.map((r) => [r, new OpusDecoder(r)]));
  try {
    fuzz(
      "opus.OpusEncoder.encode",
      fc.property(
        rateArb,
        fc.oneof(fc.constantFrom(2.5, 5, 10, 20, 40, 60), fc.integer({ min: 0, max: 70 })),
        fc.oneof(fc.float(), fc.float({ min: -1, max: 1, noNaN: true })),
        fc.float32Array({ maxLength: 64 }),
        (rate, ms, fill, pattern) => {
          const n = Math.round((rate * ms) / 1000);
          const x = new Float32Array(n).fill(fill);
          for (let i = 0; i < pattern.length && i < n; i++) x[(i * 7919) % n] = pattern[i];
          let packet: Uint8Array | undefined;
          const err = thrown(() => (packet = encoders.get(rate)!.encode(x)));
          expectContractError(err, [RangeError, OpusError], /^Cannot encode/);
          const frame = [2.5, 5, 10, 20, 40, 60].includes((n * 1000) / rate);
          if (!frame) return assert(err instanceof RangeError, `${n} samples were encoded`);
          assert(packet, String(err));
          assert(packet.length >= 1 && packet.length <= 4000, `${packet.length}-byte packet`);
          const pcm = decoders.get(rate)!.decode(packet);
          checkPcm(pcm, rate, "decode of an encoded frame");
          assertEquals(pcm.length, n);
        },
      ),
      { runs: 300 },
    );
  } finally {
    for (const d of decoders.values()) d.close();
    for (const e of encoders.values()) e.close();
  }
});

Deno.test("OpusDecoder: made, fed garbage and closed many times, frees its memory", async () => {
  // In a process of its own: under `deno test --parallel` other test modules share this
  // process's resident memory, which would blur a figure of a few MB.
  const script = `
    import { OpusDecoder } from ${JSON.stringify(new URL("./codec.ts", import.meta.url).href)};
    let seed = 11;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const junk = Array.from({ length: 64 }, () => Uint8Array.from({ length: 200 }, () => rnd() * 256));
    const cycles = (n) => {
      for (let k = 0; k < n; k++) {
        // 8 kHz: the decoder's native state (about 17 KB) outweighs its JavaScript buffer.
        const dec = new OpusDecoder(8000);
        try { dec.decode(junk[k % junk.length]); } catch { /* garbage */ }
        dec.close();
      }
    };
    const rssMb = () => Deno.memoryUsage().rss / 2 ** 20;
    cycles(2000); // grows the heaps to their working size
    const before = rssMb();
    cycles(6000);
    console.log(rssMb() - before);
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
  const grown = Number(new TextDecoder().decode(out.stdout).trim());
  // 6000 decoders left open grow it by about 100 MB (measured: 35 MB per 2000); freed ones by a
  // few MB of heap noise.
  assert(
    Number.isFinite(grown) && grown < 30,
    `resident memory grew by ${grown} MB over 6000 decoders`,
  );
});
