import { assert, assertEquals } from "./assert.ts";
import { join } from "node:path";
import { prepareTestData } from "./test_data.ts";
import { entryFor, serveFile, testBytes } from "../../server/models/testing.ts";

const BYTES = testBytes(32 * 1024, 3);
const ENTRY = entryFor(BYTES);
const find = (name: string) => (name === ENTRY.name ? ENTRY : undefined);
const noNetwork = (() => Promise.reject(new Error("no network"))) as typeof fetch;

/** Options for the scratch folders: the test model and the manifest are all the suite needs. */
const optionsFor = (d: { shared: string; models: string }) => ({
  sharedDir: d.shared,
  modelsDir: d.models,
  models: [ENTRY.name],
  speech: ["speech/manifest.tsv"],
  find,
  write: () => {},
});

async function scratch(): Promise<
  { shared: string; models: string; [Symbol.asyncDispose](): Promise<void> }
> {
  const root = await Deno.makeTempDir({ prefix: "hum-test-data-" });
  return {
    shared: join(root, "shared"),
    models: join(root, "models"),
    [Symbol.asyncDispose]: () => Deno.remove(root, { recursive: true }),
  };
}

Deno.test("prepareTestData: with the shared data present nothing is fetched and nothing is missing", async () => {
  await using d = await scratch();
  await Deno.mkdir(join(d.shared, "models"), { recursive: true });
  await Deno.mkdir(join(d.shared, "speech"), { recursive: true });
  await Deno.writeFile(join(d.shared, "models", ENTRY.file), BYTES);
  await Deno.writeTextFile(join(d.shared, "speech", "manifest.tsv"), "id\n");
  const problems = await prepareTestData({
    ...optionsFor(d),
    env: () => undefined,
    fetch: noNetwork,
  });
  assertEquals(problems, []);
});

Deno.test("prepareTestData: without the shared data the models are downloaded once and the missing speech is named", async () => {
  await using d = await scratch();
  const server = serveFile(BYTES);
  try {
    const opts = {
      ...optionsFor(d),
      env: (k: string) => (k === "HUM_MODEL_BASE_URL" ? server.url : undefined),
    };
    const problems = await prepareTestData(opts);
    assertEquals(await Deno.readFile(join(d.models, ENTRY.file)), BYTES);
    assertEquals(problems.length, 1, problems.join("\n"));
    assert(
      problems[0].startsWith(`Cannot run the suite: no test speech in ${d.shared}`),
      problems[0],
    );
    assert(problems[0].includes("speech/manifest.tsv"));
    await prepareTestData(opts);
    assertEquals(server.requests.length, 1, "downloaded once");
  } finally {
    await server.close();
  }
});

Deno.test("prepareTestData offline: each missing model and the speech are named, nothing is fetched", async () => {
  await using d = await scratch();
  const problems = await prepareTestData({
    ...optionsFor(d),
    env: (k) => (k === "HUM_OFFLINE" ? "1" : undefined),
    fetch: noNetwork,
  });
  assert(
    problems[0].startsWith("Cannot run the suite offline (HUM_OFFLINE=1): 1 model file(s) missing"),
  );
  assert(problems.some((p) => p.includes(`${d.models}/${ENTRY.file}`)), problems.join("\n"));
  assert(problems.at(-1)!.startsWith("Cannot run the suite: no test speech"));
});
