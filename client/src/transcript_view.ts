/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/// <reference lib="esnext" />
/**
 * Renders transcript events into the page: each segment is a paragraph whose committed words are
 * solid and whose partial tail is dimmed; a final replaces the segment's text with the final text
 * and gets an intent chip when its intent is not `none`.
 *
 * @module
 */

import type { TranscriptEvent } from "../../protocol/events.ts";

/** The transcript element's renderer. */
export class TranscriptView {
  readonly #root: HTMLElement;
  readonly #segments = new Map<
    number,
    { p: HTMLElement; committed: HTMLElement; partial: HTMLElement }
  >();

  constructor(root: HTMLElement) {
    this.#root = root;
  }

  /** Clears the transcript (a new session). */
  clear(): void {
    this.#segments.clear();
    this.#root.replaceChildren();
  }

  #segment(id: number) {
    let s = this.#segments.get(id);
    if (!s) {
      const p = document.createElement("p");
      const committed = document.createElement("span");
      committed.className = "committed";
      const partial = document.createElement("span");
      partial.className = "partial";
      p.append(committed, partial);
      this.#root.querySelector(".hint")?.remove();
      this.#root.append(p);
      s = { p, committed, partial };
      this.#segments.set(id, s);
    }
    return s;
  }

  /** Applies one event. */
  apply(e: TranscriptEvent): void {
    switch (e.type) {
      case "partial": {
        const s = this.#segment(e.segmentId);
        s.partial.textContent = (s.committed.textContent ? " " : "") + e.text;
        break;
      }
      case "commit": {
        const s = this.#segment(e.segmentId);
        const words = e.words.map((w) => w.word).join(" ");
        s.committed.textContent = s.committed.textContent
          ? `${s.committed.textContent} ${words}`
          : words;
        break;
      }
      case "final": {
        const s = this.#segment(e.segmentId);
        s.committed.textContent = e.text;
        s.partial.textContent = "";
        s.p.classList.add("final");
        // Where the segment lies in the session's audio (tests and tools read it).
        s.p.dataset.startMs = String(e.startMs);
        s.p.dataset.endMs = String(e.endMs);
        break;
      }
      case "intent": {
        if (e.intent === "none") break;
        const s = this.#segments.get(e.segmentId);
        if (!s) break;
        const chip = document.createElement("span");
        chip.className = "chip";
        const slots = Object.entries(e.slots).map(([k, v]) => `${k}: ${v}`).join(", ");
        chip.textContent = slots ? `${e.intent} · ${slots}` : e.intent;
        chip.title = `confidence ${(e.confidence * 100).toFixed(0)} %`;
        s.p.append(chip);
        break;
      }
      default:
        return;
    }
    this.#root.scrollTop = this.#root.scrollHeight;
  }
}
