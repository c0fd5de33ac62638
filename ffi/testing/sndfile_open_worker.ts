/**
 * For tests: a worker (another isolate of the same process) that fails `SoundFile.open` on a
 * missing path as fast as it can until told to stop, so that libsndfile's process-wide error is
 * set from another thread while the test's own opens fail.
 *
 * @module
 */

import { SoundFile } from "../sndfile/sound_file.ts";

/// <reference lib="deno.worker" />
let stop = false;
self.onmessage = (e: MessageEvent<{ path?: string; stop?: boolean }>) => {
  if (e.data.stop) {
    stop = true;
    return;
  }
  const path = e.data.path!;
  (async () => {
    let n = 0;
    while (!stop) {
      await SoundFile.open(path).catch(() => {});
      n++;
    }
    self.postMessage({ opens: n });
  })();
};
