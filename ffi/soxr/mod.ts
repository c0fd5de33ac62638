/**
 * Deno FFI binding to libsoxr, the SoX resampler: {@linkcode resample} for whole buffers,
 * {@linkcode Resampler} for streams.
 *
 * @module
 */

export {
  defaultSoxrNames,
  openSoxr,
  SOXR_LIB_ENV,
  soxrCandidates,
  type SoxrLibrary,
} from "./library.ts";
export {
  MAX_RATIO,
  type Quality,
  qualitySpec,
  resample,
  type ResampleOptions,
  Resampler,
  SoxrError,
} from "./resampler.ts";
