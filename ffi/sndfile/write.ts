/**
 * Writing audio through libsndfile: used to make test fixtures in formats hum-helix only reads
 * (FLAC, Ogg/Vorbis, Ogg/Opus, MP3), with libsndfile's own encoders. It runs on the main thread
 * and is meant for fixtures and tools, not for serving requests.
 *
 * @module
 */

import { cString, readCString } from "../native/cstring.ts";
import { SndfileError, tidyReason } from "./errors.ts";
import { SF_INFO } from "./layout.ts";
import { openFailure, openSndfile } from "./library.ts";
import { SFM } from "./symbols.ts";

/** What to write. */
export interface WriteOptions {
  /** Frames per second. */
  sampleRate: number;
  /** Interleaved channels per frame in the samples given. */
  channels: number;
  /** `SF_FORMAT_*` container | encoding, e.g. `SF_FORMAT.FLAC | SF_FORMAT.PCM_16`. */
  format: number;
}

/**
 * Writes interleaved float `samples` (in [-1, 1]) to `path` in `format`. Throws a
 * {@linkcode SndfileError} when libsndfile cannot write that format or the file.
 */
export function writeSoundFile(path: string, samples: Float32Array, opts: WriteOptions): void {
  const { symbols } = openSndfile();
  const { sampleRate, channels, format } = opts;
  if (samples.length % channels !== 0) {
    throw new RangeError(
      `Cannot write ${path}: ${samples.length} samples is not a multiple of ${channels} channels`,
    );
  }
  const info = new Uint8Array(SF_INFO.size);
  const view = new DataView(info.buffer);
  view.setInt32(SF_INFO.fields.samplerate[0], sampleRate, true);
  view.setInt32(SF_INFO.fields.channels[0], channels, true);
  view.setInt32(SF_INFO.fields.format[0], format, true);
  if (symbols.sf_format_check(info) === 0) {
    const hex = format.toString(16);
    const reason = `format 0x${hex} at ${sampleRate} Hz × ${channels} is not writable`;
    throw new SndfileError("sf_format_check", `Cannot write ${path}: ${reason}`, reason);
  }
  const handle = symbols.sf_open_sync(cString(path), SFM.WRITE, info);
  if (handle === null) {
    const { code, reason } = openFailure(symbols);
    throw new SndfileError("sf_open", `Cannot write ${path}: ${reason}`, reason, code);
  }
  const frames = samples.length / channels;
  const copy = new Float32Array(samples); // a plain ArrayBuffer-backed copy for the call
  const written = Number(symbols.sf_writef_float(handle, copy, BigInt(frames)));
  const writeCode = symbols.sf_error(handle);
  const writeReason = tidyReason(readCString(symbols.sf_strerror(handle)) ?? "short write");
  const closeCode = symbols.sf_close(handle); // always, and only once
  if (written !== frames) {
    throw new SndfileError(
      "sf_writef_float",
      `Cannot write ${path}: wrote ${written} of ${frames} frames: ${writeReason}`,
      writeReason,
      writeCode,
    );
  }
  if (closeCode !== 0) {
    const reason = tidyReason(
      readCString(symbols.sf_error_number(closeCode)) ?? `error ${closeCode}`,
    );
    throw new SndfileError("sf_close", `Cannot write ${path}: ${reason}`, reason, closeCode);
  }
}
