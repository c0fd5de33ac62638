/**
 * A text channel a session speaks another protocol on (the OpenAI Realtime API's events), whatever
 * carries it: a WebRTC data channel (`oai-events`) or a WebSocket. When the channel opens, `open`
 * gets a way to send text and returns what takes the client's messages and hears the channel close.
 *
 * @module
 */

/** The client's side of an open {@linkcode EventChannel}. */
export interface EventConnection {
  /** One text message from the client. */
  message(text: string): void;
  /** A binary message, where the protocol has none (answered with an error event). */
  binary?(bytes: Uint8Array): void;
  /** The channel closed (either side). */
  close(): void;
}

/** See the module doc. */
export interface EventChannel {
  open(send: (text: string) => void): EventConnection;
}
