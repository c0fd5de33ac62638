/**
 * Sample-rate conversion with libsoxr: {@linkcode resample} for a whole buffer in one call and
 * {@linkcode Resampler} for a stream fed block by block, flushed explicitly at the end.
 *
 * Samples are interleaved 32-bit floats in and out (io_spec NULL = `SOXR_FLOAT32_I` both ways).
 * Quality defaults to `high` (`SOXR_HQ`: 20-bit precision, linear phase, pass band to 91.3 % of
 * the lower Nyquist frequency, steep anti-alias stop band) for both entry points; the spec comes
 * from `soxr_quality_spec()`, the library's own constructor. Runtime spec NULL: one thread.
 *
 * @module
 */

import { readCString } from "../native/cstring.ts";
import { openSoxr, type SoxrSymbols } from "./library.ts";
import { SOXR_RECIPE } from "./symbols.ts";

/** A `soxr_quality_spec` recipe. */
export type Quality = keyof typeof SOXR_RECIPE;

/** How to resample. */
export interface ResampleOptions {
  /** Input frames per second. */
  inputRate: number;
  /** Output frames per second. */
  outputRate: number;
  /** Interleaved channels per frame; default 1. */
  channels?: number;
  /** Default `high` (`SOXR_HQ`). */
  quality?: Quality;
}

/** A libsoxr call failed; `message` carries soxr's own error text. */
export class SoxrError extends Error {
  /** The C function that failed. */
  readonly op: string;

  constructor(op: string, message: string) {
    super(message);
    this.name = "SoxrError";
    this.op = op;
  }
}

/** `soxr_quality_spec(recipe, 0)`: the spec's bytes, to pass back to soxr by pointer. */
export function qualitySpec(quality: Quality = "high"): Uint8Array<ArrayBuffer> {
  const recipe = SOXR_RECIPE[quality];
  if (recipe === undefined) {
    throw new RangeError(`Cannot resample: quality "${quality}" is unknown`);
  }
  const bytes = openSoxr().symbols.soxr_quality_spec(BigInt(recipe), 0n);
  return new Uint8Array(bytes);
}

/**
 * Largest up- or down-sampling ratio accepted. soxr takes any ratio, but extreme ones need
 * enormous filters and time (1e12 → 1 Hz does not finish); real audio never needs more than this.
 */
export const MAX_RATIO = 256;

/** Throws unless the rates and channel count are usable; returns the channel count. */
function validate(opts: ResampleOptions): number {
  const channels = opts.channels ?? 1;
  for (const [name, rate] of [["input", opts.inputRate], ["output", opts.outputRate]] as const) {
    if (!Number.isFinite(rate) || rate <= 0) {
      throw new RangeError(`Cannot resample: ${name} rate ${rate} is not a positive number`);
    }
  }
  const ratio = opts.outputRate / opts.inputRate;
  if (ratio > MAX_RATIO || ratio < 1 / MAX_RATIO) {
    throw new RangeError(
      `Cannot resample: ${opts.inputRate} → ${opts.outputRate} Hz is a ratio beyond 1:${MAX_RATIO}`,
    );
  }
  if (!Number.isInteger(channels) || channels < 1 || channels > 1024) {
    throw new RangeError(`Cannot resample: ${channels} channels is not a count from 1 to 1024`);
  }
  return channels;
}

function frameCount(samples: Float32Array, channels: number): number {
  if (samples.length % channels !== 0) {
    throw new RangeError(
      `Cannot resample: ${samples.length} samples is not a multiple of ${channels} channels`,
    );
  }
  return samples.length / channels;
}

/** Reads a `soxr_error_t`: `null` for success, else soxr's text. */
function errorText(err: Deno.PointerValue): string | null {
  return err === null ? null : readCString(err) ?? "unknown soxr error";
}

/**
 * Resamples a whole interleaved buffer in one `soxr_oneshot` call, off the main thread. The output
 * holds `round(frames × outputRate / inputRate)` frames, the filter's delay already removed.
 */
export async function resample(
  input: Float32Array,
  opts: ResampleOptions,
): Promise<Float32Array<ArrayBuffer>> {
  const channels = validate(opts);
  const frames = frameCount(input, channels);
  if (opts.inputRate === opts.outputRate) return new Float32Array(input);
  const { symbols } = openSoxr();
  const spec = qualitySpec(opts.quality);
  // A private copy: the call runs on another thread and must not see the caller change `input`.
  const src = new Float32Array(input);
  const olen = Math.ceil((frames * opts.outputRate) / opts.inputRate) + 16;
  const out = new Float32Array(olen * channels);
  const idone = new BigUint64Array(1);
  const odone = new BigUint64Array(1);
  const err = await symbols.soxr_oneshot(
    opts.inputRate,
    opts.outputRate,
    channels,
    src,
    BigInt(frames),
    idone,
    out,
    BigInt(olen),
    odone,
    null,
    spec,
    null,
  );
  const text = errorText(err);
  if (text !== null) throw new SoxrError("soxr_oneshot", `Cannot resample: ${text}`);
  return out.slice(0, Number(odone[0]) * channels);
}

/**
 * A streaming resampler (`soxr_create` / `soxr_process` / `soxr_delete`). Feed input blocks of any
 * size with {@linkcode process}; each returns the output ready so far. At the end of the input call
 * {@linkcode flush} once to drain the filter's tail. Concatenated, the outputs equal
 * {@linkcode resample} of the whole input. Calls are synchronous and cheap for small blocks.
 *
 * ```ts
 * using r = new Resampler({ inputRate: 48000, outputRate: 16000 });
 * for (const block of blocks) send(r.process(block));
 * send(r.flush());
 * ```
 */
export class Resampler {
  /** Input frames per second. */
  readonly inputRate: number;
  /** Output frames per second. */
  readonly outputRate: number;
  /** Interleaved channels per frame. */
  readonly channels: number;
  /** The recipe in use. */
  readonly quality: Quality;
  readonly #symbols: SoxrSymbols;
  #handle: Deno.PointerValue;
  #flushed = false;
  #out = new Float32Array(0);
  readonly #idone = new BigUint64Array(1);
  readonly #odone = new BigUint64Array(1);

  /** Creates the resampler; throws a {@linkcode SoxrError} with soxr's reason when it cannot. */
  constructor(opts: ResampleOptions) {
    this.channels = validate(opts);
    this.inputRate = opts.inputRate;
    this.outputRate = opts.outputRate;
    this.quality = opts.quality ?? "high";
    this.#symbols = openSoxr().symbols;
    const err = new BigUint64Array(1);
    const handle = this.#symbols.soxr_create(
      this.inputRate,
      this.outputRate,
      this.channels,
      new Uint8Array(err.buffer),
      null,
      qualitySpec(this.quality),
      null,
    );
    const text = errorText(Deno.UnsafePointer.create(err[0]));
    if (handle === null || text !== null) {
      if (handle !== null) this.#symbols.soxr_delete(handle);
      throw new SoxrError(
        "soxr_create",
        `Cannot create resampler: ${text ?? "soxr returned NULL"}`,
      );
    }
    this.#handle = handle;
  }

  /** Whether {@linkcode close} was called. */
  get closed(): boolean {
    return this.#handle === null;
  }

  /** Whether {@linkcode flush} was called since creation or the last {@linkcode reset}. */
  get flushed(): boolean {
    return this.#flushed;
  }

  /** soxr's engine name, e.g. "cr32s". */
  get engine(): string {
    return readCString(this.#symbols.soxr_engine(this.#live("read engine"))) ?? "unknown";
  }

  /** Output frames the filter still holds (released by later input or by {@linkcode flush}). */
  get delay(): number {
    return this.#symbols.soxr_delay(this.#live("read delay"));
  }

  /** Feeds interleaved `input`; returns the interleaved output it produced (possibly empty). */
  process(input: Float32Array): Float32Array<ArrayBuffer> {
    const handle = this.#live("process");
    if (this.#flushed) {
      throw new Error("Cannot process: the resampler was flushed (call reset() to start again)");
    }
    const frames = frameCount(input, this.channels);
    if (frames === 0) return new Float32Array(0);
    // soxr reads the input during the call only; a copy keeps the binding to plain ArrayBuffers.
    const src = input.buffer instanceof ArrayBuffer
      ? input as Float32Array<ArrayBuffer>
      : new Float32Array(input);
    return this.#run(handle, src, frames);
  }

  /**
   * Signals the end of input and returns the rest of the output. Call once; afterwards only
   * {@linkcode reset} or {@linkcode close} are allowed.
   */
  flush(): Float32Array<ArrayBuffer> {
    const handle = this.#live("flush");
    if (this.#flushed) throw new Error("Cannot flush: the resampler was already flushed");
    this.#flushed = true;
    return this.#run(handle, null, 0);
  }

  /** Forgets all input (`soxr_clear`): ready for a fresh signal with the same settings. */
  reset(): void {
    const text = errorText(this.#symbols.soxr_clear(this.#live("reset")));
    if (text !== null) throw new SoxrError("soxr_clear", `Cannot reset resampler: ${text}`);
    this.#flushed = false;
  }

  /** Frees the resampler. Safe to call more than once. */
  close(): void {
    const handle = this.#handle;
    if (handle === null) return;
    this.#handle = null;
    this.#symbols.soxr_delete(handle);
  }

  /** Same as {@linkcode close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  #live(what: string): Deno.PointerObject {
    if (this.#handle === null) throw new Error(`Cannot ${what}: the resampler is closed`);
    return this.#handle;
  }

  /** Calls `soxr_process` until all of `src` is taken and no more output is pending. */
  #run(handle: Deno.PointerObject, src: Float32Array<ArrayBuffer> | null, frames: number) {
    const ch = this.channels;
    const ratio = this.outputRate / this.inputRate;
    const parts: Float32Array[] = [];
    let total = 0;
    let taken = 0;
    for (;;) {
      const rest = frames - taken;
      const olen = Math.ceil(rest * ratio) + 1024;
      if (this.#out.length < olen * ch) this.#out = new Float32Array(olen * ch);
      const inView = src === null ? null : src.subarray(taken * ch);
      const err = this.#symbols.soxr_process(
        handle,
        inView,
        BigInt(rest),
        this.#idone,
        this.#out,
        BigInt(olen),
        this.#odone,
      );
      const text = errorText(err);
      if (text !== null) throw new SoxrError("soxr_process", `Cannot resample: ${text}`);
      const used = Number(this.#idone[0]);
      const made = Number(this.#odone[0]);
      taken += used;
      if (made > 0) {
        parts.push(this.#out.slice(0, made * ch));
        total += made * ch;
      }
      // Done when all input is in and soxr left room in the output (nothing more pending).
      if (taken >= frames && made < olen) break;
      if (used === 0 && made === 0) break; // no progress: never spin
    }
    if (parts.length === 1) return parts[0] as Float32Array<ArrayBuffer>;
    const out = new Float32Array(total);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}
