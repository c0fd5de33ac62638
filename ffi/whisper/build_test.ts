import { cmakeFlagsFor, portableRequested } from "./build.ts";
import { assert, assertEquals, assertThrows } from "../testing/assert.ts";

const envOf = (vars: Record<string, string>) => (key: string) => vars[key];

/** The flags every build starts with (their order is part of the cache key). */
const COMMON = [
  "-DCMAKE_BUILD_TYPE=Release",
  "-DBUILD_SHARED_LIBS=ON",
  "-DWHISPER_BUILD_TESTS=OFF",
  "-DWHISPER_BUILD_SERVER=OFF",
  "-DWHISPER_BUILD_EXAMPLES=ON",
  "-DWHISPER_SDL2=OFF",
  "-DWHISPER_CURL=OFF",
];

Deno.test("a CPU build without settings is tuned to this machine, with the flags existing caches were keyed on", () => {
  assertEquals(cmakeFlagsFor("cpu", envOf({})), [...COMMON, "-DGGML_NATIVE=ON"]);
  assertEquals(
    cmakeFlagsFor("cpu", envOf({ HUM_WHISPER_PORTABLE: "0" })),
    [...COMMON, "-DGGML_NATIVE=ON"],
  );
});

Deno.test("HUM_WHISPER_PORTABLE makes the CPU build independent of the build machine's CPU", () => {
  for (const on of ["1", "true", "YES", " on "]) {
    const flags = cmakeFlagsFor("cpu", envOf({ HUM_WHISPER_PORTABLE: on }));
    assertEquals(flags, [...COMMON, "-DGGML_NATIVE=OFF"], `HUM_WHISPER_PORTABLE=${on}`);
  }
});

Deno.test("HUM_WHISPER_PORTABLE refuses values it cannot read", () => {
  assertThrows(() => portableRequested(envOf({ HUM_WHISPER_PORTABLE: "maybe" })), Error, "maybe");
  assertEquals(portableRequested(envOf({ HUM_WHISPER_PORTABLE: "" })), false);
  assertEquals(portableRequested(envOf({ HUM_WHISPER_PORTABLE: "off" })), false);
});

Deno.test("the CUDA build is never native, with or without HUM_WHISPER_PORTABLE", () => {
  const cases: Record<string, string>[] = [{}, { HUM_WHISPER_PORTABLE: "1" }, {
    HUM_WHISPER_PORTABLE: "0",
  }];
  for (const vars of cases) {
    const flags = cmakeFlagsFor("cuda", envOf(vars));
    assertEquals(flags, [...COMMON, "-DGGML_NATIVE=OFF", "-DGGML_CUDA=ON"]);
  }
});

Deno.test("CUDA architectures and extra CMake flags come from the environment, extras last", () => {
  const flags = cmakeFlagsFor(
    "cuda",
    envOf({ HUM_CUDA_ARCHITECTURES: "90;120", HUM_WHISPER_CMAKE_FLAGS: " -DA=1  -DB=2 " }),
  );
  assertEquals(flags.slice(-3), ["-DCMAKE_CUDA_ARCHITECTURES=90;120", "-DA=1", "-DB=2"]);
  // The architectures are a CUDA setting: a CPU build ignores them.
  const cpu = cmakeFlagsFor("cpu", envOf({ HUM_CUDA_ARCHITECTURES: "90" }));
  assert(!cpu.some((f) => f.includes("CUDA")), cpu.join(" "));
});

/** Runs `findWhisperBuild` in a child process with `env` (the test's own environment stays as it is). */
async function lookupIn(env: Record<string, string>, backend?: string) {
  const code = `import { findWhisperBuild } from ${
    JSON.stringify(import.meta.resolve("./build.ts"))
  };
    const r = await findWhisperBuild(${backend ? `{ backend: ${JSON.stringify(backend)} }` : ""});
    console.log(JSON.stringify({ key: r.key, dir: r.dir, found: r.current !== null }));`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    env: { HUM_BACKEND: "", HUM_WHISPER_PORTABLE: "", HUM_WHISPER_CMAKE_FLAGS: "", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout)) as {
    key: string;
    dir: string;
    found: boolean;
  };
}

Deno.test("a build is found only under the same sources path and settings, and nothing is built", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const src = `${tmp}/src`;
    await Deno.mkdir(src);
    await Deno.writeTextFile(`${src}/CMakeLists.txt`, 'project("whisper.cpp" VERSION 1.9.1)\n');
    const env = { HUM_WHISPER_SRC: src, HUM_CACHE_DIR: `${tmp}/cache` };
    const native = await lookupIn(env);
    assertEquals(native.found, false);
    assert(native.key.startsWith("1.9.1-cpu-"), native.key);
    // A finished build: its stamp names a library that exists.
    await Deno.mkdir(`${native.dir}/build/bin`, { recursive: true });
    await Deno.writeTextFile(`${native.dir}/build/bin/libwhisper.so`, "");
    await Deno.writeTextFile(
      `${native.dir}/build.json`,
      JSON.stringify({ key: native.key, library: `${native.dir}/build/bin/libwhisper.so` }),
    );
    assertEquals((await lookupIn(env)).found, true);
    // Other settings are other builds: the portable one, the CUDA one, another sources path.
    const portable = await lookupIn({ ...env, HUM_WHISPER_PORTABLE: "1" });
    assertEquals(portable.found, false);
    assert(portable.key !== native.key);
    assertEquals((await lookupIn({ ...env, HUM_BACKEND: "cuda" })).found, false);
    assertEquals((await lookupIn(env, "cuda")).found, false);
    await Deno.symlink(src, `${tmp}/src2`);
    assertEquals((await lookupIn({ ...env, HUM_WHISPER_SRC: `${tmp}/src2` })).found, false);
    // Only the stamp was written: the lookups built nothing.
    assertEquals([...Deno.readDirSync(`${tmp}/cache/whisper`)].length, 1);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
