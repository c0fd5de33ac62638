import { allowedWorse, cells, loadDefinition, parseDefinition } from "./definition.ts";
import { assertEquals, assertThrows } from "../ffi/testing/assert.ts";

const MINIMAL = `
benchmark: tiny
workloads:
  - { name: jfk, source: ../speech/jfk }
  - { name: quiet, synthetic: { kind: silence, seconds: 3 } }
suts:
  - { name: off, kind: offline }
  - { name: peer, kind: command, command: [echo, "{audio}"] }
run_configs:
  - { name: base }
`;

Deno.test("a minimal definition gets its defaults and every combination as the matrix", () => {
  const def = parseDefinition(MINIMAL);
  assertEquals([def.trials, def.warmups], [1, 0]);
  assertEquals(def.run_configs[0], {
    name: "base",
    model: "tiny.en",
    threads: 2,
    beam: 5,
    mode: "balanced",
    overrides: {},
    backend: "cpu",
    concurrency: 1,
  });
  assertEquals(
    cells(def).map((c) => `${c.sut.name}/${c.runConfig.name}/${c.workload.name}`),
    ["off/base/jfk", "off/base/quiet", "peer/base/jfk", "peer/base/quiet"],
  );
});

Deno.test("definition errors name the place in the document", () => {
  const bad = (text: string, says: string) =>
    assertThrows(() => parseDefinition(text, "t.yaml"), Error, says);
  bad("benchmark: [", "t.yaml: not YAML");
  bad(MINIMAL.replace("kind: offline", "kind: fast"), "t.yaml: suts.0.kind");
  bad(MINIMAL.replace("{ name: base }", "{ name: base, threads: 0 }"), "run_configs.0.threads");
  bad(MINIMAL.replace("{ name: base }", "{ name: base, mode: turbo }"), "run_configs.0.mode");
  bad(MINIMAL + "tolerances: { wer_pct: lots }", "tolerances.wer_pct");
  bad(MINIMAL + "colour: blue\n", "colour");
  bad(MINIMAL.replace("name: peer", "name: off"), "two SUTs named off");
  bad(MINIMAL + "matrix: [{ sut: off, run_config: base, workload: nope }]", "matrix.0.workload");
  bad(
    MINIMAL.replace("kind: silence, seconds: 3", "kind: concat"),
    'workloads.quiet: concat needs "of"',
  );
});

Deno.test("tolerances are absolute or relative to the baseline", () => {
  assertEquals(allowedWorse(0.5, 10), 0.5);
  assertEquals(allowedWorse("10%", 200), 20);
  assertEquals(allowedWorse(undefined, 5), 0);
});

Deno.test("every shipped benchmark definition validates and names cells that exist", () => {
  const dir = new URL("./definitions/", import.meta.url).pathname;
  const files = [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".yaml"));
  assertEquals(files.length >= 4, true);
  for (const f of files) {
    const def = loadDefinition(`${dir}${f.name}`);
    const n = cells(def, f.name).length;
    assertEquals(n > 0, true, `${f.name} has cells`);
  }
});
