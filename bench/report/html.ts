/**
 * The self-contained HTML report of one or more runs: provenance, the results table, and plots
 * drawn by Chart.js (inlined from the pinned npm package, so the file opens offline) — WER against
 * RTFx per cell, WER against word-emission latency (p50 to p90) per streaming cell, streaming
 * latencies per cell, the distribution of word-emission latencies, and,
 * over several runs, each cell's WER and RTFx from run to run with the comparison of the newest run
 * against the oldest.
 *
 * @module
 */

import { join } from "node:path";
import { REPO_ROOT } from "../../ffi/whisper/build.ts";
import type { Results } from "../harness/runner.ts";
import { compareResults } from "../harness/baseline.ts";
import { comparisonText, resultsTable, type Sweep, sweeps } from "../harness/table.ts";

const DEFAULT_BOUND = { metric: "emission_p90_ms", max: 2000 };

/** Chart.js's browser build, from the pinned npm package (`./hum` installs it). */
function chartJs(): string {
  const path = join(REPO_ROOT, "node_modules", "chart.js", "dist", "chart.umd.min.js");
  try {
    return Deno.readTextFileSync(path);
  } catch {
    throw new Error(`Cannot render the report: no Chart.js at ${path} (run npm install)`);
  }
}

const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );

/** What the page's script draws, as data. */
interface ReportData {
  runs: string[];
  scatter: { label: string; sut: string; wer: number; rtfx: number }[];
  /** Streaming cells: WER against emission latency p50 and p90, s. */
  frontier: { label: string; wer: number; p50: number; p90: number }[];
  latency: { label: string; values: Record<string, number> }[];
  cdf: { label: string; points: { x: number; y: number }[] }[];
  history: { label: string; wer: (number | null)[]; rtfx: (number | null)[] }[];
  sweeps: Sweep[];
  bound: { metric: string; max: number };
}

function cellLabel(c: Results["cells"][0]): string {
  return `${c.sut} · ${c.run_config.name} · ${c.workload}`;
}

function reportData(runs: Results[]): ReportData {
  const last = runs[runs.length - 1];
  const ok = last.cells.filter((c) => !c.error);
  const latencyKeys = [
    "emission_p50_ms",
    "emission_p90_ms",
    "emission_p99_ms",
    "first_partial_p50_ms",
    "finalization_p50_ms",
  ];
  const labels = [...new Set(runs.flatMap((r) => r.cells.map(cellLabel)))];
  return {
    runs: runs.map((r) => r.run_id),
    scatter: ok.filter((c) => c.metrics.wer_pct !== undefined).map((c) => ({
      label: cellLabel(c),
      sut: c.sut,
      wer: c.metrics.wer_pct,
      rtfx: c.metrics.rtfx,
    })),
    frontier: ok.filter((c) =>
      c.metrics.wer_pct !== undefined && c.metrics.emission_p50_ms !== undefined &&
      c.metrics.emission_p90_ms !== undefined
    ).map((c) => ({
      label: cellLabel(c),
      wer: c.metrics.wer_pct,
      p50: c.metrics.emission_p50_ms / 1000,
      p90: c.metrics.emission_p90_ms / 1000,
    })),
    latency: ok.filter((c) => c.metrics.emission_p50_ms !== undefined).map((c) => ({
      label: cellLabel(c),
      values: Object.fromEntries(latencyKeys.map((k) => [k, (c.metrics[k] ?? NaN) / 1000])),
    })),
    cdf: ok.flatMap((c) => {
      const xs = c.trials[0]?.distributions?.emission_ms;
      if (!xs?.length) return [];
      // At most ~200 points per curve: the report stays small for long workloads.
      const step = Math.max(1, Math.floor(xs.length / 200));
      const pts: { x: number; y: number }[] = [];
      for (let i = 0; i < xs.length; i += step) {
        pts.push({ x: xs[i] / 1000, y: (i + 1) / xs.length });
      }
      pts.push({ x: xs[xs.length - 1] / 1000, y: 1 });
      return [{ label: cellLabel(c), points: pts }];
    }),
    sweeps: sweeps(last, last.sessions_bound ?? DEFAULT_BOUND),
    bound: last.sessions_bound ?? DEFAULT_BOUND,
    history: labels.map((label) => {
      const at = (r: Results, k: string) => {
        const c = r.cells.find((x) => cellLabel(x) === label && !x.error);
        return c?.metrics[k] ?? null;
      };
      return {
        label,
        wer: runs.map((r) => at(r, "wer_pct")),
        rtfx: runs.map((r) => at(r, "rtfx")),
      };
    }),
  };
}

const SCRIPT = `
const data = JSON.parse(document.getElementById("data").textContent);
const palette = ["#0f766e", "#b45309", "#7c3aed", "#be123c", "#1d4ed8", "#4d7c0f", "#db2777", "#0e7490", "#57534e", "#ca8a04"];
const color = (i) => palette[i % palette.length];
const draw = (id, config) => {
  const el = document.getElementById(id);
  if (!el) return;
  config.options = Object.assign({ animation: false, responsive: true, maintainAspectRatio: false }, config.options);
  window.charts.push(new Chart(el, config));
};
window.charts = [];
const suts = [...new Set(data.scatter.map((p) => p.sut))];
draw("scatter", {
  type: "scatter",
  data: { datasets: suts.map((s, i) => ({
    label: s, backgroundColor: color(i), pointRadius: 5,
    data: data.scatter.filter((p) => p.sut === s).map((p) => ({ x: p.rtfx, y: p.wer, label: p.label })),
  })) },
  options: {
    scales: { x: { type: "logarithmic", title: { display: true, text: "RTFx (audio s / processing s, log)" } },
              y: { title: { display: true, text: "WER %" }, beginAtZero: true } },
    plugins: { tooltip: { callbacks: { label: (c) => c.raw.label + ": WER " + c.raw.y + " %, RTFx " + c.raw.x } } },
  },
});
draw("frontier", {
  type: "scatter",
  data: { datasets: data.frontier.map((c, i) => ({
    label: c.label, borderColor: color(i), backgroundColor: color(i), showLine: true,
    pointStyle: ["circle", "triangle"], pointRadius: 6,
    data: [{ x: c.p50, y: c.wer, q: "p50" }, { x: c.p90, y: c.wer, q: "p90" }],
  })) },
  options: {
    scales: { x: { beginAtZero: true, title: { display: true, text: "word-emission latency, s (circle p50 — triangle p90)" } },
              y: { beginAtZero: true, title: { display: true, text: "WER %" } } },
    plugins: { tooltip: { callbacks: { label: (c) => c.dataset.label + ": WER " + c.raw.y + " %, emission " + c.raw.q + " " + c.raw.x.toFixed(2) + " s" } } },
  },
});
const keys = ["emission_p50_ms", "emission_p90_ms", "emission_p99_ms", "first_partial_p50_ms", "finalization_p50_ms"];
const names = ["emission p50", "emission p90", "emission p99", "first partial p50", "finalization p50"];
draw("latency", {
  type: "bar",
  data: { labels: data.latency.map((c) => c.label),
          datasets: keys.map((k, i) => ({ label: names[i], backgroundColor: color(i), data: data.latency.map((c) => c.values[k]) })) },
  options: { indexAxis: "y", scales: { x: { title: { display: true, text: "seconds" }, beginAtZero: true } } },
});
draw("cdf", {
  type: "line",
  data: { datasets: data.cdf.map((c, i) => ({ label: c.label, borderColor: color(i), pointRadius: 0, data: c.points })) },
  options: { parsing: false, scales: {
    x: { type: "linear", title: { display: true, text: "word-emission latency, s" }, beginAtZero: true },
    y: { min: 0, max: 1, title: { display: true, text: "share of words" } } } },
});
draw("sweep", {
  type: "line",
  data: { datasets: data.sweeps.map((g, i) => ({
    label: g.sut + (g.settings ? " · " + g.settings : "") + " · " + g.workload + " (sustains " + g.sustained + ")", borderColor: color(i),
    data: g.points.map((p) => ({ x: p.sessions, y: p.value / 1000 })) })).concat(data.sweeps.length ? [{
    label: "bound", borderColor: "#9ca3af", borderDash: [6, 4], pointRadius: 0,
    data: [{ x: 1, y: data.bound.max / 1000 }, { x: Math.max(...data.sweeps.flatMap((g) => g.points.map((p) => p.sessions))), y: data.bound.max / 1000 }] }] : []) },
  options: { parsing: false, scales: {
    x: { type: "linear", title: { display: true, text: "concurrent sessions" }, ticks: { stepSize: 1 } },
    y: { beginAtZero: true, title: { display: true, text: data.bound.metric + " (s)" } } } },
});
if (data.runs.length > 1) {
  for (const [id, key, text] of [["history-wer", "wer", "WER %"], ["history-rtfx", "rtfx", "RTFx"]]) {
    draw(id, {
      type: "line",
      data: { labels: data.runs, datasets: data.history.map((h, i) => ({ label: h.label, borderColor: color(i), data: h[key] })) },
      options: { scales: { y: { title: { display: true, text } } } },
    });
  }
}
document.body.dataset.charts = String(window.charts.length);
`;

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:0;background:#f7f7f5;color:#16181d}
main{max-width:1100px;margin:0 auto;padding:1.5rem}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
.card{background:#fff;border:1px solid #e5e7eb;border-radius:.75rem;padding:1rem;margin:.75rem 0}
.chart{position:relative;height:360px}
pre{overflow-x:auto;font-size:12px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:0}dt{color:#6b7280}dd{margin:0}
.bad{color:#be123c}.good{color:#047857}
`;

/** The report of `runs` (oldest first; the newest is the one shown in detail). */
export function renderReport(runs: Results[]): string {
  if (!runs.length) throw new Error("Cannot render a report: no results");
  const last = runs[runs.length - 1];
  const p = last.provenance;
  const prov: [string, string][] = [
    ["run", last.run_id],
    ["commit", `${p.git_commit}${p.git_dirty ? " (with uncommitted changes)" : ""}`],
    [
      "machine",
      `${p.cpu_model}, ${p.cores} cores, ${p.memory_gb} GB${p.gpu ? `, ${p.gpu.name}` : ""}`,
    ],
    ["whisper.cpp", `${p.whisper_cpp.version} (${p.whisper_cpp.backend})`],
    ["Deno", p.deno],
    ["started", p.started_at],
    ["definition", `${p.definition_path} (sha256 ${p.definition_sha256.slice(0, 12)}…)`],
  ];
  const comparison = runs.length > 1
    ? `<h2>Newest run against the oldest</h2><div class="card"><pre>${
      esc(comparisonText(compareResults(last, runs[0])))
    }</pre></div>
    <h2>WER from run to run</h2><div class="card chart"><canvas id="history-wer"></canvas></div>
    <h2>RTFx from run to run</h2><div class="card chart"><canvas id="history-rtfx"></canvas></div>`
    : "";
  const data = reportData(runs);
  const json = JSON.stringify(data).replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>hum-helix benchmark · ${esc(last.benchmark)}</title><style>${STYLE}</style></head>
<body><main>
<h1>hum-helix benchmark · ${esc(last.benchmark)}</h1>
${last.description ? `<p>${esc(last.description)}</p>` : ""}
<div class="card"><dl>${
    prov.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join("")
  }</dl></div>
<h2>Results (medians over trials)</h2><div class="card"><pre>${esc(resultsTable(last))}</pre></div>
<h2>Accuracy against speed</h2><div class="card chart"><canvas id="scatter"></canvas></div>
<h2>Accuracy against delay</h2>${
    data.frontier.length
      ? '<div class="card chart"><canvas id="frontier"></canvas></div>'
      : '<div class="card">No streaming cell with WER and emission latency in this run.</div>'
  }
<h2>Streaming latencies</h2><div class="card chart"><canvas id="latency"></canvas></div>
<h2>Word-emission latency distribution</h2><div class="card chart"><canvas id="cdf"></canvas></div>
<h2>Concurrency</h2>${
    data.sweeps.length
      ? '<div class="card chart"><canvas id="sweep"></canvas></div>'
      : '<div class="card">No concurrency sweep in this run.</div>'
  }
${comparison}
</main>
<script id="data" type="application/json">${json}</script>
<script>${chartJs()}</script>
<script>${SCRIPT}</script>
</body></html>
`;
}
