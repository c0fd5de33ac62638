/**
 * The service through OpenAI's Realtime API, as the bench measures it: the official Python
 * `openai` package's client (`server/transport/realtime/openai_sdk_client.py`, from the tools venv
 * that `deploy/k8s/tools.sh` installs) streams an item at the speaker's pace to
 * `/v1/realtime?intent=transcription`, and its server events, stamped on the client's clock, are
 * read back as transcript events so every streaming metric applies: a delta is a commit of its
 * words, a completion is its item's final (with the word times and `revised` flag the server puts
 * under `hum`), one item one segment.
 *
 * @module
 */

import { join } from "node:path";
import { resample } from "../../ffi/soxr/mod.ts";
import { REPO_ROOT } from "../../ffi/whisper/build.ts";
import type { TranscriptEvent } from "../../protocol/events.ts";
import { pcm16Bytes } from "../../protocol/audio.ts";

/** The tools venv's Python (where the official openai package is installed). */
export const REALTIME_PYTHON = join(
  Deno.env.get("HUM_CACHE_DIR") ?? join(REPO_ROOT, ".cache"),
  "tools",
  "venv",
  "bin",
  "python",
);

/** A Realtime server event as the client printed it, with when it arrived. */
export type ReceivedEvent = Record<string, unknown> & { type: string; receivedMs: number };

/**
 * Realtime server events → transcript events (numbered from 0) on the client's clock; see the
 * module doc. Events without a transcript counterpart are left out.
 */
export function realtimeToEvents(received: readonly ReceivedEvent[]): TranscriptEvent[] {
  const segments = new Map<string, number>();
  const segmentOf = (item: unknown) => {
    const id = String(item);
    if (!segments.has(id)) segments.set(id, segments.size);
    return segments.get(id)!;
  };
  const out: TranscriptEvent[] = [];
  const base = (e: ReceivedEvent) => ({
    v: 1 as const,
    seq: out.length,
    emittedMs: e.receivedMs,
    // The client sends at the speaker's pace: what it has sent is where the audio is.
    audioMs: e.receivedMs,
  });
  for (const e of received) {
    if (e.type === "conversation.item.input_audio_transcription.delta") {
      const words = String(e.delta).trim().split(/\s+/).filter(Boolean);
      if (!words.length) continue;
      out.push({
        ...base(e),
        type: "commit",
        segmentId: segmentOf(e.item_id),
        words: words.map((word) => ({ word, startMs: 0, endMs: 0, p: 1 })),
      });
    } else if (e.type === "conversation.item.input_audio_transcription.completed") {
      const hum = (e.hum ?? {}) as {
        words?: { word: string; startMs: number; endMs: number; p: number }[];
        revised?: boolean;
        startMs?: number;
        endMs?: number;
      };
      const text = String(e.transcript ?? "");
      const words = hum.words ??
        text.split(/\s+/).filter(Boolean).map((word) => ({ word, startMs: 0, endMs: 0, p: 1 }));
      out.push({
        ...base(e),
        type: "final",
        segmentId: segmentOf(e.item_id),
        text,
        startMs: hum.startMs ?? 0,
        endMs: hum.endMs ?? e.receivedMs,
        words,
        ...(hum.revised ? { revised: true as const } : {}),
      });
    }
  }
  return out;
}

/**
 * Streams `samples` (16 kHz) through the Python SDK's Realtime client to `url` in `mode`, at the
 * speaker's pace; returns the server events it received. Throws with the client's stderr when it
 * fails.
 */
export async function runRealtimeClient(
  url: string,
  samples: Float32Array,
  mode: string,
): Promise<ReceivedEvent[]> {
  try {
    Deno.statSync(REALTIME_PYTHON);
  } catch {
    throw new Error(
      `Cannot run the Realtime SDK client: no ${REALTIME_PYTHON} (install it with ` +
        "bash deploy/k8s/tools.sh)",
    );
  }
  const dir = await Deno.makeTempDir({ prefix: "hum-realtime-" });
  try {
    const x = await resample(samples, { inputRate: 16_000, outputRate: 24_000 });
    await Deno.writeFile(`${dir}/audio.pcm`, pcm16Bytes(x));
    const r = await new Deno.Command(REALTIME_PYTHON, {
      args: [
        join(REPO_ROOT, "server", "transport", "realtime", "openai_sdk_client.py"),
        `${url.replace(/\/$/, "")}/v1`,
        Deno.env.get("HUM_API_KEY") ?? "no-key-needed",
        `${dir}/audio.pcm`,
        "--realtime",
        "--mode",
        mode,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!r.success) {
      throw new Error(
        `the Realtime SDK client failed: ${new TextDecoder().decode(r.stderr).slice(-1500)}`,
      );
    }
    return new TextDecoder().decode(r.stdout).trim().split("\n").filter(Boolean).map((l) =>
      JSON.parse(l)
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
