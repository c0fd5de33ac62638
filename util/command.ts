/**
 * The `main` of every command: bad arguments print their reason and exit 2, `--help` prints the
 * help and exits 0, a failure while running prints its message and exits 1.
 *
 * @module
 */

/**
 * Runs a command: bad arguments print their reason and exit 2, `--help` prints `help` and exits
 * 0, a failure while running prints its message and exits 1.
 */
export async function runCommand<T>(
  args: string[],
  help: string,
  parse: (args: string[]) => T | "help",
  run: (opts: T) => Promise<number>,
): Promise<number> {
  let opts: T | "help";
  try {
    opts = parse(args);
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  if (opts === "help") {
    console.log(help);
    return 0;
  }
  try {
    return await run(opts);
  } catch (err) {
    console.error((err as Error).message);
    return 1;
  }
}
