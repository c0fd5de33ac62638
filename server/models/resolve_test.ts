import assert from "node:assert/strict";
import { join } from "node:path";
import {
  DEFAULT_MODEL,
  DEFAULT_VAD_MODEL,
  looksLikePath,
  MODELS_DIR,
  modelSearchDirs,
  REPO_ROOT,
  resolveModel,
} from "./resolve.ts";
import { tempDir } from "./testing.ts";

/** `<tmp>/repo/models` and `<tmp>/shared/models`, the layout resolveModel searches. */
async function layout(root: string) {
  const repo = join(root, "repo");
  const models = join(repo, "models");
  const shared = join(root, "shared", "models");
  await Deno.mkdir(models, { recursive: true });
  await Deno.mkdir(shared, { recursive: true });
  return { repo, models, shared };
}

const noEnv = () => undefined;

Deno.test("REPO_ROOT is two folders above the module and holds deno.json", async () => {
  assert.ok((await Deno.stat(join(REPO_ROOT, "deno.json"))).isFile);
  assert.equal(MODELS_DIR, join(REPO_ROOT, "models"));
  assert.deepEqual(modelSearchDirs("/r", () => undefined), ["/r/models", "/shared/models"]);
  const env = (k: string) =>
    ({ HUM_MODELS_DIR: "/m", HUM_SHARED_DIR: "/data" } as Record<string, string>)[k];
  assert.deepEqual(modelSearchDirs("/r", env), ["/r/models", "/data/models"]);
  assert.deepEqual(modelSearchDirs(REPO_ROOT, env), ["/m", "/data/models"]);
  assert.equal(DEFAULT_MODEL, "tiny.en");
  assert.equal(DEFAULT_VAD_MODEL, "silero-v5.1.2");
});

Deno.test("looksLikePath tells paths from names", () => {
  for (const p of ["./x.bin", "/abs/model", "dir/ggml-tiny.bin", "ggml-tiny.en.bin", "C:\\m\\x"]) {
    assert.ok(looksLikePath(p), p);
  }
  for (const n of ["tiny.en", "base-q5_1", "silero-v5.1.2", "large-v3-turbo-q8_0"]) {
    assert.ok(!looksLikePath(n), n);
  }
});

Deno.test("a name resolves to repo/models before ../shared/models", async () => {
  await using tmp = await tempDir();
  const { repo, models, shared } = await layout(tmp.path);
  await Deno.writeFile(join(shared, "ggml-base.en.bin"), new Uint8Array([1]));
  const opts = { repoRoot: repo, env: noEnv };
  assert.equal(await resolveModel("base.en", opts), join(shared, "ggml-base.en.bin"));
  await Deno.writeFile(join(models, "ggml-base.en.bin"), new Uint8Array([2]));
  assert.equal(await resolveModel("base.en", opts), join(models, "ggml-base.en.bin"));
});

Deno.test("an explicit path wins and is made absolute", async () => {
  await using tmp = await tempDir();
  const { repo, models } = await layout(tmp.path);
  await Deno.writeFile(join(models, "ggml-tiny.en.bin"), new Uint8Array([1]));
  const mine = join(tmp.path, "mine.bin");
  await Deno.writeFile(mine, new Uint8Array([3]));
  const opts = { repoRoot: repo, env: () => "tiny.en", cwd: tmp.path };
  assert.equal(await resolveModel(mine, opts), mine);
  assert.equal(await resolveModel("mine.bin", opts), mine, "relative to cwd");
  assert.equal(
    await resolveModel("./repo/models/ggml-tiny.en.bin", opts),
    join(models, "ggml-tiny.en.bin"),
  );
});

Deno.test("a bare file name is also looked up in the model folders", async () => {
  await using tmp = await tempDir();
  const { repo, shared } = await layout(tmp.path);
  await Deno.writeFile(join(shared, "ggml-custom.bin"), new Uint8Array([1]));
  const got = await resolveModel("ggml-custom.bin", { repoRoot: repo, env: noEnv, cwd: tmp.path });
  assert.equal(got, join(shared, "ggml-custom.bin"));
});

Deno.test("a missing path is an error naming it", async () => {
  await using tmp = await tempDir();
  const { repo } = await layout(tmp.path);
  await assert.rejects(
    resolveModel("./nope/x.bin", { repoRoot: repo, env: noEnv, cwd: tmp.path }),
    (err: Error) => {
      assert.match(err.message, /^Cannot find model file "\.\/nope\/x\.bin": tried /);
      assert.ok(err.message.includes(join(tmp.path, "nope", "x.bin")), err.message);
      return true;
    },
  );
});

Deno.test("HUM_MODEL applies only when no name is given", async () => {
  await using tmp = await tempDir();
  const { repo, models } = await layout(tmp.path);
  await Deno.writeFile(join(models, "ggml-small.bin"), new Uint8Array([1]));
  await Deno.writeFile(join(models, "ggml-tiny.en.bin"), new Uint8Array([1]));
  const custom = join(tmp.path, "custom.bin");
  await Deno.writeFile(custom, new Uint8Array([1]));
  const env = (value: string | undefined) => (key: string) =>
    key === "HUM_MODEL" ? value : undefined;

  assert.equal(
    await resolveModel(undefined, { repoRoot: repo, env: env("small") }),
    join(models, "ggml-small.bin"),
  );
  assert.equal(
    await resolveModel("", { repoRoot: repo, env: env(custom) }),
    custom,
    "HUM_MODEL may be a path",
  );
  assert.equal(
    await resolveModel("tiny.en", { repoRoot: repo, env: env("small") }),
    join(models, "ggml-tiny.en.bin"),
    "an explicit name beats HUM_MODEL",
  );
  assert.equal(
    await resolveModel(undefined, { repoRoot: repo, env: env(undefined) }),
    join(models, `ggml-${DEFAULT_MODEL}.bin`),
    "without HUM_MODEL the default model",
  );
  await assert.rejects(
    resolveModel(undefined, { repoRoot: repo, env: env("medium") }),
    /^Error: Cannot find model "medium" \(from HUM_MODEL\): /,
  );
});

Deno.test("HUM_MODEL is read from the process environment by default", async () => {
  await using tmp = await tempDir();
  const { repo } = await layout(tmp.path);
  const custom = join(tmp.path, "from-env.bin");
  await Deno.writeFile(custom, new Uint8Array([1]));
  const before = Deno.env.get("HUM_MODEL");
  Deno.env.set("HUM_MODEL", custom);
  try {
    assert.equal(await resolveModel(undefined, { repoRoot: repo }), custom);
  } finally {
    if (before === undefined) Deno.env.delete("HUM_MODEL");
    else Deno.env.set("HUM_MODEL", before);
  }
});

Deno.test("a missing model names every path tried and how to download it", async () => {
  await using tmp = await tempDir();
  const { repo, models, shared } = await layout(tmp.path);
  await assert.rejects(resolveModel("base-q5_1", { repoRoot: repo, env: noEnv }), (err: Error) => {
    assert.match(err.message, /^Cannot find model "base-q5_1": tried /);
    assert.ok(err.message.includes(join(models, "ggml-base-q5_1.bin")), err.message);
    assert.ok(err.message.includes(join(shared, "ggml-base-q5_1.bin")), err.message);
    assert.ok(err.message.endsWith("download it with `deno task model base-q5_1`"), err.message);
    return true;
  });
  await assert.rejects(
    resolveModel("tiny.xx", { repoRoot: repo, env: noEnv }),
    /"tiny\.xx" is not a known model name \(see `deno task model --list`\); download one with `deno task model <name>`/,
  );
});

Deno.test("a folder named like a model is not a model", async () => {
  await using tmp = await tempDir();
  const { repo, models } = await layout(tmp.path);
  await Deno.mkdir(join(models, "ggml-tiny.bin"));
  await assert.rejects(
    resolveModel("tiny", { repoRoot: repo, env: noEnv }),
    /Cannot find model "tiny"/,
  );
});
