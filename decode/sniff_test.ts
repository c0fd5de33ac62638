import { sniffContainer } from "./sniff.ts";
import { assertEquals } from "../ffi/testing/assert.ts";

const bytes = (...parts: (string | number[])[]) => {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === "string") { for (const c of p) out.push(c.charCodeAt(0)); }
    else out.push(...p);
  }
  return new Uint8Array(out);
};

Deno.test("containers are recognised by their signatures, whatever the file is called", () => {
  assertEquals(sniffContainer(bytes("RIFF", [0, 0, 0, 0], "WAVEfmt ")), "wav");
  assertEquals(sniffContainer(bytes("RF64", [0, 0, 0, 0], "WAVEds64")), "wav");
  assertEquals(sniffContainer(bytes("fLaC", [0, 0, 0, 34])), "flac");
  assertEquals(sniffContainer(bytes("OggS", [0, 2])), "ogg");
  assertEquals(sniffContainer(bytes([0x1a, 0x45, 0xdf, 0xa3, 0x9f])), "webm");
  assertEquals(sniffContainer(bytes("ID3", [4, 0, 0, 0, 0, 0, 0])), "mp3");
  // MPEG-1 layer III, 128 kbit/s, 44.1 kHz.
  assertEquals(sniffContainer(bytes([0xff, 0xfb, 0x90, 0x64])), "mp3");
  assertEquals(sniffContainer(bytes("FORM", [0, 0, 0, 0], "AIFF")), "aiff");
  assertEquals(sniffContainer(bytes("caff", [0, 1])), "caf");
  assertEquals(sniffContainer(bytes(".snd", [0, 0, 0, 24])), "au");
});

Deno.test("near misses and other files are not audio", () => {
  assertEquals(sniffContainer(new Uint8Array(0)), null);
  assertEquals(sniffContainer(bytes("RIFF", [0, 0, 0, 0], "AVI ")), null, "an AVI is RIFF too");
  assertEquals(sniffContainer(bytes("RIFF")), null, "too short to say");
  assertEquals(sniffContainer(bytes("%PDF-1.7")), null);
  assertEquals(sniffContainer(bytes([0x89], "PNG")), null);
  assertEquals(sniffContainer(bytes("<html>")), null);
  assertEquals(sniffContainer(bytes([0, 0, 0, 0x20], "ftypM4A ")), null, "AAC in MP4 is not read");
  // Sync word with a reserved version, layer, bit rate or sample rate: not an MPEG frame.
  assertEquals(sniffContainer(bytes([0xff, 0xe9, 0x90, 0x64])), null, "reserved version");
  assertEquals(sniffContainer(bytes([0xff, 0xf9, 0x90, 0x64])), null, "reserved layer");
  assertEquals(sniffContainer(bytes([0xff, 0xfb, 0xf0, 0x64])), null, "bad bit rate");
  assertEquals(sniffContainer(bytes([0xff, 0xfb, 0x9c, 0x64])), null, "reserved sample rate");
});
