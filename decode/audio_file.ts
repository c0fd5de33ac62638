/**
 * Audio files to what Whisper eats: 16 kHz mono 32-bit float PCM.
 *
 * Decoding is libsndfile's (WAV of any PCM/float width, FLAC, Ogg/Vorbis, Ogg/Opus, MP3, AIFF,
 * CAF, …), read one second at a time off the main thread; channels are averaged into mono and, when
 * the source is not already 16 kHz, resampled by libsoxr at `SOXR_HQ`. Formats libsndfile rejects
 * go to `ffmpeg` when it is on PATH. Every failure is an {@linkcode AudioDecodeError}.
 *
 * @module
 */

import { SAMPLE_RATE_HZ } from "../protocol/audio.ts";
import { extname } from "node:path";
import { SndfileError } from "../ffi/sndfile/errors.ts";
import { SoundFile } from "../ffi/sndfile/sound_file.ts";
import { SF_ERR } from "../ffi/sndfile/symbols.ts";
import { Resampler } from "../ffi/soxr/resampler.ts";
import { AudioDecodeError } from "./errors.ts";
import { decodeWithFfmpeg, findFfmpeg } from "./ffmpeg.ts";
import { type Container, CONTAINER_NAMES, readHead, sniffContainer } from "./sniff.ts";
import { decodeWebm } from "./webm.ts";
import { SampleBuffer } from "./sample_buffer.ts";

export { AudioDecodeError, type AudioDecodeErrorKind } from "./errors.ts";
export { type Container, CONTAINER_NAMES } from "./sniff.ts";

/** Lowest source sample rate accepted, Hz. */
export const MIN_SOURCE_RATE = 1_000;
/** Highest source sample rate accepted, Hz. */
export const MAX_SOURCE_RATE = 384_000;
/** Most source channels accepted. */
export const MAX_CHANNELS = 32;

/** A decoded file. */
export interface DecodedAudio {
  /** Mono samples at 16 kHz, nominally in [-1, 1], always finite (NaN and ±Infinity become 0). */
  samples: Float32Array<ArrayBuffer>;
  /** Always 16000. */
  sampleRate: typeof SAMPLE_RATE_HZ;
  /** The file's own sample rate. */
  sourceRate: number;
  /** The file's own channel count (averaged into one). */
  channels: number;
  /** Length of `samples` in seconds. */
  durationS: number;
  /** Container and encoding, e.g. "FLAC (Free Lossless Audio Codec), Signed 16 bit PCM". */
  format: string;
  /** Which library decoded it (WebM: mediabunny demuxes, libopus decodes). */
  decoder: "libsndfile" | "ffmpeg" | "libopus";
  /** The container its first bytes say it is (`null`: none recognised; ffmpeg decoded it). */
  container: Container | null;
  /** The file ended before the audio its header declares: `samples` holds what was there. */
  truncated: boolean;
  /** Why `truncated` is set, e.g. "holds 12288 of the 32000 frames its header declares". */
  warning?: string;
}

/** Options for {@linkcode decodeAudioFile} and {@linkcode decodeAudioBytes}. */
export interface DecodeOptions {
  /** Stops decoding between chunks; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * The ffmpeg used for formats libsndfile rejects: a path, `false` for none, or by default the
   * `ffmpeg` found on PATH (if any).
   */
  ffmpeg?: string | false;
  /** {@linkcode decodeAudioBytes} only: where to put the temporary file (default: the OS's). */
  tempDir?: string;
  /** How errors name the audio (default: its path), e.g. the name an upload came with. */
  label?: string;
  /**
   * Accept only these containers (by signature): anything else is refused as `unsupported`
   * before a decoder sees it, and ffmpeg is not used. Default: whatever a decoder reads.
   */
  containers?: readonly Container[];
  /** Longest audio accepted, seconds: longer is refused as `too_long` (default: no limit). */
  maxDurationS?: number;
}

/** The message of a file refused for its format. */
function unsupported(label: string, found: Container | null, allowed: readonly Container[]) {
  const list = allowed.map((c) => CONTAINER_NAMES[c]).join(", ");
  const what = found
    ? `is ${CONTAINER_NAMES[found]}, which is not accepted`
    : "is not in a supported audio format";
  return new AudioDecodeError(label, `${what} (supported: ${list})`, { kind: "unsupported" });
}

/** Frames to preallocate at most before the real length is known (10 minutes at 16 kHz). */
const MAX_PREALLOC = SAMPLE_RATE_HZ * 600;

/**
 * Averages `frames` interleaved frames of `channels` into `mono`. A sample that is not a finite
 * number (NaN or ±Infinity, which a float file may hold) counts as 0.
 */
function downmix(src: Float32Array, frames: number, channels: number, mono: Float32Array): void {
  const scale = 1 / channels;
  for (let f = 0, i = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) {
      const x = src[i++];
      if (Number.isFinite(x)) sum += x;
    }
    mono[f] = channels === 1 ? sum : sum * scale;
  }
}

/** Sets every sample that is not finite to 0, in place: resampling huge values can overflow. */
function finite(samples: Float32Array<ArrayBuffer>): Float32Array<ArrayBuffer> {
  for (let i = 0; i < samples.length; i++) if (!Number.isFinite(samples[i])) samples[i] = 0;
  return samples;
}

/** Data-chunk sizes that mean "unknown" (a writer that streamed and could not seek back). */
const PLACEHOLDER_DATA_SIZES = new Set([0, 0x7FFF_F000, 0x7FFF_FFFF, 0xFFFF_FFFF]);

/**
 * Sizes a WAV/AIFF header declares for its audio chunk that libsndfile found the file too short
 * for: it logs `data : 64000 (should be 31978)` and reads what is there. `null` when it did not.
 * The placeholder sizes streaming encoders write when they cannot seek back (0, 0x7FFFF000,
 * 0x7FFFFFFF, 0xFFFFFFFF) do not count; any other claim past the file, a 4 GB one too, does.
 */
export function declaredDataShortfall(log: string): { declared: number; actual: number } | null {
  const m = /^(?:data|SSND)\s*:\s*(\d+)\s*\(should be (\d+)\)/m.exec(log);
  if (!m) return null;
  const declared = Number(m[1]);
  const actual = Number(m[2]);
  if (PLACEHOLDER_DATA_SIZES.has(declared) || actual >= declared) return null;
  return { declared, actual };
}

/**
 * Decodes the audio file at `path` to 16 kHz mono float PCM.
 *
 * Throws {@linkcode AudioDecodeError} for a missing, empty, unreadable or unsupported file, one with
 * no samples, or one whose sample rate (outside 1000–384000 Hz) or channel count (over 32) is
 * absurd. A file cut short decodes what it holds and comes back with `truncated: true`.
 */
export function decodeAudioFile(path: string, opts: DecodeOptions = {}): Promise<DecodedAudio> {
  return decode(path, opts.label ?? path, opts);
}

/**
 * Decodes audio held in memory (an upload, say): writes it to a private temporary file, decodes
 * that, and deletes it. `nameHint` (e.g. "upload.mp3") names the audio in errors and lends its
 * extension to the temporary file, which helps libsndfile recognise headerless formats.
 */
export async function decodeAudioBytes(
  bytes: Uint8Array,
  nameHint = "audio",
  opts: DecodeOptions = {},
): Promise<DecodedAudio> {
  opts.signal?.throwIfAborted();
  if (bytes.byteLength === 0) throw new AudioDecodeError(nameHint, "is empty (0 bytes)");
  const ext = extname(nameHint);
  const suffix = /^\.[A-Za-z0-9]{1,10}$/.test(ext) ? ext.toLowerCase() : "";
  const tmp = await Deno.makeTempFile({ dir: opts.tempDir, prefix: "hum-decode-", suffix });
  try {
    await Deno.writeFile(tmp, bytes);
    return await decode(tmp, nameHint, opts);
  } finally {
    await Deno.remove(tmp).catch(() => {});
  }
}

async function decode(path: string, label: string, opts: DecodeOptions): Promise<DecodedAudio> {
  const { signal } = opts;
  signal?.throwIfAborted();
  await checkFile(path, label);
  const container = sniffContainer(await readHead(path));
  if (opts.containers && (!container || !opts.containers.includes(container))) {
    throw unsupported(label, container, opts.containers);
  }
  if (container === "webm") {
    const got = await decodeWebm(path, label, { signal, maxS: opts.maxDurationS });
    return {
      samples: got.samples,
      sampleRate: SAMPLE_RATE_HZ,
      sourceRate: got.sourceRate,
      channels: got.channels,
      durationS: got.samples.length / SAMPLE_RATE_HZ,
      format: got.format,
      decoder: "libopus",
      container,
      truncated: false,
      ...(got.badPackets
        ? { warning: `${got.badPackets} Opus packets were corrupt and concealed` }
        : {}),
    };
  }

  let file: SoundFile;
  try {
    file = await SoundFile.open(path);
  } catch (err) {
    if (!(err instanceof SndfileError)) throw err;
    const reason = err.reason;
    const ffmpeg = opts.containers ? false : opts.ffmpeg === undefined ? findFfmpeg() : opts.ffmpeg;
    if (ffmpeg) {
      const got = await decodeWithFfmpeg(ffmpeg, path, label, reason, signal);
      const durationS = got.samples.length / SAMPLE_RATE_HZ;
      if (opts.maxDurationS !== undefined && durationS > opts.maxDurationS) {
        throw tooLong(label, opts.maxDurationS);
      }
      return {
        ...got,
        samples: finite(got.samples),
        sampleRate: SAMPLE_RATE_HZ,
        durationS,
        decoder: "ffmpeg",
        container,
        truncated: false,
      };
    }
    const unrecognised = err.code === SF_ERR.UNRECOGNISED_FORMAT;
    throw new AudioDecodeError(
      label,
      `${
        unrecognised ? "is not a supported audio file" : "cannot be decoded"
      } (libsndfile: ${reason})`,
      { cause: err, kind: unrecognised && !container ? "unsupported" : "invalid" },
    );
  }
  using sf = file;
  return await readAll(sf, label, container, opts);
}

/** Rejects paths that are missing, not files, unreadable or empty, with a reason for each. */
async function checkFile(path: string, label: string): Promise<void> {
  let st: Deno.FileInfo;
  try {
    st = await Deno.stat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw new AudioDecodeError(label, "does not exist");
    if (err instanceof Deno.errors.PermissionDenied) {
      throw new AudioDecodeError(label, "cannot be read (permission denied)", { cause: err });
    }
    throw new AudioDecodeError(label, `cannot be read (${(err as Error).message})`, { cause: err });
  }
  if (st.isDirectory) throw new AudioDecodeError(label, "is a directory, not a file");
  if (st.isFile && st.size === 0) throw new AudioDecodeError(label, "is empty (0 bytes)");
}

function tooLong(label: string, maxS: number): AudioDecodeError {
  return new AudioDecodeError(label, `is longer than the ${maxS} s allowed`, { kind: "too_long" });
}

async function readAll(
  sf: SoundFile,
  label: string,
  container: Container | null,
  opts: DecodeOptions,
): Promise<DecodedAudio> {
  const { signal, maxDurationS } = opts;
  const { sampleRate, channels, frames: declared } = sf.info;
  if (
    !Number.isFinite(sampleRate) || sampleRate < MIN_SOURCE_RATE || sampleRate > MAX_SOURCE_RATE
  ) {
    throw new AudioDecodeError(
      label,
      `has an unsupported sample rate of ${sampleRate} Hz (must be ${MIN_SOURCE_RATE}–${MAX_SOURCE_RATE} Hz)`,
    );
  }
  if (channels < 1 || channels > MAX_CHANNELS) {
    throw new AudioDecodeError(
      label,
      `has ${channels} channels (must be 1–${MAX_CHANNELS})`,
    );
  }
  if (declared === 0) throw new AudioDecodeError(label, "holds no audio samples (0 frames)");
  const maxOut = maxDurationS === undefined ? Infinity : maxDurationS * SAMPLE_RATE_HZ;
  if (declared !== null && declared / sampleRate > (maxDurationS ?? Infinity)) {
    throw tooLong(label, maxDurationS!);
  }

  const ratio = SAMPLE_RATE_HZ / sampleRate;
  const expected = declared === null ? SAMPLE_RATE_HZ : Math.ceil(declared * ratio) + 64;
  const out = new SampleBuffer(Math.min(expected, MAX_PREALLOC));
  using resampler = sampleRate === SAMPLE_RATE_HZ
    ? null
    : new Resampler({ inputRate: sampleRate, outputRate: SAMPLE_RATE_HZ, channels: 1 });

  // One second per read: big files decode in many short native calls off the main thread.
  const chunkFrames = Math.max(1024, sampleRate);
  const buf = new Float32Array(chunkFrames * channels);
  const mono = new Float32Array(chunkFrames);
  let read = 0;
  for (;;) {
    signal?.throwIfAborted();
    const n = await sf.readFrames(buf);
    if (n <= 0) break;
    read += n;
    downmix(buf, n, channels, mono);
    const block = mono.subarray(0, n);
    out.push(resampler ? finite(resampler.process(block)) : block);
    if (out.length > maxOut) throw tooLong(label, maxDurationS!);
  }
  signal?.throwIfAborted();

  let truncated = false;
  let warning: string | undefined;
  const status = sf.status();
  if (status) {
    const reason = status.message;
    if (read === 0) throw new AudioDecodeError(label, `cannot be decoded (libsndfile: ${reason})`);
    truncated = true;
    warning = `decoding stopped after ${read}${
      declared === null ? "" : ` of ${declared}`
    } frames (libsndfile: ${reason})`;
  } else if (read === 0) {
    throw new AudioDecodeError(label, "holds no audio samples (0 frames)");
  } else if (declared !== null && read < declared) {
    truncated = true;
    warning = `holds ${read} of the ${declared} frames its header declares`;
  } else {
    const short = declaredDataShortfall(sf.log());
    if (short) {
      truncated = true;
      warning = `holds ${short.actual} of the ${short.declared} bytes of audio its header declares`;
    }
  }
  if (resampler) out.push(finite(resampler.flush()));

  const samples = out.take();
  const decoded: DecodedAudio = {
    samples,
    sampleRate: SAMPLE_RATE_HZ,
    sourceRate: sampleRate,
    channels,
    durationS: samples.length / SAMPLE_RATE_HZ,
    format: `${sf.info.container}, ${sf.info.encoding}`,
    decoder: "libsndfile",
    container,
    truncated,
  };
  if (warning !== undefined) decoded.warning = warning;
  return decoded;
}
