/**
 * For the leak test in `app_test.ts`: run as a program of its own, it starts the test server,
 * sends 50 clients that vanish mid-utterance, and prints what the process grew by as one JSON
 * line. A process of its own because `deno test --parallel` runs other test modules in the same
 * process: their memory would be read as this test's.
 *
 * @module
 */

import { withTestServer } from "./testing.ts";
import { runClient } from "../../../client/cli.ts";
import { sharedPath } from "../../../ffi/testing/shared.ts";
import { releaseFreeMemory } from "../../../ffi/native/libc.ts";

/** What the probe measured. */
export interface VanishFigures {
  /** Sessions that ended with a client error (each should be none). */
  errors: string[];
  /** Registry, peers and engine sessions once all were gone (each should be 0). */
  left: [number, number, number];
  /** The decoding-state pool afterwards. */
  states: { used: number; idle: number };
  /** Process RSS growth over the 50 sessions, idle states and free heap given back, in MB. */
  grownMb: number;
}

/** The test server's session limit. */
const MAX_SESSIONS = 8;

/** Runs the 50 vanishing sessions against an in-process test server (two at a time). */
export function measureVanishedSessions(file: string, sessions = 50): Promise<VanishFigures> {
  let figures: VanishFigures | undefined;
  return withTestServer(async ({ url, app, engine }) => {
    const errors: string[] = [];
    const vanish = (transport: "media" | "audio") =>
      runClient({ url, file, transport, realtime: false, timeout: 60, vanishAfterS: 3 });
    const pair = async () => {
      // Room for two: a vanished session is freed a grace period after it goes (longer on a loaded
      // machine), and what is measured here is whether it is freed, not how soon.
      for (let i = 0; i < 500 && app.registry.size > MAX_SESSIONS - 2; i++) {
        await new Promise((res) => setTimeout(res, 20));
      }
      const rs = await Promise.all([vanish("media"), vanish("audio")]);
      for (const r of rs) if (r.error !== null) errors.push(String(r.error));
    };
    const settle = async () => {
      for (let i = 0; i < 300 && (app.registry.size || app.peers || engine.sessions); i++) {
        await new Promise((res) => setTimeout(res, 20));
      }
    };
    // The pool keeps idle decoding states on purpose: free them before each reading, so what is
    // measured is what sessions leave behind.
    const trimmed = () => {
      engine.models.releaseIdleStates();
      releaseFreeMemory();
      return Deno.memoryUsage().rss;
    };
    // Warm up (model pages, werift's first-use allocations, the pool's states: two at a time).
    for (let i = 0; i < 4; i += 2) await pair();
    await settle();
    const rss0 = trimmed();
    for (let i = 0; i < sessions; i += 2) await pair();
    await settle();
    const states = engine.models.status[0].states!;
    figures = {
      errors,
      left: [app.registry.size, app.peers, engine.sessions],
      states: { used: states.used, idle: states.idle },
      grownMb: (trimmed() - rss0) / 2 ** 20,
    };
  }, { maxSessions: MAX_SESSIONS, peer: { disconnectGraceMs: 500, idleTimeoutMs: 2_000 } }).then(
    () => figures!,
  );
}

if (import.meta.main) {
  const figures = await measureVanishedSessions(sharedPath(Deno.args[0] ?? "speech/jfk/jfk.wav"));
  console.log(JSON.stringify(figures));
  // werift leaves timers behind after its connections close; they would keep the process alive.
  Deno.exit(0);
}
