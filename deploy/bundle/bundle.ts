/**
 * `./hum bundle DIR [--part-mb N] [--models | --models=NAME,…]`: an offline install bundle. It holds what a
 * machine without network needs besides a checkout of this repository to run the service and the
 * bench: Deno and every npm package (`node_modules`, whisper.cpp's sources included), the browser
 * client's bundle, the Debian runtime libraries the server opens through FFI (libopus, libsndfile,
 * libsoxr and what they link, less glibc and the C++ runtime that building libwhisper needs
 * anyway) and, with `--models`, models (default: the default Whisper and VAD models).
 *
 * DIR gets one gzip'd tar split into parts of at most N MB (`hum-bundle.tar.gz.000`, …), their
 * `SHA256SUMS`, `package-lock.sha256` (the lockfile the bundle was made from) and `bundle.json`
 * (provenance: commit, time, sizes, the libraries' origins, the models' checksums). On the machine,
 * `HUM_BUNDLE=DIR ./hum start` checks the parts, unpacks them into the checkout and runs with no
 * registry and no package manager (see `hum`). The peers of the bench (`bench:setup`, Python
 * wheels) are not in it.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { basename, join, resolve } from "node:path";
import {
  DEFAULT_MODEL,
  DEFAULT_VAD_MODEL,
  modelFileName,
  modelSearchDirs,
  REPO_ROOT,
} from "../../server/models/resolve.ts";
import { ensureClientBuilt } from "../../client/build.ts";
import { existsSync } from "../../ffi/whisper/build.ts";

/** The libraries the server opens by soname (`ffi/{opus,sndfile,soxr}/library.ts`). */
export const RUNTIME_SONAMES: readonly string[] = [
  "libopus.so.0",
  "libsndfile.so.1",
  "libsoxr.so.0",
];

/**
 * Libraries every machine that can build libwhisper has (glibc, the loader, the C++ runtime):
 * never bundled, so the bundle's copies never shadow the system's own.
 */
export const SYSTEM_LIBRARIES: readonly RegExp[] = [
  /^linux-vdso\.so/,
  /^ld-linux/,
  /^lib(c|m|dl|rt|pthread|resolv|util)\.so\./,
  /^libstdc\+\+\.so\./,
  /^libgcc_s\.so\./,
];

/** Where the bundle puts its libraries in the checkout (`hum` adds it to `LD_LIBRARY_PATH`). */
export const BUNDLE_LIB_DIR = ".cache/bundle/lib";

/** The parts' file name stem. */
export const PART_STEM = "hum-bundle.tar.gz";

/** A library to bundle: the soname the loader looks for and the file it resolves to. */
export interface BundledLibrary {
  soname: string;
  path: string;
}

/** `soname => path` pairs of `ldd` output (not-found and path-less lines left out). */
export function lddDependencies(lddOutput: string): BundledLibrary[] {
  const out: BundledLibrary[] = [];
  for (const line of lddOutput.split("\n")) {
    const m = line.match(/^\s*(\S+)\s+=>\s+(\/\S+)\s+\(0x[0-9a-f]+\)\s*$/);
    if (m) out.push({ soname: m[1], path: m[2] });
  }
  return out;
}

/** Whether `soname` is one of {@linkcode SYSTEM_LIBRARIES}. */
export function isSystemLibrary(soname: string): boolean {
  return SYSTEM_LIBRARIES.some((r) => r.test(soname));
}

/**
 * The runtime libraries and their dependencies, less the system's own, each once: `ldd` of each
 * library the server opens (found through `ldconfig -p`), in soname order.
 */
export async function runtimeLibraries(
  sonames: readonly string[] = RUNTIME_SONAMES,
): Promise<BundledLibrary[]> {
  const cache = await text("ldconfig", ["-p"]).catch(() => text("/sbin/ldconfig", ["-p"]));
  const found = new Map<string, string>();
  for (const soname of sonames) {
    const m = cache.match(
      new RegExp(`^\\s*${soname.replace(/[.+]/g, "\\$&")} \\([^)]*x86-64[^)]*\\) => (\\S+)$`, "m"),
    ) ??
      cache.match(new RegExp(`^\\s*${soname.replace(/[.+]/g, "\\$&")} \\(.*\\) => (\\S+)$`, "m"));
    if (!m) {
      throw new Error(
        `Cannot bundle ${soname}: the dynamic loader does not know it (install its Debian package: ` +
          `libopus0, libsndfile1, libsoxr0)`,
      );
    }
    found.set(soname, m[1]);
    for (const dep of lddDependencies(await text("ldd", [m[1]]))) {
      if (!isSystemLibrary(dep.soname)) found.set(dep.soname, dep.path);
    }
  }
  return [...found].map(([soname, path]) => ({ soname, path })).sort((a, b) =>
    a.soname.localeCompare(b.soname)
  );
}

/** One written part. */
export interface Part {
  name: string;
  bytes: number;
  sha256: string;
}

/**
 * Writes `stream` into files of at most `partBytes` (`STEM.000`, `STEM.001`, … in `dir`), each
 * hashed as it is written.
 */
export async function writeParts(
  stream: ReadableStream<Uint8Array>,
  dir: string,
  partBytes: number,
  stem: string = PART_STEM,
): Promise<Part[]> {
  if (!(partBytes >= 1)) {
    throw new RangeError(`Cannot split a bundle into parts of ${partBytes} bytes`);
  }
  const parts: Part[] = [];
  let file: Deno.FsFile | null = null;
  let hash = createHash("sha256");
  let written = 0;
  const close = () => {
    if (!file) return;
    file.close();
    file = null;
    parts[parts.length - 1].bytes = written;
    parts[parts.length - 1].sha256 = hash.digest("hex");
  };
  try {
    for await (let chunk of stream) {
      while (chunk.length) {
        if (!file || written === partBytes) {
          close();
          const name = `${stem}.${String(parts.length).padStart(3, "0")}`;
          file = Deno.openSync(join(dir, name), { write: true, create: true, truncate: true });
          parts.push({ name, bytes: 0, sha256: "" });
          hash = createHash("sha256");
          written = 0;
        }
        const take = chunk.subarray(0, partBytes - written);
        let off = 0;
        while (off < take.length) off += file.writeSync(take.subarray(off));
        hash.update(take);
        written += take.length;
        chunk = chunk.subarray(take.length);
      }
    }
  } finally {
    close();
  }
  return parts;
}

/** What `writeBundle` does. */
export interface BundleOptions {
  /** The folder the bundle goes to (made; must be empty or new). */
  out: string;
  /** Largest part, MB (MiB). */
  partMb: number;
  /** Model names (or paths) to carry into the checkout's `models/`; empty: none. */
  models: readonly string[];
  /** The checkout bundled from (default: this one). */
  repoRoot?: string;
  /** gzip level, 1–9 (default 6). */
  level?: number;
}

/** `bundle.json`. */
export interface BundleManifest {
  format: 1;
  createdAt: string;
  commit: string | null;
  packageLockSha256: string;
  denoVersion: string;
  contents: string[];
  libraries: { soname: string; from: string; bytes: number }[];
  models: { file: string; from: string; bytes: number; sha256: string }[];
  partMb: number;
  parts: Part[];
}

/** Writes the bundle (see the module doc) and returns its manifest. */
export async function writeBundle(opts: BundleOptions): Promise<BundleManifest> {
  const root = resolve(opts.repoRoot ?? REPO_ROOT);
  const out = resolve(opts.out);
  Deno.mkdirSync(out, { recursive: true });
  if ([...Deno.readDirSync(out)].length) {
    throw new Error(`Cannot write a bundle into ${out}: the folder is not empty`);
  }
  const lock = join(root, "node_modules", ".package-lock.json");
  if (!existsSync(lock)) {
    throw new Error(`Cannot bundle: ${root}/node_modules is not installed (run ./hum once)`);
  }
  await ensureClientBuilt();
  // Libraries and models go through a staging folder laid out as the checkout: `tar` then takes
  // everything from two roots.
  const stage = Deno.makeTempDirSync({ prefix: "hum-bundle-" });
  try {
    const libs = await runtimeLibraries();
    Deno.mkdirSync(join(stage, BUNDLE_LIB_DIR), { recursive: true });
    const libraries = libs.map((l) => {
      Deno.copyFileSync(l.path, join(stage, BUNDLE_LIB_DIR, l.soname));
      return {
        soname: l.soname,
        from: Deno.realPathSync(l.path),
        bytes: Deno.statSync(l.path).size,
      };
    });
    const models: BundleManifest["models"] = [];
    if (opts.models.length) Deno.mkdirSync(join(stage, "models"));
    for (const name of opts.models) {
      const path = findModelFile(name, root);
      const file = basename(path);
      Deno.copyFileSync(path, join(stage, "models", file));
      models.push({
        file: `models/${file}`,
        from: path,
        bytes: Deno.statSync(path).size,
        sha256: await sha256File(path),
      });
    }
    const fromRoot = ["node_modules", ".cache/client"];
    const fromStage = [BUNDLE_LIB_DIR, ...(models.length ? ["models"] : [])];
    const tar = new Deno.Command("tar", {
      args: [
        "--create",
        `--use-compress-program=gzip -${opts.level ?? 6}`,
        "--file=-",
        "--owner=0",
        "--group=0",
        "-C",
        root,
        ...fromRoot,
        "-C",
        stage,
        ...fromStage,
      ],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const errText = new Response(tar.stderr).text();
    const parts = await writeParts(tar.stdout, out, Math.floor(opts.partMb * 1024 * 1024));
    const status = await tar.status;
    if (!status.success) throw new Error(`Cannot bundle: tar failed: ${(await errText).trim()}`);
    Deno.writeTextFileSync(
      join(out, "SHA256SUMS"),
      parts.map((p) => `${p.sha256}  ${p.name}\n`).join(""),
    );
    const packageLockSha256 = await sha256File(join(root, "package-lock.json"));
    Deno.writeTextFileSync(join(out, "package-lock.sha256"), `${packageLockSha256}\n`);
    const manifest: BundleManifest = {
      format: 1,
      createdAt: new Date().toISOString(),
      commit: await text("git", ["-C", root, "rev-parse", "HEAD"]).then(
        (s) => s.trim(),
        () => null,
      ),
      packageLockSha256,
      denoVersion: Deno.version.deno,
      contents: [...fromRoot, ...fromStage],
      libraries,
      models,
      partMb: opts.partMb,
      parts,
    };
    Deno.writeTextFileSync(join(out, "bundle.json"), JSON.stringify(manifest, null, 2) + "\n");
    return manifest;
  } finally {
    Deno.removeSync(stage, { recursive: true });
  }
}

/** A model's file: a path as given, else `ggml-<name>.bin` in the model folders. */
function findModelFile(name: string, root: string): string {
  if (name.includes("/") || name.endsWith(".bin")) {
    if (!existsSync(name)) throw new Error(`Cannot bundle model ${name}: no such file`);
    return resolve(name);
  }
  for (const dir of modelSearchDirs(root)) {
    const p = join(dir, modelFileName(name));
    if (existsSync(p)) return p;
  }
  throw new Error(
    `Cannot bundle model ${name}: no ${modelFileName(name)} in ${
      modelSearchDirs(root).join(", ")
    } ` +
      `(fetch it first: ./hum model ${name})`,
  );
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  using f = await Deno.open(path);
  for await (const chunk of f.readable) hash.update(chunk);
  return hash.digest("hex");
}

async function text(cmd: string, args: string[]): Promise<string> {
  const r = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  if (!r.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(r.stderr).trim()}`);
  }
  return new TextDecoder().decode(r.stdout);
}

/**
 * The command line: `DIR [--part-mb N] [--models | --models=NAME,…] [--level L]` (`--models`
 * alone: the default Whisper and VAD models).
 */
export function parseBundleArgs(args: readonly string[]): BundleOptions {
  let out = "";
  let partMb = 1024;
  let models: string[] = [];
  let level = 6;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--part-mb") {
      partMb = Number(args[++i]);
      if (!(partMb >= 1)) throw new Error(`Cannot parse arguments: --part-mb needs a number ≥ 1`);
    } else if (a === "--models") {
      models = [DEFAULT_MODEL, DEFAULT_VAD_MODEL];
    } else if (a.startsWith("--models=")) {
      models = a.slice("--models=".length).split(",").filter(Boolean);
      if (!models.length) throw new Error("Cannot parse arguments: --models= needs names");
    } else if (a === "--level") {
      level = Number(args[++i]);
      if (!(level >= 1 && level <= 9)) throw new Error("Cannot parse arguments: --level is 1–9");
    } else if (a.startsWith("--")) {
      throw new Error(`Cannot parse arguments: unknown option ${a}`);
    } else if (!out) out = a;
    else throw new Error(`Cannot parse arguments: one folder only (got ${out} and ${a})`);
  }
  if (!out) {
    throw new Error(
      "Usage: ./hum bundle DIR [--part-mb N] [--models | --models=NAME,…] [--level 1-9]",
    );
  }
  return { out, partMb, models, level };
}

if (import.meta.main) {
  try {
    const opts = parseBundleArgs(Deno.args);
    const t0 = performance.now();
    const m = await writeBundle(opts);
    const mb = m.parts.reduce((n, p) => n + p.bytes, 0) / 2 ** 20;
    console.log(
      `bundle: ${opts.out}: ${m.parts.length} part(s), ${mb.toFixed(1)} MB in all, ` +
        `${m.libraries.length} libraries, ${m.models.length} models, ` +
        `${
          ((performance.now() - t0) / 1000).toFixed(1)
        } s. Install: HUM_BUNDLE=${opts.out} ./hum start`,
    );
  } catch (err) {
    console.error(`bundle: ${(err as Error).message}`);
    Deno.exit(1);
  }
}
