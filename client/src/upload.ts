/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The page's upload box: a recording (a file picked or dropped) goes to
 * `POST /v1/audio/transcriptions` with `stream=true`; the server-sent events drive a progress bar
 * and show the text window by window, then the whole answer in the chosen format.
 *
 * @module
 */

import { authHeaders, RequestError } from "./api_key.ts";

/** One server-sent event of a streamed transcription. */
export type UploadEvent =
  | { type: "transcript.progress"; done: number; audio_s: number; elapsed_s: number }
  | { type: "transcript.text.delta"; delta: string; window: number; windows: number }
  | { type: "transcript.text.done"; text: string; model: string; response: unknown }
  | { type: "error"; error: { status: number; message: string } };

/**
 * Splits server-sent-event text into the JSON of its `data:` lines; returns the events complete
 * so far and the unfinished rest (to prepend to the next chunk).
 */
export function parseSse(buffer: string): { events: unknown[]; rest: string } {
  const events: unknown[] = [];
  const blocks = buffer.split("\n\n");
  const rest = blocks.pop() ?? "";
  for (const block of blocks) {
    const data = block.split("\n").filter((l) => l.startsWith("data:")).map((l) =>
      l.slice(5).trimStart()
    ).join("\n");
    if (!data) continue;
    try {
      events.push(JSON.parse(data));
    } catch {
      // Not JSON: not one of ours.
    }
  }
  return { events, rest };
}

/** What the box reports to the page. */
export interface UploadHandlers {
  onEvent(e: UploadEvent): void;
}

/**
 * Uploads `file` and feeds its events to `handlers`; resolves with the final event. Throws
 * {@linkcode RequestError} when the server refuses the upload (its message says why).
 */
export async function transcribeFile(
  file: Blob,
  name: string,
  format: string,
  handlers: UploadHandlers,
  signal?: AbortSignal,
): Promise<UploadEvent> {
  const form = new FormData();
  form.append("file", file, name);
  form.append("model", "whisper-1");
  form.append("response_format", format);
  form.append("stream", "true");
  const res = await fetch("/v1/audio/transcriptions", {
    method: "POST",
    body: form,
    headers: authHeaders(),
    signal,
  });
  if (!res.ok || !res.body) {
    const body = await res.json().catch(() => ({}));
    throw new RequestError(res.status, body.error ?? `the server refused the file (${res.status})`);
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let last: UploadEvent | null = null;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    const { events, rest } = parseSse(buffer + value);
    buffer = rest;
    for (const e of events as UploadEvent[]) {
      last = e;
      handlers.onEvent(e);
    }
  }
  if (!last) throw new Error("the server sent no result");
  return last;
}
