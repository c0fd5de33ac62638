/// <reference lib="esnext" />
/**
 * The privacy mode's AudioWorklet (bundled on its own as `/mel_worklet.js`): microphone samples at
 * the audio context's rate → 16 kHz ({@linkcode Downsampler}) → Whisper's log-mel frames
 * ({@linkcode LogMel}), posted to the page every 100 ms as one `Float32Array` of 10 × 80 values.
 * Only these frames leave the worklet; the page quantizes and sends them on the `mel` channel.
 *
 * @module
 */

import { Downsampler } from "./resample.ts";
import { LogMel, N_MELS } from "../../protocol/mel.ts";

// The AudioWorkletGlobalScope's names (not in TypeScript's DOM library).
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
}
declare function registerProcessor(name: string, ctor: unknown): void;
declare const sampleRate: number;

/** Frames per message: 100 ms. */
const FRAMES_PER_MESSAGE = 10;

class MelProcessor extends AudioWorkletProcessor {
  readonly #down = new Downsampler(sampleRate);
  readonly #mel = new LogMel();
  #pending = new Float32Array(0);

  process(inputs: Float32Array[][]): boolean {
    const channel = inputs[0]?.[0];
    if (!channel) return true;
    const frames = this.#mel.push(this.#down.push(channel));
    if (!frames.length) return true;
    const all = new Float32Array(this.#pending.length + frames.length);
    all.set(this.#pending);
    all.set(frames, this.#pending.length);
    const size = FRAMES_PER_MESSAGE * N_MELS;
    let off = 0;
    for (; off + size <= all.length; off += size) {
      const msg = all.slice(off, off + size);
      this.port.postMessage(msg, [msg.buffer]);
    }
    this.#pending = all.slice(off);
    return true;
  }
}

registerProcessor("hum-mel", MelProcessor);
