import assert from "node:assert/strict";
import { join } from "node:path";
import {
  CATALOG,
  findModel,
  hasChecksum,
  ModelEntrySchema,
  modelNames,
  WHISPER_CPP_REVISION,
  WHISPER_VAD_REVISION,
} from "./catalog.ts";
import { DEFAULT_MODEL, DEFAULT_VAD_MODEL, REPO_ROOT } from "./resolve.ts";

const SCRIPTS = join(REPO_ROOT, "node_modules/nodejs-whisper/cpp/whisper.cpp/models");

async function readIfPresent(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}

Deno.test("catalogue names and files are unique and match each other", () => {
  const names = CATALOG.map((e) => e.name);
  assert.equal(new Set(names).size, names.length, "duplicate name");
  const files = CATALOG.map((e) => e.file);
  assert.equal(new Set(files).size, files.length, "duplicate file");
  for (const e of CATALOG) assert.equal(e.file, `ggml-${e.name}.bin`, e.name);
});

Deno.test("every entry is well formed: https URL ending in its file, hex checksums, sizes", () => {
  for (const e of CATALOG) {
    ModelEntrySchema.parse(e);
    const url = new URL(e.url);
    assert.equal(url.protocol, "https:", e.name);
    assert.equal(url.hostname, "huggingface.co", e.name);
    assert.ok(url.pathname.endsWith(`/${e.file}`), e.name);
    if (e.sha256 !== undefined) assert.match(e.sha256, /^[0-9a-f]{64}$/, e.name);
    if (e.sha1 !== undefined) assert.match(e.sha1, /^[0-9a-f]{40}$/, e.name);
    if (e.size !== undefined) assert.ok(Number.isSafeInteger(e.size) && e.size > 0, e.name);
    assert.ok(e.source && e.source.length > 0, `${e.name} says where its checksums come from`);
  }
});

Deno.test("checksums are not reused between entries", () => {
  for (const key of ["sha256", "sha1"] as const) {
    const values = CATALOG.map((e) => e[key]).filter((v) => v !== undefined);
    assert.equal(new Set(values).size, values.length, `duplicate ${key}`);
  }
});

Deno.test("the ggerganov files are pinned to one revision and all carry sha256, size and sha1", () => {
  const pinned = CATALOG.filter((e) => e.url.includes("/ggerganov/whisper.cpp/"));
  assert.equal(pinned.length, 33);
  for (const e of pinned) {
    assert.ok(e.url.includes(`/resolve/${WHISPER_CPP_REVISION}/`), e.name);
    assert.ok(e.sha256 && e.sha1 && e.size, e.name);
  }
  for (const e of CATALOG.filter((e) => e.kind === "vad")) {
    assert.ok(e.url.includes(`/ggml-org/whisper-vad/resolve/${WHISPER_VAD_REVISION}/`), e.name);
  }
  assert.ok(CATALOG.every(hasChecksum), "every entry can be verified");
});

Deno.test("every model of whisper.cpp's download scripts is in the catalogue", async (t) => {
  const sh = await readIfPresent(join(SCRIPTS, "download-ggml-model.sh"));
  const cmd = await readIfPresent(join(SCRIPTS, "download-ggml-model.cmd"));
  const vad = await readIfPresent(join(SCRIPTS, "download-vad-model.sh"));
  if (sh === null || cmd === null || vad === null) {
    await t.step({ name: "whisper.cpp sources not installed", ignore: true, fn: () => {} });
    return;
  }
  const shNames = sh.match(/^models="([^"]*)"/m)?.[1].split(/\s+/).filter(Boolean) ?? [];
  const cmdNames =
    cmd.match(/^set models=([\s\S]*?)\r?\n\r?\n/m)?.[1].replace(/\^/g, " ").split(/\s+/)
      .filter(Boolean) ?? [];
  const vadNames = vad.match(/^models="([^"]*)"/m)?.[1].split(/\s+/).filter(Boolean) ?? [];
  assert.ok(shNames.length >= 30 && cmdNames.length >= 30 && vadNames.length === 2);
  for (const n of [...shNames, ...cmdNames]) assert.equal(findModel(n)?.kind, "whisper", n);
  for (const n of vadNames) assert.equal(findModel(n)?.kind, "vad", n);
  assert.equal(
    CATALOG.length,
    new Set([...shNames, ...cmdNames, ...vadNames]).size,
    "nothing extra",
  );
});

Deno.test("the checksums in whisper.cpp's models/README.md agree with the catalogue", async (t) => {
  const readme = await readIfPresent(join(SCRIPTS, "README.md"));
  if (readme === null) {
    await t.step({ name: "whisper.cpp sources not installed", ignore: true, fn: () => {} });
    return;
  }
  const rows = [
    ...readme.matchAll(/^\|\s*([a-z0-9.-]+(?:-q\d_\d)?)\s*\|[^|]*\|\s*`([0-9a-f]{40})`\s*\|$/gm),
  ];
  assert.ok(rows.length >= 16, `found ${rows.length} rows`);
  for (const [, name, sha1] of rows) assert.equal(findModel(name)?.sha1, sha1, name);
});

Deno.test("the VAD checksums equal the local copies' SHA256SUMS when those are present", async (t) => {
  const sums = await readIfPresent(join(REPO_ROOT, "..", "shared", "models", "SHA256SUMS"));
  if (sums === null) {
    await t.step({ name: "../shared/models not present", ignore: true, fn: () => {} });
    return;
  }
  for (const e of CATALOG.filter((e) => e.kind === "vad")) {
    assert.ok(sums.includes(`${e.sha256}  ${e.file}`), e.name);
  }
});

Deno.test("defaults are catalogue models and lookups work", () => {
  assert.equal(findModel(DEFAULT_MODEL)?.kind, "whisper");
  assert.equal(findModel(DEFAULT_VAD_MODEL)?.kind, "vad");
  assert.equal(findModel("nope"), undefined);
  assert.deepEqual(modelNames("vad"), ["silero-v5.1.2", "silero-v6.2.0"]);
  assert.equal(modelNames().length, CATALOG.length);
  assert.ok(Object.isFrozen(CATALOG) && Object.isFrozen(CATALOG[0]));
});
