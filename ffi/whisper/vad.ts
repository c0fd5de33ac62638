/**
 * Silero VAD through whisper.cpp's `whisper_vad_*` API. `whisper_full_with_state` ignores
 * `params.vad`, so hum-helix drives VAD itself with this class.
 *
 * @module
 */

import { cString } from "../native/cstring.ts";
import { WhisperError } from "./errors.ts";
import { VAD_CONTEXT_PARAMS, VAD_PARAMS } from "./layout.ts";
import { openWhisper, type WhisperLibrary } from "./library.ts";

/** Segmentation options; whisper.cpp's defaults where unset. Units in the names. */
export interface VadOptions {
  /** Speech probability threshold (0..1); default 0.5. */
  threshold?: number;
  /** Shortest speech kept, ms; default 250. */
  minSpeechMs?: number;
  /** Silence that ends a segment, ms; default 100. */
  minSilenceMs?: number;
  /** Longest segment before a forced split, s; default unlimited. */
  maxSpeechS?: number;
  /** Padding added on both sides of a segment, ms; default 30. */
  speechPadMs?: number;
}

/** A span of speech, ms from the start of the samples. */
export interface SpeechSpan {
  startMs: number;
  endMs: number;
}

/** A loaded Silero VAD model with its own state: one call at a time. */
export class VadModel implements Disposable {
  readonly path: string;
  readonly library: WhisperLibrary;
  #vctx: Deno.PointerValue;
  #busy = false;

  private constructor(lib: WhisperLibrary, path: string, vctx: Deno.PointerObject) {
    this.library = lib;
    this.path = path;
    this.#vctx = vctx;
  }

  /** Loads a ggml Silero VAD model (`ggml-silero-v5.1.2.bin`). */
  static async load(path: string, opts: { threads?: number } = {}): Promise<VadModel> {
    try {
      if (!Deno.statSync(path).isFile) throw new Error("not a file");
    } catch (err) {
      throw new WhisperError(
        "whisper_vad_init",
        `Cannot load VAD model: ${path} ${
          err instanceof Deno.errors.NotFound ? "does not exist" : (err as Error).message
        }`,
      );
    }
    const lib = await openWhisper();
    const s = lib.symbols;
    const raw = s.whisper_vad_default_context_params();
    const params = new Uint8Array(raw);
    const v = new DataView(params.buffer);
    v.setInt32(VAD_CONTEXT_PARAMS.fields.n_threads[0], opts.threads ?? 1, true);
    v.setUint8(VAD_CONTEXT_PARAMS.fields.use_gpu[0], 0);
    const vctx = await s.whisper_vad_init_from_file_with_params(cString(path), params);
    if (vctx === null) {
      throw new WhisperError(
        "whisper_vad_init_from_file_with_params",
        `Cannot load VAD model: ${path} is not a whisper.cpp Silero VAD model`,
      );
    }
    return new VadModel(lib, path, vctx);
  }

  #take(op: string): Deno.PointerObject {
    if (this.#vctx === null) throw new WhisperError(op, "Cannot run VAD: the model is closed");
    if (this.#busy) throw new WhisperError(op, "Cannot run VAD: it is busy");
    this.#busy = true;
    return this.#vctx;
  }

  /**
   * Speech probabilities for consecutive frames of `samples` (16 kHz mono). With `reset: false`
   * the LSTM state carries over from the previous call (for streaming).
   */
  async probs(samples: Float32Array, opts: { reset?: boolean } = {}): Promise<Float32Array> {
    const s = this.library.symbols;
    const vctx = this.#take("whisper_vad_detect_speech");
    try {
      const input = samples as Float32Array<ArrayBuffer>;
      const ok = opts.reset === false
        ? await s.whisper_vad_detect_speech_no_reset(vctx, input, input.length)
        : await s.whisper_vad_detect_speech(vctx, input, input.length);
      if (!ok) throw new WhisperError("whisper_vad_detect_speech", "Cannot run VAD on the samples");
      const n = s.whisper_vad_n_probs(vctx);
      const ptr = s.whisper_vad_probs(vctx);
      if (n === 0 || ptr === null) return new Float32Array(0);
      return new Float32Array(new Deno.UnsafePointerView(ptr).getArrayBuffer(n * 4).slice(0));
    } finally {
      this.#busy = false;
    }
  }

  /** Speech spans of `samples` (16 kHz mono), in order. Empty input → no spans. */
  async segments(samples: Float32Array, opts: VadOptions = {}): Promise<SpeechSpan[]> {
    if (samples.length === 0) return [];
    await this.probs(samples);
    const s = this.library.symbols;
    const vctx = this.#take("whisper_vad_segments_from_probs");
    try {
      const params = new Uint8Array(s.whisper_vad_default_params());
      const v = new DataView(params.buffer);
      const f = VAD_PARAMS.fields;
      if (opts.threshold !== undefined) v.setFloat32(f.threshold[0], opts.threshold, true);
      if (opts.minSpeechMs !== undefined) {
        v.setInt32(f.min_speech_duration_ms[0], opts.minSpeechMs, true);
      }
      if (opts.minSilenceMs !== undefined) {
        v.setInt32(f.min_silence_duration_ms[0], opts.minSilenceMs, true);
      }
      if (opts.maxSpeechS !== undefined) {
        v.setFloat32(f.max_speech_duration_s[0], opts.maxSpeechS, true);
      }
      if (opts.speechPadMs !== undefined) v.setInt32(f.speech_pad_ms[0], opts.speechPadMs, true);
      const segs = s.whisper_vad_segments_from_probs(vctx, params);
      if (segs === null) return [];
      try {
        const n = s.whisper_vad_segments_n_segments(segs);
        const out: SpeechSpan[] = [];
        for (let i = 0; i < n; i++) {
          // whisper.cpp reports VAD times in centiseconds.
          out.push({
            startMs: Math.round(s.whisper_vad_segments_get_segment_t0(segs, i) * 10),
            endMs: Math.round(s.whisper_vad_segments_get_segment_t1(segs, i) * 10),
          });
        }
        return out;
      } finally {
        s.whisper_vad_free_segments(segs);
      }
    } finally {
      this.#busy = false;
    }
  }

  /** Frees the VAD model. Idempotent. */
  close(): void {
    if (this.#vctx === null) return;
    if (this.#busy) {
      throw new WhisperError("whisper_vad_free", "Cannot close VAD: a call is in flight");
    }
    this.library.symbols.whisper_vad_free(this.#vctx);
    this.#vctx = null;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
