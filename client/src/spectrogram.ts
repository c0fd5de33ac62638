/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/// <reference lib="esnext" />
/**
 * A scrolling spectrogram of the microphone on a canvas: an `AnalyserNode` on the mic stream, one
 * column per animation frame, louder bins brighter, the lowest 8 kHz (what the model hears).
 *
 * @module
 */

/** Draws `stream` into `canvas` until stopped. */
export class Spectrogram {
  readonly #ctx: AudioContext;
  readonly #analyser: AnalyserNode;
  readonly #canvas: HTMLCanvasElement;
  readonly #bins: Uint8Array<ArrayBuffer>;
  #frame = 0;

  constructor(stream: MediaStream, canvas: HTMLCanvasElement) {
    this.#ctx = new AudioContext();
    this.#analyser = this.#ctx.createAnalyser();
    this.#analyser.fftSize = 1024;
    this.#analyser.smoothingTimeConstant = 0;
    this.#ctx.createMediaStreamSource(stream).connect(this.#analyser);
    this.#canvas = canvas;
    this.#bins = new Uint8Array(this.#analyser.frequencyBinCount);
    const dpr = globalThis.devicePixelRatio || 1;
    canvas.width = Math.round(canvas.clientWidth * dpr) || 800;
    canvas.height = Math.round(canvas.clientHeight * dpr) || 96;
    this.#draw();
  }

  #draw = (): void => {
    const g = this.#canvas.getContext("2d");
    if (!g) return;
    const { width: w, height: h } = this.#canvas;
    this.#analyser.getByteFrequencyData(this.#bins);
    // Bins up to 8 kHz.
    const top = Math.min(
      this.#bins.length,
      Math.round((8_000 / (this.#ctx.sampleRate / 2)) * this.#bins.length),
    );
    g.drawImage(this.#canvas, -2, 0);
    for (let y = 0; y < h; y++) {
      const v = this.#bins[Math.floor(((h - 1 - y) / h) * top)] / 255;
      g.fillStyle = `hsl(${190 - 150 * v} 90% ${6 + 60 * v}%)`;
      g.fillRect(w - 2, y, 2, 1);
    }
    this.#frame = requestAnimationFrame(this.#draw);
  };

  /** Stops drawing and releases the audio context. */
  stop(): void {
    cancelAnimationFrame(this.#frame);
    void this.#ctx.close();
  }
}
