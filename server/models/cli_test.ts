import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { type CliIo, main, parseArgs } from "./cli.ts";
import { MODELS_DIR, REPO_ROOT } from "./resolve.ts";
import { serveFile, tempDir, testBytes } from "./testing.ts";

function captureIo(extra: Partial<CliIo> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: (s) => out.push(s),
    stderr: (s) => err.push(s),
    interactive: false,
    env: () => undefined,
    ...extra,
  };
  return { io, out: () => out.join(""), err: () => err.join("") };
}

Deno.test("parseArgs reads names and flags", () => {
  const o = parseArgs([
    "tiny.en",
    "--dir",
    "/x",
    "--force",
    "--no-verify",
    "base",
    "--base-url=http://127.0.0.1:1/m",
  ]);
  assert.notEqual(o, "help");
  if (o === "help") return;
  assert.deepEqual(o.names, ["tiny.en", "base"]);
  assert.equal(o.dir, "/x");
  assert.equal(o.force, true);
  assert.equal(o.verify, false);
  assert.equal(o.allowUnverified, false);
  assert.equal(o.baseUrl, "http://127.0.0.1:1/m");
  assert.equal(o.list, false);

  const d = parseArgs(["--list"]);
  assert.ok(d !== "help" && d.list && d.names.length === 0 && d.dir === MODELS_DIR);
  assert.equal(parseArgs(["tiny", "--help"]), "help");
});

Deno.test("parseArgs rejects bad command lines with one-line reasons", () => {
  assert.throws(
    () => parseArgs([]),
    /^Error: Cannot parse arguments: name a model to download, or --list/,
  );
  assert.throws(() => parseArgs(["tiny", "--dir"]), /--dir needs a value/);
  assert.throws(() => parseArgs(["tiny", "--bogus"]), /unknown option --bogus/);
  assert.throws(() => parseArgs(["tiny", "--force=yes"]), /unknown option --force=yes/);
  assert.throws(
    () => parseArgs(["tiny", "--base-url", "ftp://x/y"]),
    /Cannot parse arguments: --base-url: /,
  );
});

Deno.test("--help prints usage and exits 0", async () => {
  const c = captureIo();
  assert.equal(await main(["--help"], c.io), 0);
  assert.match(c.out(), /^Usage: deno task model <name>\.\.\. \[options\]/);
});

Deno.test("a bad option exits 2 and an unknown model exits 1, each with one line", async () => {
  const bad = captureIo();
  assert.equal(await main(["--nope"], bad.io), 2);
  assert.equal(bad.err().trimEnd().split("\n").length, 1);
  const unknown = captureIo();
  assert.equal(await main(["tiny", "tiny.xx"], unknown.io), 1);
  assert.equal(
    unknown.err(),
    'Cannot download "tiny.xx": not a known model name (see `deno task model --list`)\n',
  );
});

Deno.test("--list shows every model, its size and where it is present", async () => {
  await using dir = await tempDir();
  await Deno.writeFile(join(dir.path, "ggml-base-q8_0.bin"), new Uint8Array(10));
  const c = captureIo();
  assert.equal(await main(["--list", "--dir", dir.path], c.io), 0);
  const lines = c.out().split("\n");
  assert.match(lines[0], /^NAME\s+KIND\s+SIZE\s+CHECKSUM\s+PRESENT IN$/);
  const row = (name: string) => lines.find((l) => l.startsWith(`${name} `)) ?? "";
  assert.match(row("tiny.en"), /^tiny\.en\s+whisper\s+74\.1 MiB\s+sha256\+sha1\s/);
  assert.match(row("large-v3"), /\s2\.88 GiB\s/);
  assert.match(row("small.en-tdrz"), /\s\?\s+sha1\s/);
  assert.match(row("silero-v6.2.0"), /^silero-v6\.2\.0\s+vad\s+0\.8 MiB\s+sha256\s/);
  assert.ok(
    row("base-q8_0").endsWith(`${dir.path} (not the published file: different size)`),
    row("base-q8_0"),
  );
  assert.ok(row("tiny-q8_0").endsWith(" -"), row("tiny-q8_0"));
});

Deno.test("a failed download exits 1 with a one-line error", async () => {
  await using dir = await tempDir();
  const server = serveFile(testBytes(100), { path: "/elsewhere" });
  try {
    const c = captureIo();
    assert.equal(await main(["tiny-q5_1", "--dir", dir.path, "--base-url", server.url], c.io), 1);
    assert.match(
      c.err(),
      /^Cannot download tiny-q5_1: HTTP 404 Not Found from http:\/\/127\.0\.0\.1:\d+\/ggml-tiny-q5_1\.bin\n$/,
    );
    assert.equal(c.out(), "");
  } finally {
    await server.close();
  }
});

Deno.test("a present file is skipped with --no-verify and refused when it does not verify", async () => {
  await using dir = await tempDir();
  const path = join(dir.path, "ggml-tiny.bin");
  await Deno.writeFile(path, new Uint8Array(10));
  const skipped = captureIo();
  assert.equal(await main(["tiny", "--dir", dir.path, "--no-verify"], skipped.io), 0);
  assert.equal(skipped.out(), `${path}\n`);
  assert.match(
    skipped.err(),
    /^tiny: already present .*ggml-tiny\.bin \(0\.0 MiB, NOT verified\)\n$/,
  );
  const refused = captureIo();
  assert.equal(await main(["tiny", "--dir", dir.path], refused.io), 1);
  assert.match(
    refused.err(),
    /^Cannot use existing .*ggml-tiny\.bin: it has 10 bytes, tiny has 77691713; use --force/,
  );
});

Deno.test("the command runs as a process: exit codes and stderr", async () => {
  const script = fileURLToPath(new URL("./cli.ts", import.meta.url));
  const run = async (...args: string[]) => {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", script, ...args],
      stdout: "piped",
      stderr: "piped",
      cwd: REPO_ROOT,
      env: { NO_COLOR: "1" },
    }).output();
    return { code, out: new TextDecoder().decode(stdout), err: new TextDecoder().decode(stderr) };
  };
  const help = await run("--help");
  assert.equal(help.code, 0);
  assert.match(help.out, /^Usage:/);
  const unknown = await run("no-such-model");
  assert.equal(unknown.code, 1);
  assert.equal(unknown.err.trimEnd().split("\n").length, 1, unknown.err);
});
