import { PaceCheck, receiveMultipart } from "./multipart.ts";
import { HttpError } from "./errors.ts";
import { assert, assertEquals } from "../../../ffi/testing/assert.ts";

Deno.test("PaceCheck: a grace window first, then each last window's average against the minimum", () => {
  const pace = new PaceCheck(0, 1_000, 10_000);
  assertEquals(pace.check(5_000, 10), null, "inside the first window: grace");
  assertEquals(pace.check(10_000, 20_000), null, "2000 bytes/s");
  // 20 000 → 21 000 bytes over the window 10 s → 20 s: 100 bytes/s.
  const slow = pace.check(20_000, 21_000);
  assert(slow?.includes("100 bytes/s over the last 10 s, under the minimum of 1000"), `${slow}`);
  const off = new PaceCheck(0, 0, 10_000);
  assertEquals(off.check(60_000, 1), null, "0 turns the check off");
});

/** A multipart body that sends its start, then `trickle` bytes every `everyMs`, for ever. */
function trickled(trickle: number, everyMs: number): { req: Request; stop: () => void } {
  const enc = new TextEncoder();
  let timer: ReturnType<typeof setInterval> | undefined;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(enc.encode(
        '--b\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n' +
          "Content-Type: audio/wav\r\n\r\n",
      ));
      timer = setInterval(() => {
        try {
          c.enqueue(new Uint8Array(trickle).fill(7));
        } catch {
          clearInterval(timer);
        }
      }, everyMs);
    },
    cancel() {
      clearInterval(timer);
    },
  });
  const req = new Request("http://127.0.0.1/v1/audio/transcriptions", {
    method: "POST",
    headers: { "content-type": "multipart/form-data; boundary=b" },
    body,
  });
  return { req, stop: () => clearInterval(timer) };
}

/** The HttpError `p` is refused with, within `withinMs`. */
async function refusal(p: Promise<unknown>, withinMs = 4_000): Promise<HttpError> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not refused within ${withinMs} ms`)), withinMs);
  });
  try {
    await Promise.race([p, late]);
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    return err;
  } finally {
    clearTimeout(timer);
  }
  throw new Error("the upload was taken");
}

Deno.test("receiveMultipart: a body trickled below the minimum rate is a 408, though never idle", async () => {
  const { req, stop } = trickled(1, 50); // 20 bytes/s, a byte every 50 ms: never idle
  try {
    const err = await refusal(
      receiveMultipart(req, {
        maxBytes: 1e6,
        idleTimeoutMs: 5_000,
        minBytesPerS: 1_000,
        rateWindowMs: 400,
      }),
    );
    assertEquals(err.status, 408);
    assert(err.message.includes("under the minimum of 1000 bytes/s"), err.message);
  } finally {
    stop();
  }
});

Deno.test("receiveMultipart: a body still arriving at its deadline is a 408, however fast it comes", async () => {
  const { req, stop } = trickled(4_096, 20); // about 200 KB/s
  try {
    const err = await refusal(
      receiveMultipart(req, { maxBytes: 1e9, minBytesPerS: 1_000, deadlineMs: 600 }),
    );
    assertEquals(err.status, 408);
    assert(err.message.includes("took over 0.6 s"), err.message);
  } finally {
    stop();
  }
});
