/**
 * A Realtime transcription session as an {@linkcode EventChannel}: what the WebRTC call's
 * `oai-events` data channel and the Realtime WebSocket both carry. Client events are applied one
 * after another, in order; the call's `session` part, when given, is applied first.
 *
 * @module
 */

import type { LiveSession } from "../../session/live_session.ts";
import type { EventChannel } from "../event_channel.ts";
import { type RealtimeOptions, RealtimeTranscription } from "./transcription.ts";

/** The Realtime protocol over a text channel for `live`; `session` is a first `session.update`. */
export function realtimeChannel(
  live: LiveSession,
  opts: Omit<RealtimeOptions, "send">,
  session?: unknown,
): EventChannel {
  return {
    open(send) {
      const rt = new RealtimeTranscription(live, {
        ...opts,
        send: (e) => send(JSON.stringify(e)),
      });
      rt.start();
      let queue = Promise.resolve();
      const take = (text: string) => {
        queue = queue.then(() => rt.receive(text));
      };
      if (session !== undefined) take(JSON.stringify({ type: "session.update", session }));
      return {
        message: take,
        binary: () =>
          take(JSON.stringify({
            type: "a binary message (send audio as input_audio_buffer.append events)",
          })),
        close: () => rt.close(),
      };
    },
  };
}
