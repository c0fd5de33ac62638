/**
 * Test helpers for the model downloader: local HTTP servers on 127.0.0.1 (port 0) and catalogue
 * entries for test bytes. Nothing here reaches beyond the loopback interface.
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { ModelEntry } from "./catalog.ts";
import { SeededRandom } from "../../util/random.ts";

/** `n` deterministic, non-repeating-looking bytes. */
export function testBytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  const rng = new SeededRandom(seed, "xorshift32");
  for (let i = 0; i < n; i++) out[i] = rng.nextUint32() & 0xff;
  return out;
}

/** Hex digest of `bytes`. */
export function digest(algorithm: "sha256" | "sha1", bytes: Uint8Array): string {
  return createHash(algorithm).update(bytes).digest("hex");
}

/** A catalogue entry describing `bytes` (name `test-model`), with optional overrides. */
export function entryFor(bytes: Uint8Array, overrides: Partial<ModelEntry> = {}): ModelEntry {
  return {
    name: "test-model",
    kind: "whisper",
    file: "ggml-test-model.bin",
    url: "https://example.invalid/ggml-test-model.bin",
    size: bytes.byteLength,
    sha256: digest("sha256", bytes),
    sha1: digest("sha1", bytes),
    ...overrides,
  };
}

/** One request a test server received. */
export interface SeenRequest {
  path: string;
  range: string | null;
}

/** A running local server. */
export interface TestServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Requests received so far. */
  requests: SeenRequest[];
  /** Stops the server and waits until it is down. */
  close(): Promise<void>;
}

/** Options of {@linkcode serveFile}. */
export interface ServeFileOptions {
  /** The path served (default `/ggml-test-model.bin`); anything else is a 404. */
  path?: string;
  /** Answer `Range: bytes=N-` with 206 (default true); false sends the whole file with 200. */
  ranges?: boolean;
  /** Send at most this many bytes in each body chunk (default: all at once). */
  chunk?: number;
}

/** Serves `bytes` over HTTP on 127.0.0.1. */
export function serveFile(bytes: Uint8Array, opts: ServeFileOptions = {}): TestServer {
  const path = opts.path ?? "/ggml-test-model.bin";
  const requests: SeenRequest[] = [];
  const body = (data: Uint8Array): BodyInit => {
    const size = opts.chunk;
    if (size === undefined) return data.slice();
    let at = 0;
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        if (at >= data.byteLength) return controller.close();
        controller.enqueue(data.slice(at, at + size));
        at += size;
      },
    });
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const { pathname } = new URL(req.url);
    const range = req.headers.get("range");
    requests.push({ path: pathname, range });
    if (pathname !== path) return new Response("not found", { status: 404 });
    const m = range?.match(/^bytes=(\d+)-$/);
    if (m && opts.ranges !== false) {
      const start = Number(m[1]);
      if (start >= bytes.byteLength) {
        return new Response(null, {
          status: 416,
          headers: { "content-range": `bytes */${bytes.byteLength}` },
        });
      }
      return new Response(body(bytes.subarray(start)), {
        status: 206,
        headers: {
          "content-range": `bytes ${start}-${bytes.byteLength - 1}/${bytes.byteLength}`,
          "content-length": String(bytes.byteLength - start),
        },
      });
    }
    return new Response(body(bytes), { headers: { "content-length": String(bytes.byteLength) } });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    requests,
    close: () => server.shutdown(),
  };
}

/**
 * A raw TCP server that announces `bytes.byteLength` bytes, sends only the first `sendBytes` of
 * them and then closes the connection, as a dropped connection looks to a client.
 */
export function serveCutConnection(bytes: Uint8Array, sendBytes: number): TestServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const requests: SeenRequest[] = [];
  const handle = async (conn: Deno.Conn) => {
    try {
      const buf = new Uint8Array(16384);
      let head = "";
      while (!head.includes("\r\n\r\n")) {
        const n = await conn.read(buf);
        if (n === null) return;
        head += new TextDecoder().decode(buf.subarray(0, n));
      }
      const [line] = head.split("\r\n");
      const range = head.match(/^range:\s*(.*)$/im)?.[1]?.trim() ?? null;
      requests.push({ path: line.split(" ")[1] ?? "", range });
      const headers = `HTTP/1.1 200 OK\r\ncontent-length: ${bytes.byteLength}\r\n` +
        `content-type: application/octet-stream\r\nconnection: close\r\n\r\n`;
      await writeAll(conn, new TextEncoder().encode(headers));
      await writeAll(conn, bytes.subarray(0, sendBytes));
    } catch {
      // the client went away first: nothing to do
    } finally {
      conn.close();
    }
  };
  const handlers: Promise<void>[] = [];
  const accepting = (async () => {
    for await (const conn of listener) handlers.push(handle(conn));
  })().catch(() => {});
  return {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    requests,
    async close() {
      listener.close();
      await accepting;
      await Promise.all(handlers);
    },
  };
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let at = 0;
  while (at < data.byteLength) at += await conn.write(data.subarray(at));
}

/**
 * Serves `head` and then holds the response open until `release()` (or the client leaves): a
 * transfer that never finishes on its own.
 */
export function serveHanging(head: Uint8Array, total: number): TestServer & { release(): void } {
  const requests: SeenRequest[] = [];
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    requests.push({ path: new URL(req.url).pathname, range: req.headers.get("range") });
    let sent = false;
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (!sent) {
          sent = true;
          controller.enqueue(head.slice());
          return;
        }
        await released;
        try {
          controller.close();
        } catch {
          // already cancelled by the client
        }
      },
      cancel() {
        release();
      },
    });
    return new Response(stream, { headers: { "content-length": String(total) } });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    requests,
    release,
    async close() {
      release();
      await server.shutdown();
    },
  };
}

/** A fresh temporary folder, removed by the returned disposer. */
export async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "hum-models-test-" });
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }),
  };
}

/** The names of the entries of a folder, sorted. */
export async function listDir(path: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(path)) names.push(e.name);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return names.sort();
}
