import assert from "node:assert/strict";
import { createProgressReporter, formatMiB, formatProgress } from "./progress.ts";

const MIB = 1048576;
const p = (received: number, total: number | null, resumedFrom = 0) => ({
  name: "tiny.en",
  received,
  total,
  resumedFrom,
});

Deno.test("formatProgress shows bar, percent, MiB and MiB/s", () => {
  assert.equal(formatMiB(77_704_715), "74.1 MiB");
  assert.equal(
    formatProgress(p(37 * MIB, 74 * MIB), 5.25 * MIB, 10),
    "tiny.en [#####-----]  50.0 %  37.0/74.0 MiB  5.3 MiB/s",
  );
  assert.equal(formatProgress(p(3 * MIB, null), 1 * MIB), "tiny.en  3.0 MiB  1.0 MiB/s");
});

Deno.test("without a terminal a line is printed every 10 %", () => {
  const lines: string[] = [];
  let t = 0;
  const r = createProgressReporter({
    write: (s) => lines.push(s),
    interactive: false,
    now: () => t,
  });
  for (let got = 0; got <= 100 * MIB; got += MIB / 2) {
    r.update(p(got, 100 * MIB));
    t += 10;
  }
  r.end();
  assert.equal(lines.length, 10, lines.join(""));
  assert.ok(lines.every((l) => l.endsWith("\n") && !l.includes("\r")));
  assert.match(
    lines[0],
    /\[##----------------------\] {2}10\.0 % {2}10\.0\/100\.0 MiB {2}\d+\.\d MiB\/s\n$/,
  );
  assert.match(lines.at(-1)!, / 100\.0 % {2}100\.0\/100\.0 MiB /);
});

Deno.test("on a terminal the line is redrawn at most every redrawMs and ends with a newline", () => {
  const out: string[] = [];
  let t = 0;
  const r = createProgressReporter({
    write: (s) => out.push(s),
    interactive: true,
    now: () => t,
    redrawMs: 100,
  });
  for (let i = 0; i <= 20; i++) {
    r.update(p(i * MIB, 20 * MIB));
    t += 25; // four reports per redraw interval
  }
  r.end();
  assert.ok(out.length >= 6 && out.length <= 8, `${out.length} writes`);
  assert.ok(out.slice(0, -1).every((s) => s.startsWith("\r") && s.endsWith("\x1b[K")));
  assert.match(
    out.at(-2)!,
    /100\.0 % {2}20\.0\/20\.0 MiB {2}40\.0 MiB\/s/,
    "completion is always drawn",
  );
  assert.equal(out.at(-1), "\n");
});

Deno.test("on a terminal end() draws a report that was throttled away", () => {
  const out: string[] = [];
  let t = 0;
  const r = createProgressReporter({ write: (s) => out.push(s), interactive: true, now: () => t });
  r.update(p(0, null));
  t = 10;
  r.update(p(5 * MIB, null)); // within redrawMs of the first: not drawn
  r.end();
  assert.equal(out.length, 2);
  assert.equal(out[1], "\rtiny.en  5.0 MiB  500.0 MiB/s\x1b[K\n");
});

Deno.test("the rate counts only bytes of this run, not resumed ones", () => {
  const out: string[] = [];
  let t = 0;
  const r = createProgressReporter({ write: (s) => out.push(s), interactive: true, now: () => t });
  r.update(p(50 * MIB, 100 * MIB, 50 * MIB));
  t = 2000;
  r.update(p(54 * MIB, 100 * MIB, 50 * MIB));
  assert.match(out.at(-1)!, / 2\.0 MiB\/s/);
});
