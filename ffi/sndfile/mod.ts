/**
 * Deno FFI binding to libsndfile: open audio files of any format libsndfile reads (WAV, FLAC,
 * Ogg/Vorbis, Ogg/Opus, MP3, AIFF, …) and read them as float frames.
 *
 * @module
 */

export { SndfileError } from "./errors.ts";
export {
  defaultSndfileNames,
  openSndfile,
  SNDFILE_LIB_ENV,
  sndfileCandidates,
  type SndfileLibrary,
} from "./library.ts";
export { formatName, type SndfileStatus, SoundFile, type SoundFileInfo } from "./sound_file.ts";
export { SF_FORMAT } from "./symbols.ts";
export { type WriteOptions, writeSoundFile } from "./write.ts";
