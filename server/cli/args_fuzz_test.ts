import fc from "fast-check";
import { parseArgs as serveArgs } from "./serve.ts";
import { parseArgs as transcribeArgs } from "./transcribe.ts";
import { parseArgs as streamArgs } from "./stream.ts";
import { parseArgs as modelArgs } from "../models/cli.ts";
import { parseArgs as clientArgs } from "../../client/cli.ts";
import { BENCH_COMMAND, parseArgs as benchArgs } from "../../bench/cli.ts";
import { LOADTEST_COMMAND, parseArgs as loadtestArgs } from "../../bench/loadtest/cli.ts";
import { SERVE_COMMAND } from "./serve.ts";
import { TRANSCRIBE_COMMAND } from "./transcribe.ts";
import { STREAM_COMMAND } from "./stream.ts";
import { MODEL_COMMAND } from "../models/cli.ts";
import { CLIENT_COMMAND } from "../../client/cli.ts";
import type { CommandSpec } from "../../util/flags.ts";
import { assert, assertEquals } from "../../ffi/testing/assert.ts";
import { expectContractError, fuzz, thrown } from "../../ffi/testing/fuzz.ts";

/** The command lines, each with the flags it knows (value flags take the next argument). */
const COMMANDS: {
  name: string;
  spec: CommandSpec;
  parse: (args: string[]) => unknown;
  value: string[];
  bool: string[];
  file: "required" | "optional" | "none" | "names";
}[] = [
  {
    name: "serve",
    spec: SERVE_COMMAND,
    parse: (a) => serveArgs(a, {}),
    value: [
      "--port",
      "--host",
      "--tls-cert",
      "--tls-key",
      "--model",
      "--vad-model",
      "--max-sessions",
      "--slots",
      "--drain-s",
      "--public-url",
      "--udp-ports",
      "--models",
      "--ice-server",
      "--api-keys-file",
      "--key-max-sessions",
      "--key-max-uploads",
      "--allowed-origin",
      "--max-session-s",
      "--idle-state-release-s",
      "--heap-trim-interval-s",
      "--idle-timeout-s",
      "--connect-timeout-s",
      "--max-pending",
      "--max-pending-per-client",
      "--max-message-bytes",
      "--max-upload-mb",
      "--max-upload-s",
      "--upload-min-bytes-per-s",
      "--upload-deadline-s",
      "--max-uploads",
      "--max-uploads-per-client",
      "--upload-share",
      "--attention",
    ],
    bool: ["--no-gpu", "--no-refuse-when-overloaded"],
    file: "none",
  },
  {
    name: "transcribe",
    spec: TRANSCRIBE_COMMAND,
    parse: transcribeArgs,
    value: [
      "--model",
      "--format",
      "--threads",
      "--language",
      "--beam",
      "--vad-model",
      "--max-window",
      "--word-times",
    ],
    bool: ["--no-vad", "--prompt-previous", "--no-gpu", "--verbose"],
    file: "required",
  },
  {
    name: "stream",
    spec: STREAM_COMMAND,
    parse: streamArgs,
    value: [
      "--mode",
      "--model",
      "--vad-model",
      "--out",
      "--input",
      "--set",
      "--charge-ms",
      "--attention",
    ],
    bool: ["--realtime", "--no-intent", "--no-gpu", "--summary"],
    file: "required",
  },
  {
    name: "model",
    spec: MODEL_COMMAND,
    parse: modelArgs,
    value: ["--dir", "--base-url"],
    bool: ["--force", "--no-verify", "--allow-unverified", "--list"],
    file: "names",
  },
  {
    name: "client",
    spec: CLIENT_COMMAND,
    parse: clientArgs,
    value: [
      "--url",
      "--file",
      "--transport",
      "--mode",
      "--model",
      "--out",
      "--timeout",
      "--clock",
      "--loss",
      "--reorder",
      "--seed",
    ],
    bool: ["--realtime"],
    file: "none",
  },
  {
    name: "bench",
    spec: BENCH_COMMAND,
    parse: benchArgs,
    value: ["--out", "--baseline", "--compare"],
    bool: [],
    file: "optional",
  },
  {
    name: "loadtest",
    spec: LOADTEST_COMMAND,
    parse: loadtestArgs,
    value: [
      "--file",
      "--sessions",
      "--duration",
      "--url",
      "--mode",
      "--transport",
      "--slots",
      "--model",
      "--bound-ms",
      "--upload",
      "--per-worker",
      "--settle",
      "--server-arg",
      "--out",
    ],
    bool: ["--profile"],
    file: "optional",
  },
];

/** Names a file (or model) might have, the awkward ones included. */
const fileName = fc.oneof(
  fc.constantFrom("a.wav", "speech.flac", "tiny.en", "x y.mp3", "ü.ogg", "=", "a=b"),
  fc.constantFrom(
    "constructor",
    "__proto__",
    "toString",
    "valueOf",
    "hasOwnProperty",
    "isPrototypeOf",
  ),
  fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !s.startsWith("-")),
);
const value = fc.oneof(
  fc.constantFrom(
    "0",
    "1",
    "-1",
    "8000",
    "65536",
    "1.5",
    "NaN",
    "1e3",
    "",
    " ",
    "latency",
    "json",
    "en",
    "auto",
    "x=1",
    "minChunkMs=700",
    "1024-2000",
    "stun:x",
    "http://h/",
    "https://h.example/m",
  ),
  fileName,
  fc.string({ maxLength: 12 }),
);

function argv(c: (typeof COMMANDS)[number]) {
  const arg = fc.oneof(
    { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...c.value), value).map(([f, v]) => [f, v]) },
    {
      weight: 2,
      arbitrary: fc.tuple(fc.constantFrom(...c.value), value).map(([f, v]) => [`${f}=${v}`]),
    },
    ...(c.bool.length
      ? [{ weight: 2, arbitrary: fc.constantFrom(...c.bool).map((f) => [f]) }]
      : []),
    { weight: 2, arbitrary: fileName.map((f) => [f]) },
    {
      weight: 1,
      arbitrary: fc.constantFrom("--help", "-h", "--", "-", "--bogus", "--port=").map((f) => [f]),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 10 }).map((s) => [s]) },
  );
  return fc.array(arg, { maxLength: 6 }).map((parts) => parts.flat());
}

Deno.test("every CLI keeps its flags: the names above, each a value or a switch as before", () => {
  for (const c of COMMANDS) {
    const flags = Object.values(c.spec.flags).filter((f) => f.flag);
    const value = flags.filter((f) => f.arg !== undefined).map((f) => f.flag!).sort();
    const bool = flags.filter((f) => f.arg === undefined).map((f) => f.flag!).sort();
    assertEquals(value, [...c.value].sort(), `${c.name}: value flags`);
    assertEquals(bool, [...c.bool].sort(), `${c.name}: switches`);
  }
});

Deno.test("every CLI's parseArgs: any argv is options, help, or a one-line 'Cannot parse arguments' error", () => {
  for (const c of COMMANDS) {
    fuzz(
      `cli.${c.name}.parseArgs`,
      fc.property(argv(c), (args) => {
        let r: unknown;
        const err = thrown(() => (r = c.parse(args)));
        expectContractError(err, [Error], "Cannot parse arguments: ");
        if (err) {
          return assert(
            !(err as Error).message.includes("\n") || args.some((a) => a.includes("\n")),
            "one line",
          );
        }
        if (args.includes("--help") || args.includes("-h")) return;
        assert(r !== null && typeof r === "object", `parsed to ${r}`);
      }),
      { runs: 250 },
    );
  }
});

Deno.test("every CLI's parseArgs: a positional argument is the file (or model name), whatever it is called", () => {
  for (const c of COMMANDS.filter((c) => c.file !== "none")) {
    fuzz(
      `cli.${c.name}.parseArgs(file)`,
      fc.property(fileName, (f) => {
        const r = c.parse([f]) as { file?: string; names?: string[] };
        if (c.file === "names") assertEquals(r.names, [f]);
        else assertEquals(r.file, f);
      }),
      { runs: 100 },
    );
  }
});
