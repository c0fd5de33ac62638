/**
 * {@linkcode SoundFile}: one open libsndfile handle, read as interleaved 32-bit float frames.
 *
 * @module
 */

import { cString, readCString } from "../native/cstring.ts";
import { SndfileError } from "./errors.ts";
import { SF_FORMAT_INFO, SF_INFO } from "./layout.ts";
import { openFailure, openSndfile, type SndfileSymbols } from "./library.ts";
import { SF_FORMAT, SF_TRUE, SFC, SFM } from "./symbols.ts";

/** What libsndfile reports about an opened file (`SF_INFO`, decoded). */
export interface SoundFileInfo {
  /** Frames (samples per channel) the header declares; `null` when libsndfile does not know. */
  readonly frames: number | null;
  /** Frames per second. */
  readonly sampleRate: number;
  /** Interleaved channels per frame. */
  readonly channels: number;
  /** The raw `SF_FORMAT_*` code: container | encoding | endianness. */
  readonly format: number;
  /** The container's name, e.g. "WAV (Microsoft)" or "FLAC (Free Lossless Audio Codec)". */
  readonly container: string;
  /** The encoding's name, e.g. "Signed 16 bit PCM" or "Vorbis". */
  readonly encoding: string;
  /** Sections in the file (1 for ordinary audio). */
  readonly sections: number;
  /** Whether libsndfile can seek in it. */
  readonly seekable: boolean;
}

/** A libsndfile error state: its number and text. */
export interface SndfileStatus {
  readonly code: number;
  readonly message: string;
}

/** `SF_COUNT_MAX`: what libsndfile puts in `frames` for a stream of unknown length. */
const SF_COUNT_MAX = 0x7FFF_FFFF_FFFF_FFFFn;

/**
 * A queue that runs one task at a time. `sf_open` reports failures through a process-wide global
 * (`sf_strerror(NULL)`), so opens — which run off the main thread — are serialised with it to keep
 * each failure's text with its own file (within this isolate; see `SoundFile.open` for others).
 */
class Serial {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task);
    this.#tail = result.catch(() => {});
    return result;
  }
}

const opens = new Serial();

/**
 * The same for every isolate of this process (test files run in parallel, workers): an exclusive
 * `flock` on a file named by the process id, held around each open and the reading of its
 * failure. A lock file's description is per `open`, so two isolates' locks exclude each other.
 * Where no lock file can be made (no write access to the temporary directory) opens go on
 * without it, with the retries in `SoundFile.open` as the only guard.
 */
let lockFile: Promise<Deno.FsFile | null> | null = null;

async function acrossIsolates<T>(task: () => Promise<T>): Promise<T> {
  lockFile ??= Deno.open(
    `${Deno.env.get("TMPDIR") || "/tmp"}/hum-sndfile-open-${Deno.pid}.lock`,
    { create: true, write: true },
  ).catch(() => null);
  const file = await lockFile;
  if (!file) return await task();
  await file.lock(true);
  try {
    return await task();
  } finally {
    await file.unlock();
  }
}

/** The name libsndfile gives a container or encoding code, or `0x…` when it has none. */
export function formatName(code: number): string {
  const { symbols } = openSndfile();
  const info = new Uint8Array(SF_FORMAT_INFO.size);
  const view = new DataView(info.buffer);
  view.setInt32(SF_FORMAT_INFO.fields.format[0], code, true);
  if (symbols.sf_command(null, SFC.GET_FORMAT_INFO, info, info.length) !== 0) {
    return `0x${code.toString(16)}`;
  }
  const ptr = Deno.UnsafePointer.create(view.getBigUint64(SF_FORMAT_INFO.fields.name[0], true));
  return readCString(ptr) ?? `0x${code.toString(16)}`;
}

/** Decodes an `SF_INFO` buffer. */
export function decodeInfo(bytes: Uint8Array): SoundFileInfo {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const f = SF_INFO.fields;
  const frames = view.getBigInt64(f.frames[0], true);
  const format = view.getInt32(f.format[0], true);
  return {
    frames: frames < 0n || frames >= SF_COUNT_MAX || frames > BigInt(Number.MAX_SAFE_INTEGER)
      ? null
      : Number(frames),
    sampleRate: view.getInt32(f.samplerate[0], true),
    channels: view.getInt32(f.channels[0], true),
    format,
    container: formatName(format & SF_FORMAT.TYPEMASK),
    encoding: formatName(format & SF_FORMAT.SUBMASK),
    sections: view.getInt32(f.sections[0], true),
    seekable: view.getInt32(f.seekable[0], true) !== 0,
  };
}

/**
 * An audio file opened for reading through libsndfile. Reads return interleaved float frames,
 * integer encodings normalised to [-1, 1). Reads run off the main thread; one at a time per file.
 *
 * ```ts
 * using file = await SoundFile.open("speech.flac");
 * const buf = new Float32Array(file.info.sampleRate * file.info.channels);
 * for (let n; (n = await file.readFrames(buf)) > 0;) consume(buf.subarray(0, n * file.info.channels));
 * ```
 */
export class SoundFile {
  /** The path it was opened from. */
  readonly path: string;
  /** What libsndfile reported at open. */
  readonly info: SoundFileInfo;
  readonly #symbols: SndfileSymbols;
  #handle: Deno.PointerValue;
  #reading: Promise<unknown> | null = null;

  private constructor(
    path: string,
    symbols: SndfileSymbols,
    handle: Deno.PointerObject,
    info: SoundFileInfo,
  ) {
    this.path = path;
    this.#symbols = symbols;
    this.#handle = handle;
    this.info = info;
  }

  /**
   * Opens `path` for reading. Throws a {@linkcode SndfileError} carrying libsndfile's reason
   * (e.g. "Format not recognised") when it cannot.
   */
  static open(path: string): Promise<SoundFile> {
    const { symbols } = openSndfile();
    return opens.run(() => acrossIsolates(() => SoundFile.#open(symbols, path)));
  }

  static async #open(symbols: SndfileSymbols, path: string): Promise<SoundFile> {
    const cpath = cString(path);
    const info = new Uint8Array(SF_INFO.size); // zeroed: libsndfile detects the format itself
    let handle = await symbols.sf_open(cpath, SFM.READ, info);
    let failure = null;
    // The reason lives in a process-wide global. Other isolates' opens wait for the lock
    // (`acrossIsolates`); without one they could fail or succeed an open of their own between
    // this failure and its report. So a failed open is also tried again on this thread, where
    // the reason is read right after it (no await between): a failing open stops at the header,
    // so the event loop waits microseconds. A reset to "no error" is still possible: tried a few
    // times.
    for (let i = 0; handle === null && i < 4; i++) {
      info.fill(0);
      handle = symbols.sf_open_sync(cpath, SFM.READ, info);
      failure = handle === null ? openFailure(symbols) : null;
      if (failure !== null && failure.code !== 0) break;
    }
    if (handle === null) {
      const { code, reason } = failure!;
      throw new SndfileError("sf_open", `Cannot open ${path}: ${reason}`, reason, code);
    }
    // Explicit although it is the default: integer encodings read as floats in [-1, 1).
    symbols.sf_command(handle, SFC.SET_NORM_FLOAT, null, SF_TRUE);
    return new SoundFile(path, symbols, handle, decodeInfo(info));
  }

  /** Whether {@linkcode close} was called. */
  get closed(): boolean {
    return this.#handle === null;
  }

  /**
   * Reads up to `buffer.length / channels` frames into `buffer` (interleaved) and returns how many
   * it read; 0 at the end of the file or on an error (see {@linkcode status}). `buffer` must not be
   * touched until the promise settles.
   */
  async readFrames(buffer: Float32Array<ArrayBuffer>): Promise<number> {
    const handle = this.#handle;
    if (handle === null) throw new Error(`Cannot read ${this.path}: the file is closed`);
    if (this.#reading) throw new Error(`Cannot read ${this.path}: another read is in flight`);
    const channels = this.info.channels;
    if (buffer.length % channels !== 0) {
      throw new RangeError(
        `Cannot read ${this.path}: buffer length ${buffer.length} is not a multiple of ${channels} channels`,
      );
    }
    const call = this.#symbols.sf_readf_float(handle, buffer, BigInt(buffer.length / channels));
    this.#reading = call;
    try {
      return Number(await call);
    } finally {
      this.#reading = null;
      // close() during the read left the handle open for us to close now.
      if (this.#handle === null) this.#symbols.sf_close(handle);
    }
  }

  /** libsndfile's error state for this file, or `null` when there is none. */
  status(): SndfileStatus | null {
    if (this.#handle === null) return null;
    const code = this.#symbols.sf_error(this.#handle);
    if (code === 0) return null;
    return {
      code,
      message: readCString(this.#symbols.sf_strerror(this.#handle)) ?? `error ${code}`,
    };
  }

  /** libsndfile's parse log for this file (`SFC_GET_LOG_INFO`): what it noticed in the header. */
  log(): string {
    if (this.#handle === null) return "";
    const buf = new Uint8Array(16384);
    const n = this.#symbols.sf_command(this.#handle, SFC.GET_LOG_INFO, buf, buf.length);
    return new TextDecoder().decode(buf.subarray(0, Math.max(0, Math.min(n, buf.length))));
  }

  /**
   * Closes the handle. Safe to call more than once; a read in flight finishes first and the handle
   * is closed when it does.
   */
  close(): void {
    const handle = this.#handle;
    if (handle === null) return;
    this.#handle = null;
    if (!this.#reading) this.#symbols.sf_close(handle);
  }

  /** Same as {@linkcode close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}
