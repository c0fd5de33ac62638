/**
 * The CUDA compile check, `deno task build:cuda-check`: builds libwhisper with the CUDA backend
 * through the project's own `build:whisper` task (the same task the CUDA image runs), on a machine
 * with neither an NVIDIA GPU nor a system CUDA, using the CUDA 13 toolkit that
 * `deploy/cuda/toolkit.sh` installs from PyPI. Then it checks what the build produced and loads
 * the library on this machine: with no GPU, ggml's CUDA backend finds no device and whisper.cpp
 * falls back to the CPU, so a transcript of jfk.wav shows the library links and runs.
 *
 * Slow (about half an hour on 2 cores) and not part of the test suite. The target architecture
 * is `HUM_CUDA_ARCHITECTURES` (default 90, Hopper).
 *
 * @module
 */

import { join } from "node:path";
import { type BuildInfo, ensureWhisperBuild, REPO_ROOT } from "../../ffi/whisper/build.ts";
import { sharedPath } from "../../ffi/testing/shared.ts";

/** The CUDA architecture checked when `HUM_CUDA_ARCHITECTURES` is unset (Hopper: H100, H200). */
export const DEFAULT_CHECK_ARCH = "90";

/**
 * The environment that points `build:whisper --backend cuda` at a toolkit folder (`bin/nvcc`,
 * `include/`, `lib/`). `GGML_CUDA_NO_VMM` keeps libggml-cuda off the driver library
 * (`libcuda.so`), which the PyPI toolkit lacks and a GPU-less machine cannot load.
 * `LD_LIBRARY_PATH` names the toolkit's `lib/` because linking `whisper-cli` makes the linker
 * resolve libggml-cuda's own dependencies (`libcudart.so.13`, `libcublas.so.13`), and that folder
 * is in no system library path (a CUDA install registers its own; the first run here failed there).
 * It is not a CMake flag, so it does not change the build's cache key.
 */
export function cudaCheckEnv(
  toolkitRoot: string,
  env: (key: string) => string | undefined = (k) => Deno.env.get(k),
): Record<string, string> {
  const nvcc = join(toolkitRoot, "bin", "nvcc");
  const extra = env("HUM_WHISPER_CMAKE_FLAGS");
  return {
    CUDACXX: nvcc,
    CUDAToolkit_ROOT: toolkitRoot,
    HUM_CUDA_ARCHITECTURES: env("HUM_CUDA_ARCHITECTURES") || DEFAULT_CHECK_ARCH,
    LD_LIBRARY_PATH: [join(toolkitRoot, "lib"), env("LD_LIBRARY_PATH")].filter(Boolean).join(":"),
    HUM_WHISPER_CMAKE_FLAGS: [
      "-DGGML_CUDA_NO_VMM=ON",
      `-DCMAKE_CUDA_COMPILER=${nvcc}`,
      `-DCUDAToolkit_ROOT=${toolkitRoot}`,
      ...(extra ? [extra] : []),
    ].join(" "),
  };
}

/** The `NAME:TYPE=VALUE` entries of a `CMakeCache.txt`, as NAME → VALUE. */
export function parseCMakeCache(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = line.match(/^([A-Za-z0-9_.+-]+):[A-Z_]+=(.*)$/);
    if (m) out.set(m[1], m[2].trimEnd());
  }
  return out;
}

async function run(cmd: string, args: string[], env: Record<string, string>): Promise<number> {
  const t0 = performance.now();
  const out = await new Deno.Command(cmd, {
    args,
    env,
    cwd: REPO_ROOT,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`\`${cmd} ${args.join(" ")}\` failed (exit ${out.code})`);
  return (performance.now() - t0) / 1000;
}

function sizeOf(path: string): number {
  return Deno.statSync(path).size;
}

async function main(): Promise<void> {
  const toolkit = await new Deno.Command("bash", {
    args: [join(REPO_ROOT, "deploy", "cuda", "toolkit.sh")],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!toolkit.success) throw new Error("deploy/cuda/toolkit.sh failed");
  const root = new TextDecoder().decode(toolkit.stdout).trim();
  const env = cudaCheckEnv(root);
  for (const [k, v] of Object.entries(env)) Deno.env.set(k, v);
  console.error(`cuda-check: toolkit ${root}`);
  console.error(`cuda-check: ${JSON.stringify(env)}`);

  const started = new Date();
  const seconds = await run(
    Deno.execPath(),
    ["task", "build:whisper", "--backend", "cuda", ...Deno.args],
    env,
  );
  // The stamp of the build just made (the cache is current now: this only reads it).
  const info: BuildInfo = await ensureWhisperBuild({ backend: "cuda", quiet: true });
  const buildDir = join(info.library, "..", "..");
  const cache = parseCMakeCache(Deno.readTextFileSync(join(buildDir, "CMakeCache.txt")));
  const bin = join(buildDir, "bin");
  const libs = [...Deno.readDirSync(bin)]
    .filter((e) => e.isFile)
    .map((e) => `${e.name} ${sizeOf(join(bin, e.name))} B`)
    .sort();
  const facts = {
    started: started.toISOString(),
    ended: new Date().toISOString(),
    taskSeconds: Math.round(seconds),
    recordedBuildSeconds: info.buildSeconds,
    key: info.key,
    GGML_CUDA: cache.get("GGML_CUDA"),
    GGML_CUDA_NO_VMM: cache.get("GGML_CUDA_NO_VMM"),
    CMAKE_CUDA_ARCHITECTURES: cache.get("CMAKE_CUDA_ARCHITECTURES"),
    CMAKE_CUDA_COMPILER: cache.get("CMAKE_CUDA_COMPILER"),
    files: libs,
  };
  console.log(JSON.stringify(facts, null, 2));
  const problems: string[] = [];
  if (facts.GGML_CUDA !== "ON") problems.push(`GGML_CUDA is ${facts.GGML_CUDA}`);
  if (facts.CMAKE_CUDA_ARCHITECTURES !== env.HUM_CUDA_ARCHITECTURES) {
    problems.push(`CMAKE_CUDA_ARCHITECTURES is ${facts.CMAKE_CUDA_ARCHITECTURES}`);
  }
  if (!libs.some((l) => l.startsWith("libggml-cuda.so"))) problems.push("no libggml-cuda.so");
  if (problems.length) throw new Error(`cuda-check: ${problems.join("; ")}`);

  // Loads the CUDA build here: the dynamic loader needs the toolkit's libcudart/libcublas.
  const audio = sharedPath("speech", "jfk", "jfk.wav");
  console.error(`cuda-check: transcribing ${audio} with ${info.library}`);
  const t = await run(Deno.execPath(), ["task", "transcribe", audio, "--verbose"], {
    HUM_WHISPER_LIB: info.library,
    HUM_WHISPER_LOG: "info",
    LD_LIBRARY_PATH: env.LD_LIBRARY_PATH,
  });
  console.error(`cuda-check: transcribed in ${t.toFixed(1)} s; the CUDA build compiled and loads`);
}

if (import.meta.main) {
  try {
    await main();
  } catch (err) {
    console.error((err as Error).message);
    Deno.exit(1);
  }
}
