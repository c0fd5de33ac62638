/**
 * What container an audio file is, from its first bytes: never from its name or a declared
 * content type (uploads are often mislabelled). The decoders then get only what they can read,
 * and anything else is refused up front with the list of what is supported.
 *
 * @module
 */

/** Containers recognised by their signature. */
export type Container = "wav" | "flac" | "ogg" | "webm" | "mp3" | "aiff" | "caf" | "au";

/** Bytes of a file's head that {@linkcode sniffContainer} needs (ID3 tags are skipped by size). */
export const SNIFF_BYTES = 64;

/** Human names of the containers, for errors and docs. */
export const CONTAINER_NAMES: Record<Container, string> = {
  wav: "WAV",
  flac: "FLAC",
  ogg: "Ogg (Opus, Vorbis, FLAC)",
  webm: "WebM/Matroska (Opus)",
  mp3: "MP3",
  aiff: "AIFF",
  caf: "CAF",
  au: "AU",
};

function ascii(b: Uint8Array, at: number, text: string): boolean {
  if (b.length < at + text.length) return false;
  for (let i = 0; i < text.length; i++) if (b[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

/**
 * Whether `b` starts with an MPEG audio frame header (sync word, a valid version, layer, bitrate
 * and sample rate): MP3 files without an ID3 tag start so.
 */
function mpegFrame(b: Uint8Array, at = 0): boolean {
  if (b.length < at + 4) return false;
  if (b[at] !== 0xff || (b[at + 1] & 0xe0) !== 0xe0) return false;
  const version = (b[at + 1] >> 3) & 3; // 1 is reserved
  const layer = (b[at + 1] >> 1) & 3; // 0 is reserved
  const bitrate = b[at + 2] >> 4; // 15 is invalid
  const rate = (b[at + 2] >> 2) & 3; // 3 is reserved
  return version !== 1 && layer !== 0 && bitrate !== 15 && rate !== 3;
}

/**
 * The container of a file starting with `head` (give it at least {@linkcode SNIFF_BYTES}), or
 * `null` when no supported signature matches.
 */
export function sniffContainer(head: Uint8Array): Container | null {
  if ((ascii(head, 0, "RIFF") || ascii(head, 0, "RF64")) && ascii(head, 8, "WAVE")) return "wav";
  if (ascii(head, 0, "BW64") && ascii(head, 8, "WAVE")) return "wav";
  if (ascii(head, 0, "fLaC")) return "flac";
  if (ascii(head, 0, "OggS")) return "ogg";
  if (
    head.length >= 4 && head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf &&
    head[3] === 0xa3
  ) return "webm";
  if (ascii(head, 0, "ID3") && head.length >= 10) return "mp3";
  if (mpegFrame(head)) return "mp3";
  if (ascii(head, 0, "FORM") && (ascii(head, 8, "AIFF") || ascii(head, 8, "AIFC"))) return "aiff";
  if (ascii(head, 0, "caff")) return "caf";
  if (ascii(head, 0, ".snd")) return "au";
  return null;
}

/** Reads the first {@linkcode SNIFF_BYTES} of a file. */
export async function readHead(path: string): Promise<Uint8Array> {
  using f = await Deno.open(path, { read: true });
  const buf = new Uint8Array(SNIFF_BYTES);
  let n = 0;
  while (n < buf.length) {
    const got = await f.read(buf.subarray(n));
    if (got === null) break;
    n += got;
  }
  return buf.subarray(0, n);
}
