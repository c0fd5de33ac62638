import assert from "node:assert/strict";
import { join } from "node:path";
import { downloadModel, type DownloadProgress } from "./download.ts";
import {
  digest,
  entryFor,
  listDir,
  serveCutConnection,
  serveFile,
  serveHanging,
  tempDir,
  testBytes,
} from "./testing.ts";

const BYTES = testBytes(48 * 1024);
const FILE = "ggml-test-model.bin";
const quiet = () => {};

Deno.test("downloadModel fetches, verifies sha256 and renames into place", async () => {
  await using dir = await tempDir();
  const server = serveFile(BYTES, { chunk: 4096 });
  try {
    const seen: DownloadProgress[] = [];
    const result = await downloadModel(entryFor(BYTES), {
      dir: dir.path,
      baseUrl: server.url,
      onProgress: (p) => seen.push(p),
      onWarning: quiet,
    });
    assert.equal(result.status, "downloaded");
    assert.equal(result.verified, "sha256");
    assert.equal(result.bytes, BYTES.byteLength);
    assert.equal(result.path, join(dir.path, FILE));
    assert.equal(result.digests?.sha256, digest("sha256", BYTES));
    assert.equal(result.digests?.sha1, digest("sha1", BYTES));
    assert.deepEqual(await Deno.readFile(result.path), BYTES);
    assert.deepEqual(await listDir(dir.path), [FILE], "no .part left behind");
    assert.deepEqual(server.requests, [{ path: `/${FILE}`, range: null }]);
    assert.ok(seen.length >= 2, "progress reported per chunk");
    assert.equal(seen.at(-1)?.received, BYTES.byteLength);
    assert.equal(seen.at(-1)?.total, BYTES.byteLength);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i].received >= seen[i - 1].received);
  } finally {
    await server.close();
  }
});

Deno.test("downloadModel verifies against sha1 when that is the only checksum", async () => {
  await using dir = await tempDir();
  const server = serveFile(BYTES);
  try {
    const entry = entryFor(BYTES, { sha256: undefined, size: undefined });
    const result = await downloadModel(entry, {
      dir: dir.path,
      baseUrl: server.url,
      onWarning: quiet,
    });
    assert.equal(result.verified, "sha1");
    assert.deepEqual(await Deno.readFile(result.path), BYTES);
  } finally {
    await server.close();
  }
});

Deno.test("a checksum mismatch deletes the download and names both hashes", async () => {
  await using dir = await tempDir();
  const server = serveFile(BYTES);
  try {
    const other = testBytes(BYTES.byteLength, 7);
    const entry = entryFor(BYTES, { sha256: digest("sha256", other) });
    await assert.rejects(
      downloadModel(entry, { dir: dir.path, baseUrl: server.url, onWarning: quiet }),
      (err: Error) => {
        assert.match(err.message, /^Cannot verify ggml-test-model\.bin: sha256 mismatch/);
        assert.ok(err.message.includes(`expected ${digest("sha256", other)}`), err.message);
        assert.ok(err.message.includes(`got ${digest("sha256", BYTES)}`), err.message);
        return true;
      },
    );
    assert.deepEqual(await listDir(dir.path), [], "neither the file nor its .part remains");
  } finally {
    await server.close();
  }
});

Deno.test("HTTP 404 is an error that leaves no file", async () => {
  await using dir = await tempDir();
  const server = serveFile(BYTES, { path: "/somewhere-else.bin" });
  try {
    await assert.rejects(
      downloadModel(entryFor(BYTES), { dir: dir.path, baseUrl: server.url, onWarning: quiet }),
      /^Error: Cannot download test-model: HTTP 404 Not Found from http:\/\/127\.0\.0\.1:\d+\/ggml-test-model\.bin$/,
    );
    assert.deepEqual(await listDir(dir.path), []);
  } finally {
    await server.close();
  }
});

Deno.test("a connection cut midway is an error and leaves no file under the final name", async () => {
  await using dir = await tempDir();
  const server = serveCutConnection(BYTES, BYTES.byteLength / 2);
  try {
    await assert.rejects(
      downloadModel(entryFor(BYTES), { dir: dir.path, baseUrl: server.url, onWarning: quiet }),
      /Cannot download test-model: connection to http:\/\/127\.0\.0\.1:\d+\/ggml-test-model\.bin lost|http:\/\/127\.0\.0\.1:\d+\/ggml-test-model\.bin closed the connection early/,
    );
    const left = await listDir(dir.path);
    assert.ok(!left.includes(FILE), `final file must not exist, found ${left}`);
    // Whatever arrived is kept for a resume, and it is a prefix of the real file.
    if (left.includes(`${FILE}.part`)) {
      const part = await Deno.readFile(join(dir.path, `${FILE}.part`));
      assert.ok(part.byteLength < BYTES.byteLength);
      assert.deepEqual(part, BYTES.subarray(0, part.byteLength));
    }
  } finally {
    await server.close();
  }
});

Deno.test("a leftover .part is resumed with a Range request and the whole file is verified", async () => {
  await using dir = await tempDir();
  const done = 10_000;
  await Deno.writeFile(join(dir.path, `${FILE}.part`), BYTES.subarray(0, done));
  const server = serveFile(BYTES);
  try {
    const result = await downloadModel(entryFor(BYTES), {
      dir: dir.path,
      baseUrl: server.url,
      onWarning: quiet,
    });
    assert.equal(result.resumedFrom, done);
    assert.equal(result.verified, "sha256");
    assert.deepEqual(server.requests, [{ path: `/${FILE}`, range: `bytes=${done}-` }]);
    assert.deepEqual(await Deno.readFile(result.path), BYTES);
    assert.deepEqual(await listDir(dir.path), [FILE]);
  } finally {
    await server.close();
  }
});

Deno.test("a corrupt leftover .part fails verification once, then downloads from scratch", async () => {
  await using dir = await tempDir();
  await Deno.writeFile(join(dir.path, `${FILE}.part`), testBytes(10_000, 99));
  const server = serveFile(BYTES);
  try {
    const result = await downloadModel(entryFor(BYTES), {
      dir: dir.path,
      baseUrl: server.url,
      onWarning: quiet,
    });
    assert.equal(result.resumedFrom, 0);
    assert.deepEqual(server.requests.map((r) => r.range), ["bytes=10000-", null]);
    assert.deepEqual(await Deno.readFile(result.path), BYTES);
  } finally {
    await server.close();
  }
});

Deno.test("a server that ignores Range makes the download start over", async () => {
  await using dir = await tempDir();
  await Deno.writeFile(join(dir.path, `${FILE}.part`), BYTES.subarray(0, 5000));
  const server = serveFile(BYTES, { ranges: false });
  try {
    const result = await downloadModel(entryFor(BYTES), {
      dir: dir.path,
      baseUrl: server.url,
      onWarning: quiet,
    });
    assert.equal(result.resumedFrom, 0);
    assert.deepEqual(await Deno.readFile(result.path), BYTES);
  } finally {
    await server.close();
  }
});

Deno.test("a present, verified file is skipped without a request", async () => {
  await using dir = await tempDir();
  const server = serveFile(BYTES);
  try {
    const opts = { dir: dir.path, baseUrl: server.url, onWarning: quiet };
    assert.equal((await downloadModel(entryFor(BYTES), opts)).status, "downloaded");
    const again = await downloadModel(entryFor(BYTES), opts);
    assert.equal(again.status, "skipped");
    assert.equal(again.verified, "sha256");
    const unhashed = await downloadModel(entryFor(BYTES), { ...opts, verifyExisting: false });
    assert.equal(unhashed.status, "skipped");
    assert.equal(unhashed.verified, false);
    assert.equal(server.requests.length, 1, "only the first call downloaded");
  } finally {
    await server.close();
  }
});

Deno.test("a present file that does not verify is an error unless forced", async () => {
  await using dir = await tempDir();
  const wrong = testBytes(BYTES.byteLength, 3);
  const path = join(dir.path, FILE);
  await Deno.writeFile(path, wrong);
  const server = serveFile(BYTES);
  try {
    const opts = { dir: dir.path, baseUrl: server.url, onWarning: quiet };
    await assert.rejects(
      downloadModel(entryFor(BYTES), opts),
      /Cannot use existing .*ggml-test-model\.bin: its sha256 is [0-9a-f]{64}, expected [0-9a-f]{64}; use --force/,
    );
    assert.deepEqual(await Deno.readFile(path), wrong, "the file is left alone");
    assert.equal(server.requests.length, 0);
    const forced = await downloadModel(entryFor(BYTES), { ...opts, force: true });
    assert.equal(forced.status, "downloaded");
    assert.deepEqual(await Deno.readFile(path), BYTES);
  } finally {
    await server.close();
  }
});

Deno.test("an entry without a checksum needs allowUnverified and warns", async () => {
  await using dir = await tempDir();
  const server = serveFile(BYTES);
  try {
    const entry = entryFor(BYTES, { sha256: undefined, sha1: undefined });
    await assert.rejects(
      downloadModel(entry, { dir: dir.path, baseUrl: server.url }),
      /Cannot download test-model: no checksum is known for it.*--allow-unverified/,
    );
    assert.equal(server.requests.length, 0);
    const warnings: string[] = [];
    const result = await downloadModel(entry, {
      dir: dir.path,
      baseUrl: server.url,
      allowUnverified: true,
      onWarning: (m) => warnings.push(m),
    });
    assert.equal(result.verified, false);
    assert.deepEqual(await Deno.readFile(result.path), BYTES);
    assert.ok(warnings.some((w) => w.includes("UNVERIFIED")), warnings.join("\n"));
    assert.ok(
      warnings.some((w) => w.includes(digest("sha256", BYTES))),
      "the actual sha256 is reported",
    );
  } finally {
    await server.close();
  }
});

Deno.test("aborting keeps no final file and says so", async () => {
  await using dir = await tempDir();
  const head = BYTES.subarray(0, 8192);
  const server = serveHanging(head, BYTES.byteLength);
  try {
    const controller = new AbortController();
    await assert.rejects(
      downloadModel(entryFor(BYTES), {
        dir: dir.path,
        baseUrl: server.url,
        signal: controller.signal,
        onWarning: quiet,
        onProgress: (p) => {
          if (p.received > 0) controller.abort();
        },
      }),
      /^Error: Cannot download test-model: aborted after [\d.]+ (B|KiB) \(the partial file .* is kept; run again to resume\)$/,
    );
    assert.ok(!(await listDir(dir.path)).includes(FILE));
  } finally {
    await server.close();
  }
});

Deno.test("a transfer that stalls ends with an error after stallTimeoutMs", async () => {
  await using dir = await tempDir();
  const server = serveHanging(BYTES.subarray(0, 1024), BYTES.byteLength);
  try {
    await assert.rejects(
      downloadModel(entryFor(BYTES), {
        dir: dir.path,
        baseUrl: server.url,
        stallTimeoutMs: 50,
        onWarning: quiet,
      }),
      /Cannot download test-model: no data from http:\/\/127\.0\.0\.1:\d+\/ggml-test-model\.bin for 0\.05 s/,
    );
    assert.ok(!(await listDir(dir.path)).includes(FILE));
  } finally {
    await server.close();
  }
});

Deno.test("a network error is reported with the URL", async () => {
  await using dir = await tempDir();
  const failingFetch: typeof fetch = () =>
    Promise.reject(new TypeError("tcp connect error: Connection refused"));
  await assert.rejects(
    downloadModel(entryFor(BYTES), {
      dir: dir.path,
      baseUrl: "http://127.0.0.1:9",
      fetch: failingFetch,
    }),
    /^Error: Cannot download test-model: cannot reach http:\/\/127\.0\.0\.1:9\/ggml-test-model\.bin: tcp connect error: Connection refused$/,
  );
  assert.deepEqual(await listDir(dir.path), []);
});

Deno.test("a size that differs from the catalogue is refused before writing", async () => {
  await using dir = await tempDir();
  const server = serveFile(BYTES);
  try {
    const entry = entryFor(BYTES, { size: BYTES.byteLength + 1 });
    await assert.rejects(
      downloadModel(entry, { dir: dir.path, baseUrl: server.url, onWarning: quiet }),
      /has 49152 bytes, the catalogue expects 49153/,
    );
    assert.deepEqual(await listDir(dir.path), []);
  } finally {
    await server.close();
  }
});

Deno.test("HUM_MODEL_BASE_URL redirects downloads to a mirror", async () => {
  await using dir = await tempDir();
  const server = serveFile(BYTES);
  try {
    const env = (key: string) => (key === "HUM_MODEL_BASE_URL" ? `${server.url}/` : undefined);
    const result = await downloadModel(entryFor(BYTES), { dir: dir.path, env, onWarning: quiet });
    assert.equal(result.url, `${server.url}/${FILE}`);
    assert.equal(server.requests.length, 1);
  } finally {
    await server.close();
  }
});

Deno.test("unknown names and malformed entries are refused", async () => {
  await assert.rejects(
    downloadModel("tiny.xx", { dir: "/nonexistent" }),
    /^Error: Cannot download model "tiny\.xx": not a known model name/,
  );
  await assert.rejects(
    downloadModel(entryFor(BYTES, { sha256: "abc" }), { dir: "/nonexistent" }),
    /Cannot download model: invalid catalogue entry \(sha256: /,
  );
  await assert.rejects(
    downloadModel(entryFor(BYTES, { file: "../evil.bin" }), { dir: "/nonexistent" }),
    /invalid catalogue entry \(file: /,
  );
});
