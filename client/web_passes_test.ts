/**
 * The first thing a user tries, judged pass by pass: the page in Debian's Chromium with jfk.wav
 * as its microphone, looped (6 s of silence between passes), in every mode. Every pass heard
 * whole must end as jfk's sentence, word for word after normalisation (what `deno task
 * transcribe` gets): a pass may not inherit errors from the passes before it. Screenshots are
 * kept in `test-artifacts/`.
 */

import { clientFiles } from "./files.ts";
import { ensureClientBuilt } from "./build.ts";
import { withTestServer } from "../server/transport/http/testing.ts";
import { normalizeEnglish as normalize } from "../bench/metrics/normalize_en.ts";
import { decodeAudioFile } from "../decode/audio_file.ts";
import { sharedPath } from "../ffi/testing/shared.ts";
import { assert, assertEquals } from "../ffi/testing/assert.ts";
import {
  ARTIFACTS,
  browserTestsIgnored as ignore,
  fakeMicFile,
  JFK,
  launchChromium,
  LEAD_S,
  pressStart,
  watchPage,
} from "./browser_testing.ts";

/** Silence after jfk in the looped file: passes are `LEAD_S + TAIL_S` apart. */
const TAIL_S = 3;
/** Passes judged in each mode. */
const PASSES = 3;
/**
 * After the last judged pass's speech and 8 s, at most this much longer for its final to show
 * before Stop (the page itself waits 5 s for the session to end), s.
 */
const FINALS_WAIT_S = 30;
/** Finals further apart than this (audio time) belong to different passes. */
const PASS_GAP_MS = 3_500;

/** The page's finals: text and where each lies in the session's audio. */
interface ShownFinal {
  text: string;
  startMs: number;
  endMs: number;
}

/** Finals grouped into passes through the file: a gap of `PASS_GAP_MS` or more starts a pass. */
export function passesOf(finals: readonly ShownFinal[]): string[] {
  const passes: string[][] = [];
  let lastEndMs = -Infinity;
  for (const f of [...finals].sort((a, b) => a.startMs - b.startMs)) {
    if (f.startMs - lastEndMs >= PASS_GAP_MS) passes.push([]);
    passes[passes.length - 1].push(f.text);
    lastEndMs = f.endMs;
  }
  return passes.map((p) => p.join(" "));
}

Deno.test("passesOf: finals split into passes at long gaps only", () => {
  const f = (text: string, startMs: number, endMs: number) => ({ text, startMs, endMs });
  assertEquals(
    passesOf([
      f("c", 20_000, 22_000),
      f("a", 3_000, 8_000),
      f("b", 9_000, 11_000),
      f("d", 22_500, 23_000),
    ]),
    ["a b", "c d"],
  );
  assertEquals(passesOf([]), []);
});

for (const mode of ["latency", "balanced", "accuracy"] as const) {
  Deno.test({
    name: `in Chromium, jfk played ${PASSES} times in ${mode} mode ends as the sentence every pass`,
    ignore,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      await ensureClientBuilt();
      const jfkS = (await decodeAudioFile(sharedPath(JFK))).samples.length / 16_000;
      const periodS = LEAD_S + jfkS + TAIL_S;
      const ref = normalize(Deno.readTextFileSync(sharedPath("speech/jfk/jfk.txt")));
      await withTestServer(async ({ url, app }) => {
        const tmp = await Deno.makeTempDir({ prefix: "hum-browser-" });
        await Deno.mkdir(ARTIFACTS, { recursive: true });
        const browser = await launchChromium(await fakeMicFile(tmp, TAIL_S));
        try {
          const page = await browser.newPage({ viewport: { width: 1000, height: 700 } });
          const { logs, waitFor } = watchPage(page);
          await page.goto(`${url}/`);
          await page.selectOption("#mode", mode);
          const { clickedAt: clicked, liveAfterS } = await pressStart(page, waitFor);
          // Chromium plays the file from the click; a connection slower than the lead lost the
          // start of the first pass, which is then not judged.
          const skip = liveAfterS < LEAD_S - 0.5 ? 0 : 1;
          // Until the last judged pass's speech has ended and its segments have had time to close
          // (the longest pause rule, 1.2 s, and a closing decode), then Stop.
          const untilS = (skip + PASSES) * periodS - TAIL_S + 8;
          await new Promise((r) => setTimeout(r, untilS * 1000 - (performance.now() - clicked)));
          const shown = () =>
            page.evaluate(`[...document.querySelectorAll("#transcript .final")]
            .map((p) => ({
              text: p.querySelector(".committed").textContent,
              startMs: Number(p.dataset.startMs),
              endMs: Number(p.dataset.endMs),
            }))`) as Promise<ShownFinal[]>;
          // A slower machine may still be decoding the last pass (its closing decodes queue
          // behind the pass before's): up to FINALS_WAIT_S more for its finals, then Stop. The
          // last pass is waited for whole: its first final alone (one phrase of the sentence)
          // does not end the wait, or Stop would cut off the phrases still being decoded.
          const lastPassDone = (finals: ShownFinal[]) => {
            const passes = passesOf(finals);
            return passes.length >= skip + PASSES &&
              normalize(passes[skip + PASSES - 1]) === ref;
          };
          for (
            const deadline = performance.now() + FINALS_WAIT_S * 1000;
            !lastPassDone(await shown()) && performance.now() < deadline;
          ) await new Promise((r) => setTimeout(r, 250));
          await page.screenshot({ path: `${ARTIFACTS}browser-passes-${mode}.png` });
          await page.click("#mic");
          await waitFor(
            'document.querySelector("#status")?.getAttribute("data-state") === "idle"',
            30_000,
          );
          const finals = await shown();
          const passes = passesOf(finals).slice(skip, skip + PASSES);
          console.log(
            `${mode}: live ${liveAfterS.toFixed(2)} s after Start, judging passes ${skip + 1}–` +
              `${skip + PASSES}:\n${passes.map((p, i) => `  ${skip + i + 1}. ${p}`).join("\n")}`,
          );
          assertEquals(passes.length, PASSES, `passes shown: ${JSON.stringify(finals)}`);
          passes.forEach((p, i) =>
            assertEquals(normalize(p), ref, `${mode}, pass ${skip + i + 1}: ${p}`)
          );
          assert(!logs.some((l) => l.startsWith("pageerror")), logs.join("\n"));
          for (let i = 0; i < 100 && app.registry.size; i++) {
            await new Promise((r) => setTimeout(r, 50));
          }
          assertEquals(app.registry.size, 0, "the session ended on Stop");
        } finally {
          await browser.close();
          await Deno.remove(tmp, { recursive: true });
        }
      }, { staticFiles: clientFiles() });
    },
  });
}
