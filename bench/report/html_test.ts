import { chromium } from "playwright-core";
import { renderReport } from "./html.ts";
import type { Results } from "../harness/runner.ts";
import { assert, assertEquals } from "../../ffi/testing/assert.ts";
import { existsSync } from "../../ffi/whisper/build.ts";

const CHROMIUM = Deno.env.get("HUM_CHROMIUM") ?? "/usr/bin/chromium";
const ARTIFACTS = new URL("../../test-artifacts/", import.meta.url).pathname;

/** Two small runs: an offline cell and a streaming cell with its latency distribution. */
function run(id: string, wer: number, started: string): Results {
  const cell = (
    sut: string,
    kind: string,
    metrics: Record<string, number>,
    emission?: number[],
  ) => ({
    sut,
    kind,
    run_config: { name: "c" } as Results["cells"][0]["run_config"],
    workload: "longform",
    sut_description: {},
    metrics,
    trials: [{
      trial: 1,
      metrics,
      items: [],
      ...(emission ? { distributions: { emission_ms: emission } } : {}),
    }],
  });
  return {
    results_version: 1,
    benchmark: "report-test",
    run_id: id,
    provenance: {
      git_commit: "abc",
      git_dirty: false,
      definition_path: "d.yaml",
      definition_sha256: "0".repeat(64),
      deno: "2",
      v8: "1",
      whisper_cpp: { version: "1.9.1", backend: "cpu", build_key: "k", cmake_flags: [] },
      cpu_model: "test <cpu>",
      cores: 2,
      memory_gb: 24,
      gpu: null,
      os: "linux",
      hostname: "h",
      models: {},
      workloads: {},
      started_at: started,
    },
    tolerances: {},
    cells: [
      cell("hum-offline", "offline", { wer_pct: 10.5, rtfx: 9.5 }),
      cell("whisper-cli", "whisper-cli", { wer_pct: 21.2, rtfx: 8.1 }),
      cell("hum-stream", "stream", {
        wer_pct: wer,
        rtfx: 2.3,
        emission_p50_ms: 2100,
        emission_p90_ms: 3900,
        emission_p99_ms: 6000,
        first_partial_p50_ms: 990,
        finalization_p50_ms: 1090,
      }, Array.from({ length: 500 }, (_, i) => 300 + i * 12)),
      // A concurrency sweep: the same SUT and workload at 2 and 4 sessions.
      ...[2, 4].map((n) => ({
        ...cell("hum-stream", "stream", { wer_pct: wer, rtfx: 2.3 * n, emission_p90_ms: 1500 * n }),
        run_config: { name: `c${n}`, concurrency: n } as Results["cells"][0]["run_config"],
      })),
    ],
  };
}

Deno.test({
  name: "the HTML report renders its charts in headless Chromium without errors",
  ignore: !existsSync(CHROMIUM),
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const html = renderReport([
      run("old", 16.1, "2026-11-01T00:00:00Z"),
      run("new", 14.6, "2026-11-29T00:00:00Z"),
    ]);
    assert(html.includes("test &lt;cpu&gt;"), "text is escaped");
    const dir = await Deno.makeTempDir({ prefix: "hum-report-" });
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox"],
    });
    try {
      await Deno.writeTextFile(`${dir}/report.html`, html);
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
      await page.goto(`file://${dir}/report.html`);
      await page.waitForFunction("document.body.dataset.charts !== undefined", undefined, {
        timeout: 10_000,
      });
      // Scatter, accuracy against delay, latency bars, distribution, concurrency, and the two
      // run-to-run charts.
      assertEquals(await page.evaluate("document.body.dataset.charts"), "7");
      // Accuracy against delay: a line from p50 to p90 for each streaming cell with both.
      assertEquals(
        await page.evaluate(
          `JSON.stringify(window.charts[1].data.datasets.map((d) => d.data.map((p) => p.x)))`,
        ),
        // The sweep's cells have no p50: only the stream cell is drawn.
        JSON.stringify([[2.1, 3.9]]),
      );
      assertEquals(errors, []);
      await Deno.mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: `${ARTIFACTS}bench-report.png`, fullPage: true });
    } finally {
      await browser.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
