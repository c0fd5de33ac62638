import { z } from "zod";
import {
  type CommandSpec,
  defaultText,
  flagSchema,
  type FlagTable,
  helpText,
  parseFlags,
} from "./flags.ts";
import { parseArgs as modelArgs } from "../server/models/cli.ts";
import { assert, assertEquals, assertThrows } from "../ffi/testing/assert.ts";

const FLAGS = {
  out: { flag: "--out", arg: "PATH", schema: z.string().optional(), help: "where" },
} as const satisfies FlagTable;
const spec: CommandSpec = {
  usage: "demo [FILE] [options]",
  about: "A demo.",
  flags: FLAGS,
  positional: { key: "file", arity: "optional" },
};
const schema = z.object({ file: z.string().optional() }).extend(flagSchema(FLAGS).shape);
const parse = (args: string[]) => parseFlags(spec, schema, args);

Deno.test("an argument named like an Object.prototype key is a file, not a flag (fuzz counterexample)", () => {
  // `"constructor" in {}` is true: such an argument was taken for a flag that "needs a value".
  for (const name of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
    assertEquals(parse([name]), { file: name });
    assertEquals((modelArgs([name]) as { names: string[] }).names, [name]);
  }
  assertEquals(parse(["--out", "x", "valueOf"]), {
    file: "valueOf",
    out: "x",
  });
  assertThrows(() => parse(["--toString"]), Error, "unknown option");
});

const TABLE = {
  port: {
    flag: "--port",
    arg: "N",
    env: "PORT",
    schema: z.coerce.number().int().min(1).default(8000),
    help: "port",
  },
  wait: {
    flag: "--wait-s",
    arg: "S",
    schema: z.coerce.number().default(30),
    unit: "s",
    help: "wait",
  },
  peers: {
    flag: "--peer",
    arg: "URL",
    env: "PEERS",
    repeat: "append",
    schema: z.array(z.string()).default([]),
    help: "a peer",
  },
  names: {
    flag: "--names",
    arg: "A,B",
    repeat: "split",
    schema: z.array(z.string()).default([]),
    help: "names",
  },
  gpu: { flag: "--no-gpu", sets: false, schema: z.boolean().default(true), help: "CPU only" },
  secret: { env: "SECRET", schema: z.string().optional(), help: "only from the environment" },
} as const satisfies FlagTable;
const table: CommandSpec = { usage: "t [options]", about: "Table.", flags: TABLE };
const parseTable = (args: string[], env: Record<string, string> = {}) => {
  const o = parseFlags(table, flagSchema(TABLE), args, env);
  if (o === "help") throw new Error("help");
  return o;
};

Deno.test("values, switches, lists and the environment; flags win over it", () => {
  assertEquals(parseTable([]), { port: 8000, wait: 30, peers: [], names: [], gpu: true });
  const o = parseTable(
    ["--port=9", "--peer", "a", "--peer=b", "--names", "x,,y", "--names=z", "--no-gpu"],
    { PORT: "7", PEERS: "p,q", SECRET: "s" },
  );
  assertEquals(o, { port: 9, wait: 30, peers: ["a", "b"], names: ["z"], gpu: false, secret: "s" });
  assertEquals(parseTable([], { PORT: "7", PEERS: "p,,q", SECRET: "" }).peers, ["p", "q"]);
  assertEquals(parseTable([], { PORT: "" }).port, 8000, "an empty variable is unset");
  assertEquals(parseFlags(table, flagSchema(TABLE), ["-h"]), "help");
});

Deno.test("errors are one line and name the flag as typed, or the variable", () => {
  assertThrows(() => parseTable(["--port", "0"]), Error, "Cannot parse arguments: --port: ");
  assertThrows(() => parseTable([], { PORT: "x" }), Error, "Cannot parse arguments: PORT: ");
  assertThrows(() => parseTable(["--port"]), Error, "--port needs a value");
  assertThrows(() => parseTable(["--no-gpu=1"]), Error, "unknown option --no-gpu=1");
  assertThrows(() => parseTable(["a.wav"]), Error, "unexpected argument a.wav");
  assertThrows(() => parseTable(["--secret", "x"]), Error, "unknown option --secret");
  const one: CommandSpec = { ...spec, positional: { key: "file", arity: "one", missing: "no f" } };
  assertThrows(
    () => parseFlags(one, schema, []),
    Error,
    "Cannot parse arguments: no f (see --help)",
  );
  assertThrows(() => parseFlags(one, schema, ["a", "b"]), Error, "only one file at a time");
});

Deno.test("--help lists every flag with its default, the variable and the unit", () => {
  const help = helpText(table);
  assert(help.startsWith("Usage: t [options]\n\nTable.\n"), help);
  for (
    const line of [
      "--port N ",
      "port [PORT]; default 8000",
      "wait; default 30 s",
      "a peer (repeatable) [PEERS, comma-separated]; default none",
      "--no-gpu ",
      "SECRET ",
      "--help ",
    ]
  ) assert(help.includes(line), `${line}\n${help}`);
  assertEquals(defaultText(TABLE.gpu), null, "a switch is off unless given");
  for (const l of help.split("\n")) assert(l.length <= 100, l);
});
