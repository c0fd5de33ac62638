import {
  allowedWorse,
  cells,
  loadAnyDefinition,
  parseAnyDefinition,
  parseDefinition,
  parseSoakDefinition,
} from "./definition.ts";
import { assert, assertEquals, assertThrows } from "../ffi/testing/assert.ts";

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
    const any = loadAnyDefinition(`${dir}${f.name}`);
    if (any.kind === "soak") continue;
    const n = cells(any.def, f.name).length;
    assertEquals(n > 0, true, `${f.name} has cells`);
  }
});

const SOAK = `
benchmark: soak-t
soak:
  duration_s: 60
  honest: { sessions: 2, file: ../speech/a.flac }
  hostile:
    trickle: { clients: 2 }
    unconnected_post: { every_s: 5 }
`;

Deno.test("a soak definition gets its defaults: both variants, latency mode, the server's flags", () => {
  const any = parseAnyDefinition(SOAK);
  assertEquals(any.kind, "soak");
  const { soak } = parseSoakDefinition(SOAK);
  assertEquals(soak.variants, ["with_hostile", "without_hostile"]);
  assertEquals(soak.honest, {
    sessions: 2,
    file: "../speech/a.flac",
    transport: "media",
    mode: "latency",
    spread_ms: 1000,
  });
  assertEquals(soak.server, { model: "tiny.en", max_sessions: 32, args: [] });
  assertEquals(soak.rss_interval_s, 10);
  assertEquals(soak.hostile, {
    trickle: { clients: 2, byte_every_s: 3 },
    unconnected_post: { every_s: 5 },
  });
  assertEquals(parseAnyDefinition(MINIMAL).kind, "matrix");
});

Deno.test("soak definition errors name the place in the document", () => {
  const bad = (text: string, says: string) =>
    assertThrows(() => parseSoakDefinition(text, "s.yaml"), Error, says);
  bad(SOAK.replace("duration_s: 60", "duration_s: 0"), "s.yaml: soak.duration_s");
  bad(SOAK.replace("sessions: 2", "sessions: 0"), "soak.honest.sessions");
  bad(SOAK.replace("{ sessions: 2, file: ../speech/a.flac }", "{ sessions: 2 }"), "honest.file");
  bad(SOAK.replace("clients: 2", "clients: 99"), "soak.hostile.trickle.clients");
  bad(SOAK.replace("every_s: 5", "every_s: -1"), "soak.hostile.unconnected_post.every_s");
  bad(SOAK.replace("trickle:", "slowloris:"), "soak.hostile");
  bad(SOAK + "  variants: [with_hostile, with_hostile]\n", "each variant at most once");
  bad(SOAK + "  variants: [sometimes]\n", "soak.variants.0");
  bad(SOAK + "workloads: []\n", "workloads");
  bad(
    SOAK.replace(/ {2}hostile:[\s\S]*$/, "  rss_interval_s: 5\n"),
    "soak.hostile: the with_hostile variant needs at least one hostile client",
  );
  // Without hostile clients, a soak of the honest load alone is fine.
  const alone = SOAK.replace(/ {2}hostile:[\s\S]*$/, "  variants: [without_hostile]\n");
  assertEquals(parseSoakDefinition(alone).soak.variants, ["without_hostile"]);
  // A matrix reader refuses a soak plainly, not with a missing-workloads error.
  assertThrows(() => parseDefinition(SOAK, "s.yaml"), Error, "s.yaml: a soak definition");
});

Deno.test("the shipped soak definitions: 30 minutes per variant, and a short smoke", () => {
  const dir = new URL("./definitions/", import.meta.url).pathname;
  const soak = loadAnyDefinition(`${dir}soak.yaml`);
  const smoke = loadAnyDefinition(`${dir}soak-smoke.yaml`);
  if (soak.kind !== "soak" || smoke.kind !== "soak") throw new Error("not soak definitions");
  assertEquals(soak.def.soak.duration_s, 1800);
  assertEquals(soak.def.soak.variants, ["with_hostile", "without_hostile"]);
  assertEquals(Object.keys(soak.def.soak.hostile).sort(), [
    "junk_rtp",
    "oversized",
    "trickle",
    "unconnected_post",
  ]);
  assertEquals(smoke.def.soak.duration_s <= 60, true);
});

Deno.test("the GPU definition: every part has a time limit, together under 10 minutes", () => {
  const dir = new URL("./definitions/", import.meta.url).pathname;
  const gpu = loadAnyDefinition(`${dir}gpu.yaml`);
  if (gpu.kind === "soak") throw new Error("not a matrix definition");
  const parts = cells(gpu.def, "gpu.yaml");
  assert(parts.every((c) => c.timeLimitS !== undefined), "each part has its own limit");
  const total = parts.reduce((s, c) => s + c.timeLimitS!, 0);
  assert(total <= 600, `${total} s of limits`);
  assert(parts.every((c) => c.runConfig.backend === "gpu"));
  assertEquals(gpu.def.sessions_bound.max, 1000);
});
