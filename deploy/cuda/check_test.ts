import { cudaCheckEnv, DEFAULT_CHECK_ARCH, parseCMakeCache } from "./check.ts";
import { cmakeFlagsFor } from "../../ffi/whisper/build.ts";
import { assert, assertEquals } from "../../ffi/testing/assert.ts";

Deno.test("the CUDA check points build:whisper at the toolkit, without the driver library", () => {
  const env = cudaCheckEnv("/tk", () => undefined);
  assertEquals(env.CUDACXX, "/tk/bin/nvcc");
  assertEquals(env.HUM_CUDA_ARCHITECTURES, DEFAULT_CHECK_ARCH);
  assertEquals(env.LD_LIBRARY_PATH, "/tk/lib");
  // What build.ts makes of that environment: a CUDA build for that architecture and compiler.
  const flags = cmakeFlagsFor("cuda", (k) => env[k]);
  for (
    const f of [
      "-DGGML_CUDA=ON",
      "-DGGML_CUDA_NO_VMM=ON",
      "-DCMAKE_CUDA_ARCHITECTURES=90",
      "-DCMAKE_CUDA_COMPILER=/tk/bin/nvcc",
      "-DCUDAToolkit_ROOT=/tk",
    ]
  ) assert(flags.includes(f), `${f} missing from ${flags.join(" ")}`);
});

Deno.test("the CUDA check keeps the caller's architectures and extra flags", () => {
  const mine: Record<string, string> = {
    HUM_CUDA_ARCHITECTURES: "120",
    HUM_WHISPER_CMAKE_FLAGS: "-DGGML_CUDA_FA=OFF",
    LD_LIBRARY_PATH: "/opt/x",
  };
  const env = cudaCheckEnv("/tk", (k) => mine[k]);
  assertEquals(env.HUM_CUDA_ARCHITECTURES, "120");
  assertEquals(env.LD_LIBRARY_PATH, "/tk/lib:/opt/x");
  assert(env.HUM_WHISPER_CMAKE_FLAGS.endsWith(" -DGGML_CUDA_FA=OFF"), env.HUM_WHISPER_CMAKE_FLAGS);
});

Deno.test("CMakeCache.txt entries are read as name → value, comments and blanks skipped", () => {
  const cache = parseCMakeCache(
    [
      "# This is the CMakeCache file.",
      "//Flag",
      "GGML_CUDA:BOOL=ON",
      "CMAKE_CUDA_ARCHITECTURES:STRING=90",
      "CMAKE_CUDA_COMPILER:FILEPATH=/a b/nvcc",
      "EMPTY:STRING=",
      "",
      "GGML_CUDA-ADVANCED:INTERNAL=1",
    ].join("\n"),
  );
  assertEquals(cache.get("GGML_CUDA"), "ON");
  assertEquals(cache.get("CMAKE_CUDA_ARCHITECTURES"), "90");
  assertEquals(cache.get("CMAKE_CUDA_COMPILER"), "/a b/nvcc");
  assertEquals(cache.get("EMPTY"), "");
  assertEquals(cache.size, 5);
});
