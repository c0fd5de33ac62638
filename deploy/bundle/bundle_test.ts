import { join } from "node:path";
import {
  BUNDLE_LIB_DIR,
  isSystemLibrary,
  lddDependencies,
  parseBundleArgs,
  RUNTIME_SONAMES,
  writeBundle,
  writeParts,
} from "./bundle.ts";
import { findWhisperBuild } from "../../ffi/whisper/build.ts";
import { hasShared, sharedPath } from "../../ffi/testing/shared.ts";
import { assert, assertEquals, assertThrows } from "../../ffi/testing/assert.ts";
import { createHash } from "node:crypto";

const REPO = new URL("../..", import.meta.url).pathname;

Deno.test("ldd output: soname → file pairs, the system's own libraries told apart", () => {
  const out = [
    "\tlinux-vdso.so.1 (0x00007ffd)",
    "\tlibFLAC.so.12 => /lib/x86_64-linux-gnu/libFLAC.so.12 (0x00007ff3a843a000)",
    "\tlibgone.so.1 => not found",
    "\tlibm.so.6 => /lib/x86_64-linux-gnu/libm.so.6 (0x00007ff3a8145000)",
    "\t/lib64/ld-linux-x86-64.so.2 (0x00007ff3a853e000)",
  ].join("\n");
  assertEquals(lddDependencies(out), [
    { soname: "libFLAC.so.12", path: "/lib/x86_64-linux-gnu/libFLAC.so.12" },
    { soname: "libm.so.6", path: "/lib/x86_64-linux-gnu/libm.so.6" },
  ]);
  for (
    const s of ["libc.so.6", "libm.so.6", "libstdc++.so.6", "libgcc_s.so.1", "ld-linux-x86-64.so.2"]
  ) {
    assert(isSystemLibrary(s), s);
  }
  for (const s of [...RUNTIME_SONAMES, "libgomp.so.1", "libFLAC.so.12"]) {
    assert(!isSystemLibrary(s), s);
  }
});

Deno.test("a stream is split into parts of at most the size asked, each hashed", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const data = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 7) % 251);
    // Chunks that straddle the part boundaries.
    const stream = ReadableStream.from(
      [0, 3_000, 3_001, 9_999].map((at, i, all) => data.subarray(at, all[i + 1] ?? data.length)),
    );
    const parts = await writeParts(stream, dir, 4_096, "x");
    assertEquals(parts.map((p) => [p.name, p.bytes]), [["x.000", 4_096], ["x.001", 4_096], [
      "x.002",
      1_808,
    ]]);
    const joined = new Uint8Array(parts.flatMap((p) => [...Deno.readFileSync(join(dir, p.name))]));
    assertEquals(joined, data);
    for (const p of parts) {
      assertEquals(
        p.sha256,
        createHash("sha256").update(Deno.readFileSync(join(dir, p.name))).digest("hex"),
      );
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("bundle arguments: a folder, part size, models", () => {
  assertEquals(parseBundleArgs(["b"]), { out: "b", partMb: 1024, models: [], level: 6 });
  assertEquals(parseBundleArgs(["--part-mb", "90", "b", "--models"]).models, [
    "tiny.en",
    "silero-v5.1.2",
  ]);
  assertEquals(parseBundleArgs(["b", "--models=base-q5_1,silero-v6.2.0"]).models, [
    "base-q5_1",
    "silero-v6.2.0",
  ]);
  assertThrows(() => parseBundleArgs([]), Error, "Usage");
  assertThrows(() => parseBundleArgs(["b", "--part-mb", "0"]), Error, "--part-mb");
  assertThrows(() => parseBundleArgs(["b", "c"]), Error, "one folder");
  assertThrows(() => parseBundleArgs(["b", "--fast"]), Error, "unknown option --fast");
});

/** Commands a machine without network must not need: each records that it was called. */
const FORBIDDEN = ["npm", "npx", "node", "apt-get", "apt", "sudo", "curl", "wget", "pip", "pip3"];

Deno.test({
  name: "an offline bundle installs into a fresh checkout with downloads forbidden, and that " +
    "checkout transcribes jfk with the bundle's models",
  ignore: !hasShared(
    "models/ggml-tiny.en.bin",
    "models/ggml-silero-v5.1.2.bin",
    "speech/jfk/jfk.wav",
  ),
  fn: async () => {
    const lookup = await findWhisperBuild();
    assert(lookup.current, "libwhisper is built (the test suite's first step)");
    const tmp = Deno.makeTempDirSync({ prefix: "hum-bundle-test-" });
    try {
      const bundle = join(tmp, "bundle");
      const m = await writeBundle({
        out: bundle,
        partMb: 40,
        models: ["tiny.en", "silero-v5.1.2"],
        repoRoot: REPO,
        level: 1,
      });
      assert(m.parts.length > 1, `${m.parts.length} part`);
      for (const p of m.parts) assert(p.bytes <= 40 * 2 ** 20, `${p.name}: ${p.bytes} bytes`);
      for (const s of RUNTIME_SONAMES) assert(m.libraries.some((l) => l.soname === s), s);
      assert(!m.libraries.some((l) => isSystemLibrary(l.soname)), JSON.stringify(m.libraries));

      // A fresh checkout: the repository's files, nothing installed, built or fetched.
      const fresh = join(tmp, "fresh");
      const files = new TextDecoder().decode(
        (await new Deno.Command("git", {
          args: ["-C", REPO, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
          stdout: "piped",
        }).output()).stdout,
      ).split("\0").filter(Boolean);
      for (const f of files) {
        try {
          Deno.mkdirSync(join(fresh, f, ".."), { recursive: true });
          Deno.copyFileSync(join(REPO, f), join(fresh, f));
        } catch (err) {
          if (!(err instanceof Deno.errors.NotFound)) throw err; // deleted, not yet committed
        }
      }
      const stubs = join(tmp, "stubs");
      const calls = join(tmp, "forbidden-calls");
      Deno.mkdirSync(stubs);
      for (const c of FORBIDDEN) {
        Deno.writeTextFileSync(join(stubs, c), `#!/bin/sh\necho "$0 $*" >>'${calls}'\nexit 97\n`, {
          mode: 0o755,
        });
      }
      const env = {
        PATH: `${stubs}:/usr/local/bin:/usr/bin:/bin`,
        HOME: Deno.env.get("HOME") ?? tmp,
        // Relative to where ./hum is started (tmp), not to the checkout.
        HUM_BUNDLE: "bundle",
        // The models must come from the bundle, not from ../shared.
        HUM_SHARED_DIR: join(tmp, "no-shared"),
        // Building libwhisper here would take minutes: the one built already is the user's own.
        HUM_WHISPER_LIB: lookup.current.library,
        HTTP_PROXY: "http://127.0.0.1:9",
        HTTPS_PROXY: "http://127.0.0.1:9",
        npm_config_offline: "true",
      };
      const hum = (args: string[]) =>
        new Deno.Command(join(fresh, "hum"), {
          args,
          env,
          clearEnv: true,
          cwd: tmp,
          stdout: "piped",
          stderr: "piped",
        }).output();
      const jfk = sharedPath("speech/jfk/jfk.wav");
      const r = await hum(["transcribe", jfk]);
      const out = new TextDecoder().decode(r.stdout);
      const err = new TextDecoder().decode(r.stderr);
      assert(r.success, `./hum transcribe failed: ${err}`);
      assert(err.includes("installing from the bundle"), err);
      assert(out.toLowerCase().includes("ask not what your country can do for you"), out);
      let forbidden = "";
      try {
        forbidden = Deno.readTextFileSync(calls);
      } catch { /* none called */ }
      assertEquals(forbidden, "", "no package manager, registry or Node.js was asked for anything");
      for (const s of RUNTIME_SONAMES) Deno.statSync(join(fresh, BUNDLE_LIB_DIR, s));
      Deno.statSync(join(fresh, "models", "ggml-tiny.en.bin"));

      // Installed once: the next run does not unpack again.
      const again = await hum(["transcribe", "--help"]);
      assert(!new TextDecoder().decode(again.stderr).includes("installing from the bundle"));

      // A damaged part is refused, naming what is wrong.
      Deno.removeSync(join(fresh, ".cache", "bundle", "installed"));
      const last = join(bundle, m.parts.at(-1)!.name);
      Deno.writeFileSync(last, new Uint8Array([0]), { append: true });
      const damaged = await hum(["transcribe", "--help"]);
      assert(!damaged.success);
      assert(
        new TextDecoder().decode(damaged.stderr).includes("do not match its SHA256SUMS"),
        new TextDecoder().decode(damaged.stderr),
      );
    } finally {
      Deno.removeSync(tmp, { recursive: true });
    }
  },
});
