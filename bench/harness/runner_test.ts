import { runBenchmark } from "./runner.ts";
import { compareResults, readResults, writeResults } from "./baseline.ts";
import { resultsTable } from "./table.ts";
import { parseDefinition } from "../definition.ts";
import { hasShared, sharedPath } from "../../ffi/testing/shared.ts";
import { assert, assertEquals } from "../../ffi/testing/assert.ts";

const PROVENANCE_FIELDS = [
  "git_commit",
  "git_dirty",
  "definition_path",
  "definition_sha256",
  "deno",
  "v8",
  "whisper_cpp",
  "cpu_model",
  "cores",
  "memory_gb",
  "gpu",
  "os",
  "hostname",
  "models",
  "workloads",
  "started_at",
  "finished_at",
];

Deno.test({
  name: "a tiny definition runs end to end on jfk and its results read back with full provenance",
  ignore: !hasShared(
    "models/ggml-tiny.en.bin",
    "models/ggml-silero-v5.1.2.bin",
    "speech/jfk/jfk.wav",
  ),
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "hum-bench-" });
    try {
      // A command SUT that prints the reference beside the audio, and the offline path.
      const text = `
benchmark: tiny
workloads:
  - { name: jfk, source: ${sharedPath("speech/jfk")} }
  - { name: quiet, synthetic: { kind: silence, seconds: 2 } }
suts:
  - { name: hum-offline, kind: offline }
  - name: oracle
    kind: command
    command: [sh, -c, 'case "$0" in *jfk.wav) cat "\${0%.wav}.txt";; esac', "{audio}"]
run_configs:
  - { name: greedy, beam: 1 }
trials: 2
warmups: 1
`;
      const path = `${dir}/tiny.yaml`;
      await Deno.writeTextFile(path, text);
      const seen: string[] = [];
      const results = await runBenchmark(parseDefinition(text, path), {
        definitionPath: path,
        definitionText: text,
        cacheDir: dir,
        onProgress: (p) => seen.push(`${p.cell}/${p.cells} ${p.trial}/${p.trials}`),
      });
      assertEquals(seen.length, 4 * 2, "one report per item and trial");
      for (const f of PROVENANCE_FIELDS) {
        assert(f in results.provenance, `provenance has ${f}`);
      }
      assertEquals(Object.keys(results.provenance.models).length, 2, "model and VAD hashed");
      assertEquals(results.provenance.workloads.jfk.files, 1);
      const byKey = new Map(results.cells.map((c) => [`${c.sut}/${c.workload}`, c]));
      for (const c of results.cells) assertEquals([c.error, c.trials.length], [undefined, 2]);
      assert(byKey.get("hum-offline/jfk")!.metrics.wer_pct < 10, "offline hears jfk");
      assertEquals(byKey.get("oracle/jfk")!.metrics.wer_pct, 0);
      assertEquals(byKey.get("hum-offline/quiet")!.metrics.words_on_silence, 0);
      assert(byKey.get("hum-offline/jfk")!.metrics.rtfx > 0);
      // Written, read back, compared with itself: nothing regresses.
      await writeResults(`${dir}/run.yaml`, results);
      const back = readResults(`${dir}/run.yaml`);
      assertEquals(back.cells.length, 4);
      assertEquals(compareResults(back, results).regressions, 0);
      assert(resultsTable(back).includes("hum-offline"), resultsTable(back));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "a cell's time limit: it starts no item once its budget is spent, and its figures are " +
    "those of the items done",
  ignore: !hasShared("speech/librivox-sense/sense_and_sensibility_01_austen_64kb-0870.wav"),
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "hum-bench-" });
    try {
      // A command SUT that takes 0.4 s an item, over five items, with 1 s to spend: three items.
      const text = `
benchmark: limited
workloads:
  - { name: five, source: ${sharedPath("speech/librivox-sense")}, limit: 5 }
suts:
  - { name: slow, kind: command, command: [sh, -c, "sleep 0.4; echo hello", "{audio}"] }
run_configs:
  - { name: plain }
matrix:
  - { sut: slow, run_config: plain, workload: five, time_limit_s: 1 }
  - { sut: slow, run_config: plain, workload: five }
trials: 2
`;
      const path = `${dir}/limited.yaml`;
      await Deno.writeTextFile(path, text);
      const results = await runBenchmark(parseDefinition(text, path), {
        definitionPath: path,
        definitionText: text,
        cacheDir: dir,
      });
      const [limited, free] = results.cells;
      assertEquals(limited.error, undefined);
      assertEquals(limited.trials.length, 1, "no second trial once the time is spent");
      const done = limited.trials[0].items.length;
      assert(done >= 2 && done < 5, `${done} items`);
      assert(limited.truncated?.includes(`after ${done} of 5 items`), limited.truncated);
      assert(limited.metrics.wer_pct !== undefined, "figures of the items done");
      assertEquals([free.truncated, free.trials.length, free.trials[0].items.length], [
        undefined,
        2,
        5,
      ]);
      assert(resultsTable(results).includes(`five (${done} of 5 items)`), resultsTable(results));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
