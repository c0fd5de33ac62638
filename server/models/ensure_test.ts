import assert from "node:assert/strict";
import { join } from "node:path";
import { ensureModels } from "./ensure.ts";
import { entryFor, listDir, serveFile, tempDir, testBytes } from "./testing.ts";

const BYTES = testBytes(64 * 1024, 7);
const ENTRY = entryFor(BYTES);
const find = (name: string) => (name === ENTRY.name ? ENTRY : undefined);

Deno.test("ensureModels downloads a missing catalogue model once, with progress, then finds it", async () => {
  await using dir = await tempDir();
  const server = serveFile(BYTES, { chunk: 8192 });
  const out: string[] = [];
  const opts = {
    dir: dir.path,
    searchDirs: [dir.path],
    find,
    env: (k: string) => (k === "HUM_MODEL_BASE_URL" ? server.url : undefined),
    write: (t: string) => void out.push(t),
  };
  try {
    const paths = await ensureModels(["test-model"], opts);
    assert.deepEqual(paths, [join(dir.path, ENTRY.file)]);
    assert.deepEqual(await Deno.readFile(paths[0]), BYTES);
    const said = out.join("");
    assert.match(said, /test-model is not here yet: downloading it into/);
    assert.match(said, /100/, "progress reached the end");
    // Present now: found, not fetched again.
    assert.deepEqual(await ensureModels(["test-model"], opts), paths);
    assert.equal(server.requests.length, 1);
  } finally {
    await server.close();
  }
});

Deno.test("ensureModels offline: nothing is fetched and the error names each file, source, checksum and folder", async () => {
  await using dir = await tempDir();
  const server = serveFile(BYTES);
  try {
    const err = await ensureModels(["test-model", "test-model"], {
      dir: dir.path,
      searchDirs: [dir.path],
      find,
      env: (k) =>
        ({ HUM_OFFLINE: "1", HUM_MODEL_BASE_URL: server.url } as Record<string, string>)[k],
      write: () => {},
    }).then(() => null, (e: Error) => e);
    assert.ok(err, "offline with a model missing is an error");
    assert.match(err.message, /^Cannot start offline \(HUM_OFFLINE=1\): 1 model file\(s\) missing/);
    assert.ok(err.message.includes(`${server.url}/${ENTRY.file}`), err.message);
    assert.ok(err.message.includes(`sha256 ${ENTRY.sha256}`), err.message);
    assert.ok(err.message.includes(`${dir.path}/${ENTRY.file}`), err.message);
    assert.equal(server.requests.length, 0);
    assert.deepEqual(await listDir(dir.path), []);
  } finally {
    await server.close();
  }
});

Deno.test("ensureModels: a failed download says how to fetch the file by hand and leaves no model behind", async () => {
  await using dir = await tempDir();
  const server = serveFile(BYTES, { path: "/elsewhere.bin" }); // the model's path is a 404
  try {
    const err = await ensureModels(["test-model"], {
      dir: dir.path,
      searchDirs: [dir.path],
      find,
      env: (k) => (k === "HUM_MODEL_BASE_URL" ? server.url : undefined),
      write: () => {},
    }).then(() => null, (e: Error) => e);
    assert.ok(err);
    assert.match(err.message, /^Cannot start: Cannot download test-model.*404/);
    assert.match(err.message, /Without a network, fetch the model file\(s\) and put them here/);
    assert.ok(!(await listDir(dir.path)).includes(ENTRY.file));
  } finally {
    await server.close();
  }
});

Deno.test("ensureModels: present models, paths and unknown names are never downloaded", async () => {
  await using dir = await tempDir();
  await Deno.writeFile(join(dir.path, ENTRY.file), BYTES);
  let fetched = 0;
  const opts = {
    dir: dir.path,
    searchDirs: [dir.path],
    find,
    env: () => undefined,
    fetch: (() => (fetched++, Promise.reject(new Error("no network")))) as typeof fetch,
    write: () => {},
  };
  assert.deepEqual(await ensureModels(["test-model"], opts), [join(dir.path, ENTRY.file)]);
  // undefined is the default model: HUM_MODEL here.
  assert.deepEqual(
    await ensureModels([undefined], {
      ...opts,
      env: (k) => (k === "HUM_MODEL" ? "test-model" : undefined),
    }),
    [join(dir.path, ENTRY.file)],
  );
  await assert.rejects(ensureModels([join(dir.path, "nope.bin")], opts), /Cannot find model file/);
  await assert.rejects(ensureModels(["no-such-model"], opts), /not a known model name/);
  assert.equal(fetched, 0);
});
