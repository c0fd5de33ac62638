import { SERVE_COMMAND } from "./serve.ts";
import { TRANSCRIBE_COMMAND } from "./transcribe.ts";
import { STREAM_COMMAND } from "./stream.ts";
import { MODEL_COMMAND } from "../models/cli.ts";
import { CLIENT_COMMAND } from "../../client/cli.ts";
import { BENCH_COMMAND } from "../../bench/cli.ts";
import { LOADTEST_COMMAND } from "../../bench/loadtest/cli.ts";
import { type CommandSpec, defaultText, helpText } from "../../util/flags.ts";
import { assert } from "../../ffi/testing/assert.ts";

const COMMANDS: Record<string, CommandSpec> = {
  serve: SERVE_COMMAND,
  transcribe: TRANSCRIBE_COMMAND,
  stream: STREAM_COMMAND,
  model: MODEL_COMMAND,
  client: CLIENT_COMMAND,
  bench: BENCH_COMMAND,
  loadtest: LOADTEST_COMMAND,
};

Deno.test("every flag of every command's table is in its --help, with its default and variable", () => {
  for (const [name, spec] of Object.entries(COMMANDS)) {
    // The help as one line of words: a default may wrap onto the next line.
    const help = helpText(spec).replace(/\s+/g, " ");
    const seen = new Set<string>();
    for (const [key, f] of Object.entries(spec.flags)) {
      const label = f.flag ?? f.env;
      assert(label, `${name}.${key} has neither a flag nor a variable`);
      assert(!seen.has(label), `${name}: ${label} twice`);
      seen.add(label);
      const usage = f.flag ? `${f.flag}${f.arg === undefined ? "" : ` ${f.arg}`} ` : `${f.env} `;
      assert(help.includes(` ${usage}`), `${name}: ${usage} not in --help`);
      if (f.flag && f.env) assert(help.includes(`[${f.env}`), `${name}: [${f.env}] not in --help`);
      const d = defaultText(f);
      if (d !== null) assert(help.includes(`default ${d}`), `${name}: ${label}'s default ${d}`);
    }
    assert(help.includes(" --help this text"), `${name}: --help`);
  }
});
