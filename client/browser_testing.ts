/**
 * What the browser tests share: Debian's Chromium (never a downloaded browser) with a WAV file as
 * its microphone, the fake microphone's file (jfk between silences, looped by Chromium), and a
 * page watcher whose waits say what the page showed and logged when they time out.
 *
 * @module
 */

import { chromium, type Page } from "playwright-core";
import { decodeAudioFile } from "../decode/audio_file.ts";
import { resample } from "../ffi/soxr/mod.ts";
import { SF_FORMAT, writeSoundFile } from "../ffi/sndfile/mod.ts";
import { hasShared, sharedPath } from "../ffi/testing/shared.ts";
import { existsSync } from "../ffi/whisper/build.ts";
import { TEST_SERVER_MODELS } from "../server/transport/http/testing.ts";

/** jfk.wav in the shared speech. */
export const JFK = "speech/jfk/jfk.wav";
/** Debian's Chromium, or the one `HUM_CHROMIUM` names. */
export const CHROMIUM = Deno.env.get("HUM_CHROMIUM") ?? "/usr/bin/chromium";
/** Where the browser tests keep their screenshots. */
export const ARTIFACTS = new URL("../test-artifacts/", import.meta.url).pathname;

/** True when a browser test cannot run here (no shared models and jfk, or no Chromium). */
export const browserTestsIgnored = !hasShared(...TEST_SERVER_MODELS, JFK) || !existsSync(CHROMIUM);
if (!existsSync(CHROMIUM)) console.warn(`SKIPPED browser test: no Chromium at ${CHROMIUM}`);

/**
 * Silence before jfk in the fake microphone's file, in seconds. Chromium plays the file from the
 * moment the page opens the microphone, but WebRTC sends nothing until the connection is up: audio
 * before that is lost, as it is for any real caller. The lead covers the connection's set-up.
 */
export const LEAD_S = 3;

/**
 * jfk as the 48 kHz WAV Chromium plays (and loops) as its microphone: `LEAD_S` of silence, jfk,
 * `tailS` of silence. Looped, passes through jfk are `LEAD_S + tailS` apart.
 */
export async function fakeMicFile(dir: string, tailS = 3): Promise<string> {
  const jfk = (await decodeAudioFile(sharedPath(JFK))).samples;
  const padded = new Float32Array(Math.round(16_000 * (LEAD_S + tailS)) + jfk.length);
  padded.set(jfk, 16_000 * LEAD_S);
  const wav48 = await resample(padded, { inputRate: 16_000, outputRate: 48_000, channels: 1 });
  const path = `${dir}/jfk-48k.wav`;
  writeSoundFile(path, wav48, {
    sampleRate: 48_000,
    channels: 1,
    format: SF_FORMAT.WAV | SF_FORMAT.PCM_16,
  });
  return path;
}

/** Debian's Chromium, headless, with `micFile` as its microphone. */
export function launchChromium(micFile: string) {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--use-fake-ui-for-media-stream",
      "--use-fake-device-for-media-stream",
      `--use-file-for-fake-audio-capture=${micFile}`,
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--no-sandbox",
    ],
  });
}

/** A page's console and errors, and waits that report them. */
export interface WatchedPage {
  /** The page's console lines and uncaught errors (`pageerror: …`). */
  logs: string[];
  /**
   * Waits for `expr` to be true in the page, polled on a timer (animation frames may not run in
   * a headless page); a timeout says what the page showed and logged, and `extra()`.
   */
  waitFor(expr: string, timeoutMs: number, extra?: () => string): Promise<void>;
}

/** Collects `page`'s console and errors from now on. */
export function watchPage(page: Page): WatchedPage {
  const logs: string[] = [];
  page.on("console", (m) => logs.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => logs.push(`pageerror: ${e.message}`));
  return {
    logs,
    async waitFor(expr, timeout, extra) {
      try {
        await page.waitForFunction(expr, undefined, { timeout, polling: 200 });
      } catch (err) {
        const status = await page.locator("#status").innerText().catch(() => "?");
        const shownError = await page.locator("#error").innerText().catch(() => "?");
        const shown = await page.locator("#transcript").innerHTML().catch(() => "?");
        throw new Error(
          `${(err as Error).message}\nstatus: ${status}\nerror shown: ${shownError}\n` +
            `transcript: ${shown}\n${extra ? extra() + "\n" : ""}logs:\n${logs.join("\n")}`,
        );
      }
    },
  };
}

/**
 * Presses the page's Start and waits until it is live. Returns when Start was pressed (the fake
 * microphone's file starts playing then) and how many seconds the page took to go live.
 */
export async function pressStart(
  page: Page,
  waitFor: WatchedPage["waitFor"],
): Promise<{ clickedAt: number; liveAfterS: number }> {
  const clickedAt = performance.now();
  await page.click("#mic");
  await waitFor(
    'document.querySelector("#status")?.getAttribute("data-state") === "live"',
    30_000,
  );
  return { clickedAt, liveAfterS: (performance.now() - clickedAt) / 1000 };
}

/**
 * Keeps every `RTCPeerConnection` the page makes (in `window.__peers`), for
 * {@linkcode outboundAudio}; call before the page loads.
 */
export async function keepPeerConnections(page: Page): Promise<void> {
  await page.addInitScript(`{
    const Native = RTCPeerConnection;
    window.__peers = [];
    window.RTCPeerConnection = function (...args) {
      const pc = new Native(...args);
      window.__peers.push(pc);
      return pc;
    };
    window.RTCPeerConnection.prototype = Native.prototype;
    Object.setPrototypeOf(window.RTCPeerConnection, Native);
  }`);
}

/** The page's first peer connection's `outbound-rtp` audio statistics, as Chromium reports them. */
export function outboundAudio(
  page: Page,
): Promise<{ targetBitrate?: number; bytesSent?: number; packetsSent?: number } | null> {
  return page.evaluate(`(async () => {
    const pc = (window.__peers ?? [])[0];
    if (!pc) return null;
    let out = null;
    (await pc.getStats()).forEach((s) => {
      if (s.type === "outbound-rtp" && s.kind === "audio") out = {
        targetBitrate: s.targetBitrate, bytesSent: s.bytesSent, packetsSent: s.packetsSent,
      };
    });
    return out;
  })()`);
}
