/**
 * Streaming voice activity: 16 kHz frames of any length in, speech start / end out. Silero VAD
 * runs on whole 32 ms windows (512 samples) with its state carried across calls; a cheap energy
 * gate skips the model on near-silent windows. Speech starts when the probability reaches
 * `threshold` and ends after `endSilenceMs` below `threshold − 0.15` (hysteresis, as Silero's own
 * segmenter does).
 *
 * @module
 */

import type { VadModel } from "../../ffi/whisper/mod.ts";
import { SAMPLE_RATE_HZ } from "../../protocol/audio.ts";

/** Samples per Silero window at 16 kHz. */
export const VAD_WINDOW = 512;
/** One Silero window, ms (32). */
export const VAD_WINDOW_MS = (VAD_WINDOW / SAMPLE_RATE_HZ) * 1000;

/** A change of voice activity, ms since the first sample pushed. */
export interface VadChange {
  state: "speech" | "silence";
  /** For `speech`, where it began; for `silence`, where the speech ended. */
  audioMs: number;
}

/**
 * What a session needs from a voice activity detector: input in, changes out, and where a pause
 * inside ongoing speech began (for cutting long segments).
 */
export interface SpeechDetector {
  /** Pushes input (samples, or mel frames for a mel detector); returns completed changes. */
  push(input: Float32Array): VadChange[] | Promise<VadChange[]>;
  /** Ends the stream: open speech ends where the input ends. */
  end(): VadChange[];
  /** Changes the end-of-speech silence (and the threshold, where there is one). */
  configure(opts: { threshold?: number; endSilenceMs?: number }): void;
  /** Whether speech is going on. */
  readonly speaking: boolean;
  /** Where the current quiet run inside ongoing speech began, ms, or -1. */
  readonly pauseSinceMs: number;
}

/**
 * What both detectors share once speech has started: where a pause inside it began, and the rule
 * that ends it (a pause of `endSilenceMs`, ending where the pause began).
 */
export class SpeechSpan {
  endSilenceMs: number;
  #speaking = false;
  #silentSinceMs = -1;

  constructor(endSilenceMs: number) {
    this.endSilenceMs = endSilenceMs;
  }

  /** Whether speech is going on. */
  get speaking(): boolean {
    return this.#speaking;
  }

  /** Where the current pause inside ongoing speech began, ms, or -1. */
  get pauseSinceMs(): number {
    return this.#speaking ? this.#silentSinceMs : -1;
  }

  /** Speech starts at `atMs`. */
  start(atMs: number): VadChange {
    this.#speaking = true;
    this.#silentSinceMs = -1;
    return { state: "speech", audioMs: atMs };
  }

  /**
   * A frame [startMs, startMs + frameMs) during speech; `voiced` keeps the speech going. Returns
   * the end of speech once the pause is long enough.
   */
  frame(voiced: boolean, startMs: number, frameMs: number): VadChange | null {
    if (voiced) {
      this.#silentSinceMs = -1;
      return null;
    }
    if (this.#silentSinceMs < 0) this.#silentSinceMs = startMs;
    if (startMs + frameMs - this.#silentSinceMs < this.endSilenceMs) return null;
    this.#speaking = false;
    const end: VadChange = { state: "silence", audioMs: this.#silentSinceMs };
    this.#silentSinceMs = -1;
    return end;
  }

  /** The input ended at `endMs`: open speech ends there, or where its pause began. */
  end(endMs: number): VadChange[] {
    if (!this.#speaking) return [];
    this.#speaking = false;
    return [{ state: "silence", audioMs: this.#silentSinceMs >= 0 ? this.#silentSinceMs : endMs }];
  }
}

/** Options for {@linkcode VadStream}. */
export interface VadStreamOptions {
  /** Speech probability that starts speech; default 0.5. */
  threshold?: number;
  /** Silence that ends speech, ms; default 600. */
  endSilenceMs?: number;
  /** RMS below which a window counts as silence without running the model; default 0.002. */
  energyFloor?: number;
}

/**
 * Incremental speech detection over a stream of samples. One per session, each with a VadModel
 * of its own: the model carries the stream's recurrent state between calls.
 */
export class VadStream implements SpeechDetector {
  readonly #vad: VadModel;
  #threshold: number;
  readonly #span: SpeechSpan;
  readonly #energyFloor: number;
  #rest = new Float32Array(0);
  #windows = 0;
  #modelWindows = 0;

  constructor(vad: VadModel, opts: VadStreamOptions = {}) {
    this.#vad = vad;
    this.#threshold = opts.threshold ?? 0.5;
    this.#span = new SpeechSpan(opts.endSilenceMs ?? 600);
    this.#energyFloor = opts.energyFloor ?? 0.002;
  }

  /** Changes the threshold and end-of-speech silence from the next window on. */
  configure(opts: Pick<VadStreamOptions, "threshold" | "endSilenceMs">): void {
    this.#threshold = opts.threshold ?? this.#threshold;
    this.#span.endSilenceMs = opts.endSilenceMs ?? this.#span.endSilenceMs;
  }

  /** Whether speech is going on after the samples pushed so far. */
  get speaking(): boolean {
    return this.#span.speaking;
  }

  /**
   * Where the current run of low speech probability began inside ongoing speech, ms (a pause
   * not yet long enough to end the speech), or -1.
   */
  get pauseSinceMs(): number {
    return this.#span.pauseSinceMs;
  }

  /** Windows that ran the model (the rest were gated by energy). */
  get modelWindows(): number {
    return this.#modelWindows;
  }

  /** Pushes samples; returns the changes of activity they complete, in order. */
  async push(samples: Float32Array): Promise<VadChange[]> {
    const all = new Float32Array(this.#rest.length + samples.length);
    all.set(this.#rest);
    all.set(samples, this.#rest.length);
    const whole = all.length - (all.length % VAD_WINDOW);
    this.#rest = all.slice(whole);
    const changes: VadChange[] = [];
    for (let off = 0; off < whole; off += VAD_WINDOW) {
      const win = all.subarray(off, off + VAD_WINDOW);
      const p = rms(win) < this.#energyFloor ? 0 : await this.#prob(win);
      this.#step(p, changes);
    }
    return changes;
  }

  /** Ends the stream: an open speech span ends where the audio ends. */
  end(): VadChange[] {
    return this.#span.end(this.#windows * VAD_WINDOW_MS);
  }

  async #prob(win: Float32Array): Promise<number> {
    // The model's recurrent state starts fresh with each stream, then carries across windows.
    const probs = await this.#vad.probs(win, { reset: this.#modelWindows === 0 });
    this.#modelWindows++;
    return probs.length ? probs[0] : 0;
  }

  #step(p: number, changes: VadChange[]): void {
    const startMs = this.#windows * VAD_WINDOW_MS;
    this.#windows++;
    if (!this.#span.speaking) {
      if (p >= this.#threshold) changes.push(this.#span.start(startMs));
      return;
    }
    const end = this.#span.frame(
      p >= Math.max(0.01, this.#threshold - 0.15),
      startMs,
      VAD_WINDOW_MS,
    );
    if (end) changes.push(end);
  }
}

function rms(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s / x.length);
}
