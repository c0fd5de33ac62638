/**
 * Downloads a catalogue model into a folder: streams to `<file>.part` while hashing, verifies the
 * checksum, then renames the part file onto the final name, so a file under the final name is
 * always complete and verified. An interrupted download leaves its `.part` behind and the next
 * run resumes it with an HTTP Range request (the whole file is hashed again before it is kept).
 *
 * @module
 */

import { join } from "node:path";
import { findModel, hasChecksum, type ModelEntry, ModelEntrySchema } from "./catalog.ts";
import { type Digests, DualHasher, hashFile, hashFileInto, verify } from "./hash.ts";

/** Progress of one download, reported after every chunk written. */
export interface DownloadProgress {
  /** The model being downloaded. */
  name: string;
  /** Bytes of the file on disk so far, resumed bytes included. */
  received: number;
  /** Size of the whole file when known (catalogue or server), else `null`. */
  total: number | null;
  /** Bytes already present from an earlier, interrupted run. */
  resumedFrom: number;
}

/** Options of {@linkcode downloadModel}. */
export interface DownloadOptions {
  /** Folder the file goes into (created when missing). */
  dir: string;
  /** Fetch `<baseUrl>/<file>` instead of the catalogue URL; defaults to `HUM_MODEL_BASE_URL`. */
  baseUrl?: string;
  /** The fetch implementation; defaults to the global one. */
  fetch?: typeof fetch;
  /** Called after every chunk written. */
  onProgress?: (progress: DownloadProgress) => void;
  /** Called with warnings (unverified download, catalogue inconsistencies); default: stderr. */
  onWarning?: (message: string) => void;
  /** Aborts the download; the `.part` file is kept for a later resume. */
  signal?: AbortSignal;
  /** Download an entry that has no checksum (it cannot be verified). */
  allowUnverified?: boolean;
  /** Download again even when the file is already present. */
  force?: boolean;
  /** Hash an already present file before skipping it (default true; `--no-verify` sets false). */
  verifyExisting?: boolean;
  /** Resume a leftover `.part` file with a Range request (default true). */
  resume?: boolean;
  /** Give up when no data arrives for this long (default 60 s; 0 never). */
  stallTimeoutMs?: number;
  /** Environment lookup for `HUM_MODEL_BASE_URL`; defaults to `Deno.env.get`. */
  env?: (key: string) => string | undefined;
}

/** What {@linkcode downloadModel} did. */
export interface DownloadResult {
  /** The model name. */
  name: string;
  /** Absolute or `dir`-relative path of the final file. */
  path: string;
  /** `downloaded`: fetched now; `skipped`: already present. */
  status: "downloaded" | "skipped";
  /** Size of the file in bytes. */
  bytes: number;
  /** Digests of the file, unless it was skipped without hashing. */
  digests?: Digests;
  /** The checksum that was verified, or `false` when none was. */
  verified: "sha256" | "sha1" | false;
  /** Bytes reused from an earlier interrupted run. */
  resumedFrom: number;
  /** The URL the file was fetched from (absent when skipped). */
  url?: string;
}

const DEFAULT_STALL_MS = 60_000;
const MAX_ATTEMPTS = 3;

function denoEnv(key: string): string | undefined {
  try {
    return Deno.env.get(key);
  } catch {
    return undefined;
  }
}

async function statOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}

async function removeIfPresent(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}

async function writeAll(file: Deno.FsFile, data: Uint8Array): Promise<void> {
  let written = 0;
  while (written < data.byteLength) written += await file.write(data.subarray(written));
}

/** `512 B`, `24.0 KiB`, `74.1 MiB`. */
function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1048576) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

function toEntry(model: string | ModelEntry): ModelEntry {
  if (typeof model === "string") {
    const entry = findModel(model);
    if (entry === undefined) {
      throw new Error(
        `Cannot download model "${model}": not a known model name (see \`deno task model --list\`)`,
      );
    }
    return entry;
  }
  const parsed = ModelEntrySchema.safeParse(model);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `Cannot download model: invalid catalogue entry (${issue.path.join(".")}: ${issue.message})`,
    );
  }
  return parsed.data;
}

/** Where `entry` is fetched from: `<baseUrl>/<file>` when a base is given, else its catalogue URL. */
export function sourceUrl(entry: ModelEntry, baseUrl: string | undefined): string {
  const url = baseUrl ? `${baseUrl.replace(/\/+$/, "")}/${entry.file}` : entry.url;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`Cannot download ${entry.name}: "${url}" is not a URL`);
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new Error(`Cannot download ${entry.name}: ${url} is not an http(s) URL`);
  }
  return url;
}

/** Parses `Content-Range: bytes START-END/TOTAL`. */
function parseContentRange(value: string | null): { start: number; total: number | null } | null {
  const m = value?.match(/^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i);
  if (!m) return null;
  return { start: Number(m[1]), total: m[3] === "*" ? null : Number(m[3]) };
}

/** Thrown internally to start over without a Range request. */
class Restart extends Error {}

/**
 * Downloads a model (by catalogue name, or a full {@linkcode ModelEntry}) into `opts.dir`.
 *
 * An already present file is hashed and skipped when it matches (not hashed with
 * `verifyExisting: false`); one that does not match is an error unless `force` is set.
 *
 * @throws Error `Cannot download ...` / `Cannot verify ...`: unknown model, no checksum without
 *   `allowUnverified`, HTTP error, network error, abort, or checksum mismatch. No file is ever left
 *   under the final name by a failed download; a mismatching `.part` is deleted.
 */
export async function downloadModel(
  model: string | ModelEntry,
  opts: DownloadOptions,
): Promise<DownloadResult> {
  const entry = toEntry(model);
  const env = opts.env ?? denoEnv;
  const warn = opts.onWarning ?? ((msg: string) => console.error(`WARNING: ${msg}`));
  const dest = join(opts.dir, entry.file);
  const verifiable = hasChecksum(entry);

  const existing = opts.force ? null : await statOrNull(dest);
  if (existing !== null) return await checkExisting(entry, dest, existing, opts, warn);

  if (!verifiable && !opts.allowUnverified) {
    throw new Error(
      `Cannot download ${entry.name}: no checksum is known for it, so the file could not be ` +
        `verified; pass --allow-unverified to download it anyway`,
    );
  }

  if (!verifiable) {
    warn(
      `${entry.name} has no published checksum: downloading it UNVERIFIED; ` +
        `the file cannot be checked for corruption or tampering`,
    );
  }
  if (opts.signal?.aborted) throw new Error(`Cannot download ${entry.name}: aborted`);

  const url = sourceUrl(entry, opts.baseUrl ?? env("HUM_MODEL_BASE_URL"));
  await Deno.mkdir(opts.dir, { recursive: true });
  const part = `${dest}.part`;
  if (opts.resume === false) await removeIfPresent(part);

  for (let attempt = 1;; attempt++) {
    try {
      return await transfer(entry, url, dest, part, opts, warn);
    } catch (err) {
      if (!(err instanceof Restart) || attempt >= MAX_ATTEMPTS) {
        if (err instanceof Restart) {
          throw new Error(`Cannot download ${entry.name}: ${err.message} (${url})`);
        }
        throw err;
      }
      await removeIfPresent(part);
    }
  }
}

async function checkExisting(
  entry: ModelEntry,
  dest: string,
  info: Deno.FileInfo,
  opts: DownloadOptions,
  warn: (msg: string) => void,
): Promise<DownloadResult> {
  const skipped = {
    name: entry.name,
    path: dest,
    status: "skipped",
    bytes: info.size,
    resumedFrom: 0,
  } as const;
  if (!info.isFile) {
    throw new Error(`Cannot download ${entry.name}: ${dest} exists and is not a file`);
  }
  if (opts.verifyExisting === false || !hasChecksum(entry)) return { ...skipped, verified: false };
  const fix = "use --force to replace it or --no-verify to keep it";
  if (entry.size !== undefined && info.size !== entry.size) {
    throw new Error(
      `Cannot use existing ${dest}: it has ${info.size} bytes, ${entry.name} has ${entry.size}; ${fix}`,
    );
  }
  const digests = await hashFile(dest);
  const verdict = verify(entry, digests);
  if (verdict.ok === false) {
    throw new Error(
      `Cannot use existing ${dest}: its ${verdict.algorithm} is ${verdict.actual}, ` +
        `expected ${verdict.expected}; ${fix}`,
    );
  }
  if (verdict.ok && verdict.sha1Disagrees) warnSha1(entry, digests, warn);
  return { ...skipped, digests, verified: verdict.ok ? verdict.algorithm : false };
}

function warnSha1(entry: ModelEntry, digests: Digests, warn: (msg: string) => void): void {
  warn(
    `${entry.file}: sha256 matches but sha1 is ${digests.sha1}, the catalogue says ${entry.sha1} ` +
      `(catalogue error; the file was kept)`,
  );
}

/** One HTTP transfer into `part`, resuming it when it has bytes; verifies and renames. */
async function transfer(
  entry: ModelEntry,
  url: string,
  dest: string,
  part: string,
  opts: DownloadOptions,
  warn: (msg: string) => void,
): Promise<DownloadResult> {
  const fetchFn = opts.fetch ?? fetch;
  const expectedSize = entry.size ?? null;
  let offset = (await statOrNull(part))?.size ?? 0;
  if (expectedSize !== null && offset > expectedSize) throw new Restart("leftover part too large");
  if (expectedSize !== null && offset === expectedSize) {
    // A complete leftover: verify it without touching the network.
    return await finish(entry, url, dest, part, offset, offset, await hashFile(part), warn);
  }

  const stallMs = opts.stallTimeoutMs ?? DEFAULT_STALL_MS;
  const stall = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    if (stallMs <= 0) return;
    clearTimeout(timer);
    timer = setTimeout(() => stall.abort(), stallMs);
  };
  const signal = opts.signal ? AbortSignal.any([opts.signal, stall.signal]) : stall.signal;
  /** `what` is a phrase naming the URL: "cannot reach <url>", "connection to <url> lost". */
  const failure = (what: string, err: unknown, received?: number): Error => {
    const where = received === undefined ? "" : ` after ${formatBytes(received)}`;
    const keep = received !== undefined && received > 0
      ? ` (the partial file ${part} is kept; run again to resume)`
      : "";
    if (opts.signal?.aborted) {
      return new Error(`Cannot download ${entry.name}: aborted${where}${keep}`, { cause: err });
    }
    if (stall.signal.aborted) {
      return new Error(
        `Cannot download ${entry.name}: no data from ${url} for ${stallMs / 1000} s${where}${keep}`,
        { cause: err },
      );
    }
    const reason = err instanceof Error ? err.message : String(err);
    return new Error(`Cannot download ${entry.name}: ${what}${where}: ${reason}${keep}`, {
      cause: err,
    });
  };

  arm();
  try {
    let res: Response;
    try {
      res = await fetchFn(url, {
        signal,
        headers: offset > 0 ? { Range: `bytes=${offset}-` } : {},
      });
    } catch (err) {
      throw failure(`cannot reach ${url}`, err);
    }

    let total: number | null;
    if (offset > 0 && res.status === 206) {
      const range = parseContentRange(res.headers.get("content-range"));
      if (range === null || range.start !== offset) {
        await res.body?.cancel();
        throw new Restart("the server answered a resume request with the wrong range");
      }
      total = range.total;
    } else if (offset > 0 && res.status === 416) {
      await res.body?.cancel();
      throw new Restart("the server refused to resume");
    } else if (res.ok) {
      offset = 0; // full body (a server that ignores Range starts over)
      const length = res.headers.get("content-length");
      total = length !== null && /^\d+$/.test(length) ? Number(length) : null;
    } else {
      await res.body?.cancel();
      throw new Error(
        `Cannot download ${entry.name}: HTTP ${res.status}${
          res.statusText ? ` ${res.statusText}` : ""
        } from ${url}`,
      );
    }
    if (res.body === null) {
      throw new Error(`Cannot download ${entry.name}: empty response from ${url}`);
    }
    if (expectedSize !== null && total !== null && total !== expectedSize) {
      await res.body.cancel();
      await removeIfPresent(part);
      throw new Error(
        `Cannot download ${entry.name}: ${url} has ${total} bytes, the catalogue expects ${expectedSize}`,
      );
    }
    const size = expectedSize ?? total;

    const hasher = new DualHasher();
    if (offset > 0) {
      await hashFileInto(part, hasher);
      arm(); // hashing a large leftover is not a stall
    }
    const file = await Deno.open(
      part,
      offset > 0 ? { append: true } : { write: true, create: true, truncate: true },
    );
    const reader = res.body.getReader();
    let received = offset;
    const progress = () =>
      opts.onProgress?.({ name: entry.name, received, total: size, resumedFrom: offset });
    try {
      progress();
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (err) {
          throw failure(`connection to ${url} lost`, err, received);
        }
        if (chunk.done) break;
        arm();
        if (size !== null && received + chunk.value.byteLength > size) {
          await reader.cancel().catch(() => {});
          file.close();
          await removeIfPresent(part);
          throw new Error(`Cannot download ${entry.name}: ${url} sent more than ${size} bytes`);
        }
        await writeAll(file, chunk.value);
        hasher.update(chunk.value);
        received += chunk.value.byteLength;
        progress();
      }
    } catch (err) {
      await reader.cancel().catch(() => {}); // release the connection (disk full, callback threw)
      throw err;
    } finally {
      try {
        file.close();
      } catch {
        // already closed above
      }
    }
    if (size !== null && received < size) {
      throw failure(
        `${url} closed the connection early`,
        new Error(`got ${received} of ${size} bytes`),
        received,
      );
    }
    return await finish(entry, url, dest, part, received, offset, hasher.digest(), warn);
  } finally {
    clearTimeout(timer);
  }
}

/** Verifies a complete `.part` file and renames it onto `dest`; deletes it on a mismatch. */
async function finish(
  entry: ModelEntry,
  url: string,
  dest: string,
  part: string,
  bytes: number,
  resumedFrom: number,
  digests: Digests,
  warn: (msg: string) => void,
): Promise<DownloadResult> {
  const verdict = verify(entry, digests);
  if (verdict.ok === false) {
    await removeIfPresent(part);
    // Bytes kept from an earlier run may be what is wrong: start over once before giving up.
    if (resumedFrom > 0) throw new Restart("the resumed file failed verification");
    throw new Error(
      `Cannot verify ${entry.file}: ${verdict.algorithm} mismatch, expected ${verdict.expected}, ` +
        `got ${verdict.actual} (the download from ${url} was deleted)`,
    );
  }
  if (verdict.ok === null) {
    warn(`${entry.file} was downloaded UNVERIFIED; its sha256 is ${digests.sha256}`);
  } else if (verdict.sha1Disagrees) {
    warnSha1(entry, digests, warn);
  }
  await Deno.rename(part, dest);
  return {
    name: entry.name,
    path: dest,
    status: "downloaded",
    bytes,
    digests,
    verified: verdict.ok ? verdict.algorithm : false,
    resumedFrom,
    url,
  };
}
