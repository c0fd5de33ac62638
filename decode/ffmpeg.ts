/**
 * The fallback decoder: `ffmpeg`, when it is on PATH, for formats libsndfile does not read (AAC,
 * M4A, WebM, video containers, …). ffmpeg decodes, downmixes and resamples in one pass:
 * `ffmpeg -i <file> -f f32le -ac 1 -ar 16000 -`.
 *
 * @module
 */

import { delimiter, join } from "node:path";
import { AudioDecodeError } from "./errors.ts";
import { SAMPLE_RATE_HZ } from "../protocol/audio.ts";

/** What ffmpeg produced, with what it said about the source. */
export interface FfmpegAudio {
  /** 16 kHz mono float samples. */
  samples: Float32Array<ArrayBuffer>;
  /** The source's sample rate, as ffmpeg reported it (16000 when it could not be read). */
  sourceRate: number;
  /** The source's channel count, as ffmpeg reported it (1 when it could not be read). */
  channels: number;
  /** E.g. "ffmpeg: mov,mp4,m4a,3gp,3g2,mj2 (aac)". */
  format: string;
}

/** The `ffmpeg` executable on PATH, or `null` when there is none. */
export function findFfmpeg(): string | null {
  const names = Deno.build.os === "windows" ? ["ffmpeg.exe"] : ["ffmpeg"];
  for (const dir of (Deno.env.get("PATH") ?? "").split(delimiter)) {
    if (!dir) continue;
    for (const name of names) {
      const path = join(dir, name);
      try {
        const st = Deno.statSync(path);
        if (st.isFile && (Deno.build.os === "windows" || ((st.mode ?? 0) & 0o111) !== 0)) {
          return path;
        }
      } catch {
        // not here
      }
    }
  }
  return null;
}

/** Channels in an ffmpeg channel-layout word: "mono", "stereo", "5.1(side)", "3 channels". */
export function layoutChannels(layout: string): number | null {
  const named: Record<string, number> = { mono: 1, stereo: 2, quad: 4, hexagonal: 6, octagonal: 8 };
  const word = layout.trim().replace(/\(.*\)$/, "");
  if (Object.hasOwn(named, word)) return named[word];
  const count = /^(\d+) channels?$/.exec(word);
  if (count) return Number(count[1]);
  const dotted = /^(\d+)\.(\d+)$/.exec(word);
  if (dotted) return Number(dotted[1]) + Number(dotted[2]);
  return null;
}

/** Reads the input format, codec, rate and channels from ffmpeg's banner on stderr. */
export function parseFfmpegInfo(
  stderr: string,
): { container: string; codec: string; rate: number | null; channels: number | null } {
  const input = /Input #0, (.+?), from /.exec(stderr);
  const audio = /Stream #0:\d+[^:]*: Audio: ([^\s,]+)[^,]*, (\d+) Hz, ([^,\n]+)/.exec(stderr);
  return {
    container: input?.[1] ?? "unknown",
    codec: audio?.[1] ?? "unknown",
    rate: audio ? Number(audio[2]) : null,
    channels: audio ? layoutChannels(audio[3]) : null,
  };
}

/**
 * Decodes `path` with ffmpeg to 16 kHz mono. `label` names the file in errors; `why` is what
 * libsndfile said, kept in the error when ffmpeg fails too.
 */
export async function decodeWithFfmpeg(
  ffmpeg: string,
  path: string,
  label: string,
  why: string,
  signal?: AbortSignal,
): Promise<FfmpegAudio> {
  const args = ["-nostdin", "-hide_banner", "-i", path, "-vn", "-sn", "-dn"];
  args.push("-f", "f32le", "-ac", "1", "-ar", String(SAMPLE_RATE_HZ), "-");
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(ffmpeg, { args, stdout: "piped", stderr: "piped", signal })
      .output();
  } catch (err) {
    signal?.throwIfAborted();
    throw new AudioDecodeError(
      label,
      `is not a supported audio file (libsndfile: ${why}; ffmpeg did not run: ${
        (err as Error).message
      })`,
      { cause: err },
    );
  }
  signal?.throwIfAborted();
  const stderr = new TextDecoder().decode(out.stderr);
  if (!out.success) {
    const last = stderr.trim().split("\n").at(-1)?.trim() || `exit code ${out.code}`;
    throw new AudioDecodeError(
      label,
      `is not a supported audio file (libsndfile: ${why}; ffmpeg: ${last})`,
    );
  }
  const bytes = out.stdout;
  const n = Math.floor(bytes.byteLength / 4);
  const samples = new Float32Array(n);
  new Uint8Array(samples.buffer).set(bytes.subarray(0, n * 4));
  if (n === 0) throw new AudioDecodeError(label, "holds no audio samples (0 frames)");
  const info = parseFfmpegInfo(stderr);
  return {
    samples,
    sourceRate: info.rate ?? SAMPLE_RATE_HZ,
    channels: info.channels ?? 1,
    format: `ffmpeg: ${info.container} (${info.codec})`,
  };
}
