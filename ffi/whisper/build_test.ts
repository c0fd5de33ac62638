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
