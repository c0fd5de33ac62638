/**
 * Builds libwhisper (and whisper.cpp's own `whisper-cli`, the baseline peer) from the pinned
 * whisper.cpp sources into a cache folder keyed by version, backend and flags; a current cache is
 * reused in seconds. The task also compiles the binding's small log filter (`native/log_shim.c`),
 * so that nothing is left to build at first use.
 *
 * Run as `deno task build:whisper [--backend cpu|cuda|auto] [--quiet] [--force]`.
 *
 * Sources, in order: `HUM_WHISPER_SRC` (a whisper.cpp source tree), then the npm package
 * `nodejs-whisper@0.3.1` (`cpp/whisper.cpp`, pinned with its integrity in package-lock.json).
 * When `HUM_WHISPER_LIB` names a user's own `libwhisper.so`, nothing is built. Settings that
 * change the build (each one keys its own cache folder): `HUM_BACKEND` (default backend),
 * `HUM_WHISPER_PORTABLE=1` (a CPU build not tuned to this machine's CPU, for images),
 * `HUM_CUDA_ARCHITECTURES`, `HUM_WHISPER_CMAKE_FLAGS` (extra CMake flags).
 *
 * The build compiles a copy of the sources with the patches of `patches.ts` applied (each off
 * until the binding turns it on; a patch that does not match other sources is left out, with a
 * warning). The patches are part of the cache key.
 *
 * @module
 */

import { cpSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { applyPatches, PATCHES } from "./patches.ts";

/** Root of the repository (two folders above this file). */
export const REPO_ROOT: string = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** whisper.cpp release the binding is written against. */
export const WHISPER_VERSION = "1.9.1";

/** Backends the build knows. */
export type Backend = "cpu" | "cuda";

/** What a finished build left behind, as recorded in its stamp file. */
export interface BuildInfo {
  /** Cache key: version, backend and a hash of the flags. */
  key: string;
  version: string;
  backend: Backend;
  /** Absolute path of the built `libwhisper.so`. */
  library: string;
  /** Absolute path of the built `whisper-cli` (the baseline peer), if it was built. */
  cli: string | null;
  /** Folder of whisper.cpp's public headers (`whisper.h`, `ggml*.h`). */
  includeDirs: string[];
  cmakeFlags: string[];
  /** Patches applied to the copy of the sources that was built (`patches.ts`). */
  patches?: string[];
  /** Patches left out (they did not match these sources), and why. */
  patchesSkipped?: { name: string; reason: string }[];
  buildSeconds: number;
  builtAt: string;
}

/** Options for {@linkcode ensureWhisperBuild}. */
export interface BuildOptions {
  backend?: Backend | "auto";
  force?: boolean;
  quiet?: boolean;
}

/** Folder of the pinned whisper.cpp sources, or the one `HUM_WHISPER_SRC` names. */
export function whisperSourceDir(): string {
  const fromEnv = Deno.env.get("HUM_WHISPER_SRC");
  if (fromEnv) return resolve(fromEnv);
  return join(REPO_ROOT, "node_modules", "nodejs-whisper", "cpp", "whisper.cpp");
}

/** Reads the `project(... VERSION x.y.z)` line of a whisper.cpp tree. */
export function readSourceVersion(srcDir: string): string {
  let text: string;
  try {
    text = Deno.readTextFileSync(join(srcDir, "CMakeLists.txt"));
  } catch (err) {
    throw new Error(
      `Cannot find whisper.cpp sources: ${srcDir}/CMakeLists.txt is unreadable (${
        (err as Error).message
      }); run \`npm ci\` or set HUM_WHISPER_SRC`,
    );
  }
  const m = text.match(/project\("whisper\.cpp"\s+VERSION\s+([0-9.]+)\)/);
  if (!m) throw new Error(`Cannot read whisper.cpp version: no project VERSION in ${srcDir}`);
  return m[1];
}

function hasCommand(cmd: string, args: string[] = ["--version"]): boolean {
  try {
    return new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).outputSync().success;
  } catch {
    return false;
  }
}

/** Picks `cuda` when an nvcc and an NVIDIA GPU are both present, else `cpu`. */
export function detectBackend(): Backend {
  const nvcc = Deno.env.get("CUDACXX") ?? "nvcc";
  return hasCommand(nvcc) && hasCommand("nvidia-smi", ["-L"]) ? "cuda" : "cpu";
}

/** Reads an environment variable (a parameter so that tests can pass their own). */
export type EnvLookup = (key: string) => string | undefined;

const denoEnv: EnvLookup = (key) => Deno.env.get(key);

/**
 * Whether `HUM_WHISPER_PORTABLE` asks for a CPU build that does not depend on the build machine's
 * CPU (for images built on one machine and run on others): `1`/`true`/`yes`/`on` do, unset, empty,
 * `0`/`false`/`no`/`off` do not; anything else is an error rather than a silent guess.
 */
export function portableRequested(env: EnvLookup = denoEnv): boolean {
  const raw = (env("HUM_WHISPER_PORTABLE") ?? "").trim().toLowerCase();
  if (["", "0", "false", "no", "off"].includes(raw)) return false;
  if (["1", "true", "yes", "on"].includes(raw)) return true;
  throw new Error(`Cannot build libwhisper: HUM_WHISPER_PORTABLE="${raw}" is not 1 or 0`);
}

/**
 * The CMake flags of a build: the fixed options, then the backend's, then the words of
 * `HUM_WHISPER_CMAKE_FLAGS`. The CPU build is tuned to this machine (`GGML_NATIVE=ON`) unless
 * `HUM_WHISPER_PORTABLE` is set; it then uses ggml's fixed x86-64 baseline (SSE4.2, AVX, AVX2,
 * BMI2, FMA, F16C), like the CUDA build always does. The flags (with the sources folder) key the
 * cache, so changing them here makes every existing build stale.
 */
export function cmakeFlagsFor(backend: Backend, env: EnvLookup = denoEnv): string[] {
  const flags = [
    "-DCMAKE_BUILD_TYPE=Release",
    "-DBUILD_SHARED_LIBS=ON",
    "-DWHISPER_BUILD_TESTS=OFF",
    "-DWHISPER_BUILD_SERVER=OFF",
    "-DWHISPER_BUILD_EXAMPLES=ON",
    "-DWHISPER_SDL2=OFF",
    "-DWHISPER_CURL=OFF",
  ];
  if (backend === "cpu") {
    flags.push(portableRequested(env) ? "-DGGML_NATIVE=OFF" : "-DGGML_NATIVE=ON");
  } else {
    // Native flags would tie the CUDA image to the build host's CPU; the CUDA build is portable.
    flags.push("-DGGML_NATIVE=OFF", "-DGGML_CUDA=ON");
    const archs = env("HUM_CUDA_ARCHITECTURES");
    if (archs) flags.push(`-DCMAKE_CUDA_ARCHITECTURES=${archs}`);
  }
  const extra = env("HUM_WHISPER_CMAKE_FLAGS");
  if (extra) flags.push(...extra.split(/\s+/).filter(Boolean));
  return flags;
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The root of the build cache (`HUM_CACHE_DIR` or `.cache/` in the repository). */
export function cacheRoot(): string {
  return resolve(Deno.env.get("HUM_CACHE_DIR") ?? join(REPO_ROOT, ".cache"));
}

function readStamp(path: string): BuildInfo | null {
  try {
    return JSON.parse(Deno.readTextFileSync(path)) as BuildInfo;
  } catch {
    return null;
  }
}

async function run(cmd: string, args: string[], quiet: boolean): Promise<void> {
  const child = new Deno.Command(cmd, {
    args,
    stdout: quiet ? "piped" : "inherit",
    stderr: quiet ? "piped" : "inherit",
  }).spawn();
  const out = await child.output();
  if (!out.success) {
    const tail = quiet ? new TextDecoder().decode(out.stderr).slice(-4000) : "";
    throw new Error(`Cannot build libwhisper: \`${cmd} ${args.join(" ")}\` failed\n${tail}`);
  }
}

/** Options for {@linkcode findWhisperBuild}. */
export type LookupOptions = Pick<BuildOptions, "backend">;

/** Where the build for the current settings lives, and its stamp when it is complete. */
export interface BuildLookup {
  key: string;
  version: string;
  backend: Backend;
  srcDir: string;
  flags: string[];
  /** The cache folder of this key. */
  dir: string;
  /** The recorded build, or null when the cache lacks a complete one. */
  current: BuildInfo | null;
}

/**
 * Finds the cached build of libwhisper for the current sources and settings without building
 * anything. The cache folder is `.cache/whisper/<version>-<backend>-<hash of flags and sources
 * path>`, so a cache made at another path or with other settings is not found.
 */
export async function findWhisperBuild(opts: LookupOptions = {}): Promise<BuildLookup> {
  const srcDir = whisperSourceDir();
  const version = readSourceVersion(srcDir);
  const requested = opts.backend ?? ((Deno.env.get("HUM_BACKEND") || "cpu") as Backend | "auto");
  const backend: Backend = requested === "auto" ? detectBackend() : requested;
  if (backend !== "cpu" && backend !== "cuda") {
    throw new Error(`Cannot build libwhisper: unknown backend "${backend}" (cpu, cuda or auto)`);
  }
  const flags = cmakeFlagsFor(backend);
  const hash = (await sha256Hex(JSON.stringify({ srcDir, flags, patches: PATCHES }))).slice(0, 12);
  const key = `${version}-${backend}-${hash}`;
  const dir = join(cacheRoot(), "whisper", key);
  const stamp = readStamp(join(dir, "build.json"));
  const current = stamp && existsSync(stamp.library) ? stamp : null;
  return { key, version, backend, srcDir, flags, dir, current };
}

/**
 * Returns a current build of libwhisper, building it first when the cache lacks one
 * (see {@linkcode findWhisperBuild} for where it is looked for).
 */
export async function ensureWhisperBuild(opts: BuildOptions = {}): Promise<BuildInfo> {
  const { key, version, backend, srcDir, flags, dir, current } = await findWhisperBuild(opts);
  if (current && !opts.force) return current;
  const stampPath = join(dir, "build.json");

  const log = opts.quiet ? () => {} : (msg: string) => console.error(msg);
  log(`Building libwhisper ${version} (${backend}) into ${dir} — once; later runs reuse it`);
  const started = performance.now();
  const buildDir = join(dir, "build");
  // The sources are copied (less any git history) and patched there.
  const patchedDir = join(dir, "src");
  if (existsSync(patchedDir)) Deno.removeSync(patchedDir, { recursive: true });
  cpSync(srcDir, patchedDir, {
    recursive: true,
    filter: (path: string) => basename(path) !== ".git",
  });
  const report = applyPatches(patchedDir);
  for (const s of report.skipped) log(`whisper.cpp patch ${s.name} left out: ${s.reason}`);
  await run("cmake", ["-S", patchedDir, "-B", buildDir, ...flags], opts.quiet ?? false);
  const jobs = String(navigator.hardwareConcurrency || 2);
  await run(
    "cmake",
    ["--build", buildDir, "--config", "Release", "-j", jobs, "--target", "whisper", "whisper-cli"],
    opts.quiet ?? false,
  );
  const info: BuildInfo = {
    key,
    version,
    backend,
    library: join(buildDir, "bin", "libwhisper.so"),
    cli: existsSync(join(buildDir, "bin", "whisper-cli"))
      ? join(buildDir, "bin", "whisper-cli")
      : null,
    includeDirs: [join(patchedDir, "include"), join(patchedDir, "ggml", "include")],
    cmakeFlags: flags,
    patches: report.applied,
    patchesSkipped: report.skipped,
    buildSeconds: Math.round((performance.now() - started) / 100) / 10,
    builtAt: new Date().toISOString(),
  };
  if (!existsSync(info.library)) {
    throw new Error(`Cannot build libwhisper: ${info.library} is missing after the build`);
  }
  Deno.writeTextFileSync(stampPath, JSON.stringify(info, null, 2) + "\n");
  log(`Built libwhisper in ${info.buildSeconds} s`);
  return info;
}

/**
 * Returns the path of the native log filter (`native/log_shim.c`), compiling it with `cc` into
 * the cache when the cache lacks the current version. It needs no whisper.cpp header or library.
 */
export async function ensureLogShim(): Promise<string> {
  const src = join(REPO_ROOT, "ffi", "whisper", "native", "log_shim.c");
  const out = await logShimPath();
  if (existsSync(out)) return out;
  Deno.mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.${Deno.pid}.tmp`;
  await run(Deno.env.get("CC") ?? "cc", ["-O2", "-shared", "-fPIC", src, "-o", tmp], true);
  Deno.renameSync(tmp, out);
  return out;
}

/** Where the native log filter of the current `native/log_shim.c` is (or will be) cached. */
export async function logShimPath(): Promise<string> {
  const src = join(REPO_ROOT, "ffi", "whisper", "native", "log_shim.c");
  const hash = (await sha256Hex(Deno.readTextFileSync(src))).slice(0, 12);
  return join(cacheRoot(), "shim", hash, "libhum_log.so");
}

/** Whether `path` exists (any kind of file). */
export function existsSync(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

if (import.meta.main) {
  const args = Deno.args;
  const quiet = args.includes("--quiet");
  const force = args.includes("--force");
  const bi = args.indexOf("--backend");
  const backend = bi >= 0 ? (args[bi + 1] as Backend | "auto") : undefined;
  if (Deno.env.get("HUM_WHISPER_LIB")) {
    if (!quiet) console.error(`HUM_WHISPER_LIB is set: using ${Deno.env.get("HUM_WHISPER_LIB")}`);
    Deno.exit(0);
  }
  const started = performance.now();
  try {
    const info = await ensureWhisperBuild({ backend, force, quiet });
    // The binding opens the log filter with the library: build it now too, not at first use.
    await ensureLogShim();
    if (!quiet) {
      console.log(
        `libwhisper ${info.version} (${info.backend}) ready: ${info.library} (${
          ((performance.now() - started) / 1000).toFixed(2)
        } s)`,
      );
    }
  } catch (err) {
    console.error((err as Error).message);
    Deno.exit(1);
  }
}
