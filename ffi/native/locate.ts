/**
 * Locating and opening a system shared library (libsndfile, libsoxr): an environment variable
 * naming one path first, else the platform's default names, found by the dynamic loader.
 *
 * @module
 */

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
