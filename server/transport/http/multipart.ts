/**
 * Receives a `multipart/form-data` upload without holding it in memory: busboy parses the body
 * as it streams in, the one `file` part goes straight to a private temporary file, and the other
 * fields are kept as text. Every limit is enforced while reading, so an oversized or endless body
 * is cut off as soon as it crosses the limit, not after it arrived: a file over `maxBytes` is a
 * `413`; a body that stalls for `idleTimeoutMs`, arrives slower than `minBytesPerS` over any
 * `rateWindowMs`, or is not whole after `deadlineMs` is a `408` (so a client trickling bytes cannot
 * hold an upload slot); a malformed body a `400`. On any failure the temporary file is deleted.
 *
 * @module
 */

import busboy from "busboy";
import { Readable } from "node:stream";
import { HttpError } from "./errors.ts";

/** Limits of {@linkcode receiveMultipart}. */
export interface MultipartLimits {
  /** Largest file accepted, bytes. */
  maxBytes: number;
  /** Longest time without a byte arriving, ms (default 30 000). */
  idleTimeoutMs?: number;
  /**
   * Slowest the body may arrive, bytes a second, averaged over each `rateWindowMs` (default
   * {@linkcode DEFAULT_MIN_BYTES_PER_S}; 0 turns the check off).
   */
  minBytesPerS?: number;
  /** The window the rate is averaged over, ms; the first one is a grace period (default 10 000). */
  rateWindowMs?: number;
  /** Longest the whole body may take, ms (default {@linkcode DEFAULT_UPLOAD_DEADLINE_MS}). */
  deadlineMs?: number;
  /** Folder for the temporary file (default: the OS's). */
  tempDir?: string;
  /** The form field holding the file (default `file`). */
  fileField?: string;
}

/** A received upload: the file on disk (the caller deletes it) and the text fields. */
export interface ReceivedUpload {
  /** The temporary file holding the upload. */
  path: string;
  /** Its size, bytes. */
  bytes: number;
  /** The file name the client gave (never used as a path). */
  filename: string;
  /** The content type the client declared for the file (not trusted: the audio is sniffed). */
  mimeType: string;
  /** Text fields: name → values in the order sent. */
  fields: Record<string, string[]>;
}

/** Slowest an upload may arrive by default, bytes a second (a 200 MB file then takes < 2 days). */
export const DEFAULT_MIN_BYTES_PER_S = 2_048;
/** Longest an upload's body may take by default, ms: 30 minutes. */
export const DEFAULT_UPLOAD_DEADLINE_MS = 30 * 60_000;

/** Most text fields, and bytes in one. */
const MAX_FIELDS = 32;
const MAX_FIELD_BYTES = 16 * 1024;
/** Bytes a form adds around its file (boundaries, part headers, text fields). */
const FORM_OVERHEAD = MAX_FIELDS * MAX_FIELD_BYTES;

/**
 * Reads `req`'s multipart body; see the module doc. Throws {@linkcode HttpError} (400, 408, 413,
 * 415) with a message saying what is wrong.
 */
export async function receiveMultipart(
  req: Request,
  limits: MultipartLimits,
): Promise<ReceivedUpload> {
  const type = req.headers.get("content-type") ?? "";
  if (!/^multipart\/form-data\s*;/i.test(type)) {
    throw new HttpError(
      415,
      `Cannot transcribe: send multipart/form-data with the audio in a "${
        limits.fileField ?? "file"
      }" field (Content-Type was ${type || "none"})`,
    );
  }
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (declared > limits.maxBytes + FORM_OVERHEAD) {
    throw tooLarge(limits.maxBytes, `the body declares ${declared} bytes`);
  }
  if (!req.body) throw new HttpError(400, "Cannot transcribe: the request has no body");
  const tmp = await Deno.makeTempFile({ dir: limits.tempDir, prefix: "hum-upload-" });
  try {
    return await parse(req.body, type, tmp, limits);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}

function tooLarge(max: number, what: string): HttpError {
  return new HttpError(413, `Cannot transcribe: the file is larger than ${max} bytes (${what})`, {
    reason: "too_large",
  });
}

async function parse(
  body: ReadableStream<Uint8Array>,
  type: string,
  tmp: string,
  limits: MultipartLimits,
): Promise<ReceivedUpload> {
  const fileField = limits.fileField ?? "file";
  let bb: busboy.Busboy;
  try {
    bb = busboy({
      headers: { "content-type": type },
      limits: {
        files: 1,
        fileSize: limits.maxBytes,
        fields: MAX_FIELDS,
        fieldSize: MAX_FIELD_BYTES,
        parts: MAX_FIELDS + 1,
        headerPairs: 32,
      },
    });
  } catch (err) {
    throw new HttpError(400, `Cannot transcribe: bad multipart Content-Type (${msg(err)})`);
  }
  const fields: Record<string, string[]> = {};
  let file: Omit<ReceivedUpload, "fields" | "path"> | null = null;
  let writing: Promise<void> = Promise.resolve();
  const done = Promise.withResolvers<void>();
  let failure: HttpError | null = null;
  const fail = (e: HttpError) => {
    failure ??= e;
    done.reject(failure);
  };
  const source = Readable.fromWeb(body as import("node:stream/web").ReadableStream);
  const startMs = performance.now();
  let lastByte = startMs;
  let received = 0;
  source.on("data", (chunk: Uint8Array) => {
    lastByte = performance.now();
    received += chunk.length;
  });
  const idleMs = limits.idleTimeoutMs ?? 30_000;
  const pace = new PaceCheck(
    startMs,
    limits.minBytesPerS ?? DEFAULT_MIN_BYTES_PER_S,
    limits.rateWindowMs ?? 10_000,
  );
  const deadlineMs = limits.deadlineMs ?? DEFAULT_UPLOAD_DEADLINE_MS;
  const idle = setInterval(() => {
    const now = performance.now();
    if (now - lastByte >= idleMs) {
      fail(new HttpError(408, `Cannot transcribe: no data arrived for ${idleMs / 1000} s`));
    } else if (now - startMs >= deadlineMs) {
      fail(
        new HttpError(
          408,
          `Cannot transcribe: the upload took over ${deadlineMs / 1000} s (${received} bytes came)`,
        ),
      );
    } else {
      const slow = pace.check(now, received);
      if (slow) fail(new HttpError(408, `Cannot transcribe: ${slow}`));
    }
  }, Math.min(1_000, idleMs, limits.rateWindowMs ?? 1_000));

  bb.on("field", (name, value, info) => {
    if (info.valueTruncated) {
      fail(
        new HttpError(413, `Cannot transcribe: field "${name}" is over ${MAX_FIELD_BYTES} bytes`),
      );
      return;
    }
    (fields[name] ??= []).push(value);
  });
  bb.on("file", (name, stream, info) => {
    if (name !== fileField) {
      stream.resume();
      fail(
        new HttpError(
          400,
          `Cannot transcribe: unexpected file field "${name}" (send the audio as "${fileField}")`,
        ),
      );
      return;
    }
    // Past the size limit: refused at once, without reading the rest.
    stream.on("limit", () => fail(tooLarge(limits.maxBytes, "it went on past the limit")));
    const meta = { bytes: 0, filename: info.filename ?? "", mimeType: info.mimeType ?? "" };
    file = meta;
    writing = (async () => {
      using out = await Deno.open(tmp, { write: true, truncate: true });
      for await (const chunk of stream as AsyncIterable<Uint8Array>) {
        if (failure) break;
        meta.bytes += chunk.length;
        for (let o = 0; o < chunk.length;) o += await out.write(chunk.subarray(o));
      }
    })();
    writing.catch((err) => fail(new HttpError(500, `Cannot store the upload: ${msg(err)}`)));
  });
  bb.on("filesLimit", () => fail(new HttpError(400, "Cannot transcribe: send one file only")));
  bb.on(
    "fieldsLimit",
    () => fail(new HttpError(400, `Cannot transcribe: more than ${MAX_FIELDS} fields`)),
  );
  bb.on(
    "partsLimit",
    () => fail(new HttpError(400, "Cannot transcribe: too many parts in the form")),
  );
  bb.on(
    "error",
    (err) => fail(new HttpError(400, `Cannot transcribe: malformed multipart body (${msg(err)})`)),
  );
  bb.on("close", () => done.resolve());
  source.on(
    "error",
    (err) => fail(new HttpError(400, `Cannot transcribe: the upload broke off (${msg(err)})`)),
  );
  source.pipe(bb);
  try {
    await done.promise;
    await writing;
    if (failure) throw failure;
  } finally {
    clearInterval(idle);
    source.unpipe(bb);
    source.destroy();
    bb.removeAllListeners("close");
  }
  if (!file) {
    throw new HttpError(
      400,
      `Cannot transcribe: the form has no "${fileField}" field with the audio`,
    );
  }
  const got = file as Omit<ReceivedUpload, "fields" | "path">;
  return { path: tmp, ...got, fields };
}

function msg(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The minimum-rate rule: once a whole window has passed, the bytes that came in the last
 * `windowMs` must average at least `minBytesPerS`. Checked from samples of the running count.
 */
export class PaceCheck {
  readonly #samples: { t: number; bytes: number }[];
  readonly #min: number;
  readonly #windowMs: number;

  constructor(startMs: number, minBytesPerS: number, windowMs: number) {
    this.#samples = [{ t: startMs, bytes: 0 }];
    this.#min = minBytesPerS;
    this.#windowMs = windowMs;
  }

  /** Notes `bytes` received by `nowMs`; the reason when the last window was too slow, else null. */
  check(nowMs: number, bytes: number): string | null {
    this.#samples.push({ t: nowMs, bytes });
    if (this.#min <= 0 || nowMs - this.#samples[0].t < this.#windowMs) return null;
    // The oldest sample still a whole window back is where the window starts.
    while (this.#samples.length > 2 && nowMs - this.#samples[1].t >= this.#windowMs) {
      this.#samples.shift();
    }
    const from = this.#samples[0];
    const rate = (bytes - from.bytes) / ((nowMs - from.t) / 1000);
    if (rate >= this.#min) return null;
    return `the upload arrived at ${Math.round(rate)} bytes/s over the last ` +
      `${Math.round((nowMs - from.t) / 1000)} s, under the minimum of ${this.#min} bytes/s`;
  }
}
