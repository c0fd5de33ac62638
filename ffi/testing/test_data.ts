/**
 * What the suite needs from outside the repository, made present or named before it runs
 * (`deno task test` runs this first): the reference models (tiny.en and the Silero VAD model) and
 * the test speech. A model that neither the shared data nor `models/` holds is downloaded once
 * into `models/` (`ensureModels`: checksum verified; `HUM_OFFLINE=1` forbids it); missing speech
 * cannot be fetched. Whatever is still missing is one line each and exit status 1 — never a green
 * run whose tests were all ignored — unless `HUM_TESTS_WITHOUT_SHARED=1` says to run what can run.
 *
 * @module
 */

import { join } from "node:path";
import { ensureModels, type EnsureOptions } from "../../server/models/ensure.ts";
import { modelFileName, MODELS_DIR } from "../../server/models/resolve.ts";
import { SHARED_DIR } from "./shared.ts";

/** The models most tests open, by catalogue name. */
export const TEST_MODELS = ["tiny.en", "silero-v5.1.2"] as const;
/** Speech files that stand for the shared speech set (its manifest and the shortest file). */
export const TEST_SPEECH = ["speech/manifest.tsv", "speech/jfk/jfk.wav"] as const;

/** Where {@linkcode prepareTestData} looks and what it may do. */
export interface TestDataOptions extends Pick<EnsureOptions, "fetch" | "write" | "find"> {
  sharedDir?: string;
  modelsDir?: string;
  env?: (key: string) => string | undefined;
  models?: readonly string[];
  speech?: readonly string[];
}

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * Makes the test models present (downloading what is missing unless offline) and returns what is
 * still missing, one line each (empty: the suite has what it needs).
 */
export async function prepareTestData(opts: TestDataOptions = {}): Promise<string[]> {
  const env = opts.env ?? ((k: string) => Deno.env.get(k));
  const shared = opts.sharedDir ?? SHARED_DIR;
  const own = opts.modelsDir ?? MODELS_DIR;
  const problems: string[] = [];
  const missing = (opts.models ?? TEST_MODELS).filter((name) =>
    !exists(join(shared, "models", modelFileName(name))) && !exists(join(own, modelFileName(name)))
  );
  if (missing.length) {
    try {
      await ensureModels(missing, {
        dir: own,
        searchDirs: [own],
        env,
        fetch: opts.fetch,
        find: opts.find,
        write: opts.write,
        doing: "run the suite",
      });
    } catch (err) {
      problems.push(...(err as Error).message.split("\n"));
    }
  }
  const speech = (opts.speech ?? TEST_SPEECH).filter((p) => !exists(join(shared, p)));
  if (speech.length) {
    problems.push(
      `Cannot run the suite: no test speech in ${shared} (HUM_SHARED_DIR): missing ` +
        `${speech.join(", ")}; HUM_TESTS_WITHOUT_SHARED=1 runs only the tests that need none`,
    );
  }
  return problems;
}

if (import.meta.main) {
  const problems = await prepareTestData();
  if (problems.length) {
    for (const p of problems) console.error(p);
    if (Deno.env.get("HUM_TESTS_WITHOUT_SHARED") === "1") {
      console.error("HUM_TESTS_WITHOUT_SHARED=1: the tests that need these are ignored");
    } else {
      Deno.exit(1);
    }
  }
}
