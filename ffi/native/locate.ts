/**
 * Locating and opening a system shared library (libsndfile, libsoxr, libopus): an environment
 * variable naming one path first, else the platform's default names, found by the dynamic loader.
 * {@linkcode systemLibrary} is the one recipe the three bindings share.
 *
 * @module
 */

import { readCString } from "./cstring.ts";

/** How {@linkcode openFirst} names the library when it cannot open any candidate. */
export interface OpenFirstOptions {
  /** The library, as the error names it, e.g. "libsndfile". */
  what: string;
  /** The environment variable that names a path to open instead of the defaults. */
  envVar: string;
  /** The command that installs the library, e.g. "apt-get install libsndfile1". */
  installHint: string;
}

/** A library {@linkcode openFirst} opened, and the candidate it was opened from. */
export interface OpenedLibrary<S extends Deno.ForeignLibraryInterface> {
  readonly lib: Deno.DynamicLibrary<S>;
  /** The path or soname that was opened. */
  readonly path: string;
}

/**
 * The candidates in the order they are tried: the path in `envVar` alone when it is set (so a
 * mistyped path fails loudly instead of silently loading another copy), else `defaults`.
 */
export function libraryCandidates(envVar: string, defaults: readonly string[]): string[] {
  const fromEnv = Deno.env.get(envVar);
  return fromEnv ? [fromEnv] : [...defaults];
}

/**
 * Opens the first of `candidates` that `Deno.dlopen` accepts with `symbols`. Throws an error that
 * lists every candidate tried with the loader's reason, and how to install the library.
 */
export function openFirst<S extends Deno.ForeignLibraryInterface>(
  candidates: readonly string[],
  symbols: S,
  opts: OpenFirstOptions,
): OpenedLibrary<S> {
  const tried: string[] = [];
  for (const path of candidates) {
    try {
      return { lib: Deno.dlopen(path, symbols), path };
    } catch (err) {
      tried.push(`${path} (${(err as Error).message})`);
    }
  }
  const viaEnv = Deno.env.get(opts.envVar) ? ` from ${opts.envVar}` : "";
  throw new Error(
    `Cannot open ${opts.what}: tried ${tried.join("; ")}${viaEnv} ` +
      `(install it with \`${opts.installHint}\`, or set ${opts.envVar} to its path)`,
  );
}

/** What {@linkcode systemLibrary} needs to know of one library. */
export interface SystemLibrarySpec<S extends Deno.ForeignLibraryInterface>
  extends OpenFirstOptions {
  /** The names tried when `envVar` is unset, per platform; `linux` serves every other one. */
  names: { linux: readonly string[]; darwin: readonly string[]; windows: readonly string[] };
  /** The symbols to bind. */
  symbols: S;
  /** Calls the library's version function: a pointer to a C string. */
  version: (symbols: Deno.DynamicLibrary<S>["symbols"]) => Deno.PointerValue;
}

/** A system library opened by {@linkcode systemLibrary}. */
export interface SystemLibrary<S extends Deno.ForeignLibraryInterface> {
  readonly symbols: Deno.DynamicLibrary<S>["symbols"];
  /** The path or soname that was opened. */
  readonly path: string;
  /** The library's own version string, e.g. "libsndfile-1.2.0" ("unknown" when it gives none). */
  readonly version: string;
}

/** The three ways into one system library that {@linkcode systemLibrary} returns. */
export interface SystemLibraryLoader<S extends Deno.ForeignLibraryInterface> {
  /** The names tried when the environment variable is unset, for `os`. */
  defaultNames(os?: typeof Deno.build.os): string[];
  /** The candidates in the order they are tried: the environment variable's path alone when set. */
  candidates(): string[];
  /**
   * Opens the library once per process and returns it; later calls return the same library. A
   * failed open is not cached. Throws an error listing every candidate tried and how to install
   * one.
   */
  open(): SystemLibrary<S>;
}

/**
 * The loader of one system library: `spec.envVar` (a path; when set it is the only candidate, so
 * a mistyped path fails loudly instead of silently loading another copy), else the platform's
 * names from `spec.names`, found by the dynamic loader.
 */
export function systemLibrary<S extends Deno.ForeignLibraryInterface>(
  spec: SystemLibrarySpec<S>,
): SystemLibraryLoader<S> {
  const defaultNames = (os: typeof Deno.build.os = Deno.build.os) =>
    os === "darwin" || os === "windows" ? [...spec.names[os]] : [...spec.names.linux];
  const candidates = () => libraryCandidates(spec.envVar, defaultNames());
  let opened: SystemLibrary<S> | null = null;
  return {
    defaultNames,
    candidates,
    open() {
      if (opened) return opened;
      const { lib, path } = openFirst(candidates(), spec.symbols, spec);
      const version = readCString(spec.version(lib.symbols)) ?? "unknown";
      opened = { symbols: lib.symbols, path, version };
      return opened;
    },
  };
}
